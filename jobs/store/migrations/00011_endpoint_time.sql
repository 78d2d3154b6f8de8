-- The running account of query-service time, shared by every worker and the
-- web side (sparql.Limiter reads it before each query): endpoint time spent
-- per endpoint per 5-second slot, and the latest pause an endpoint asked for
-- (Retry-After). Endpoints are keyed by the SHA-256 of their URL. Each batch
-- also records the endpoint time it cost, for the job page.
CREATE TABLE endpoint_time (
    endpoint_key CHAR(64) NOT NULL,
    slot BIGINT NOT NULL,
    spent_ms BIGINT NOT NULL,
    PRIMARY KEY (endpoint_key, slot)
){{TABLE}};

CREATE TABLE endpoint_pauses (
    endpoint_key CHAR(64) NOT NULL PRIMARY KEY,
    until_ms BIGINT NOT NULL
){{TABLE}};

ALTER TABLE reconcile_batches ADD COLUMN endpoint_ms BIGINT NOT NULL DEFAULT 0;
