-- Public verifications (证书查验), one row per check of a certificate or an
-- annotation, for the holder's verification log. The verifier is kept only
-- as an HMAC-SHA256 of its address under a configured key: never the
-- address. Times are Unix milliseconds.
CREATE TABLE verifications (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    channel TEXT NOT NULL
        CHECK (channel IN ('qr', 'number_name', 'batch', 'api', 'file')),
    annotation_id INTEGER REFERENCES annotations (id),
    certificate_id INTEGER NOT NULL REFERENCES certificates (id),
    verifier_hmac BLOB NOT NULL,
    result TEXT NOT NULL
        CHECK (result IN ('valid', 'expired', 'withdrawn', 'revoked', 'not_found'))
);
CREATE INDEX verifications_annotation_idx ON verifications (annotation_id, at_ms);
CREATE INDEX verifications_certificate_idx ON verifications (certificate_id, at_ms);
