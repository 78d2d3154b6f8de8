-- Edit plans (what will change on the wiki, per item, approved by a person)
-- and their write-back: each item records its intent before the API call and
-- its revision id after it, so a crash never leads to a second edit.

CREATE TABLE edit_plans (
    id {{PK}},
    job_id BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    approved_by BIGINT NOT NULL DEFAULT 0,
    approved_at BIGINT NOT NULL DEFAULT 0,
    started_at BIGINT NOT NULL DEFAULT 0,
    writer_id BIGINT NOT NULL DEFAULT 0,
    editgroup_id VARCHAR(32) NOT NULL DEFAULT '',
    error TEXT NOT NULL,
    rows_done BIGINT NOT NULL DEFAULT 0,
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX edit_plans_job ON edit_plans (job_id, id);
CREATE INDEX edit_plans_status ON edit_plans (status);

CREATE TABLE plan_items (
    plan_id BIGINT NOT NULL,
    item_no BIGINT NOT NULL,
    qid VARCHAR(32) NOT NULL,
    rows_json TEXT NOT NULL,
    base_rev_id BIGINT NOT NULL,
    diff_json MEDIUMTEXT NOT NULL,
    n_statements INT NOT NULL,
    n_references INT NOT NULL,
    n_labels INT NOT NULL,
    n_conflicts INT NOT NULL,
    approved SMALLINT NOT NULL DEFAULT 1,
    status VARCHAR(16) NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    rev_id BIGINT NOT NULL DEFAULT 0,
    new_qid VARCHAR(32) NOT NULL DEFAULT '',
    error TEXT NOT NULL,
    sent_at BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (plan_id, item_no),
    FOREIGN KEY (plan_id) REFERENCES edit_plans (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX plan_items_status ON plan_items (plan_id, status, item_no);
CREATE INDEX plan_items_qid ON plan_items (plan_id, qid);
