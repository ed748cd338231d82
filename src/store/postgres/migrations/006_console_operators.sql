-- 006: console operators and their sessions (the web console's sign-in), the twin of
-- sqlite/migrations/007_console_operators.sql. A session row holds the SHA-256 of the cookie's
-- token, never the token.
CREATE TABLE IF NOT EXISTS console_operators (
  id                  TEXT COLLATE "C" PRIMARY KEY,
  user_name           TEXT COLLATE "C" NOT NULL,
  password_hash       TEXT NOT NULL,
  role                TEXT NOT NULL,
  active              BOOLEAN NOT NULL,
  created_at          BIGINT NOT NULL,
  updated_at          BIGINT NOT NULL,
  password_changed_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS console_operators_user_name ON console_operators (user_name);

CREATE TABLE IF NOT EXISTS console_sessions (
  id           TEXT COLLATE "C" PRIMARY KEY,
  operator_id  TEXT COLLATE "C" NOT NULL,
  created_at   BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS console_sessions_operator ON console_sessions (operator_id);
CREATE INDEX IF NOT EXISTS console_sessions_expires_at ON console_sessions (expires_at);
CREATE INDEX IF NOT EXISTS console_sessions_last_seen_at ON console_sessions (last_seen_at);
