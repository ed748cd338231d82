-- 004: apps gain the sender-constraint settings (RFC 9449 and RFC 8705 client metadata):
-- dpop_bound_access_tokens (a token request without a DPoP proof is refused),
-- tls_client_certificate_bound_access_tokens (tokens are bound to the client certificate), and
-- the tls_client_auth identity, a subject DN or a SAN DNS name (empty: not set). Every existing
-- app keeps issuing bearer tokens as before.
ALTER TABLE apps ADD COLUMN IF NOT EXISTS dpop_bound_access_tokens BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE apps ADD COLUMN IF NOT EXISTS tls_client_certificate_bound_access_tokens BOOLEAN
  NOT NULL DEFAULT FALSE;
ALTER TABLE apps ADD COLUMN IF NOT EXISTS tls_client_auth_subject_dn TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN IF NOT EXISTS tls_client_auth_san_dns TEXT NOT NULL DEFAULT '';
