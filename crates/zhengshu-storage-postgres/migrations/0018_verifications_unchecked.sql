-- The record of verifications no longer checks its foreign keys. Each
-- check of a row here took a share lock on the annotation and the
-- certificate it names, which writes to their pages: under verification
-- load most of the database's work. Every row names an annotation and a
-- certificate the service has just read, and neither is ever deleted
-- (SQLite keeps the declaration and skips the check when recording).
ALTER TABLE verifications
    DROP CONSTRAINT IF EXISTS verifications_annotation_id_fkey,
    DROP CONSTRAINT IF EXISTS verifications_certificate_id_fkey;
