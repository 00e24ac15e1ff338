-- Reference data, certificates, holders, terms, files and the audit log.
CREATE TABLE issuing_bodies (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    exempt_before_cutover INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE qualification_types (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    body_code TEXT NOT NULL REFERENCES issuing_bodies (code),
    in_scope INTEGER NOT NULL DEFAULT 1,
    years_from INTEGER NOT NULL,
    years_to INTEGER
);

CREATE TABLE certificates (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL,
    management_number TEXT,
    name TEXT NOT NULL,
    sex TEXT,
    birth_date TEXT,
    id_type TEXT NOT NULL,
    id_cipher BLOB NOT NULL,
    id_index BLOB NOT NULL,
    qualification_code TEXT NOT NULL REFERENCES qualification_types (code),
    category TEXT,
    specialty TEXT,
    level TEXT,
    approval_date TEXT,
    issue_date TEXT NOT NULL,
    photo TEXT,
    revoked_at_ms INTEGER,
    revocation_reason TEXT,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    CONSTRAINT certificates_number_key UNIQUE (number)
);
CREATE INDEX certificates_holder_idx ON certificates (id_index, name);

CREATE TABLE certificate_files (
    id INTEGER PRIMARY KEY,
    certificate_id INTEGER NOT NULL REFERENCES certificates (id),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    content BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_at_ms INTEGER NOT NULL
);
CREATE INDEX certificate_files_certificate_idx ON certificate_files (certificate_id);

CREATE TABLE holders (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    name TEXT NOT NULL,
    id_type TEXT NOT NULL,
    id_cipher BLOB NOT NULL,
    id_index BLOB NOT NULL,
    password_hash TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    CONSTRAINT holders_username_key UNIQUE (username),
    CONSTRAINT holders_id_index_key UNIQUE (id_index)
);

CREATE TABLE terms_versions (
    version INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    published_at_ms INTEGER NOT NULL
);

CREATE TABLE terms_acceptances (
    holder_id INTEGER NOT NULL REFERENCES holders (id),
    version INTEGER NOT NULL REFERENCES terms_versions (version),
    accepted_at_ms INTEGER NOT NULL,
    PRIMARY KEY (holder_id, version)
);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_events_subject_idx ON audit_events (subject, id);
