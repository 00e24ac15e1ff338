-- Imports an issuing body's staff run from the console, or a program with
-- one of the body's import tokens: the uploaded file (kept until the
-- import ends), where its check or import stands, the counts and the
-- refusals (JSON, line, column and reason) that the page and the API
-- report.
CREATE TABLE body_imports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body_code TEXT NOT NULL REFERENCES issuing_bodies (code),
    created_by TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content BYTEA,
    state TEXT NOT NULL,
    valid_only BOOLEAN NOT NULL DEFAULT FALSE,
    rows_read BIGINT NOT NULL DEFAULT 0,
    refused BIGINT NOT NULL DEFAULT 0,
    inserted BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    rejections TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    created_at_ms BIGINT NOT NULL,
    finished_at_ms BIGINT
);
CREATE INDEX body_imports_body_idx ON body_imports (body_code, id);

-- Bearer tokens with which a body's programs import into that body (and
-- no other); only a hash of each is kept. A revoked token stays listed.
CREATE TABLE import_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body_code TEXT NOT NULL REFERENCES issuing_bodies (code),
    label TEXT NOT NULL,
    token_hash BYTEA NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT,
    CONSTRAINT import_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX import_tokens_body_idx ON import_tokens (body_code, id);
