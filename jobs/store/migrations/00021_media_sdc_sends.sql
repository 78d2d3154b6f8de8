-- The intent to add a file's structured data (one wbeditentity on its
-- MediaInfo entity), recorded before the call and removed once its answer is
-- recorded. A row left behind means the answer was lost: the edit may still
-- land, so the upload executor re-reads the file's structured data only once
-- that can no longer happen, and sends only what is still missing then.
CREATE TABLE media_sdc_sends (
    plan_id BIGINT NOT NULL,
    file_no BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (plan_id, file_no),
    FOREIGN KEY (plan_id) REFERENCES media_plans (id) ON DELETE CASCADE
){{TABLE}};
