-- Bulk acceptance as one act that can be taken back: who accepted which
-- rows in bulk, at which threshold, and, once undone, what happened to each
-- row (restored to undecided, or kept because someone decided it since).

CREATE TABLE bulk_decisions (
    id {{PK}},
    job_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    mode VARCHAR(16) NOT NULL,
    min_score DOUBLE NOT NULL,
    row_count BIGINT NOT NULL,
    decided_at BIGINT NOT NULL,
    undone_by BIGINT NOT NULL DEFAULT 0,
    undone_at BIGINT NOT NULL DEFAULT 0,
    restored BIGINT NOT NULL DEFAULT 0,
    kept BIGINT NOT NULL DEFAULT 0,
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX bulk_decisions_job ON bulk_decisions (job_id, id);

CREATE TABLE bulk_decision_rows (
    bulk_id BIGINT NOT NULL,
    row_num BIGINT NOT NULL,
    qid VARCHAR(32) NOT NULL,
    outcome VARCHAR(16) NOT NULL,
    PRIMARY KEY (bulk_id, row_num),
    FOREIGN KEY (bulk_id) REFERENCES bulk_decisions (id) ON DELETE CASCADE
){{TABLE}};

-- The bulk decision that set a row's decision (0: a reviewer's own). A
-- reviewer's later change bumps the version and a new decision after an
-- undo starts at 0 again, so "bulk_id = B AND version = 1" is exactly the
-- rows still as bulk decision B left them.
ALTER TABLE decisions ADD COLUMN bulk_id BIGINT NOT NULL DEFAULT 0;
