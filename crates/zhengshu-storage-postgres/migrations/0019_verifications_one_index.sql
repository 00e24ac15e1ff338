-- The record of verifications keeps one index: nothing asks for a
-- certificate's verifications (the holder's 查验记录 is read by
-- annotation), and since 0018 no foreign key needs it. Under verification
-- load each index, written at random places, is a large share of the
-- database's work.
DROP INDEX IF EXISTS verifications_certificate_idx;
