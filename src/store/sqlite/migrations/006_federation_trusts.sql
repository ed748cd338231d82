-- Federation trusts (identity propagation trusts): which outside issuers' tokens the domain
-- accepts, and under which conditions. The trust itself is one JSON document (the admin API's
-- IdentityPropagationTrust, federation/trust_json.h); name, issuer and active are copied out of
-- it as columns so that names stay unique and the token endpoint finds trusts by issuer.
CREATE TABLE IF NOT EXISTS federation_trusts (
  id         TEXT PRIMARY KEY NOT NULL,
  name       TEXT NOT NULL,
  issuer     TEXT NOT NULL,
  active     INTEGER NOT NULL CHECK (active IN (0, 1)),
  document   TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS federation_trusts_name ON federation_trusts (name);
CREATE INDEX IF NOT EXISTS federation_trusts_issuer ON federation_trusts (issuer);
CREATE INDEX IF NOT EXISTS federation_trusts_created_at ON federation_trusts (created_at, id);
