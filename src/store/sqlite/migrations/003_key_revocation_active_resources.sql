-- Signing keys gain revoked_at: a revoked key is withdrawn at once, never published again, and
-- no token it signed is accepted, however long ago it was retired. 0 while not revoked. The
-- table is rebuilt (SQLite's way to change a table), keeping every key.
CREATE TABLE signing_keys_v3 (
  kid           TEXT NOT NULL,
  alg           TEXT NOT NULL,
  private_pem   TEXT NOT NULL,
  cert_der      BLOB NOT NULL,
  created_at    INTEGER NOT NULL,
  retired_at    INTEGER NOT NULL,  -- 0 while active
  publish_until INTEGER NOT NULL,
  revoked_at    INTEGER NOT NULL DEFAULT 0
);
-- In rowid order, which orders keys created in the same second.
INSERT INTO signing_keys_v3 (kid, alg, private_pem, cert_der, created_at, retired_at, publish_until)
  SELECT kid, alg, private_pem, cert_der, created_at, retired_at, publish_until
  FROM signing_keys ORDER BY rowid;
DROP TABLE signing_keys;
ALTER TABLE signing_keys_v3 RENAME TO signing_keys;
CREATE UNIQUE INDEX signing_keys_kid ON signing_keys (kid);

-- An inactive resource app now grants no scope. Resource apps used to be created inactive and
-- granted theirs all the same, so the ones already stored are activated: they keep granting.
UPDATE apps SET active = 1 WHERE kind = 'resource';
