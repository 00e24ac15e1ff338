-- Reference data, certificates, holders, terms, files and the audit log.
CREATE TABLE issuing_bodies (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    exempt_before_cutover BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE qualification_types (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    body_code TEXT NOT NULL REFERENCES issuing_bodies (code),
    in_scope BOOLEAN NOT NULL DEFAULT TRUE,
    years_from INTEGER NOT NULL,
    years_to INTEGER
);

CREATE TABLE certificates (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number TEXT NOT NULL,
    management_number TEXT,
    name TEXT NOT NULL,
    sex TEXT,
    birth_date DATE,
    id_type TEXT NOT NULL,
    id_cipher BYTEA NOT NULL,
    id_index BYTEA NOT NULL,
    qualification_code TEXT NOT NULL REFERENCES qualification_types (code),
    category TEXT,
    specialty TEXT,
    level TEXT,
    approval_date DATE,
    issue_date DATE NOT NULL,
    photo TEXT,
    revoked_at_ms BIGINT,
    revocation_reason TEXT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    CONSTRAINT certificates_number_key UNIQUE (number)
);
CREATE INDEX certificates_holder_idx ON certificates (id_index, name);

CREATE TABLE certificate_files (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    certificate_id BIGINT NOT NULL REFERENCES certificates (id),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    content BYTEA NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_at_ms BIGINT NOT NULL
);
CREATE INDEX certificate_files_certificate_idx ON certificate_files (certificate_id);

CREATE TABLE holders (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL,
    name TEXT NOT NULL,
    id_type TEXT NOT NULL,
    id_cipher BYTEA NOT NULL,
    id_index BYTEA NOT NULL,
    password_hash TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    CONSTRAINT holders_username_key UNIQUE (username),
    CONSTRAINT holders_id_index_key UNIQUE (id_index)
);

CREATE TABLE terms_versions (
    version INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    published_at_ms BIGINT NOT NULL
);

CREATE TABLE terms_acceptances (
    holder_id BIGINT NOT NULL REFERENCES holders (id),
    version INTEGER NOT NULL REFERENCES terms_versions (version),
    accepted_at_ms BIGINT NOT NULL,
    CONSTRAINT terms_acceptances_pkey PRIMARY KEY (holder_id, version)
);

CREATE TABLE audit_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_events_subject_idx ON audit_events (subject, id);
