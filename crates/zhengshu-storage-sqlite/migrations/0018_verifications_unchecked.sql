-- The record of verifications checks no foreign keys and keeps one index.
-- Each row names an annotation and a certificate the service has just
-- read, and neither is ever deleted; under verification load the checks
-- and a second index written at random places were most of the
-- database's work. Nothing asks for a certificate's verifications: the
-- holder's 查验记录 is read by annotation. SQLite cannot drop a constraint,
-- so the table is written again without them.
CREATE TABLE verifications_unchecked (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    channel TEXT NOT NULL
        CHECK (channel IN ('qr', 'number_name', 'batch', 'api', 'file')),
    annotation_id INTEGER,
    certificate_id INTEGER NOT NULL,
    verifier_hmac BLOB NOT NULL,
    result TEXT NOT NULL
        CHECK (result IN ('valid', 'expired', 'withdrawn', 'revoked', 'not_found'))
);
INSERT INTO verifications_unchecked
    SELECT id, at_ms, channel, annotation_id, certificate_id, verifier_hmac, result
    FROM verifications;
DROP TABLE verifications;
ALTER TABLE verifications_unchecked RENAME TO verifications;
CREATE INDEX verifications_annotation_idx ON verifications (annotation_id, at_ms);
