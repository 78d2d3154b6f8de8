-- What a person chose for a file Commons warned about (duplicate, exists,
-- was-deleted, duplicate-archive, badfilename), so that the upload executor
-- carries the choice out and nothing is ever bypassed without it:
--   resolution: "" (none), "link" (the same bytes are on Commons under
--   another name: link that file, add only the structured data it lacks),
--   "rename" (a new title, checked again), "ignore" (upload anyway despite
--   exactly the warnings confirmed), "skip".
--   resolution_json: the choice's detail: {"title": "File:…"} for link,
--   {"warnings": {"was-deleted": "…"}} for ignore.
--   resolved_attempts: the attempts made before the choice, so that the
--   executor's attempt limit counts from it.
ALTER TABLE media_files ADD COLUMN resolution VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE media_files ADD COLUMN resolution_json VARCHAR(2048) NOT NULL DEFAULT '';
ALTER TABLE media_files ADD COLUMN resolved_attempts INT NOT NULL DEFAULT 0;

-- Every such choice, recorded: who, when, which warnings they saw, what
-- they chose.
CREATE TABLE media_file_decisions (
    id {{PK}},
    plan_id BIGINT NOT NULL,
    file_no BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    action VARCHAR(16) NOT NULL,
    warnings_json TEXT NOT NULL,
    detail_json TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    FOREIGN KEY (plan_id) REFERENCES media_plans (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX media_file_decisions_file ON media_file_decisions (plan_id, file_no, id);

-- When the plan's uploaded archive was deleted from disk (0: it is there,
-- or the plan has none): once its plan is finished, cancelled or replaced,
-- its job deleted, or after the retention of an abandoned plan.
ALTER TABLE media_plans ADD COLUMN archive_removed_at BIGINT NOT NULL DEFAULT 0;
