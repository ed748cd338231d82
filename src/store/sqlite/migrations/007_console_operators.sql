-- 007: console operators and their sessions (the web console's sign-in). A session row holds the
-- SHA-256 of the cookie's token, never the token. IF NOT EXISTS: running the file again on a
-- migrated database changes nothing.
CREATE TABLE IF NOT EXISTS console_operators (
  id                  TEXT PRIMARY KEY NOT NULL,
  user_name           TEXT NOT NULL,
  password_hash       TEXT NOT NULL,
  role                TEXT NOT NULL,
  active              INTEGER NOT NULL CHECK (active IN (0, 1)),
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  password_changed_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS console_operators_user_name ON console_operators (user_name);

CREATE TABLE IF NOT EXISTS console_sessions (
  id           TEXT PRIMARY KEY NOT NULL,
  operator_id  TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS console_sessions_operator ON console_sessions (operator_id);
CREATE INDEX IF NOT EXISTS console_sessions_expires_at ON console_sessions (expires_at);
CREATE INDEX IF NOT EXISTS console_sessions_last_seen_at ON console_sessions (last_seen_at);
