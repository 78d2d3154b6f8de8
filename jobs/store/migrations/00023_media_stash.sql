-- A chunked upload's progress in Commons' upload stash, recorded as each
-- chunk is accepted: after a crash or a stop the upload goes on from where
-- the stash stands (asked with prop=stashimageinfo) instead of sending every
-- chunk again, and a commit whose answer was lost is known to have been sent
-- (commit_sent_at), so it is never sent again before the file was looked up
-- on Commons. A stash that lost the upload (expired) means starting the
-- chunks again: a stashed file publishes nothing.
CREATE TABLE media_stash (
    plan_id BIGINT NOT NULL,
    file_no BIGINT NOT NULL,
    -- the file's upload attempt (media_files.attempts) that last used it
    attempt INT NOT NULL,
    -- the chunk session's file key, or, once the last chunk was accepted,
    -- the assembled file's; '' before the first chunk's answer
    file_key VARCHAR(255) NOT NULL DEFAULT '',
    -- bytes the stash has accepted; file_size once assembled
    stash_offset BIGINT NOT NULL DEFAULT 0,
    file_size BIGINT NOT NULL,
    sha1 CHAR(40) NOT NULL,
    assembled SMALLINT NOT NULL DEFAULT 0,
    -- when the commit of the assembled file was sent without its answer
    -- being recorded since (0: not sent)
    commit_sent_at BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (plan_id, file_no),
    FOREIGN KEY (plan_id) REFERENCES media_plans (id) ON DELETE CASCADE
){{TABLE}};
