-- 001: the first PostgreSQL schema, the twin of sqlite/migrations/001_init.sql.
-- Vector fields of users and apps are JSON arrays of strings in TEXT columns: read and written
-- whole with their record, never queried by element. DER is BYTEA; times are BIGINT seconds since
-- the Unix epoch. Columns that are sorted or compared use COLLATE "C", so order and equality are
-- byte for byte whatever the database's default collation (the store contract says so).

CREATE TABLE users (
  id          TEXT COLLATE "C" PRIMARY KEY,
  user_name   TEXT COLLATE "C" NOT NULL,
  given_name  TEXT NOT NULL,
  family_name TEXT NOT NULL,
  emails      TEXT NOT NULL,  -- JSON array
  active      BOOLEAN NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_user_name ON users (user_name);

CREATE TABLE apps (
  id                  TEXT COLLATE "C" PRIMARY KEY,
  client_id           TEXT COLLATE "C" NOT NULL,  -- '' for resource apps
  display_name        TEXT NOT NULL,
  description         TEXT NOT NULL,
  kind                TEXT NOT NULL CHECK (kind IN ('confidential', 'resource')),
  active              BOOLEAN NOT NULL,
  is_admin            BOOLEAN NOT NULL,
  secret_hash         TEXT NOT NULL,
  allowed_grants      TEXT NOT NULL,  -- JSON array
  allowed_scopes      TEXT NOT NULL,  -- JSON array
  certificate_aliases TEXT NOT NULL,  -- JSON array
  allowed_operations  TEXT NOT NULL,  -- JSON array
  assertion_algs      TEXT NOT NULL,  -- JSON array
  require_jti         BOOLEAN NOT NULL,
  access_token_expiry BIGINT NOT NULL,
  audience            TEXT NOT NULL,
  scopes              TEXT NOT NULL,  -- JSON array
  created_at          BIGINT NOT NULL,
  updated_at          BIGINT NOT NULL
);
-- Partial: every resource app has the empty client id, and none of them is a client.
CREATE UNIQUE INDEX apps_client_id ON apps (client_id) WHERE client_id <> '';
CREATE INDEX apps_created_at ON apps (created_at, id);

CREATE TABLE certificates (
  kind       TEXT NOT NULL CHECK (kind IN ('client', 'partner')),
  alias      TEXT COLLATE "C" NOT NULL,
  der        BYTEA NOT NULL,
  x5t        TEXT COLLATE "C" NOT NULL,
  x5t_s256   TEXT NOT NULL,
  not_after  BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (kind, alias)
);
CREATE INDEX certificates_x5t ON certificates (x5t);

-- seq orders keys added in the same second (the later one first), as SQLite's rowid does.
CREATE TABLE signing_keys (
  seq           BIGINT GENERATED ALWAYS AS IDENTITY,
  kid           TEXT COLLATE "C" PRIMARY KEY,
  alg           TEXT NOT NULL,
  private_pem   TEXT NOT NULL,
  cert_der      BYTEA NOT NULL,
  created_at    BIGINT NOT NULL,
  retired_at    BIGINT NOT NULL,  -- 0 while active
  publish_until BIGINT NOT NULL
);
CREATE INDEX signing_keys_created_at ON signing_keys (created_at, seq);

CREATE TABLE trust_token_issuers (
  issuer        TEXT COLLATE "C" PRIMARY KEY,
  shared_secret TEXT NOT NULL,
  cert_alias    TEXT NOT NULL,
  cert_der      BYTEA NOT NULL,
  created_at    BIGINT NOT NULL
);

-- The replay set: the primary key is the arbiter of INSERT ... ON CONFLICT DO NOTHING.
CREATE TABLE used_jtis (
  issuer     TEXT COLLATE "C" NOT NULL,
  jti        TEXT COLLATE "C" NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (issuer, jti)
);
CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);

CREATE TABLE revocations (
  jti        TEXT COLLATE "C" PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
CREATE INDEX revocations_expires_at ON revocations (expires_at);

-- Identity ids are never reused, even after the newest events are deleted.
CREATE TABLE audit_events (
  id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time       BIGINT NOT NULL,
  ecid       TEXT NOT NULL,
  client_id  TEXT COLLATE "C" NOT NULL,
  subject    TEXT NOT NULL,
  grant_type TEXT NOT NULL,
  outcome    TEXT COLLATE "C" NOT NULL,
  reason     TEXT NOT NULL
);
CREATE INDEX audit_events_time ON audit_events (time, id);
CREATE INDEX audit_events_client_id ON audit_events (client_id, time, id);
CREATE INDEX audit_events_outcome ON audit_events (outcome, time, id);
