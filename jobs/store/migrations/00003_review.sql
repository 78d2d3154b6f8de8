-- Review: one current decision per row (with a version for optimistic
-- concurrency between reviewers) and an append-only log of every decision.

CREATE TABLE decisions (
    job_id BIGINT NOT NULL,
    row_num BIGINT NOT NULL,
    kind VARCHAR(16) NOT NULL,
    qid VARCHAR(32) NOT NULL,
    user_id BIGINT NOT NULL,
    version INT NOT NULL,
    decided_at BIGINT NOT NULL,
    PRIMARY KEY (job_id, row_num),
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX decisions_kind ON decisions (job_id, kind, row_num);

CREATE TABLE decision_log (
    id {{PK}},
    job_id BIGINT NOT NULL,
    row_num BIGINT NOT NULL,
    kind VARCHAR(16) NOT NULL,
    qid VARCHAR(32) NOT NULL,
    user_id BIGINT NOT NULL,
    decided_at BIGINT NOT NULL,
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX decision_log_job ON decision_log (job_id, user_id);

CREATE INDEX row_matches_score ON row_matches (job_id, score, row_num);
