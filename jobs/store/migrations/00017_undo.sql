-- Undo of a write-back, or of part of it: one row per undo (its scope, who
-- asked for it, whose account edits), and one per item of the wiki it
-- touches. An item records its intent before its API call and its revision
-- after it, as plan items do, so a crash never leads to a second edit.
-- Items the write-back created are listed (kind 'created') with a deletion
-- request; users cannot delete items.

CREATE TABLE undos (
    id {{PK}},
    job_id BIGINT NOT NULL,
    plan_id BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    scope_json TEXT NOT NULL,
    reset_decisions SMALLINT NOT NULL DEFAULT 0,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    confirmed_by BIGINT NOT NULL DEFAULT 0,
    confirmed_at BIGINT NOT NULL DEFAULT 0,
    editgroup_id VARCHAR(32) NOT NULL DEFAULT '',
    decisions_reset BIGINT NOT NULL DEFAULT 0,
    decisions_kept BIGINT NOT NULL DEFAULT 0,
    error TEXT NOT NULL,
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE,
    FOREIGN KEY (plan_id) REFERENCES edit_plans (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX undos_plan ON undos (plan_id, id);
CREATE INDEX undos_status ON undos (status);

CREATE TABLE undo_items (
    undo_id BIGINT NOT NULL,
    item_no BIGINT NOT NULL,
    plan_item_no BIGINT NOT NULL,
    kind VARCHAR(16) NOT NULL,
    qid VARCHAR(32) NOT NULL,
    rows_json TEXT NOT NULL,
    base_rev_id BIGINT NOT NULL DEFAULT 0,
    data_json MEDIUMTEXT NOT NULL,
    report_json MEDIUMTEXT NOT NULL,
    n_remove INT NOT NULL DEFAULT 0,
    n_stay INT NOT NULL DEFAULT 0,
    status VARCHAR(16) NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    rev_id BIGINT NOT NULL DEFAULT 0,
    error TEXT NOT NULL,
    sent_at BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (undo_id, item_no),
    FOREIGN KEY (undo_id) REFERENCES undos (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX undo_items_status ON undo_items (undo_id, status, item_no);

-- What each write-back edit added (statement GUIDs, reference hashes, labels
-- and descriptions), from the wiki's answer or, for older edits, from the
-- edit's revision compared with its parent; '' while not known.
ALTER TABLE plan_items ADD COLUMN added_json MEDIUMTEXT;
