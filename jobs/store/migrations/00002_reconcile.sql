-- Reconciliation: the job's rows in batches (the unit of work, stored
-- idempotently) and one result per row with its candidates.

CREATE TABLE reconcile_batches (
    job_id BIGINT NOT NULL,
    batch_no BIGINT NOT NULL,
    first_row BIGINT NOT NULL,
    last_row BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    error TEXT NOT NULL,
    n_matched INT NOT NULL DEFAULT 0,
    n_review INT NOT NULL DEFAULT 0,
    n_none INT NOT NULL DEFAULT 0,
    requests INT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    done_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, batch_no),
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX reconcile_batches_status ON reconcile_batches (job_id, status, batch_no);

CREATE TABLE row_matches (
    job_id BIGINT NOT NULL,
    row_num BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    qid VARCHAR(32) NOT NULL,
    label VARCHAR(512) NOT NULL,
    score DOUBLE NOT NULL,
    candidates_json MEDIUMTEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (job_id, row_num),
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX row_matches_status_score ON row_matches (job_id, status, score, row_num);

ALTER TABLE jobs ADD COLUMN reconcile_started_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN reconcile_finished_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN batch_size INT NOT NULL DEFAULT 0;
