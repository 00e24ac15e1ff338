-- Every signed document handed out: an annotated one (its code is its
-- annotation's 查验码) and the document of a certificate that needs no
-- annotation (a fresh random 查验码 per download), so that the QR code of
-- each leads to a verify page and a file can be recognised by its SHA-256.
-- Times are Unix milliseconds.
CREATE TABLE issued_documents (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    certificate_id INTEGER NOT NULL REFERENCES certificates (id),
    annotation_id INTEGER REFERENCES annotations (id),
    issued_at_ms INTEGER NOT NULL,
    CONSTRAINT issued_documents_code_key UNIQUE (code)
);
CREATE INDEX issued_documents_sha256_idx ON issued_documents (sha256);
CREATE INDEX issued_documents_certificate_idx ON issued_documents (certificate_id);

-- The annotated documents issued before this table.
INSERT INTO issued_documents (code, sha256, certificate_id, annotation_id, issued_at_ms)
SELECT a.verification_code, d.sha256, a.certificate_id, a.id, d.created_at_ms
FROM annotation_documents d JOIN annotations a ON a.id = d.annotation_id
ORDER BY d.annotation_id;
