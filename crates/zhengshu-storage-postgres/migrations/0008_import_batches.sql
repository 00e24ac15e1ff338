-- Imports in batches. An import writes its rows in short transactions,
-- tagged with its batch; readers skip the rows of a batch that is not
-- published, and one small write publishes it. 'staging': being written;
-- 'published': visible; 'abandoned': refused, or its process died, its
-- rows being deleted. The owner says who runs it (process or backend), to
-- tell a running import from a dead one.
CREATE TABLE import_batches (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('staging', 'published', 'abandoned')),
    owner TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    published_at_ms BIGINT
);

-- NULL for rows written before batches, or by other paths.
ALTER TABLE certificates ADD COLUMN import_batch BIGINT;
CREATE INDEX certificates_import_batch_idx ON certificates (import_batch)
    WHERE import_batch IS NOT NULL;

-- The new fields of existing certificates an import with update changes,
-- with the audit texts, applied when the batch is published. Dates are
-- YYYY-MM-DD text.
CREATE TABLE import_updates (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id BIGINT NOT NULL,
    number TEXT NOT NULL,
    management_number TEXT,
    name TEXT NOT NULL,
    sex TEXT,
    birth_date TEXT,
    id_type TEXT NOT NULL,
    id_cipher BYTEA NOT NULL,
    id_index BYTEA NOT NULL,
    qualification_code TEXT NOT NULL,
    category TEXT,
    specialty TEXT,
    level TEXT,
    approval_date TEXT,
    issue_date TEXT NOT NULL,
    photo TEXT,
    audit_before TEXT NOT NULL,
    audit_after TEXT NOT NULL
);
CREATE INDEX import_updates_batch_idx ON import_updates (batch_id, id);
