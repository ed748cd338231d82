-- Certificates gain last_used_at: when the certificate last verified an assertion (0: never),
-- shown by the admin API so that a rotation can tell when the old alias stopped being used.
-- Written at most once a minute per certificate, off the request path.
ALTER TABLE certificates ADD COLUMN IF NOT EXISTS last_used_at BIGINT NOT NULL DEFAULT 0;
