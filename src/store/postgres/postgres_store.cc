#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "store/postgres/migrations.h"
#include "store/postgres/postgres_pool.h"
#include "store/store_columns.h"
#include "store/store_common.h"

namespace tessera::store {
namespace {

using postgres_internal::kMigrations;
using postgres_internal::Params;
using postgres_internal::PgConnection;
using postgres_internal::Pool;
using postgres_internal::Retry;
using postgres_internal::Rows;
using postgres_internal::RunOnPool;
using postgres_internal::StmtDef;
using store_internal::AppJson;
using store_internal::AppKindFromName;
using store_internal::AppKindName;
using store_internal::CertificateKindName;
using store_internal::CheckLimit;
using store_internal::CheckPage;
using store_internal::DecodeApp;
using store_internal::EncodeApp;
using store_internal::FromJson;
using store_internal::RequireKey;
using store_internal::ToJson;

// Every statement the store runs (kStmts), prepared on each connection as "s<index>" at its first
// use there; after that a call only binds and executes.
enum Stmt : int {
  kPing,
  kSchemaVersion,
  kBegin,
  kCommit,
  kRollback,
  kKeyLock,
  kUserInsert,
  kUserGet,
  kUserFindByName,
  kUserList,
  kUserFindByEmail,
  kUserUpdate,
  kUserDelete,
  kAppInsert,
  kAppGet,
  kAppFindByClientId,
  kAppList,
  kAppUpdate,
  kAppDelete,
  kCertInsert,
  kCertGet,
  kCertList,
  kCertDelete,
  kKeyInsert,
  kKeyList,
  kKeyRetiredAt,
  kKeyRetireOthers,
  kKeyRevoke,
  kIssuerInsert,
  kIssuerGet,
  kIssuerList,
  kIssuerDelete,
  kJtiInsert,
  kJtiInsertBatch,
  kJtiGet,
  kJtiPurge,
  kRevocationUpsert,
  kRevocationGet,
  kRevocationPurge,
  kAuditInsertBatch,
  kAuditList,
  kAuditPurge,
  kCertRecordUse,
  kCertUses,
  kAuditCount,
  kTrustInsert,
  kTrustGet,
  kTrustList,
  kTrustFindByIssuer,
  kTrustUpdate,
  kTrustDelete,
  kOperatorInsert,
  kOperatorGet,
  kOperatorFindByName,
  kOperatorList,
  kOperatorUpdate,
  kOperatorDelete,
  kSessionInsert,
  kSessionGet,
  kSessionTouch,
  kSessionDelete,
  kSessionDeleteOfOperator,
  kSessionPurge,
  kAuditReasonCounts,
  kNumStmts,
};

#define APP_PARAMS \
  "ttttto"         \
  "ot"             \
  "ttttt"          \
  "oi"             \
  "tt"             \
  "ii"             \
  "oo"             \
  "tt"

// The advisory lock key ('tessera' and a suffix) that serialises key rotations across nodes (the
// one before it serialises migrations: postgres_pool.cc).
constexpr int64_t kKeyRotationLock = 0x7465737365726102;

constexpr std::array<StmtDef, kNumStmts> kStmts = {{
    {"SELECT 1::bigint", ""},
    {"SELECT coalesce(max(version), 0)::bigint FROM schema_version", ""},
    {"BEGIN", ""},
    {"COMMIT", ""},
    {"ROLLBACK", ""},
    // Serialises rotations on every node until the transaction ends: two rotations to different
    // keys would otherwise each lock their own key and then wait for the other's (a deadlock).
    {"SELECT pg_advisory_xact_lock(8387236820507844866)", ""},
    // Users.
    {"INSERT INTO users (" USER_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
     "ttttto"
     "ii"},
    {"SELECT " USER_COLUMNS " FROM users WHERE id = $1", "t"},
    {"SELECT " USER_COLUMNS " FROM users WHERE user_name = $1", "t"},
    {"SELECT " USER_COLUMNS " FROM users ORDER BY user_name LIMIT $1 OFFSET $2", "ii"},
    {"SELECT " USER_COLUMNS
     " FROM users WHERE emails::jsonb @> jsonb_build_array($1::text) ORDER BY user_name LIMIT 2",
     "t"},
    {"UPDATE users SET user_name = $2, given_name = $3, family_name = $4, emails = $5,"
     " active = $6, updated_at = $8 WHERE id = $1",
     "ttttto"
     "ii"},
    {"DELETE FROM users WHERE id = $1", "t"},
    // Apps.
    {"INSERT INTO apps (" APP_COLUMNS
     ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,"
     " $19, $20, $21, $22, $23)",
     APP_PARAMS},
    {"SELECT " APP_COLUMNS " FROM apps WHERE id = $1", "t"},
    {"SELECT " APP_COLUMNS " FROM apps WHERE client_id = $1 AND client_id <> ''", "t"},
    {"SELECT " APP_COLUMNS " FROM apps ORDER BY created_at, id LIMIT $1 OFFSET $2", "ii"},
    {"UPDATE apps SET client_id = $2, display_name = $3, description = $4, kind = $5, active = $6,"
     " is_admin = $7, secret_hash = $8, allowed_grants = $9, allowed_scopes = $10,"
     " certificate_aliases = $11, allowed_operations = $12, assertion_algs = $13,"
     " require_jti = $14, access_token_expiry = $15, audience = $16, scopes = $17,"
     " updated_at = $19, dpop_bound_access_tokens = $20,"
     " tls_client_certificate_bound_access_tokens = $21, tls_client_auth_subject_dn = $22,"
     " tls_client_auth_san_dns = $23 WHERE id = $1",
     APP_PARAMS},
    {"DELETE FROM apps WHERE id = $1", "t"},
    // Certificates.
    {"INSERT INTO certificates (kind, " CERT_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
     "ttbttii"},
    {"SELECT " CERT_COLUMNS " FROM certificates WHERE kind = $1 AND alias = $2", "tt"},
    {"SELECT " CERT_COLUMNS " FROM certificates WHERE kind = $1 ORDER BY alias", "t"},
    {"DELETE FROM certificates WHERE kind = $1 AND alias = $2", "tt"},
    // Signing keys.
    {"INSERT INTO signing_keys (" KEY_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
     "tttbiiii"},
    {"SELECT " KEY_COLUMNS " FROM signing_keys ORDER BY created_at DESC, seq DESC", ""},
    {"SELECT retired_at FROM signing_keys WHERE kid = $1", "t"},
    {"UPDATE signing_keys SET retired_at = $2, publish_until = $3"
     " WHERE kid <> $1 AND retired_at = 0",
     "tii"},
    {"UPDATE signing_keys SET revoked_at = $2, publish_until = 0,"
     " retired_at = CASE retired_at WHEN 0 THEN $2 ELSE retired_at END"
     " WHERE kid = $1 AND revoked_at = 0",
     "ti"},
    // Trust-token issuers.
    {"INSERT INTO trust_token_issuers (" ISSUER_COLUMNS ") VALUES ($1, $2, $3, $4, $5)", "tttbi"},
    {"SELECT " ISSUER_COLUMNS " FROM trust_token_issuers WHERE issuer = $1", "t"},
    {"SELECT " ISSUER_COLUMNS " FROM trust_token_issuers ORDER BY issuer", ""},
    {"DELETE FROM trust_token_issuers WHERE issuer = $1", "t"},
    // Used jtis. The insert is the whole replay decision (RFC 7523 3.7): the primary key
    // arbitrates between nodes, and the row count says whether this call inserted the row.
    {"INSERT INTO used_jtis (issuer, jti, expires_at) VALUES ($1, $2, $3)"
     " ON CONFLICT (issuer, jti) DO NOTHING",
     "tti"},
    // A batch in one statement, in the order given (n); the rows it inserted come back. A pair
    // repeated in the batch is inserted once: its later rows meet the first and do nothing.
    {"INSERT INTO used_jtis (issuer, jti, expires_at)"
     " SELECT issuer, jti, expires_at FROM unnest($1, $2, $3)"
     " WITH ORDINALITY AS batch (issuer, jti, expires_at, n) ORDER BY n"
     " ON CONFLICT (issuer, jti) DO NOTHING RETURNING issuer, jti",
     "TTI"},
    {"SELECT 1 FROM used_jtis WHERE issuer = $1 AND jti = $2", "tt"},
    // Bounded batches by ctid, so one purge never holds many row locks or runs long. The
    // = ANY(ARRAY(...)) form of "ctid IN (SELECT ...)" makes the planner use a TID scan.
    {"DELETE FROM used_jtis WHERE ctid = ANY (ARRAY("
     "SELECT ctid FROM used_jtis WHERE expires_at < $1 LIMIT $2))",
     "ii"},
    // Revocations.
    {"INSERT INTO revocations (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti)"
     " DO UPDATE SET expires_at = greatest(revocations.expires_at, excluded.expires_at)",
     "ti"},
    {"SELECT 1 FROM revocations WHERE jti = $1", "t"},
    {"DELETE FROM revocations WHERE ctid = ANY (ARRAY("
     "SELECT ctid FROM revocations WHERE expires_at < $1 LIMIT $2))",
     "ii"},
    // Audit. One statement serves every filter: an unset field is bound NULL and matches all.
    // A batch in one statement (one event is a batch of one), in the order given (n), so ids
    // follow the events' order.
    {"INSERT INTO audit_events (time, ecid, client_id, subject, grant_type, outcome, reason)"
     " SELECT time, ecid, client_id, subject, grant_type, outcome, reason"
     " FROM unnest($1, $2, $3, $4, $5, $6, $7)"
     " WITH ORDINALITY AS batch (time, ecid, client_id, subject, grant_type, outcome, reason, n)"
     " ORDER BY n",
     "ITTTTTT"},
    {"SELECT " AUDIT_COLUMNS " FROM audit_events"
     " WHERE ($1 IS NULL OR client_id = $1) AND ($2 IS NULL OR outcome = $2)"
     " AND ($3 IS NULL OR time >= $3) AND ($4 IS NULL OR time <= $4)"
     " AND ($5 IS NULL OR grant_type = $5)"
     " AND ($6 IS NULL OR reason = $6 OR substr(reason, 1, length($6) + 1) = $6 || ':')"
     " ORDER BY time DESC, id DESC LIMIT $7",
     "ttiitti"},
    // Bounded like the other purges; the (time, id) index finds the oldest rows.
    {"DELETE FROM audit_events WHERE ctid = ANY (ARRAY("
     "SELECT ctid FROM audit_events WHERE time < $1 LIMIT $2))",
     "ii"},
    // Certificate use (migration 003).
    {"UPDATE certificates SET last_used_at = $3"
     " WHERE kind = $1 AND alias = $2 AND last_used_at < $3",
     "tti"},
    {"SELECT alias, last_used_at FROM certificates WHERE kind = $1 AND last_used_at > 0"
     " ORDER BY alias",
     "t"},
    // The total of a filtered audit listing (same filter as the listing).
    {"SELECT count(*)::bigint FROM audit_events"
     " WHERE ($1 IS NULL OR client_id = $1) AND ($2 IS NULL OR outcome = $2)"
     " AND ($3 IS NULL OR time >= $3) AND ($4 IS NULL OR time <= $4)"
     " AND ($5 IS NULL OR grant_type = $5)"
     " AND ($6 IS NULL OR reason = $6 OR substr(reason, 1, length($6) + 1) = $6 || ':')",
     "ttiitt"},
    // Federation trusts (migration 005).
    {"INSERT INTO federation_trusts (" TRUST_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
     "tttotii"},
    {"SELECT " TRUST_COLUMNS " FROM federation_trusts WHERE id = $1", "t"},
    {"SELECT " TRUST_COLUMNS " FROM federation_trusts ORDER BY created_at, id", ""},
    {"SELECT " TRUST_COLUMNS " FROM federation_trusts WHERE issuer = $1 ORDER BY created_at, id",
     "t"},
    {"UPDATE federation_trusts SET name = $2, issuer = $3, active = $4, document = $5,"
     " updated_at = $7 WHERE id = $1",
     "tttotii"},
    {"DELETE FROM federation_trusts WHERE id = $1", "t"},
    // Console operators and sessions (migration 006).
    {"INSERT INTO console_operators (" OPERATOR_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
     "ttttoiii"},
    {"SELECT " OPERATOR_COLUMNS " FROM console_operators WHERE id = $1", "t"},
    {"SELECT " OPERATOR_COLUMNS " FROM console_operators WHERE user_name = $1", "t"},
    {"SELECT " OPERATOR_COLUMNS " FROM console_operators ORDER BY user_name", ""},
    {"UPDATE console_operators SET user_name = $2, password_hash = $3, role = $4, active = $5,"
     " updated_at = $7, password_changed_at = $8 WHERE id = $1",
     "ttttoiii"},
    {"DELETE FROM console_operators WHERE id = $1", "t"},
    {"INSERT INTO console_sessions (" SESSION_COLUMNS ") VALUES ($1, $2, $3, $4, $5)", "ttiii"},
    {"SELECT " SESSION_COLUMNS " FROM console_sessions WHERE id = $1", "t"},
    {"UPDATE console_sessions SET last_seen_at = greatest(last_seen_at, $2) WHERE id = $1", "ti"},
    {"DELETE FROM console_sessions WHERE id = $1", "t"},
    {"DELETE FROM console_sessions WHERE operator_id = $1 AND id <> $2", "tt"},
    {"DELETE FROM console_sessions WHERE ctid = ANY (ARRAY("
     "SELECT ctid FROM console_sessions WHERE expires_at <= $1 OR last_seen_at < $2 LIMIT $3))",
     "iii"},
    // Rejections by reason code (the text before the first ':'; split_part answers the whole
    // text when there is none); the (outcome, time, id) index finds the rows. COLLATE "C": the
    // bytewise order SQLite uses, whatever the database's collation.
    {"SELECT code, n FROM (SELECT split_part(reason, ':', 1) AS code, count(*)::bigint AS n"
     " FROM audit_events WHERE outcome = 'rejected' AND time >= $1 AND time <= $2"
     " GROUP BY 1) AS g ORDER BY n DESC, code COLLATE \"C\" LIMIT $3",
     "iii"},
}};

static_assert(kKeyRotationLock == 8387236820507844866, "kKeyLock's SQL spells this key");

// Row readers: the column order is the *_COLUMNS order above.

Result<User> ReadUser(const Rows& r, int i) {
  User user;
  user.id = r.Text(i, 0);
  user.user_name = r.Text(i, 1);
  user.given_name = r.Text(i, 2);
  user.family_name = r.Text(i, 3);
  TESSERA_ASSIGN_OR_RETURN(user.emails, FromJson(r.Text(i, 4), "emails"));
  user.active = r.Bool(i, 5);
  user.created_at = r.Int(i, 6);
  user.updated_at = r.Int(i, 7);
  return user;
}

Result<App> ReadApp(const Rows& r, int i) {
  App app;
  app.id = r.Text(i, 0);
  app.client_id = r.Text(i, 1);
  app.display_name = r.Text(i, 2);
  app.description = r.Text(i, 3);
  TESSERA_ASSIGN_OR_RETURN(app.kind, AppKindFromName(r.Text(i, 4)));
  app.active = r.Bool(i, 5);
  app.is_admin = r.Bool(i, 6);
  app.secret_hash = r.Text(i, 7);
  app.require_jti = r.Bool(i, 13);
  app.access_token_expiry = r.Int(i, 14);
  app.audience = r.Text(i, 15);
  app.dpop_bound_access_tokens = r.Bool(i, 19);
  app.tls_client_certificate_bound_access_tokens = r.Bool(i, 20);
  app.tls_client_auth_subject_dn = r.Text(i, 21);
  app.tls_client_auth_san_dns = r.Text(i, 22);
  TESSERA_RETURN_IF_ERROR(DecodeApp({.allowed_grants = r.Text(i, 8),
                                     .allowed_scopes = r.Text(i, 9),
                                     .certificate_aliases = r.Text(i, 10),
                                     .allowed_operations = r.Text(i, 11),
                                     .assertion_algs = r.Text(i, 12),
                                     .scopes = r.Text(i, 16)},
                                    app));
  app.created_at = r.Int(i, 17);
  app.updated_at = r.Int(i, 18);
  return app;
}

Result<CertificateRecord> ReadCertificate(const Rows& r, int i) {
  CertificateRecord cert;
  cert.alias = r.Text(i, 0);
  cert.der = r.Blob(i, 1);
  cert.x5t = r.Text(i, 2);
  cert.x5t_s256 = r.Text(i, 3);
  cert.not_after = r.Int(i, 4);
  cert.created_at = r.Int(i, 5);
  return cert;
}

Result<SigningKeyRecord> ReadSigningKey(const Rows& r, int i) {
  SigningKeyRecord key;
  key.kid = r.Text(i, 0);
  key.alg = r.Text(i, 1);
  key.private_pem = r.Text(i, 2);
  key.cert_der = r.Blob(i, 3);
  key.created_at = r.Int(i, 4);
  key.retired_at = r.Int(i, 5);
  key.publish_until = r.Int(i, 6);
  key.revoked_at = r.Int(i, 7);
  return key;
}

Result<TrustTokenIssuerRecord> ReadIssuer(const Rows& r, int i) {
  TrustTokenIssuerRecord issuer;
  issuer.issuer = r.Text(i, 0);
  issuer.shared_secret = r.Text(i, 1);
  issuer.cert_alias = r.Text(i, 2);
  issuer.cert_der = r.Blob(i, 3);
  issuer.created_at = r.Int(i, 4);
  return issuer;
}

Result<FederationTrustRecord> ReadTrust(const Rows& r, int i) {
  FederationTrustRecord trust;
  trust.id = r.Text(i, 0);
  trust.name = r.Text(i, 1);
  trust.issuer = r.Text(i, 2);
  trust.active = r.Bool(i, 3);
  trust.document = r.Text(i, 4);
  trust.created_at = r.Int(i, 5);
  trust.updated_at = r.Int(i, 6);
  return trust;
}

// Binds $1..$7 in TRUST_COLUMNS order (the update statement leaves $6, created_at, unused).
void BindTrust(Params& p, const FederationTrustRecord& trust) {
  p.Text(trust.id);
  p.Text(trust.name);
  p.Text(trust.issuer);
  p.Bool(trust.active);
  p.Text(trust.document);
  p.Int(trust.created_at);
  p.Int(trust.updated_at);
}

Result<Operator> ReadOperator(const Rows& r, int i) {
  Operator op;
  op.id = r.Text(i, 0);
  op.user_name = r.Text(i, 1);
  op.password_hash = r.Text(i, 2);
  op.role = r.Text(i, 3);
  op.active = r.Bool(i, 4);
  op.created_at = r.Int(i, 5);
  op.updated_at = r.Int(i, 6);
  op.password_changed_at = r.Int(i, 7);
  return op;
}

Result<ConsoleSession> ReadSession(const Rows& r, int i) {
  ConsoleSession session;
  session.id = r.Text(i, 0);
  session.operator_id = r.Text(i, 1);
  session.created_at = r.Int(i, 2);
  session.last_seen_at = r.Int(i, 3);
  session.expires_at = r.Int(i, 4);
  return session;
}

// Binds $1..$8 in OPERATOR_COLUMNS order.
void BindOperator(Params& p, const Operator& op) {
  p.Text(op.id);
  p.Text(op.user_name);
  p.Text(op.password_hash);
  p.Text(op.role);
  p.Bool(op.active);
  p.Int(op.created_at);
  p.Int(op.updated_at);
  p.Int(op.password_changed_at);
}

Result<AuditEvent> ReadAudit(const Rows& r, int i) {
  AuditEvent event;
  event.id = r.Int(i, 0);
  event.time = r.Int(i, 1);
  event.ecid = r.Text(i, 2);
  event.client_id = r.Text(i, 3);
  event.subject = r.Text(i, 4);
  event.grant = r.Text(i, 5);
  event.outcome = r.Text(i, 6);
  event.reason = r.Text(i, 7);
  return event;
}

// The first row's record, or kNotFound naming `what`.
template <typename T>
Result<T> ReadOne(const Result<Rows>& rows, Result<T> (*read)(const Rows&, int),
                  const std::string& what) {
  TESSERA_RETURN_IF_ERROR(rows.status());
  if (rows->size() == 0) return Status::NotFound(what + " not found");
  return read(*rows, 0);
}

template <typename T>
Result<std::vector<T>> ReadAll(const Result<Rows>& rows, Result<T> (*read)(const Rows&, int)) {
  TESSERA_RETURN_IF_ERROR(rows.status());
  std::vector<T> out;
  out.reserve(static_cast<size_t>(rows->size()));
  for (int i = 0; i < rows->size(); ++i) {
    TESSERA_ASSIGN_OR_RETURN(T item, read(*rows, i));
    out.push_back(std::move(item));
  }
  return out;
}

// A mutation of one keyed row: kNotFound when it changed none.
Status ChangedOne(const Result<Rows>& rows, const std::string& what) {
  TESSERA_RETURN_IF_ERROR(rows.status());
  if (rows->Changes() == 0) return Status::NotFound(what + " not found");
  return Status::Ok();
}

// Binds $1..$23 in APP_COLUMNS order.
void BindApp(Params& p, const App& app, const AppJson& j) {
  p.Text(app.id);
  p.Text(app.client_id);
  p.Text(app.display_name);
  p.Text(app.description);
  p.Text(AppKindName(app.kind));
  p.Bool(app.active);
  p.Bool(app.is_admin);
  p.Text(app.secret_hash);
  p.Text(j.allowed_grants);
  p.Text(j.allowed_scopes);
  p.Text(j.certificate_aliases);
  p.Text(j.allowed_operations);
  p.Text(j.assertion_algs);
  p.Bool(app.require_jti);
  p.Int(app.access_token_expiry);
  p.Text(app.audience);
  p.Text(j.scopes);
  p.Int(app.created_at);
  p.Int(app.updated_at);
  p.Bool(app.dpop_bound_access_tokens);
  p.Bool(app.tls_client_certificate_bound_access_tokens);
  p.Text(app.tls_client_auth_subject_dn);
  p.Text(app.tls_client_auth_san_dns);
}

// Binds $1..$8 in USER_COLUMNS order.
void BindUser(Params& p, const User& user, const std::string& emails) {
  p.Text(user.id);
  p.Text(user.user_name);
  p.Text(user.given_name);
  p.Text(user.family_name);
  p.Text(emails);
  p.Bool(user.active);
  p.Int(user.created_at);
  p.Int(user.updated_at);
}

}  // namespace

PostgresStore::PostgresStore(std::unique_ptr<Pool> pool) : pool_(std::move(pool)) {}
PostgresStore::~PostgresStore() = default;

int PostgresStore::LatestSchemaVersion() { return static_cast<int>(std::size(kMigrations)); }

int PostgresStore::pool_size() const { return pool_->size(); }

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url,
                                                           const PostgresOptions& options) {
  TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<Pool> pool, Pool::Open(url, options, kStmts));
  return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(pool)));
}

Result<int> PostgresStore::SchemaVersion() {
  return RunOnPool(*pool_, Retry::kRead, [](PgConnection& c) -> Result<int> {
    Result<Rows> rows = c.Run(kSchemaVersion, Params());
    TESSERA_RETURN_IF_ERROR(rows.status());
    return static_cast<int>(rows->Int(0, 0));
  });
}

Status PostgresStore::Ping() {
  return RunOnPool(*pool_, Retry::kRead,
                   [](PgConnection& c) { return c.Run(kPing, Params()).status(); });
}

// ---- Users.

Status PostgresStore::CreateUser(const User& user) {
  TESSERA_RETURN_IF_ERROR(RequireKey(user.id, "user id"));
  TESSERA_ASSIGN_OR_RETURN(std::string emails, ToJson(user.emails, "emails"));
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    BindUser(p, user, emails);
    return c.Run(kUserInsert, p).status();
  });
}

Result<User> PostgresStore::GetUser(const std::string& id) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Text(id);
    return ReadOne<User>(c.Run(kUserGet, p), ReadUser, "user " + id);
  });
}

Result<User> PostgresStore::FindUserByName(const std::string& user_name) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Text(user_name);
    return ReadOne<User>(c.Run(kUserFindByName, p), ReadUser, "user named " + user_name);
  });
}

Result<std::vector<User>> PostgresStore::FindUsersByEmail(const std::string& email) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Text(email);
    return ReadAll<User>(c.Run(kUserFindByEmail, p), ReadUser);
  });
}

Result<std::vector<User>> PostgresStore::ListUsers(int offset, int limit) {
  TESSERA_RETURN_IF_ERROR(CheckPage(offset, limit));
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Int(limit);
    p.Int(offset);
    return ReadAll<User>(c.Run(kUserList, p), ReadUser);
  });
}

Status PostgresStore::UpdateUser(const User& user) {
  TESSERA_ASSIGN_OR_RETURN(std::string emails, ToJson(user.emails, "emails"));
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    BindUser(p, user, emails);
    return ChangedOne(c.Run(kUserUpdate, p), "user " + user.id);
  });
}

Status PostgresStore::DeleteUser(const std::string& id) {
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    p.Text(id);
    return ChangedOne(c.Run(kUserDelete, p), "user " + id);
  });
}

// ---- Apps.

Status PostgresStore::CreateApp(const App& app) {
  TESSERA_RETURN_IF_ERROR(RequireKey(app.id, "app id"));
  TESSERA_ASSIGN_OR_RETURN(AppJson json, EncodeApp(app));
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    BindApp(p, app, json);
    return c.Run(kAppInsert, p).status();
  });
}

Result<App> PostgresStore::GetApp(const std::string& id) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Text(id);
    return ReadOne<App>(c.Run(kAppGet, p), ReadApp, "app " + id);
  });
}

Result<App> PostgresStore::FindAppByClientId(const std::string& client_id) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Text(client_id);
    return ReadOne<App>(c.Run(kAppFindByClientId, p), ReadApp, "app with client id " + client_id);
  });
}

Result<std::vector<App>> PostgresStore::ListApps(int offset, int limit) {
  TESSERA_RETURN_IF_ERROR(CheckPage(offset, limit));
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Int(limit);
    p.Int(offset);
    return ReadAll<App>(c.Run(kAppList, p), ReadApp);
  });
}

Status PostgresStore::UpdateApp(const App& app) {
  TESSERA_ASSIGN_OR_RETURN(AppJson json, EncodeApp(app));
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    BindApp(p, app, json);
    return ChangedOne(c.Run(kAppUpdate, p), "app " + app.id);
  });
}

Status PostgresStore::DeleteApp(const std::string& id) {
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    p.Text(id);
    return ChangedOne(c.Run(kAppDelete, p), "app " + id);
  });
}

// ---- Certificates.

Status PostgresStore::PutCertificate(CertificateKind kind, const CertificateRecord& cert) {
  TESSERA_RETURN_IF_ERROR(RequireKey(cert.alias, "certificate alias"));
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    p.Text(CertificateKindName(kind));
    p.Text(cert.alias);
    p.Blob(cert.der);
    p.Text(cert.x5t);
    p.Text(cert.x5t_s256);
    p.Int(cert.not_after);
    p.Int(cert.created_at);
    return c.Run(kCertInsert, p).status();
  });
}

Result<CertificateRecord> PostgresStore::GetCertificate(CertificateKind kind,
                                                        const std::string& alias) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Text(CertificateKindName(kind));
    p.Text(alias);
    return ReadOne<CertificateRecord>(
        c.Run(kCertGet, p), ReadCertificate,
        std::string(CertificateKindName(kind)) + " certificate " + alias);
  });
}

Result<std::vector<CertificateRecord>> PostgresStore::ListCertificates(CertificateKind kind) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Text(CertificateKindName(kind));
    return ReadAll<CertificateRecord>(c.Run(kCertList, p), ReadCertificate);
  });
}

Status PostgresStore::DeleteCertificate(CertificateKind kind, const std::string& alias) {
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    p.Text(CertificateKindName(kind));
    p.Text(alias);
    return ChangedOne(c.Run(kCertDelete, p),
                      std::string(CertificateKindName(kind)) + " certificate " + alias);
  });
}

// ---- Signing keys.

Status PostgresStore::AddSigningKey(const SigningKeyRecord& key) {
  TESSERA_RETURN_IF_ERROR(RequireKey(key.kid, "kid"));
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    p.Text(key.kid);
    p.Text(key.alg);
    p.Text(key.private_pem);
    p.Blob(key.cert_der);
    p.Int(key.created_at);
    p.Int(key.retired_at);
    p.Int(key.publish_until);
    p.Int(key.revoked_at);
    return c.Run(kKeyInsert, p).status();
  });
}

Result<std::vector<SigningKeyRecord>> PostgresStore::ListSigningKeys() {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    return ReadAll<SigningKeyRecord>(c.Run(kKeyList, Params()), ReadSigningKey);
  });
}

Status PostgresStore::RetireOtherKeys(const std::string& active_kid, int64_t now,
                                      int64_t publish_until) {
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) -> Status {
    TESSERA_RETURN_IF_ERROR(c.Run(kBegin, Params()).status());
    // Any early return leaves the transaction open; roll it back here, and if even that fails
    // the pool closes the connection (it is not idle), which rolls back on the server.
    auto body = [&]() -> Status {
      TESSERA_RETURN_IF_ERROR(c.Run(kKeyLock, Params()).status());
      Params q;
      q.Text(active_kid);
      TESSERA_ASSIGN_OR_RETURN(
          int64_t retired_at,
          ReadOne<int64_t>(
              c.Run(kKeyRetiredAt, q),
              +[](const Rows& r, int i) -> Result<int64_t> { return r.Int(i, 0); },
              "signing key " + active_kid));
      if (retired_at != 0) {
        return Status::FailedPrecondition("signing key " + active_kid + " is retired");
      }
      Params u;
      u.Text(active_kid);
      u.Int(now);
      u.Int(publish_until);
      TESSERA_RETURN_IF_ERROR(c.Run(kKeyRetireOthers, u).status());
      return c.Run(kCommit, Params()).status();
    };
    Status status = body();
    if (!status.ok() && !c.broken() && !c.Idle()) (void)c.Run(kRollback, Params());
    return status;
  });
}

Status PostgresStore::RevokeSigningKey(const std::string& kid, int64_t now) {
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) -> Status {
    Params q;
    q.Text(kid);
    TESSERA_RETURN_IF_ERROR(
        ReadOne<int64_t>(
            c.Run(kKeyRetiredAt, q),
            +[](const Rows& r, int i) -> Result<int64_t> { return r.Int(i, 0); },
            "signing key " + kid)
            .status());
    // One statement: a key revoked meanwhile is left as it is (revoked_at = 0 in WHERE).
    Params u;
    u.Text(kid);
    u.Int(now);
    return c.Run(kKeyRevoke, u).status();
  });
}

// ---- Trust-token issuers.

Status PostgresStore::PutTrustTokenIssuer(const TrustTokenIssuerRecord& issuer) {
  TESSERA_RETURN_IF_ERROR(RequireKey(issuer.issuer, "issuer"));
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    p.Text(issuer.issuer);
    p.Text(issuer.shared_secret);
    p.Text(issuer.cert_alias);
    p.Blob(issuer.cert_der);
    p.Int(issuer.created_at);
    return c.Run(kIssuerInsert, p).status();
  });
}

Result<TrustTokenIssuerRecord> PostgresStore::GetTrustTokenIssuer(const std::string& issuer) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Text(issuer);
    return ReadOne<TrustTokenIssuerRecord>(c.Run(kIssuerGet, p), ReadIssuer,
                                           "trust-token issuer " + issuer);
  });
}

Result<std::vector<TrustTokenIssuerRecord>> PostgresStore::ListTrustTokenIssuers() {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    return ReadAll<TrustTokenIssuerRecord>(c.Run(kIssuerList, Params()), ReadIssuer);
  });
}

Status PostgresStore::DeleteTrustTokenIssuer(const std::string& issuer) {
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    p.Text(issuer);
    return ChangedOne(c.Run(kIssuerDelete, p), "trust-token issuer " + issuer);
  });
}

// ---- Federation trusts.

Status PostgresStore::CreateFederationTrust(const FederationTrustRecord& trust) {
  TESSERA_RETURN_IF_ERROR(RequireKey(trust.id, "federation trust id"));
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    BindTrust(p, trust);
    return c.Run(kTrustInsert, p).status();
  });
}

Result<FederationTrustRecord> PostgresStore::GetFederationTrust(const std::string& id) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Text(id);
    return ReadOne<FederationTrustRecord>(c.Run(kTrustGet, p), ReadTrust, "federation trust " + id);
  });
}

Result<std::vector<FederationTrustRecord>> PostgresStore::ListFederationTrusts() {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    return ReadAll<FederationTrustRecord>(c.Run(kTrustList, Params()), ReadTrust);
  });
}

Result<std::vector<FederationTrustRecord>> PostgresStore::FindFederationTrustsByIssuer(
    const std::string& issuer) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Text(issuer);
    return ReadAll<FederationTrustRecord>(c.Run(kTrustFindByIssuer, p), ReadTrust);
  });
}

Status PostgresStore::UpdateFederationTrust(const FederationTrustRecord& trust) {
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    BindTrust(p, trust);
    return ChangedOne(c.Run(kTrustUpdate, p), "federation trust " + trust.id);
  });
}

Status PostgresStore::DeleteFederationTrust(const std::string& id) {
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    p.Text(id);
    return ChangedOne(c.Run(kTrustDelete, p), "federation trust " + id);
  });
}

// ---- Replay.

Result<bool> PostgresStore::ConsumeJti(const std::string& issuer, const std::string& jti,
                                       int64_t expires_at) {
  // Retry::kWrite: once the INSERT may have reached the server, a retry could see the row this
  // very call committed and answer "replay" (a false refusal), and answering "new" without
  // knowing could issue a token whose jti is not recorded. Failing with kUnavailable is the
  // only safe answer then.
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) -> Result<bool> {
    Params p;
    p.Text(issuer);
    p.Text(jti);
    p.Int(expires_at);
    Result<Rows> rows = c.Run(kJtiInsert, p);
    TESSERA_RETURN_IF_ERROR(rows.status());
    return rows->Changes() == 1;
  });
}

Result<std::vector<bool>> PostgresStore::ConsumeJtis(const std::vector<JtiRecord>& records) {
  if (records.empty()) return std::vector<bool>{};
  // One statement for the batch: one round trip, one transaction, one commit (one WAL flush on
  // the server), and one executor start instead of one per jti. Inserted in key order, so that
  // two batches holding the same pairs (two nodes, a replay sent to both) wait for each other
  // instead of deadlocking on each other's rows. The sort is stable: of a pair repeated in the
  // batch, the first one is the new one.
  std::vector<size_t> order(records.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(records[a].issuer, records[a].jti) <
           std::tie(records[b].issuer, records[b].jti);
  });
  std::vector<std::string_view> issuers, jtis;
  std::vector<int64_t> expiries;
  for (size_t i : order) {
    issuers.emplace_back(records[i].issuer);
    jtis.emplace_back(records[i].jti);
    expiries.push_back(records[i].expires_at);
  }
  Params p;
  p.TextArray(issuers);
  p.TextArray(jtis);
  p.IntArray(expiries);
  // Retry::kWrite for the reason ConsumeJti gives.
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) -> Result<std::vector<bool>> {
    TESSERA_ASSIGN_OR_RETURN(Rows rows, c.Run(kJtiInsertBatch, p));
    // The pairs this statement inserted; each is new for its first record in key order only.
    std::set<std::pair<std::string, std::string>> inserted;
    for (int row = 0; row < rows.size(); ++row)
      inserted.emplace(rows.Text(row, 0), rows.Text(row, 1));
    std::vector<bool> fresh(records.size(), false);
    for (size_t i : order) fresh[i] = inserted.erase({records[i].issuer, records[i].jti}) == 1;
    return fresh;
  });
}

Result<bool> PostgresStore::IsJtiUsed(const std::string& issuer, const std::string& jti) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) -> Result<bool> {
    Params p;
    p.Text(issuer);
    p.Text(jti);
    Result<Rows> rows = c.Run(kJtiGet, p);
    TESSERA_RETURN_IF_ERROR(rows.status());
    return rows->size() > 0;
  });
}

Result<int> PostgresStore::PurgeExpiredJtis(int64_t now, int limit) {
  TESSERA_RETURN_IF_ERROR(CheckLimit(limit));
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) -> Result<int> {
    Params p;
    p.Int(now);
    p.Int(limit);
    Result<Rows> rows = c.Run(kJtiPurge, p);
    TESSERA_RETURN_IF_ERROR(rows.status());
    return rows->Changes();
  });
}

// ---- Revocations.

Status PostgresStore::RevokeToken(const std::string& jti, int64_t expires_at) {
  TESSERA_RETURN_IF_ERROR(RequireKey(jti, "jti"));
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    p.Text(jti);
    p.Int(expires_at);
    return c.Run(kRevocationUpsert, p).status();
  });
}

Result<bool> PostgresStore::IsRevoked(const std::string& jti) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) -> Result<bool> {
    Params p;
    p.Text(jti);
    Result<Rows> rows = c.Run(kRevocationGet, p);
    TESSERA_RETURN_IF_ERROR(rows.status());
    return rows->size() > 0;
  });
}

Result<int> PostgresStore::PurgeExpiredRevocations(int64_t now, int limit) {
  TESSERA_RETURN_IF_ERROR(CheckLimit(limit));
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) -> Result<int> {
    Params p;
    p.Int(now);
    p.Int(limit);
    Result<Rows> rows = c.Run(kRevocationPurge, p);
    TESSERA_RETURN_IF_ERROR(rows.status());
    return rows->Changes();
  });
}

// ---- Audit.

Status PostgresStore::AppendAudit(const AuditEvent& event) { return AppendAudits({event}); }

Status PostgresStore::AppendAudits(const std::vector<AuditEvent>& events) {
  if (events.empty()) return Status::Ok();
  // One statement for the batch (all or none), as ConsumeJtis: without it every event of a busy
  // token endpoint was a commit of its own, the largest share of the database's work per token;
  // one statement rather than one per event in a transaction saves a round trip and an
  // executor start per event. Retry::kWrite: once the statement may have reached the server it
  // is not sent again (postgres_store.h, Faults), so no event is appended twice.
  std::vector<int64_t> times;
  std::vector<std::string_view> ecids, clients, subjects, grants, outcomes, reasons;
  for (const AuditEvent& e : events) {
    times.push_back(e.time);
    ecids.emplace_back(e.ecid);
    clients.emplace_back(e.client_id);
    subjects.emplace_back(e.subject);
    grants.emplace_back(e.grant);
    outcomes.emplace_back(e.outcome);
    reasons.emplace_back(e.reason);
  }
  Params p;
  p.IntArray(times);
  for (const auto* column : {&ecids, &clients, &subjects, &grants, &outcomes, &reasons}) {
    p.TextArray(*column);
  }
  return RunOnPool(*pool_, Retry::kWrite,
                   [&](PgConnection& c) { return c.Run(kAuditInsertBatch, p).status(); });
}

namespace {

// Adds parameters $1-$6 of the audit list and count statements: client, outcome, since, until,
// grant and reason code; NULL where the filter leaves one open.
void AddAuditFilter(Params& p, const AuditFilter& filter) {
  auto text = [&p](const std::optional<std::string>& v) { v ? p.Text(*v) : p.Null(); };
  auto time = [&p](const std::optional<int64_t>& v) { v ? p.Int(*v) : p.Null(); };
  text(filter.client_id);
  text(filter.outcome);
  time(filter.since);
  time(filter.until);
  text(filter.grant);
  text(filter.reason_code);
}

}  // namespace

Result<std::vector<AuditEvent>> PostgresStore::ListAudit(const AuditFilter& filter) {
  TESSERA_RETURN_IF_ERROR(CheckLimit(filter.limit));
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    AddAuditFilter(p, filter);
    p.Int(filter.limit);
    return ReadAll<AuditEvent>(c.Run(kAuditList, p), ReadAudit);
  });
}

Result<int> PostgresStore::PurgeAuditBefore(int64_t before, int limit) {
  TESSERA_RETURN_IF_ERROR(CheckLimit(limit));
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) -> Result<int> {
    Params p;
    p.Int(before);
    p.Int(limit);
    Result<Rows> rows = c.Run(kAuditPurge, p);
    TESSERA_RETURN_IF_ERROR(rows.status());
    return rows->Changes();
  });
}

// ---- Certificate use and audit totals.

Status PostgresStore::RecordCertificateUse(CertificateKind kind, const std::string& alias,
                                           int64_t at) {
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) -> Status {
    Params p;
    p.Text(CertificateKindName(kind));
    p.Text(alias);
    p.Int(at);
    return c.Run(kCertRecordUse, p).status();
  });
}

Result<std::map<std::string, int64_t>> PostgresStore::ListCertificateUses(CertificateKind kind) {
  return RunOnPool(*pool_, Retry::kRead,
                   [&](PgConnection& c) -> Result<std::map<std::string, int64_t>> {
                     Params p;
                     p.Text(CertificateKindName(kind));
                     Result<Rows> rows = c.Run(kCertUses, p);
                     TESSERA_RETURN_IF_ERROR(rows.status());
                     std::map<std::string, int64_t> out;
                     for (int i = 0; i < rows->size(); ++i) out[rows->Text(i, 0)] = rows->Int(i, 1);
                     return out;
                   });
}

Result<int64_t> PostgresStore::CountAudit(const AuditFilter& filter) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) -> Result<int64_t> {
    Params p;
    AddAuditFilter(p, filter);
    Result<Rows> rows = c.Run(kAuditCount, p);
    TESSERA_RETURN_IF_ERROR(rows.status());
    if (rows->size() != 1) return Status::Internal("audit count: no row");
    return rows->Int(0, 0);
  });
}

Result<std::vector<ReasonCount>> PostgresStore::CountRejectionsByReason(int64_t since,
                                                                        int64_t until, int limit) {
  TESSERA_RETURN_IF_ERROR(CheckLimit(limit));
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) -> Result<std::vector<ReasonCount>> {
    Params p;
    p.Int(since);
    p.Int(until);
    p.Int(limit);
    Result<Rows> rows = c.Run(kAuditReasonCounts, p);
    TESSERA_RETURN_IF_ERROR(rows.status());
    std::vector<ReasonCount> out;
    out.reserve(static_cast<size_t>(rows->size()));
    for (int i = 0; i < rows->size(); ++i) out.push_back({rows->Text(i, 0), rows->Int(i, 1)});
    return out;
  });
}

// ---- Console operators and sessions.

Status PostgresStore::CreateOperator(const Operator& op) {
  TESSERA_RETURN_IF_ERROR(RequireKey(op.id, "operator id"));
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    BindOperator(p, op);
    return c.Run(kOperatorInsert, p).status();
  });
}

Result<Operator> PostgresStore::GetOperator(const std::string& id) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Text(id);
    return ReadOne<Operator>(c.Run(kOperatorGet, p), ReadOperator, "operator " + id);
  });
}

Result<Operator> PostgresStore::FindOperatorByName(const std::string& user_name) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Text(user_name);
    return ReadOne<Operator>(c.Run(kOperatorFindByName, p), ReadOperator,
                             "operator named " + user_name);
  });
}

Result<std::vector<Operator>> PostgresStore::ListOperators() {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    return ReadAll<Operator>(c.Run(kOperatorList, Params()), ReadOperator);
  });
}

Status PostgresStore::UpdateOperator(const Operator& op) {
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    BindOperator(p, op);
    return ChangedOne(c.Run(kOperatorUpdate, p), "operator " + op.id);
  });
}

Status PostgresStore::DeleteOperator(const std::string& id) {
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) -> Status {
    TESSERA_RETURN_IF_ERROR(c.Run(kBegin, Params()).status());
    auto body = [&]() -> Status {
      Params p;
      p.Text(id);
      TESSERA_RETURN_IF_ERROR(ChangedOne(c.Run(kOperatorDelete, p), "operator " + id));
      Params q;
      q.Text(id);
      q.Text("");
      TESSERA_RETURN_IF_ERROR(c.Run(kSessionDeleteOfOperator, q).status());
      return c.Run(kCommit, Params()).status();
    };
    Status status = body();
    if (!status.ok() && !c.broken() && !c.Idle()) (void)c.Run(kRollback, Params());
    return status;
  });
}

Status PostgresStore::CreateConsoleSession(const ConsoleSession& session) {
  TESSERA_RETURN_IF_ERROR(RequireKey(session.id, "session id"));
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    p.Text(session.id);
    p.Text(session.operator_id);
    p.Int(session.created_at);
    p.Int(session.last_seen_at);
    p.Int(session.expires_at);
    return c.Run(kSessionInsert, p).status();
  });
}

Result<ConsoleSession> PostgresStore::GetConsoleSession(const std::string& id) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Text(id);
    return ReadOne<ConsoleSession>(c.Run(kSessionGet, p), ReadSession, "console session");
  });
}

Status PostgresStore::TouchConsoleSession(const std::string& id, int64_t last_seen_at) {
  // Retry::kRead: setting last_seen_at forward twice is the same as once.
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Text(id);
    p.Int(last_seen_at);
    return ChangedOne(c.Run(kSessionTouch, p), "console session");
  });
}

Status PostgresStore::DeleteConsoleSession(const std::string& id) {
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    p.Text(id);
    return ChangedOne(c.Run(kSessionDelete, p), "console session");
  });
}

Result<int> PostgresStore::DeleteOperatorSessions(const std::string& operator_id,
                                                  const std::string& keep_id) {
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) -> Result<int> {
    Params p;
    p.Text(operator_id);
    p.Text(keep_id);
    Result<Rows> rows = c.Run(kSessionDeleteOfOperator, p);
    TESSERA_RETURN_IF_ERROR(rows.status());
    return rows->Changes();
  });
}

Result<int> PostgresStore::PurgeConsoleSessions(int64_t now, int64_t idle_before, int limit) {
  TESSERA_RETURN_IF_ERROR(CheckLimit(limit));
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) -> Result<int> {
    Params p;
    p.Int(now);
    p.Int(idle_before);
    p.Int(limit);
    Result<Rows> rows = c.Run(kSessionPurge, p);
    TESSERA_RETURN_IF_ERROR(rows.status());
    return rows->Changes();
  });
}

}  // namespace tessera::store
