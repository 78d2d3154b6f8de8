-- Watching what write-backs wrote: each watch run of a job re-reads the items
-- its plans edited and records what became of them. watch_items and
-- watch_statements hold only the latest state of each written item and of
-- each statement it sent (keyed by plan item and the statement's place in the
-- edit), so the pages read one row per statement; watch_changes keeps the
-- history compactly: one row each time a statement's state changes, none
-- when a run finds it as before.

CREATE TABLE watch_runs (
    id {{PK}},
    job_id BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL DEFAULT 0,
    after_plan BIGINT NOT NULL DEFAULT 0,
    after_item BIGINT NOT NULL DEFAULT 0,
    items_checked BIGINT NOT NULL DEFAULT 0,
    items_read BIGINT NOT NULL DEFAULT 0,
    requests BIGINT NOT NULL DEFAULT 0,
    n_statements BIGINT NOT NULL DEFAULT 0,
    n_there BIGINT NOT NULL DEFAULT 0,
    error TEXT NOT NULL,
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX watch_runs_job ON watch_runs (job_id, id);
CREATE INDEX watch_runs_status ON watch_runs (status);

CREATE TABLE watch_items (
    job_id BIGINT NOT NULL,
    plan_id BIGINT NOT NULL,
    item_no BIGINT NOT NULL,
    qid VARCHAR(32) NOT NULL,
    state VARCHAR(16) NOT NULL,
    now_qid VARCHAR(32) NOT NULL DEFAULT '',
    last_rev_id BIGINT NOT NULL DEFAULT 0,
    row_status VARCHAR(64) NOT NULL DEFAULT '',
    run_id BIGINT NOT NULL,
    checked_at BIGINT NOT NULL,
    PRIMARY KEY (plan_id, item_no),
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX watch_items_job ON watch_items (job_id, state);

-- The dataset rows behind each watched item, for the export's per-row status.
CREATE TABLE watch_item_rows (
    job_id BIGINT NOT NULL,
    row_num BIGINT NOT NULL,
    plan_id BIGINT NOT NULL,
    item_no BIGINT NOT NULL,
    PRIMARY KEY (job_id, row_num, plan_id, item_no),
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
){{TABLE}};

CREATE TABLE watch_statements (
    job_id BIGINT NOT NULL,
    plan_id BIGINT NOT NULL,
    item_no BIGINT NOT NULL,
    stmt_no INT NOT NULL,
    qid VARCHAR(32) NOT NULL,
    property VARCHAR(32) NOT NULL,
    value_text TEXT NOT NULL,
    guid VARCHAR(100) NOT NULL DEFAULT '',
    state VARCHAR(24) NOT NULL,
    detail TEXT NOT NULL,
    since BIGINT NOT NULL,
    run_id BIGINT NOT NULL,
    checked_at BIGINT NOT NULL,
    PRIMARY KEY (plan_id, item_no, stmt_no),
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX watch_statements_job ON watch_statements (job_id, state);

CREATE TABLE watch_changes (
    id {{PK}},
    job_id BIGINT NOT NULL,
    plan_id BIGINT NOT NULL,
    item_no BIGINT NOT NULL,
    stmt_no INT NOT NULL,
    run_id BIGINT NOT NULL,
    state VARCHAR(24) NOT NULL,
    detail TEXT NOT NULL,
    at BIGINT NOT NULL,
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX watch_changes_statement ON watch_changes (plan_id, item_no, stmt_no, id);
CREATE INDEX watch_changes_job ON watch_changes (job_id, id);
