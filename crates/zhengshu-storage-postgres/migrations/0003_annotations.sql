-- Annotations (加注), their generation jobs and their signed documents.
-- Days are ISO text (YYYY-MM-DD), times Unix milliseconds.
CREATE TABLE annotations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    certificate_id BIGINT NOT NULL REFERENCES certificates (id),
    holder_id BIGINT NOT NULL REFERENCES holders (id),
    scenario TEXT NOT NULL,
    days INTEGER NOT NULL CHECK (days >= 1),
    number TEXT NOT NULL,
    verification_code TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('generating', 'ready', 'withdrawn', 'failed')),
    applied_on TEXT NOT NULL,
    applied_at_ms BIGINT NOT NULL,
    valid_from TEXT,
    valid_until TEXT,
    ready_at_ms BIGINT,
    withdrawn_at_ms BIGINT,
    CONSTRAINT annotations_number_key UNIQUE (number),
    CONSTRAINT annotations_verification_code_key UNIQUE (verification_code)
);
CREATE INDEX annotations_certificate_idx ON annotations (certificate_id, applied_on);

-- One job per annotation being generated. A worker holds it under a lease
-- (a random token and an end time); a lease that ends is taken over, and
-- only the holder of the current lease can complete or fail the job.
CREATE TABLE annotation_jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    annotation_id BIGINT NOT NULL REFERENCES annotations (id),
    run_at_ms BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_token TEXT,
    leased_by TEXT,
    leased_until_ms BIGINT,
    last_error TEXT,
    CONSTRAINT annotation_jobs_annotation_key UNIQUE (annotation_id)
);
CREATE INDEX annotation_jobs_run_idx ON annotation_jobs (run_at_ms);

-- The one signed document of a ready annotation.
CREATE TABLE annotation_documents (
    annotation_id BIGINT PRIMARY KEY REFERENCES annotations (id),
    content BYTEA NOT NULL,
    sha256 TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
