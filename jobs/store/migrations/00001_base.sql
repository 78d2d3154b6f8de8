-- Users, jobs, datasets and their rows. One schema for SQLite and MariaDB:
-- {{PK}} and {{TABLE}} are replaced per dialect (see dialect.go); times are
-- Unix milliseconds in BIGINT columns so both engines compare them the same way.

CREATE TABLE users (
    id {{PK}},
    wiki_user_id VARCHAR(64) NULL,
    username VARCHAR(255) NOT NULL,
    groups_json TEXT NOT NULL,
    rights_json TEXT NOT NULL,
    edit_count BIGINT NOT NULL DEFAULT 0,
    blocked SMALLINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL
){{TABLE}};
CREATE UNIQUE INDEX users_username ON users (username);
CREATE UNIQUE INDEX users_wiki_user_id ON users (wiki_user_id);

CREATE TABLE jobs (
    id {{PK}},
    owner_id BIGINT NOT NULL,
    group_id BIGINT NOT NULL DEFAULT 0,
    title VARCHAR(255) NOT NULL,
    description TEXT NOT NULL,
    status VARCHAR(32) NOT NULL,
    error TEXT NOT NULL,
    template_json MEDIUMTEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (owner_id) REFERENCES users (id)
){{TABLE}};
CREATE INDEX jobs_owner ON jobs (owner_id, id);
CREATE INDEX jobs_status ON jobs (status);

CREATE TABLE datasets (
    id {{PK}},
    job_id BIGINT NOT NULL,
    file_name VARCHAR(255) NOT NULL,
    stored_path VARCHAR(1024) NOT NULL,
    size_bytes BIGINT NOT NULL,
    encoding VARCHAR(32) NOT NULL,
    delimiter VARCHAR(4) NOT NULL,
    has_bom SMALLINT NOT NULL DEFAULT 0,
    columns_json MEDIUMTEXT NOT NULL,
    column_stats_json MEDIUMTEXT NOT NULL,
    row_count BIGINT NOT NULL DEFAULT 0,
    status VARCHAR(32) NOT NULL,
    error TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    imported_at BIGINT NOT NULL DEFAULT 0,
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
){{TABLE}};
CREATE UNIQUE INDEX datasets_job ON datasets (job_id);
CREATE INDEX datasets_status ON datasets (status);

-- Rows are stored as a JSON array of cells: one narrow row per partner row keeps
-- a million-row dataset to one index and cheap batch inserts.
CREATE TABLE dataset_rows (
    dataset_id BIGINT NOT NULL,
    row_num BIGINT NOT NULL,
    cells_json MEDIUMTEXT NOT NULL,
    PRIMARY KEY (dataset_id, row_num),
    FOREIGN KEY (dataset_id) REFERENCES datasets (id) ON DELETE CASCADE
){{TABLE}};
