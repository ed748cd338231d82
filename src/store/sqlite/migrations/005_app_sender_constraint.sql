-- 005: apps gain the sender-constraint settings (RFC 9449 and RFC 8705 client metadata):
-- dpop_bound_access_tokens (a token request without a DPoP proof is refused),
-- tls_client_certificate_bound_access_tokens (tokens are bound to the client certificate), and
-- the tls_client_auth identity, a subject DN or a SAN DNS name ('' when unset). Every existing
-- app keeps issuing bearer tokens as before. The table is rebuilt (SQLite's way to change a
-- table), keeping every app.
CREATE TABLE apps_v5 (
  id                  TEXT PRIMARY KEY NOT NULL,
  client_id           TEXT NOT NULL,  -- '' for resource apps
  display_name        TEXT NOT NULL,
  description         TEXT NOT NULL,
  kind                TEXT NOT NULL CHECK (kind IN ('confidential', 'resource')),
  active              INTEGER NOT NULL CHECK (active IN (0, 1)),
  is_admin            INTEGER NOT NULL CHECK (is_admin IN (0, 1)),
  secret_hash         TEXT NOT NULL,
  allowed_grants      TEXT NOT NULL,  -- JSON array
  allowed_scopes      TEXT NOT NULL,  -- JSON array
  certificate_aliases TEXT NOT NULL,  -- JSON array
  allowed_operations  TEXT NOT NULL,  -- JSON array
  assertion_algs      TEXT NOT NULL,  -- JSON array
  require_jti         INTEGER NOT NULL CHECK (require_jti IN (0, 1)),
  access_token_expiry INTEGER NOT NULL,
  audience            TEXT NOT NULL,
  scopes              TEXT NOT NULL,  -- JSON array
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  dpop_bound_access_tokens INTEGER NOT NULL DEFAULT 0
    CHECK (dpop_bound_access_tokens IN (0, 1)),
  tls_client_certificate_bound_access_tokens INTEGER NOT NULL DEFAULT 0
    CHECK (tls_client_certificate_bound_access_tokens IN (0, 1)),
  tls_client_auth_subject_dn TEXT NOT NULL DEFAULT '',
  tls_client_auth_san_dns    TEXT NOT NULL DEFAULT ''
);
INSERT INTO apps_v5 (id, client_id, display_name, description, kind, active, is_admin,
                     secret_hash, allowed_grants, allowed_scopes, certificate_aliases,
                     allowed_operations, assertion_algs, require_jti, access_token_expiry,
                     audience, scopes, created_at, updated_at)
  SELECT id, client_id, display_name, description, kind, active, is_admin, secret_hash,
         allowed_grants, allowed_scopes, certificate_aliases, allowed_operations, assertion_algs,
         require_jti, access_token_expiry, audience, scopes, created_at, updated_at
  FROM apps ORDER BY rowid;
DROP TABLE apps;
ALTER TABLE apps_v5 RENAME TO apps;
CREATE UNIQUE INDEX apps_client_id ON apps (client_id) WHERE client_id <> '';
CREATE INDEX apps_created_at ON apps (created_at, id);
