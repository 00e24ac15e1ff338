-- Corrections of certificates by their issuing body's staff: one row per
-- version replaced, who and when, why, the fields before and after (as
-- the audit log shows them, the ID number masked), and the identity the
-- certificate had before (its ID type, the blind index of its number and
-- the name), so that a holder account registered with that identity is
-- told a correction was made, and when, without being shown the new one.
CREATE TABLE certificate_versions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    certificate_id BIGINT NOT NULL REFERENCES certificates (id),
    version INTEGER NOT NULL,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    before_fields TEXT NOT NULL,
    after_fields TEXT NOT NULL,
    old_id_type TEXT NOT NULL,
    old_id_index BYTEA NOT NULL,
    old_name TEXT NOT NULL,
    CONSTRAINT certificate_versions_version_key UNIQUE (certificate_id, version)
);
CREATE INDEX certificate_versions_old_identity_idx
    ON certificate_versions (old_id_index, old_name);

-- Certificate electronic files (证书电子文件) attached by the body's
-- officers: each content stored once under its SHA-256, each attachment
-- with its title, type (judged by content), who added it and when, and,
-- once retired, who retired it, when and why (kept, no longer shown to
-- the holder).
CREATE TABLE file_contents (
    sha256 TEXT PRIMARY KEY,
    content BYTEA NOT NULL,
    size BIGINT NOT NULL
);
CREATE TABLE certificate_attachments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    certificate_id BIGINT NOT NULL REFERENCES certificates (id),
    title TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES file_contents (sha256),
    size BIGINT NOT NULL,
    added_at_ms BIGINT NOT NULL,
    added_by TEXT NOT NULL,
    retired_at_ms BIGINT,
    retired_by TEXT,
    retire_reason TEXT
);
CREATE INDEX certificate_attachments_certificate_idx
    ON certificate_attachments (certificate_id);
