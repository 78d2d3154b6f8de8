-- Dataset versions: a job keeps its current dataset while a new version of
-- the partner's file is imported beside it; the new one replaces it only once
-- it is complete. Rows are matched across versions by a key column;
-- dataset_rows says, for each row of a refreshed version, which row of the
-- version before it continues (prev_row_num) and how (row_change: 1 kept,
-- 2 changed, 3 added; 0 in a first version).

ALTER TABLE datasets ADD COLUMN version INT NOT NULL DEFAULT 1;
ALTER TABLE datasets ADD COLUMN is_current SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE datasets ADD COLUMN key_column VARCHAR(1024) NOT NULL DEFAULT '';
ALTER TABLE datasets ADD COLUMN options_json VARCHAR(1024) NOT NULL DEFAULT '';
ALTER TABLE datasets ADD COLUMN reading_note VARCHAR(2048) NOT NULL DEFAULT '';
ALTER TABLE datasets ADD COLUMN n_kept BIGINT NOT NULL DEFAULT 0;
ALTER TABLE datasets ADD COLUMN n_changed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE datasets ADD COLUMN n_added BIGINT NOT NULL DEFAULT 0;
ALTER TABLE datasets ADD COLUMN n_removed BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX datasets_job_version ON datasets (job_id, version);
DROP INDEX datasets_job{{ON datasets}};

ALTER TABLE dataset_rows ADD COLUMN prev_row_num BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dataset_rows ADD COLUMN row_change SMALLINT NOT NULL DEFAULT 0;
CREATE INDEX dataset_rows_prev ON dataset_rows (dataset_id, prev_row_num);
