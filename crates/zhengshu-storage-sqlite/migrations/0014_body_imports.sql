-- Imports an issuing body's staff run from the console, or a program with
-- one of the body's import tokens: the uploaded file (kept until the
-- import ends), where its check or import stands, the counts and the
-- refusals (JSON, line, column and reason) that the page and the API
-- report.
CREATE TABLE body_imports (
    id INTEGER PRIMARY KEY,
    body_code TEXT NOT NULL REFERENCES issuing_bodies (code),
    created_by TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content BLOB,
    state TEXT NOT NULL,
    valid_only INTEGER NOT NULL DEFAULT 0,
    rows_read INTEGER NOT NULL DEFAULT 0,
    refused INTEGER NOT NULL DEFAULT 0,
    inserted INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    rejections TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    created_at_ms INTEGER NOT NULL,
    finished_at_ms INTEGER
);
CREATE INDEX body_imports_body_idx ON body_imports (body_code, id);

-- Bearer tokens with which a body's programs import into that body (and
-- no other); only a hash of each is kept. A revoked token stays listed.
CREATE TABLE import_tokens (
    id INTEGER PRIMARY KEY,
    body_code TEXT NOT NULL REFERENCES issuing_bodies (code),
    label TEXT NOT NULL,
    token_hash BLOB NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER,
    CONSTRAINT import_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX import_tokens_body_idx ON import_tokens (body_code, id);
