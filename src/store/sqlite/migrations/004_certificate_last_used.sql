-- Certificates gain last_used_at: when the certificate last verified an assertion (0: never),
-- shown by the admin API so that a rotation can tell when the old alias stopped being used.
-- Written at most once a minute per certificate, off the request path. The table is rebuilt
-- (SQLite's way to change a table), keeping every certificate.
CREATE TABLE certificates_v4 (
  kind         TEXT NOT NULL CHECK (kind IN ('client', 'partner')),
  alias        TEXT NOT NULL,
  der          BLOB NOT NULL,
  x5t          TEXT NOT NULL,
  x5t_s256     TEXT NOT NULL,
  not_after    INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL DEFAULT 0
);
INSERT INTO certificates_v4 (kind, alias, der, x5t, x5t_s256, not_after, created_at)
  SELECT kind, alias, der, x5t, x5t_s256, not_after, created_at FROM certificates ORDER BY rowid;
DROP TABLE certificates;
ALTER TABLE certificates_v4 RENAME TO certificates;
CREATE UNIQUE INDEX certificates_kind_alias ON certificates (kind, alias);
CREATE INDEX certificates_x5t ON certificates (x5t);
