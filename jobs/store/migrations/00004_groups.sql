-- Working groups, the template library, partner share links and the public
-- showcase. Jobs already carry group_id (0: private); here they also record
-- the library template version they were started from.

CREATE TABLE working_groups (
    id {{PK}},
    name VARCHAR(255) NOT NULL,
    description TEXT NOT NULL,
    wiki_page VARCHAR(512) NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
){{TABLE}};

CREATE TABLE group_members (
    group_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    role VARCHAR(16) NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id),
    FOREIGN KEY (group_id) REFERENCES working_groups (id) ON DELETE CASCADE,
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX group_members_user ON group_members (user_id, group_id);
CREATE INDEX jobs_group ON jobs (group_id, id);

-- properties holds the mapped property ids as " P1 P2 " so that one LIKE
-- finds a property on both engines.
CREATE TABLE job_templates (
    id {{PK}},
    owner_id BIGINT NOT NULL,
    group_id BIGINT NOT NULL DEFAULT 0,
    visibility VARCHAR(16) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description TEXT NOT NULL,
    type_qid VARCHAR(32) NOT NULL,
    properties VARCHAR(2000) NOT NULL,
    latest_version INT NOT NULL,
    latest_version_id BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (owner_id) REFERENCES users (id)
){{TABLE}};
CREATE INDEX job_templates_visibility ON job_templates (visibility, id);
CREATE INDEX job_templates_owner ON job_templates (owner_id, id);
CREATE INDEX job_templates_group ON job_templates (group_id, id);

CREATE TABLE template_versions (
    id {{PK}},
    template_id BIGINT NOT NULL,
    version INT NOT NULL,
    body MEDIUMTEXT NOT NULL,
    author_id BIGINT NOT NULL,
    note VARCHAR(500) NOT NULL,
    created_at BIGINT NOT NULL,
    FOREIGN KEY (template_id) REFERENCES job_templates (id) ON DELETE CASCADE
){{TABLE}};
CREATE UNIQUE INDEX template_versions_number ON template_versions (template_id, version);

ALTER TABLE jobs ADD COLUMN template_version_id BIGINT NOT NULL DEFAULT 0;

CREATE TABLE share_links (
    id {{PK}},
    job_id BIGINT NOT NULL,
    token_hash VARCHAR(64) NOT NULL,
    label VARCHAR(255) NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT NOT NULL DEFAULT 0,
    last_used_at BIGINT NOT NULL DEFAULT 0,
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
){{TABLE}};
CREATE UNIQUE INDEX share_links_token ON share_links (token_hash);
CREATE INDEX share_links_job ON share_links (job_id, id);

CREATE TABLE case_studies (
    id {{PK}},
    job_id BIGINT NOT NULL DEFAULT 0,
    group_id BIGINT NOT NULL DEFAULT 0,
    owner_id BIGINT NOT NULL,
    title VARCHAR(255) NOT NULL,
    partner_name VARCHAR(255) NOT NULL,
    partner_type VARCHAR(32) NOT NULL,
    country VARCHAR(2) NOT NULL,
    subject_qid VARCHAR(32) NOT NULL,
    dataset_summary TEXT NOT NULL,
    template_id BIGINT NOT NULL DEFAULT 0,
    template_version_id BIGINT NOT NULL DEFAULT 0,
    published_at BIGINT NOT NULL
){{TABLE}};
CREATE INDEX case_studies_search ON case_studies (partner_type, country, subject_qid);
CREATE INDEX case_studies_job ON case_studies (job_id);
CREATE INDEX case_studies_group ON case_studies (group_id);
