// Internal to the store adapters (src/store/sqlite, src/store/postgres): the column lists every
// backend selects, in the order its row readers (ReadUser, ReadApp, ...) take them. Both schemas
// name and order these columns alike, so one list serves both; a column added by a migration is
// added here, at the end, and to both readers.
//
// Macros, not constants: they are spliced into string literals ("SELECT " USER_COLUMNS " FROM
// users") when each adapter builds its statement catalogue at compile time.
#ifndef TESSERA_STORE_STORE_COLUMNS_H_
#define TESSERA_STORE_STORE_COLUMNS_H_

#define USER_COLUMNS \
  "id, user_name, given_name, family_name, emails, active, created_at, updated_at"
#define APP_COLUMNS                                                                           \
  "id, client_id, display_name, description, kind, active, is_admin, secret_hash,"            \
  " allowed_grants, allowed_scopes, certificate_aliases, allowed_operations, assertion_algs," \
  " require_jti, access_token_expiry, audience, scopes, created_at, updated_at,"              \
  " dpop_bound_access_tokens, tls_client_certificate_bound_access_tokens,"                    \
  " tls_client_auth_subject_dn, tls_client_auth_san_dns"
#define CERT_COLUMNS "alias, der, x5t, x5t_s256, not_after, created_at"
#define KEY_COLUMNS \
  "kid, alg, private_pem, cert_der, created_at, retired_at, publish_until, revoked_at"
#define ISSUER_COLUMNS "issuer, shared_secret, cert_alias, cert_der, created_at"
#define TRUST_COLUMNS "id, name, issuer, active, document, created_at, updated_at"
#define AUDIT_COLUMNS "id, time, ecid, client_id, subject, grant_type, outcome, reason"
#define OPERATOR_COLUMNS \
  "id, user_name, password_hash, role, active, created_at, updated_at, password_changed_at"
#define SESSION_COLUMNS "id, operator_id, created_at, last_seen_at, expires_at"

#endif  // TESSERA_STORE_STORE_COLUMNS_H_
