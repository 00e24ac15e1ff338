-- Fingerprints of the keys an installation runs with (ID vault, sessions,
-- verifiers, the seal root), recorded by the first process that starts on
-- the database: a node with other keys refuses to start, and
-- `zhengshu check` tells whether a database, its keys and its secrets
-- belong together. Only keyed fingerprints are kept, never a key.
CREATE TABLE installation_keys (
    name TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    recorded_at_ms INTEGER NOT NULL
);
