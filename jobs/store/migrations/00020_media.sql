-- Media plans: what each file of a job becomes on Wikimedia Commons (title,
-- description wikitext, structured data for its MediaInfo entity), approved
-- by a person before anything is uploaded. Like edit plans, each file records
-- the intent before an API call and the result after it, so that a crash
-- never leads to a second upload (the executor also looks the file up by
-- SHA-1 before sending it again).

CREATE TABLE media_plans (
    id {{PK}},
    job_id BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    -- where the files come from: "url" (a column of http(s) URLs, fetched
    -- by the worker) or "zip" (an uploaded archive, entries named by a
    -- column); source_column names the column.
    source_kind VARCHAR(8) NOT NULL,
    source_column VARCHAR(255) NOT NULL,
    -- the uploaded archive (zip only): its path under the data directory,
    -- the name the user gave it, its SHA-1 and size.
    archive_path VARCHAR(1024) NOT NULL DEFAULT '',
    archive_name VARCHAR(255) NOT NULL DEFAULT '',
    archive_sha1 CHAR(40) NOT NULL DEFAULT '',
    archive_size BIGINT NOT NULL DEFAULT 0,
    -- the media settings used (title and wikitext patterns, licence,
    -- captions...), copied from the job's template when the plan was made.
    settings_json MEDIUMTEXT NOT NULL,
    template_version_id BIGINT NOT NULL DEFAULT 0,
    propose_p18 SMALLINT NOT NULL DEFAULT 0,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    approved_by BIGINT NOT NULL DEFAULT 0,
    approved_at BIGINT NOT NULL DEFAULT 0,
    started_at BIGINT NOT NULL DEFAULT 0,
    uploader_id BIGINT NOT NULL DEFAULT 0,
    editgroup_id VARCHAR(32) NOT NULL DEFAULT '',
    error TEXT NOT NULL,
    rows_done BIGINT NOT NULL DEFAULT 0,
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX media_plans_job ON media_plans (job_id, id);
CREATE INDEX media_plans_status ON media_plans (status);

-- One file of a plan (one per dataset row that names a file).
CREATE TABLE media_files (
    plan_id BIGINT NOT NULL,
    file_no BIGINT NOT NULL,
    row_num BIGINT NOT NULL,
    -- the row's accepted item ("" when it has none: a problem)
    qid VARCHAR(32) NOT NULL DEFAULT '',
    -- the URL or the archive entry's name
    source TEXT NOT NULL,
    -- the planned file name, without the "File:" namespace
    title VARCHAR(255) NOT NULL,
    wikitext MEDIUMTEXT NOT NULL,
    -- the "data" of the wbeditentity call on the file's MediaInfo entity
    -- (captions as labels, statements as claims)
    statements_json MEDIUMTEXT NOT NULL,
    sha1 CHAR(40) NOT NULL DEFAULT '',
    size BIGINT NOT NULL DEFAULT 0,
    content_type VARCHAR(127) NOT NULL DEFAULT '',
    width INT NOT NULL DEFAULT 0,
    height INT NOT NULL DEFAULT 0,
    -- problems found while planning: [{"code":..,"message":..}]; a file
    -- with a blocking problem is "blocked" and never uploaded.
    problems_json TEXT NOT NULL,
    approved SMALLINT NOT NULL DEFAULT 1,
    status VARCHAR(16) NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    -- the upload stash's key while a chunked upload is under way
    stash_key VARCHAR(255) NOT NULL DEFAULT '',
    -- warnings Commons gave (JSON), shown to a person, never ignored
    warnings_json TEXT NOT NULL,
    commons_page_id BIGINT NOT NULL DEFAULT 0,
    commons_title VARCHAR(255) NOT NULL DEFAULT '',
    commons_url TEXT NOT NULL,
    -- the revision of the MediaInfo edit (0 until the structured data is on)
    sdc_rev_id BIGINT NOT NULL DEFAULT 0,
    error TEXT NOT NULL,
    sent_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (plan_id, file_no),
    FOREIGN KEY (plan_id) REFERENCES media_plans (id) ON DELETE CASCADE
){{TABLE}};
CREATE INDEX media_files_status ON media_files (plan_id, status, file_no);
CREATE INDEX media_files_row ON media_files (plan_id, row_num);
CREATE INDEX media_files_sha1 ON media_files (sha1);
CREATE INDEX media_files_title ON media_files (commons_title);
