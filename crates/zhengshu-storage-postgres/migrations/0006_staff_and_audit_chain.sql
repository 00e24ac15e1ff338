-- Issuing-body staff and operators with their second factor, console
-- sessions, and the hash chain of the audit log: every event carries its
-- place in the chain, the previous event's hash and its own; the head row
-- is what an append updates (and so serialises appends). Events recorded
-- before this migration are chained by the first start after it.
ALTER TABLE audit_events ADD COLUMN seq BIGINT;
ALTER TABLE audit_events ADD COLUMN role TEXT;
ALTER TABLE audit_events ADD COLUMN body_code TEXT;
ALTER TABLE audit_events ADD COLUMN address TEXT;
ALTER TABLE audit_events ADD COLUMN prev_hash BYTEA;
ALTER TABLE audit_events ADD COLUMN hash BYTEA;
CREATE UNIQUE INDEX audit_events_seq_idx ON audit_events (seq);
CREATE INDEX audit_events_body_idx ON audit_events (body_code, seq);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

CREATE TABLE staff (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL,
    body_code TEXT REFERENCES issuing_bodies (code),
    role TEXT NOT NULL,
    password_hash TEXT,
    totp_secret BYTEA,
    last_totp_step BIGINT NOT NULL DEFAULT 0,
    enrolment_hash BYTEA,
    enrolment_expires_ms BIGINT,
    created_at_ms BIGINT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    CONSTRAINT staff_username_key UNIQUE (username),
    CHECK ((role = 'operator') = (body_code IS NULL))
);
CREATE UNIQUE INDEX staff_enrolment_idx ON staff (enrolment_hash);

CREATE TABLE staff_recovery_codes (
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    code_hash BYTEA NOT NULL,
    used_at_ms BIGINT,
    PRIMARY KEY (staff_id, code_hash)
);

CREATE TABLE staff_sessions (
    token_hash BYTEA PRIMARY KEY,
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    created_at_ms BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX staff_sessions_expires_idx ON staff_sessions (expires_at_ms);
