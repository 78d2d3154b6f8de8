-- The item the write-back created for a row marked "not on the wiki" is kept
-- on the row's decision, so exports, statistics and later plans see the row
-- as linked to it (a second plan must never create it again). It moves with
-- the decision when a new dataset version renumbers rows.
ALTER TABLE decisions ADD COLUMN created_qid VARCHAR(32) NOT NULL DEFAULT '';

-- Names in "item" columns ("Sweden") resolved to items, once per distinct
-- value of a column: matched (one exact label of the property's expected
-- type), ambiguous or none (for a person), accepted (a person chose the item)
-- or rejected (a person left the value out). value_key is the SHA-256 of the
-- value as written, trimmed.
CREATE TABLE value_resolutions (
    job_id BIGINT NOT NULL,
    column_name VARCHAR(255) NOT NULL,
    value_key CHAR(64) NOT NULL,
    value_text TEXT NOT NULL,
    status VARCHAR(16) NOT NULL,
    qid VARCHAR(32) NOT NULL DEFAULT '',
    candidates_json TEXT NOT NULL,
    evidence TEXT NOT NULL,
    n_rows BIGINT NOT NULL DEFAULT 0,
    decided_by BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (job_id, column_name, value_key),
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX value_resolutions_status ON value_resolutions (job_id, status);
