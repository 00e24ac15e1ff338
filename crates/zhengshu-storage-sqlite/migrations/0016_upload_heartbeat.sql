-- A console import's sign of life: its check or import writes the time
-- with its progress, so that an upload whose process ended (its state left
-- `checking` or `importing`) is found and failed, and a checked upload
-- never confirmed is cleaned up after a day.
ALTER TABLE body_imports ADD COLUMN alive_at_ms INTEGER;
