-- Identity before certificates: an account records how it proved the
-- identity it registered with (none, the 管理号, a one-time code, or the
-- federated login) and when another account took that identity. Several
-- accounts may claim one ID document; at most one may hold it proven, which
-- the partial unique index enforces however many proofs arrive at once.
--
-- SQLite cannot drop the old unique constraint on id_index, so the table
-- is rebuilt; the foreign keys of sessions, terms acceptances and
-- annotations are checked at commit, after the rows are back.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE holders_before_0009 AS SELECT * FROM holders;
DROP TABLE holders;

CREATE TABLE holders (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    name TEXT NOT NULL,
    id_type TEXT NOT NULL,
    id_cipher BLOB NOT NULL,
    id_index BLOB NOT NULL,
    password_hash TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    unlinked_at_ms INTEGER,
    identity_proof TEXT NOT NULL DEFAULT 'none',
    identity_proven_at_ms INTEGER,
    identity_taken_at_ms INTEGER,
    CONSTRAINT holders_username_key UNIQUE (username)
);
INSERT INTO holders (id, username, name, id_type, id_cipher, id_index, password_hash,
                     created_at_ms, unlinked_at_ms)
SELECT id, username, name, id_type, id_cipher, id_index, password_hash, created_at_ms,
       unlinked_at_ms
FROM holders_before_0009;
DROP TABLE holders_before_0009;

CREATE INDEX holders_id_index_idx ON holders (id_index);
CREATE UNIQUE INDEX holders_proven_id_index_key ON holders (id_index)
    WHERE identity_proof <> 'none';

-- The contact the issuing body recorded with a certificate (sealed like ID
-- numbers), where one-time codes go.
ALTER TABLE certificates ADD COLUMN phone_cipher BLOB;
ALTER TABLE certificates ADD COLUMN email_cipher BLOB;

-- One-time codes, kept as keyed hashes; used_at_ms ends one (used, or
-- superseded by a newer code).
CREATE TABLE one_time_codes (
    id INTEGER PRIMARY KEY,
    holder_id INTEGER NOT NULL REFERENCES holders (id),
    purpose TEXT NOT NULL,
    code_hash BLOB NOT NULL,
    tries INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    used_at_ms INTEGER
);
CREATE INDEX one_time_codes_holder_idx ON one_time_codes (holder_id, purpose, id);

-- An import's staged updates carry the contacts too, published with them.
ALTER TABLE import_updates ADD COLUMN phone_cipher BLOB;
ALTER TABLE import_updates ADD COLUMN email_cipher BLOB;
