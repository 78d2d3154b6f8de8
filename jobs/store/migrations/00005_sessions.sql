-- Server-side sessions behind a random cookie (only its SHA-256 is stored),
-- and users' OAuth access tokens, sealed with AES-GCM before they get here.

CREATE TABLE sessions (
    id_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL DEFAULT 0,
    data_json TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL
){{TABLE}};
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE oauth_tokens (
    user_id BIGINT NOT NULL PRIMARY KEY,
    consumer_key VARCHAR(128) NOT NULL,
    token_sealed TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
){{TABLE}};
