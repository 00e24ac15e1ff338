-- Signed-in sessions (only a hash of each token) and failed log-ins, the
-- record the throttle reads; both shared by every server process.
CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    holder_id BIGINT NOT NULL REFERENCES holders (id),
    kind TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX sessions_expires_idx ON sessions (expires_at_ms);

CREATE TABLE login_failures (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    throttle_key TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX login_failures_key_idx ON login_failures (throttle_key, at_ms);
CREATE INDEX login_failures_at_idx ON login_failures (at_ms);
