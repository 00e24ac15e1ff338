-- Identity before certificates: an account records how it proved the
-- identity it registered with (none, the 管理号, a one-time code, or the
-- federated login) and when another account took that identity. Several
-- accounts may claim one ID document; at most one may hold it proven, which
-- the partial unique index enforces however many proofs arrive at once.
ALTER TABLE holders DROP CONSTRAINT holders_id_index_key;
ALTER TABLE holders ADD COLUMN identity_proof TEXT NOT NULL DEFAULT 'none';
ALTER TABLE holders ADD COLUMN identity_proven_at_ms BIGINT;
ALTER TABLE holders ADD COLUMN identity_taken_at_ms BIGINT;
CREATE INDEX holders_id_index_idx ON holders (id_index);
CREATE UNIQUE INDEX holders_proven_id_index_key ON holders (id_index)
    WHERE identity_proof <> 'none';

-- The contact the issuing body recorded with a certificate (sealed like ID
-- numbers), where one-time codes go.
ALTER TABLE certificates ADD COLUMN phone_cipher BYTEA;
ALTER TABLE certificates ADD COLUMN email_cipher BYTEA;

-- One-time codes, kept as keyed hashes; used_at_ms ends one (used, or
-- superseded by a newer code).
CREATE TABLE one_time_codes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    holder_id BIGINT NOT NULL REFERENCES holders (id),
    purpose TEXT NOT NULL,
    code_hash BYTEA NOT NULL,
    tries INTEGER NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms BIGINT
);
CREATE INDEX one_time_codes_holder_idx ON one_time_codes (holder_id, purpose, id);

-- An import's staged updates carry the contacts too, published with them.
ALTER TABLE import_updates ADD COLUMN phone_cipher BYTEA;
ALTER TABLE import_updates ADD COLUMN email_cipher BYTEA;
