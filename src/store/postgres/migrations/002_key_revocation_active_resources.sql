-- Signing keys gain revoked_at: a revoked key is withdrawn at once, never published again, and
-- no token it signed is accepted, however long ago it was retired. 0 while not revoked.
ALTER TABLE signing_keys ADD COLUMN IF NOT EXISTS revoked_at BIGINT NOT NULL DEFAULT 0;

-- An inactive resource app now grants no scope. Resource apps used to be created inactive and
-- granted theirs all the same, so the ones already stored are activated: they keep granting.
UPDATE apps SET active = TRUE WHERE kind = 'resource';
