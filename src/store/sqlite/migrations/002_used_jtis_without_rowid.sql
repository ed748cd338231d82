-- used_jtis clustered on its key: a WITHOUT ROWID table whose primary key (issuer, jti) is the
-- replay decision itself. Recording a jti then touches two B-trees (the table and the
-- expires_at index) instead of three (rowid table, unique index, expires_at index): one page
-- fewer written to the WAL per token request. Purges delete by key, found through expires_at.
CREATE TABLE used_jtis_by_key (
  issuer     TEXT NOT NULL,
  jti        TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (issuer, jti)
) WITHOUT ROWID;
INSERT INTO used_jtis_by_key (issuer, jti, expires_at)
  SELECT issuer, jti, expires_at FROM used_jtis;
DROP TABLE used_jtis;
ALTER TABLE used_jtis_by_key RENAME TO used_jtis;
CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);
