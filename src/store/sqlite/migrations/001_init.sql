-- 001: the first schema. Vector fields of users and apps are JSON arrays of strings in TEXT
-- columns: they are read and written whole with their record and never queried by element.
-- Binary values (DER) are BLOBs; times are INTEGER seconds since the Unix epoch.

CREATE TABLE users (
  id          TEXT PRIMARY KEY NOT NULL,
  user_name   TEXT NOT NULL,
  given_name  TEXT NOT NULL,
  family_name TEXT NOT NULL,
  emails      TEXT NOT NULL,  -- JSON array
  active      INTEGER NOT NULL CHECK (active IN (0, 1)),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_user_name ON users (user_name);

CREATE TABLE apps (
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
  updated_at          INTEGER NOT NULL
);
-- Partial: every resource app has the empty client id, and none of them is a client.
CREATE UNIQUE INDEX apps_client_id ON apps (client_id) WHERE client_id <> '';
CREATE INDEX apps_created_at ON apps (created_at, id);

CREATE TABLE certificates (
  kind       TEXT NOT NULL CHECK (kind IN ('client', 'partner')),
  alias      TEXT NOT NULL,
  der        BLOB NOT NULL,
  x5t        TEXT NOT NULL,
  x5t_s256   TEXT NOT NULL,
  not_after  INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX certificates_kind_alias ON certificates (kind, alias);
CREATE INDEX certificates_x5t ON certificates (x5t);

CREATE TABLE signing_keys (
  kid           TEXT NOT NULL,
  alg           TEXT NOT NULL,
  private_pem   TEXT NOT NULL,
  cert_der      BLOB NOT NULL,
  created_at    INTEGER NOT NULL,
  retired_at    INTEGER NOT NULL,  -- 0 while active
  publish_until INTEGER NOT NULL
);
CREATE UNIQUE INDEX signing_keys_kid ON signing_keys (kid);

CREATE TABLE trust_token_issuers (
  issuer        TEXT NOT NULL,
  shared_secret TEXT NOT NULL,
  cert_alias    TEXT NOT NULL,
  cert_der      BLOB NOT NULL,
  created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX trust_token_issuers_issuer ON trust_token_issuers (issuer);

-- A rowid table (not WITHOUT ROWID) so purges can delete in rowid batches.
CREATE TABLE used_jtis (
  issuer     TEXT NOT NULL,
  jti        TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX used_jtis_issuer_jti ON used_jtis (issuer, jti);
CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);

CREATE TABLE revocations (
  jti        TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX revocations_jti ON revocations (jti);
CREATE INDEX revocations_expires_at ON revocations (expires_at);

-- AUTOINCREMENT: ids are never reused, even after the newest events are deleted.
CREATE TABLE audit_events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  time       INTEGER NOT NULL,
  ecid       TEXT NOT NULL,
  client_id  TEXT NOT NULL,
  subject    TEXT NOT NULL,
  grant_type TEXT NOT NULL,
  outcome    TEXT NOT NULL,
  reason     TEXT NOT NULL
);
CREATE INDEX audit_events_time ON audit_events (time, id);
CREATE INDEX audit_events_client_id ON audit_events (client_id, time, id);
CREATE INDEX audit_events_outcome ON audit_events (outcome, time, id);
