-- Staff members' TOTP keys are sealed with the vault's key (bound to the
-- account's id). Keys stored in clear before this migration are sealed by
-- the first start after it; until then this flag is false.
ALTER TABLE staff ADD COLUMN totp_sealed BOOLEAN NOT NULL DEFAULT FALSE;

-- A holder account an issuing body's officer unlinked from the identity it
-- registered with: when, and by the audit event, why. Its blind index is
-- replaced by a random value at the same time, so the identity is free
-- for its rightful holder's registration.
ALTER TABLE holders ADD COLUMN unlinked_at_ms BIGINT;
