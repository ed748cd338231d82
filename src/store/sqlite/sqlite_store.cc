#include "store/sqlite/sqlite_store.h"

#include <array>
#include <climits>
#include <string_view>
#include <utility>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/store_columns.h"
#include "store/store_common.h"

namespace tessera::store {
namespace {

using sqlite_internal::Connection;
using sqlite_internal::kMigrations;
using sqlite_internal::Pool;
using sqlite_internal::Query;
using sqlite_internal::Transaction;
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

// Every statement the store runs. Each connection prepares all of them once, at Open; a call
// binds, steps and resets one, and never prepares. (Transactions have their own: Transaction.)
enum Stmt : int {
  kSchemaVersion,
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
  kJtiGet,
  kJtiPurge,
  kRevocationUpsert,
  kRevocationGet,
  kRevocationPurge,
  kAuditInsert,
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

constexpr std::array<const char*, kNumStmts> kSql = {
    // kSchemaVersion
    "SELECT coalesce(max(version), 0) FROM schema_version",
    // Users.
    "INSERT INTO users (" USER_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    "SELECT " USER_COLUMNS " FROM users WHERE id = ?1",
    "SELECT " USER_COLUMNS " FROM users WHERE user_name = ?1",
    "SELECT " USER_COLUMNS " FROM users ORDER BY user_name LIMIT ?1 OFFSET ?2",
    "SELECT " USER_COLUMNS
    " FROM users WHERE EXISTS (SELECT 1 FROM json_each(users.emails) WHERE json_each.value = ?1)"
    " ORDER BY user_name LIMIT 2",
    "UPDATE users SET user_name = ?2, given_name = ?3, family_name = ?4, emails = ?5,"
    " active = ?6, updated_at = ?8 WHERE id = ?1",
    "DELETE FROM users WHERE id = ?1",
    // Apps.
    "INSERT INTO apps (" APP_COLUMNS
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
    " ?19, ?20, ?21, ?22, ?23)",
    "SELECT " APP_COLUMNS " FROM apps WHERE id = ?1",
    "SELECT " APP_COLUMNS " FROM apps WHERE client_id = ?1 AND client_id <> ''",
    "SELECT " APP_COLUMNS " FROM apps ORDER BY created_at, id LIMIT ?1 OFFSET ?2",
    "UPDATE apps SET client_id = ?2, display_name = ?3, description = ?4, kind = ?5, active = ?6,"
    " is_admin = ?7, secret_hash = ?8, allowed_grants = ?9, allowed_scopes = ?10,"
    " certificate_aliases = ?11, allowed_operations = ?12, assertion_algs = ?13,"
    " require_jti = ?14, access_token_expiry = ?15, audience = ?16, scopes = ?17,"
    " updated_at = ?19, dpop_bound_access_tokens = ?20,"
    " tls_client_certificate_bound_access_tokens = ?21, tls_client_auth_subject_dn = ?22,"
    " tls_client_auth_san_dns = ?23 WHERE id = ?1",
    "DELETE FROM apps WHERE id = ?1",
    // Certificates.
    "INSERT INTO certificates (kind, " CERT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    "SELECT " CERT_COLUMNS " FROM certificates WHERE kind = ?1 AND alias = ?2",
    "SELECT " CERT_COLUMNS " FROM certificates WHERE kind = ?1 ORDER BY alias",
    "DELETE FROM certificates WHERE kind = ?1 AND alias = ?2",
    // Signing keys.
    "INSERT INTO signing_keys (" KEY_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    "SELECT " KEY_COLUMNS " FROM signing_keys ORDER BY created_at DESC, rowid DESC",
    "SELECT retired_at FROM signing_keys WHERE kid = ?1",
    "UPDATE signing_keys SET retired_at = ?2, publish_until = ?3"
    " WHERE kid <> ?1 AND retired_at = 0",
    "UPDATE signing_keys SET revoked_at = ?2, publish_until = 0,"
    " retired_at = CASE retired_at WHEN 0 THEN ?2 ELSE retired_at END"
    " WHERE kid = ?1 AND revoked_at = 0",
    // Trust-token issuers.
    "INSERT INTO trust_token_issuers (" ISSUER_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5)",
    "SELECT " ISSUER_COLUMNS " FROM trust_token_issuers WHERE issuer = ?1",
    "SELECT " ISSUER_COLUMNS " FROM trust_token_issuers ORDER BY issuer",
    "DELETE FROM trust_token_issuers WHERE issuer = ?1",
    // Used jtis. The insert is the whole replay decision: the unique index arbitrates, and
    // sqlite3_changes() says whether this call inserted the row.
    "INSERT INTO used_jtis (issuer, jti, expires_at) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (issuer, jti) DO NOTHING",
    "SELECT 1 FROM used_jtis WHERE issuer = ?1 AND jti = ?2",
    // Bounded batches: one purge never holds the write lock for long.
    "DELETE FROM used_jtis WHERE (issuer, jti) IN"
    " (SELECT issuer, jti FROM used_jtis WHERE expires_at < ?1 LIMIT ?2)",
    // Revocations.
    "INSERT INTO revocations (jti, expires_at) VALUES (?1, ?2)"
    " ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)",
    "SELECT 1 FROM revocations WHERE jti = ?1",
    "DELETE FROM revocations WHERE rowid IN"
    " (SELECT rowid FROM revocations WHERE expires_at < ?1 LIMIT ?2)",
    // Audit. One statement serves every filter: an unset field is bound NULL and matches all.
    "INSERT INTO audit_events (time, ecid, client_id, subject, grant_type, outcome, reason)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    "SELECT " AUDIT_COLUMNS
    " FROM audit_events"
    " WHERE (?1 IS NULL OR client_id = ?1) AND (?2 IS NULL OR outcome = ?2)"
    " AND (?3 IS NULL OR time >= ?3) AND (?4 IS NULL OR time <= ?4)"
    " AND (?5 IS NULL OR grant_type = ?5)"
    " AND (?6 IS NULL OR reason = ?6 OR substr(reason, 1, length(?6) + 1) = ?6 || ':')"
    " ORDER BY time DESC, id DESC LIMIT ?7",
    // Bounded like the other purges; the (time, id) index finds the oldest rows.
    "DELETE FROM audit_events WHERE id IN"
    " (SELECT id FROM audit_events WHERE time < ?1 LIMIT ?2)",
    // Certificate use (migration 004).
    "UPDATE certificates SET last_used_at = ?3"
    " WHERE kind = ?1 AND alias = ?2 AND last_used_at < ?3",
    "SELECT alias, last_used_at FROM certificates WHERE kind = ?1 AND last_used_at > 0"
    " ORDER BY alias",
    // The total of a filtered audit listing (same filter as the listing).
    "SELECT count(*) FROM audit_events"
    " WHERE (?1 IS NULL OR client_id = ?1) AND (?2 IS NULL OR outcome = ?2)"
    " AND (?3 IS NULL OR time >= ?3) AND (?4 IS NULL OR time <= ?4)"
    " AND (?5 IS NULL OR grant_type = ?5)"
    " AND (?6 IS NULL OR reason = ?6 OR substr(reason, 1, length(?6) + 1) = ?6 || ':')",
    // Federation trusts (migration 006).
    "INSERT INTO federation_trusts (" TRUST_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    "SELECT " TRUST_COLUMNS " FROM federation_trusts WHERE id = ?1",
    "SELECT " TRUST_COLUMNS " FROM federation_trusts ORDER BY created_at, id",
    "SELECT " TRUST_COLUMNS " FROM federation_trusts WHERE issuer = ?1 ORDER BY created_at, id",
    "UPDATE federation_trusts SET name = ?2, issuer = ?3, active = ?4, document = ?5,"
    " updated_at = ?7 WHERE id = ?1",
    "DELETE FROM federation_trusts WHERE id = ?1",
    // Console operators and sessions (migration 007).
    "INSERT INTO console_operators (" OPERATOR_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    "SELECT " OPERATOR_COLUMNS " FROM console_operators WHERE id = ?1",
    "SELECT " OPERATOR_COLUMNS " FROM console_operators WHERE user_name = ?1",
    "SELECT " OPERATOR_COLUMNS " FROM console_operators ORDER BY user_name",
    "UPDATE console_operators SET user_name = ?2, password_hash = ?3, role = ?4, active = ?5,"
    " updated_at = ?7, password_changed_at = ?8 WHERE id = ?1",
    "DELETE FROM console_operators WHERE id = ?1",
    "INSERT INTO console_sessions (" SESSION_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5)",
    "SELECT " SESSION_COLUMNS " FROM console_sessions WHERE id = ?1",
    "UPDATE console_sessions SET last_seen_at = max(last_seen_at, ?2) WHERE id = ?1",
    "DELETE FROM console_sessions WHERE id = ?1",
    "DELETE FROM console_sessions WHERE operator_id = ?1 AND id <> ?2",
    "DELETE FROM console_sessions WHERE id IN (SELECT id FROM console_sessions"
    " WHERE expires_at <= ?1 OR last_seen_at < ?2 LIMIT ?3)",
    // Rejections by reason code (the text before the first ':'); the (outcome, time, id) index
    // finds the rows. BINARY collation: the same order as PostgreSQL's "C".
    "SELECT CASE WHEN instr(reason, ':') > 0 THEN substr(reason, 1, instr(reason, ':') - 1)"
    " ELSE reason END AS code, count(*) AS n FROM audit_events"
    " WHERE outcome = 'rejected' AND time >= ?1 AND time <= ?2"
    " GROUP BY code ORDER BY n DESC, code COLLATE BINARY LIMIT ?3",
};

// Row readers: the column order is the *_COLUMNS order above.

Result<User> ReadUser(const Query& q) {
  User user;
  user.id = q.ColumnText(0);
  user.user_name = q.ColumnText(1);
  user.given_name = q.ColumnText(2);
  user.family_name = q.ColumnText(3);
  TESSERA_ASSIGN_OR_RETURN(user.emails, FromJson(q.ColumnText(4), "emails"));
  user.active = q.ColumnInt(5) != 0;
  user.created_at = q.ColumnInt(6);
  user.updated_at = q.ColumnInt(7);
  return user;
}

Result<App> ReadApp(const Query& q) {
  App app;
  app.id = q.ColumnText(0);
  app.client_id = q.ColumnText(1);
  app.display_name = q.ColumnText(2);
  app.description = q.ColumnText(3);
  TESSERA_ASSIGN_OR_RETURN(app.kind, AppKindFromName(q.ColumnText(4)));
  app.active = q.ColumnInt(5) != 0;
  app.is_admin = q.ColumnInt(6) != 0;
  app.secret_hash = q.ColumnText(7);
  app.require_jti = q.ColumnInt(13) != 0;
  app.access_token_expiry = q.ColumnInt(14);
  app.audience = q.ColumnText(15);
  app.dpop_bound_access_tokens = q.ColumnInt(19) != 0;
  app.tls_client_certificate_bound_access_tokens = q.ColumnInt(20) != 0;
  app.tls_client_auth_subject_dn = q.ColumnText(21);
  app.tls_client_auth_san_dns = q.ColumnText(22);
  TESSERA_RETURN_IF_ERROR(DecodeApp({.allowed_grants = q.ColumnText(8),
                                     .allowed_scopes = q.ColumnText(9),
                                     .certificate_aliases = q.ColumnText(10),
                                     .allowed_operations = q.ColumnText(11),
                                     .assertion_algs = q.ColumnText(12),
                                     .scopes = q.ColumnText(16)},
                                    app));
  app.created_at = q.ColumnInt(17);
  app.updated_at = q.ColumnInt(18);
  return app;
}

CertificateRecord ReadCertificate(const Query& q) {
  CertificateRecord cert;
  cert.alias = q.ColumnText(0);
  cert.der = q.ColumnBlob(1);
  cert.x5t = q.ColumnText(2);
  cert.x5t_s256 = q.ColumnText(3);
  cert.not_after = q.ColumnInt(4);
  cert.created_at = q.ColumnInt(5);
  return cert;
}

SigningKeyRecord ReadSigningKey(const Query& q) {
  SigningKeyRecord key;
  key.kid = q.ColumnText(0);
  key.alg = q.ColumnText(1);
  key.private_pem = q.ColumnText(2);
  key.cert_der = q.ColumnBlob(3);
  key.created_at = q.ColumnInt(4);
  key.retired_at = q.ColumnInt(5);
  key.publish_until = q.ColumnInt(6);
  key.revoked_at = q.ColumnInt(7);
  return key;
}

TrustTokenIssuerRecord ReadIssuer(const Query& q) {
  TrustTokenIssuerRecord issuer;
  issuer.issuer = q.ColumnText(0);
  issuer.shared_secret = q.ColumnText(1);
  issuer.cert_alias = q.ColumnText(2);
  issuer.cert_der = q.ColumnBlob(3);
  issuer.created_at = q.ColumnInt(4);
  return issuer;
}

FederationTrustRecord ReadTrust(const Query& q) {
  FederationTrustRecord trust;
  trust.id = q.ColumnText(0);
  trust.name = q.ColumnText(1);
  trust.issuer = q.ColumnText(2);
  trust.active = q.ColumnInt(3) != 0;
  trust.document = q.ColumnText(4);
  trust.created_at = q.ColumnInt(5);
  trust.updated_at = q.ColumnInt(6);
  return trust;
}

// Binds ?1..?7 in TRUST_COLUMNS order (the update statement skips ?6, created_at).
void BindTrust(Query& q, const FederationTrustRecord& trust) {
  q.Text(1, trust.id);
  q.Text(2, trust.name);
  q.Text(3, trust.issuer);
  q.Int(4, trust.active ? 1 : 0);
  q.Text(5, trust.document);
  q.Int(6, trust.created_at);
  q.Int(7, trust.updated_at);
}

AuditEvent ReadAudit(const Query& q) {
  AuditEvent event;
  event.id = q.ColumnInt(0);
  event.time = q.ColumnInt(1);
  event.ecid = q.ColumnText(2);
  event.client_id = q.ColumnText(3);
  event.subject = q.ColumnText(4);
  event.grant = q.ColumnText(5);
  event.outcome = q.ColumnText(6);
  event.reason = q.ColumnText(7);
  return event;
}

Operator ReadOperator(const Query& q) {
  Operator op;
  op.id = q.ColumnText(0);
  op.user_name = q.ColumnText(1);
  op.password_hash = q.ColumnText(2);
  op.role = q.ColumnText(3);
  op.active = q.ColumnInt(4) != 0;
  op.created_at = q.ColumnInt(5);
  op.updated_at = q.ColumnInt(6);
  op.password_changed_at = q.ColumnInt(7);
  return op;
}

ConsoleSession ReadSession(const Query& q) {
  ConsoleSession session;
  session.id = q.ColumnText(0);
  session.operator_id = q.ColumnText(1);
  session.created_at = q.ColumnInt(2);
  session.last_seen_at = q.ColumnInt(3);
  session.expires_at = q.ColumnInt(4);
  return session;
}

// Readers return either a record or a Result of one (when decoding can fail).
template <typename T>
Result<T> AsResult(Result<T> r) {
  return r;
}
template <typename T>
Result<T> AsResult(T v) {
  return Result<T>(std::move(v));
}

// Steps a one-row look-up: the row's record, or kNotFound naming `what`.
template <typename T, typename Reader>
Result<T> ReadOne(Query& q, Reader read, const std::string& what) {
  TESSERA_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return Status::NotFound(what + " not found");
  return AsResult<T>(read(q));
}

template <typename T, typename Reader>
Result<std::vector<T>> ReadAll(Query& q, Reader read) {
  std::vector<T> out;
  while (true) {
    TESSERA_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return out;
    TESSERA_ASSIGN_OR_RETURN(T item, AsResult<T>(read(q)));
    out.push_back(std::move(item));
  }
}

// A mutation of one keyed row: kNotFound when it changed none.
Status RunOnExisting(Query& q, const std::string& what) {
  TESSERA_RETURN_IF_ERROR(q.Run());
  if (q.Changes() == 0) return Status::NotFound(what + " not found");
  return Status::Ok();
}

// Binds ?1..?23 in APP_COLUMNS order (the update statement skips ?18, created_at).
void BindApp(Query& q, const App& app, const AppJson& j) {
  q.Text(1, app.id);
  q.Text(2, app.client_id);
  q.Text(3, app.display_name);
  q.Text(4, app.description);
  q.Text(5, AppKindName(app.kind));
  q.Int(6, app.active ? 1 : 0);
  q.Int(7, app.is_admin ? 1 : 0);
  q.Text(8, app.secret_hash);
  q.Text(9, j.allowed_grants);
  q.Text(10, j.allowed_scopes);
  q.Text(11, j.certificate_aliases);
  q.Text(12, j.allowed_operations);
  q.Text(13, j.assertion_algs);
  q.Int(14, app.require_jti ? 1 : 0);
  q.Int(15, app.access_token_expiry);
  q.Text(16, app.audience);
  q.Text(17, j.scopes);
  q.Int(18, app.created_at);
  q.Int(19, app.updated_at);
  q.Int(20, app.dpop_bound_access_tokens ? 1 : 0);
  q.Int(21, app.tls_client_certificate_bound_access_tokens ? 1 : 0);
  q.Text(22, app.tls_client_auth_subject_dn);
  q.Text(23, app.tls_client_auth_san_dns);
}

// Binds ?1..?8 in USER_COLUMNS order (the update statement skips ?7, created_at).
void BindUser(Query& q, const User& user, const std::string& emails) {
  q.Text(1, user.id);
  q.Text(2, user.user_name);
  q.Text(3, user.given_name);
  q.Text(4, user.family_name);
  q.Text(5, emails);
  q.Int(6, user.active ? 1 : 0);
  q.Int(7, user.created_at);
  q.Int(8, user.updated_at);
}

// Binds ?1..?8 in OPERATOR_COLUMNS order (the update statement skips ?6, created_at).
void BindOperator(Query& q, const Operator& op) {
  q.Text(1, op.id);
  q.Text(2, op.user_name);
  q.Text(3, op.password_hash);
  q.Text(4, op.role);
  q.Int(5, op.active ? 1 : 0);
  q.Int(6, op.created_at);
  q.Int(7, op.updated_at);
  q.Int(8, op.password_changed_at);
}

}  // namespace

// The pool's leases, under the names the methods use.
class SqliteStore::WriteLease : public Pool::WriteLease {
 public:
  explicit WriteLease(SqliteStore& store) : Pool::WriteLease(*store.pool_) {}
};

class SqliteStore::ReadLease : public Pool::ReadLease {
 public:
  explicit ReadLease(SqliteStore& store) : Pool::ReadLease(*store.pool_) {}
};

SqliteStore::SqliteStore(std::unique_ptr<Pool> pool) : pool_(std::move(pool)) {}

SqliteStore::~SqliteStore() = default;

int SqliteStore::LatestSchemaVersion() { return static_cast<int>(std::size(kMigrations)); }

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       const SqliteOptions& options) {
  if (path.empty()) return Status::InvalidArgument("SQLite database path is empty");
  if (options.read_connections < 1) {
    return Status::InvalidArgument("SqliteOptions.read_connections must be at least 1");
  }
  if (options.checkpoint_pages < 1 || options.checkpoint_pages > INT_MAX / Pool::kLogLimitFactor) {
    return Status::InvalidArgument("SqliteOptions.checkpoint_pages is out of range");
  }
  if (options.busy_timeout.count() < 0 || options.busy_timeout.count() > INT_MAX) {
    return Status::InvalidArgument("SqliteOptions.busy_timeout is out of range");
  }
  TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<Pool> pool, Pool::Open(path, options, kSql));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(pool)));
}

Result<int> SqliteStore::SchemaVersion() {
  ReadLease lease(*this);
  Query q(lease.conn(), kSchemaVersion);
  return ReadOne<int>(
      q, [](const Query& r) { return static_cast<int>(r.ColumnInt(0)); }, "schema version");
}

Status SqliteStore::Ping() { return SchemaVersion().status(); }

// ---- Users.

Status SqliteStore::CreateUser(const User& user) {
  TESSERA_RETURN_IF_ERROR(RequireKey(user.id, "user id"));
  TESSERA_ASSIGN_OR_RETURN(std::string emails, ToJson(user.emails, "emails"));
  WriteLease lease(*this);
  Query q(lease.conn(), kUserInsert);
  BindUser(q, user, emails);
  return q.Run();
}

Result<User> SqliteStore::GetUser(const std::string& id) {
  ReadLease lease(*this);
  Query q(lease.conn(), kUserGet);
  q.Text(1, id);
  return ReadOne<User>(q, ReadUser, "user " + id);
}

Result<User> SqliteStore::FindUserByName(const std::string& user_name) {
  ReadLease lease(*this);
  Query q(lease.conn(), kUserFindByName);
  q.Text(1, user_name);
  return ReadOne<User>(q, ReadUser, "user named " + user_name);
}

Result<std::vector<User>> SqliteStore::FindUsersByEmail(const std::string& email) {
  ReadLease lease(*this);
  Query q(lease.conn(), kUserFindByEmail);
  q.Text(1, email);
  return ReadAll<User>(q, ReadUser);
}

Result<std::vector<User>> SqliteStore::ListUsers(int offset, int limit) {
  TESSERA_RETURN_IF_ERROR(CheckPage(offset, limit));
  ReadLease lease(*this);
  Query q(lease.conn(), kUserList);
  q.Int(1, limit);
  q.Int(2, offset);
  return ReadAll<User>(q, ReadUser);
}

Status SqliteStore::UpdateUser(const User& user) {
  TESSERA_ASSIGN_OR_RETURN(std::string emails, ToJson(user.emails, "emails"));
  WriteLease lease(*this);
  Query q(lease.conn(), kUserUpdate);
  BindUser(q, user, emails);
  return RunOnExisting(q, "user " + user.id);
}

Status SqliteStore::DeleteUser(const std::string& id) {
  WriteLease lease(*this);
  Query q(lease.conn(), kUserDelete);
  q.Text(1, id);
  return RunOnExisting(q, "user " + id);
}

// ---- Apps.

Status SqliteStore::CreateApp(const App& app) {
  TESSERA_RETURN_IF_ERROR(RequireKey(app.id, "app id"));
  TESSERA_ASSIGN_OR_RETURN(AppJson json, EncodeApp(app));
  WriteLease lease(*this);
  Query q(lease.conn(), kAppInsert);
  BindApp(q, app, json);
  return q.Run();
}

Result<App> SqliteStore::GetApp(const std::string& id) {
  ReadLease lease(*this);
  Query q(lease.conn(), kAppGet);
  q.Text(1, id);
  return ReadOne<App>(q, ReadApp, "app " + id);
}

Result<App> SqliteStore::FindAppByClientId(const std::string& client_id) {
  ReadLease lease(*this);
  Query q(lease.conn(), kAppFindByClientId);
  q.Text(1, client_id);
  return ReadOne<App>(q, ReadApp, "app with client id " + client_id);
}

Result<std::vector<App>> SqliteStore::ListApps(int offset, int limit) {
  TESSERA_RETURN_IF_ERROR(CheckPage(offset, limit));
  ReadLease lease(*this);
  Query q(lease.conn(), kAppList);
  q.Int(1, limit);
  q.Int(2, offset);
  return ReadAll<App>(q, ReadApp);
}

Status SqliteStore::UpdateApp(const App& app) {
  TESSERA_ASSIGN_OR_RETURN(AppJson json, EncodeApp(app));
  WriteLease lease(*this);
  Query q(lease.conn(), kAppUpdate);
  BindApp(q, app, json);
  return RunOnExisting(q, "app " + app.id);
}

Status SqliteStore::DeleteApp(const std::string& id) {
  WriteLease lease(*this);
  Query q(lease.conn(), kAppDelete);
  q.Text(1, id);
  return RunOnExisting(q, "app " + id);
}

// ---- Certificates.

Status SqliteStore::PutCertificate(CertificateKind kind, const CertificateRecord& cert) {
  TESSERA_RETURN_IF_ERROR(RequireKey(cert.alias, "certificate alias"));
  WriteLease lease(*this);
  Query q(lease.conn(), kCertInsert);
  q.Text(1, CertificateKindName(kind));
  q.Text(2, cert.alias);
  q.Blob(3, cert.der);
  q.Text(4, cert.x5t);
  q.Text(5, cert.x5t_s256);
  q.Int(6, cert.not_after);
  q.Int(7, cert.created_at);
  return q.Run();
}

Result<CertificateRecord> SqliteStore::GetCertificate(CertificateKind kind,
                                                      const std::string& alias) {
  ReadLease lease(*this);
  Query q(lease.conn(), kCertGet);
  q.Text(1, CertificateKindName(kind));
  q.Text(2, alias);
  return ReadOne<CertificateRecord>(
      q, ReadCertificate, std::string(CertificateKindName(kind)) + " certificate " + alias);
}

Result<std::vector<CertificateRecord>> SqliteStore::ListCertificates(CertificateKind kind) {
  ReadLease lease(*this);
  Query q(lease.conn(), kCertList);
  q.Text(1, CertificateKindName(kind));
  return ReadAll<CertificateRecord>(q, ReadCertificate);
}

Status SqliteStore::DeleteCertificate(CertificateKind kind, const std::string& alias) {
  WriteLease lease(*this);
  Query q(lease.conn(), kCertDelete);
  q.Text(1, CertificateKindName(kind));
  q.Text(2, alias);
  return RunOnExisting(q, std::string(CertificateKindName(kind)) + " certificate " + alias);
}

// ---- Signing keys.

Status SqliteStore::AddSigningKey(const SigningKeyRecord& key) {
  TESSERA_RETURN_IF_ERROR(RequireKey(key.kid, "kid"));
  WriteLease lease(*this);
  Query q(lease.conn(), kKeyInsert);
  q.Text(1, key.kid);
  q.Text(2, key.alg);
  q.Text(3, key.private_pem);
  q.Blob(4, key.cert_der);
  q.Int(5, key.created_at);
  q.Int(6, key.retired_at);
  q.Int(7, key.publish_until);
  q.Int(8, key.revoked_at);
  return q.Run();
}

Result<std::vector<SigningKeyRecord>> SqliteStore::ListSigningKeys() {
  ReadLease lease(*this);
  Query q(lease.conn(), kKeyList);
  return ReadAll<SigningKeyRecord>(q, ReadSigningKey);
}

Status SqliteStore::RetireOtherKeys(const std::string& active_kid, int64_t now,
                                    int64_t publish_until) {
  WriteLease lease(*this);
  // The check and the update in one write transaction: no other writer (in this process or
  // another) can retire the chosen key between them.
  TESSERA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(lease.conn()));
  {
    Query q(lease.conn(), kKeyRetiredAt);
    q.Text(1, active_kid);
    TESSERA_ASSIGN_OR_RETURN(
        int64_t retired_at,
        ReadOne<int64_t>(
            q, [](const Query& r) { return r.ColumnInt(0); }, "signing key " + active_kid));
    if (retired_at != 0) {
      return Status::FailedPrecondition("signing key " + active_kid + " is retired");
    }
  }
  {
    Query q(lease.conn(), kKeyRetireOthers);
    q.Text(1, active_kid);
    q.Int(2, now);
    q.Int(3, publish_until);
    TESSERA_RETURN_IF_ERROR(q.Run());
  }
  return tx.Commit();
}

Status SqliteStore::RevokeSigningKey(const std::string& kid, int64_t now) {
  WriteLease lease(*this);
  TESSERA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(lease.conn()));
  {
    Query q(lease.conn(), kKeyRetiredAt);
    q.Text(1, kid);
    TESSERA_RETURN_IF_ERROR(
        ReadOne<int64_t>(
            q, [](const Query& r) { return r.ColumnInt(0); }, "signing key " + kid)
            .status());
  }
  {
    Query q(lease.conn(), kKeyRevoke);
    q.Text(1, kid);
    q.Int(2, now);
    TESSERA_RETURN_IF_ERROR(q.Run());
  }
  return tx.Commit();
}

// ---- Trust-token issuers.

Status SqliteStore::PutTrustTokenIssuer(const TrustTokenIssuerRecord& issuer) {
  TESSERA_RETURN_IF_ERROR(RequireKey(issuer.issuer, "issuer"));
  WriteLease lease(*this);
  Query q(lease.conn(), kIssuerInsert);
  q.Text(1, issuer.issuer);
  q.Text(2, issuer.shared_secret);
  q.Text(3, issuer.cert_alias);
  q.Blob(4, issuer.cert_der);
  q.Int(5, issuer.created_at);
  return q.Run();
}

Result<TrustTokenIssuerRecord> SqliteStore::GetTrustTokenIssuer(const std::string& issuer) {
  ReadLease lease(*this);
  Query q(lease.conn(), kIssuerGet);
  q.Text(1, issuer);
  return ReadOne<TrustTokenIssuerRecord>(q, ReadIssuer, "trust-token issuer " + issuer);
}

Result<std::vector<TrustTokenIssuerRecord>> SqliteStore::ListTrustTokenIssuers() {
  ReadLease lease(*this);
  Query q(lease.conn(), kIssuerList);
  return ReadAll<TrustTokenIssuerRecord>(q, ReadIssuer);
}

Status SqliteStore::DeleteTrustTokenIssuer(const std::string& issuer) {
  WriteLease lease(*this);
  Query q(lease.conn(), kIssuerDelete);
  q.Text(1, issuer);
  return RunOnExisting(q, "trust-token issuer " + issuer);
}

// ---- Federation trusts.

Status SqliteStore::CreateFederationTrust(const FederationTrustRecord& trust) {
  TESSERA_RETURN_IF_ERROR(RequireKey(trust.id, "federation trust id"));
  WriteLease lease(*this);
  Query q(lease.conn(), kTrustInsert);
  BindTrust(q, trust);
  return q.Run();
}

Result<FederationTrustRecord> SqliteStore::GetFederationTrust(const std::string& id) {
  ReadLease lease(*this);
  Query q(lease.conn(), kTrustGet);
  q.Text(1, id);
  return ReadOne<FederationTrustRecord>(q, ReadTrust, "federation trust " + id);
}

Result<std::vector<FederationTrustRecord>> SqliteStore::ListFederationTrusts() {
  ReadLease lease(*this);
  Query q(lease.conn(), kTrustList);
  return ReadAll<FederationTrustRecord>(q, ReadTrust);
}

Result<std::vector<FederationTrustRecord>> SqliteStore::FindFederationTrustsByIssuer(
    const std::string& issuer) {
  ReadLease lease(*this);
  Query q(lease.conn(), kTrustFindByIssuer);
  q.Text(1, issuer);
  return ReadAll<FederationTrustRecord>(q, ReadTrust);
}

Status SqliteStore::UpdateFederationTrust(const FederationTrustRecord& trust) {
  WriteLease lease(*this);
  Query q(lease.conn(), kTrustUpdate);
  BindTrust(q, trust);
  return RunOnExisting(q, "federation trust " + trust.id);
}

Status SqliteStore::DeleteFederationTrust(const std::string& id) {
  WriteLease lease(*this);
  Query q(lease.conn(), kTrustDelete);
  q.Text(1, id);
  return RunOnExisting(q, "federation trust " + id);
}

// ---- Replay.

Result<bool> SqliteStore::ConsumeJti(const std::string& issuer, const std::string& jti,
                                     int64_t expires_at) {
  WriteLease lease(*this);
  Query q(lease.conn(), kJtiInsert);
  q.Text(1, issuer);
  q.Text(2, jti);
  q.Int(3, expires_at);
  TESSERA_RETURN_IF_ERROR(q.Run());
  // Read under the lease: the next statement on this connection would overwrite the count.
  return q.Changes() == 1;
}

Result<std::vector<bool>> SqliteStore::ConsumeJtis(const std::vector<JtiRecord>& records) {
  std::vector<bool> fresh;
  fresh.reserve(records.size());
  if (records.empty()) return fresh;
  WriteLease lease(*this);
  // One transaction: the pages the inserts touch are written to the WAL once per batch, not
  // once per insert, and a process crash keeps all of the batch or none of it.
  TESSERA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(lease.conn()));
  for (const JtiRecord& r : records) {
    Query q(lease.conn(), kJtiInsert);
    q.Text(1, r.issuer);
    q.Text(2, r.jti);
    q.Int(3, r.expires_at);
    TESSERA_RETURN_IF_ERROR(q.Run());
    fresh.push_back(q.Changes() == 1);
  }
  TESSERA_RETURN_IF_ERROR(tx.Commit());
  return fresh;
}

Result<bool> SqliteStore::IsJtiUsed(const std::string& issuer, const std::string& jti) {
  ReadLease lease(*this);
  Query q(lease.conn(), kJtiGet);
  q.Text(1, issuer);
  q.Text(2, jti);
  return q.Step();
}

Result<int> SqliteStore::PurgeExpiredJtis(int64_t now, int limit) {
  TESSERA_RETURN_IF_ERROR(CheckLimit(limit));
  WriteLease lease(*this);
  Query q(lease.conn(), kJtiPurge);
  q.Int(1, now);
  q.Int(2, limit);
  TESSERA_RETURN_IF_ERROR(q.Run());
  return q.Changes();
}

// ---- Revocations.

Status SqliteStore::RevokeToken(const std::string& jti, int64_t expires_at) {
  TESSERA_RETURN_IF_ERROR(RequireKey(jti, "jti"));
  WriteLease lease(*this);
  Query q(lease.conn(), kRevocationUpsert);
  q.Text(1, jti);
  q.Int(2, expires_at);
  return q.Run();
}

Result<bool> SqliteStore::IsRevoked(const std::string& jti) {
  ReadLease lease(*this);
  Query q(lease.conn(), kRevocationGet);
  q.Text(1, jti);
  return q.Step();
}

Result<int> SqliteStore::PurgeExpiredRevocations(int64_t now, int limit) {
  TESSERA_RETURN_IF_ERROR(CheckLimit(limit));
  WriteLease lease(*this);
  Query q(lease.conn(), kRevocationPurge);
  q.Int(1, now);
  q.Int(2, limit);
  TESSERA_RETURN_IF_ERROR(q.Run());
  return q.Changes();
}

// ---- Audit.

namespace {
Status InsertAudit(const Connection& conn, const AuditEvent& event) {
  Query q(conn, kAuditInsert);
  q.Int(1, event.time);
  q.Text(2, event.ecid);
  q.Text(3, event.client_id);
  q.Text(4, event.subject);
  q.Text(5, event.grant);
  q.Text(6, event.outcome);
  q.Text(7, event.reason);
  return q.Run();
}
}  // namespace

Status SqliteStore::AppendAudit(const AuditEvent& event) {
  WriteLease lease(*this);
  return InsertAudit(lease.conn(), event);
}

Status SqliteStore::AppendAudits(const std::vector<AuditEvent>& events) {
  if (events.empty()) return Status::Ok();
  WriteLease lease(*this);
  TESSERA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(lease.conn()));
  for (const auto& e : events) TESSERA_RETURN_IF_ERROR(InsertAudit(lease.conn(), e));
  return tx.Commit();
}

namespace {

// Parameters 1-6 of the audit list and count statements: client, outcome, since, until, grant and
// reason code; NULL where the filter leaves one open.
void BindAuditFilter(Query& q, const AuditFilter& filter) {
  auto text = [&q](int i, const std::optional<std::string>& v) { v ? q.Text(i, *v) : q.Null(i); };
  auto time = [&q](int i, const std::optional<int64_t>& v) { v ? q.Int(i, *v) : q.Null(i); };
  text(1, filter.client_id);
  text(2, filter.outcome);
  time(3, filter.since);
  time(4, filter.until);
  text(5, filter.grant);
  text(6, filter.reason_code);
}

}  // namespace

Result<std::vector<AuditEvent>> SqliteStore::ListAudit(const AuditFilter& filter) {
  TESSERA_RETURN_IF_ERROR(CheckLimit(filter.limit));
  ReadLease lease(*this);
  Query q(lease.conn(), kAuditList);
  BindAuditFilter(q, filter);
  q.Int(7, filter.limit);
  return ReadAll<AuditEvent>(q, ReadAudit);
}

Result<int> SqliteStore::PurgeAuditBefore(int64_t before, int limit) {
  TESSERA_RETURN_IF_ERROR(CheckLimit(limit));
  WriteLease lease(*this);
  Query q(lease.conn(), kAuditPurge);
  q.Int(1, before);
  q.Int(2, limit);
  TESSERA_RETURN_IF_ERROR(q.Run());
  return q.Changes();
}

// ---- Certificate use and audit totals.

Status SqliteStore::RecordCertificateUse(CertificateKind kind, const std::string& alias,
                                         int64_t at) {
  WriteLease lease(*this);
  Query q(lease.conn(), kCertRecordUse);
  q.Text(1, CertificateKindName(kind));
  q.Text(2, alias);
  q.Int(3, at);
  return q.Run();
}

Result<std::map<std::string, int64_t>> SqliteStore::ListCertificateUses(CertificateKind kind) {
  using Use = std::pair<std::string, int64_t>;
  ReadLease lease(*this);
  Query q(lease.conn(), kCertUses);
  q.Text(1, CertificateKindName(kind));
  Result<std::vector<Use>> rows =
      ReadAll<Use>(q, [](const Query& r) { return Use(r.ColumnText(0), r.ColumnInt(1)); });
  TESSERA_RETURN_IF_ERROR(rows.status());
  return std::map<std::string, int64_t>(rows->begin(), rows->end());
}

Result<int64_t> SqliteStore::CountAudit(const AuditFilter& filter) {
  ReadLease lease(*this);
  Query q(lease.conn(), kAuditCount);
  BindAuditFilter(q, filter);
  return ReadOne<int64_t>(
      q, [](const Query& r) { return r.ColumnInt(0); }, "audit count");
}

Result<std::vector<ReasonCount>> SqliteStore::CountRejectionsByReason(int64_t since, int64_t until,
                                                                      int limit) {
  TESSERA_RETURN_IF_ERROR(CheckLimit(limit));
  ReadLease lease(*this);
  Query q(lease.conn(), kAuditReasonCounts);
  q.Int(1, since);
  q.Int(2, until);
  q.Int(3, limit);
  return ReadAll<ReasonCount>(q, [](const Query& r) {
    return ReasonCount{r.ColumnText(0), r.ColumnInt(1)};
  });
}

// ---- Console operators and sessions.

Status SqliteStore::CreateOperator(const Operator& op) {
  TESSERA_RETURN_IF_ERROR(RequireKey(op.id, "operator id"));
  WriteLease lease(*this);
  Query q(lease.conn(), kOperatorInsert);
  BindOperator(q, op);
  return q.Run();
}

Result<Operator> SqliteStore::GetOperator(const std::string& id) {
  ReadLease lease(*this);
  Query q(lease.conn(), kOperatorGet);
  q.Text(1, id);
  return ReadOne<Operator>(q, ReadOperator, "operator " + id);
}

Result<Operator> SqliteStore::FindOperatorByName(const std::string& user_name) {
  ReadLease lease(*this);
  Query q(lease.conn(), kOperatorFindByName);
  q.Text(1, user_name);
  return ReadOne<Operator>(q, ReadOperator, "operator named " + user_name);
}

Result<std::vector<Operator>> SqliteStore::ListOperators() {
  ReadLease lease(*this);
  Query q(lease.conn(), kOperatorList);
  return ReadAll<Operator>(q, ReadOperator);
}

Status SqliteStore::UpdateOperator(const Operator& op) {
  WriteLease lease(*this);
  Query q(lease.conn(), kOperatorUpdate);
  BindOperator(q, op);
  return RunOnExisting(q, "operator " + op.id);
}

Status SqliteStore::DeleteOperator(const std::string& id) {
  WriteLease lease(*this);
  TESSERA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(lease.conn()));
  {
    Query q(lease.conn(), kOperatorDelete);
    q.Text(1, id);
    TESSERA_RETURN_IF_ERROR(RunOnExisting(q, "operator " + id));
  }
  {
    Query q(lease.conn(), kSessionDeleteOfOperator);
    q.Text(1, id);
    q.Text(2, "");
    TESSERA_RETURN_IF_ERROR(q.Run());
  }
  return tx.Commit();
}

Status SqliteStore::CreateConsoleSession(const ConsoleSession& session) {
  TESSERA_RETURN_IF_ERROR(RequireKey(session.id, "session id"));
  WriteLease lease(*this);
  Query q(lease.conn(), kSessionInsert);
  q.Text(1, session.id);
  q.Text(2, session.operator_id);
  q.Int(3, session.created_at);
  q.Int(4, session.last_seen_at);
  q.Int(5, session.expires_at);
  return q.Run();
}

Result<ConsoleSession> SqliteStore::GetConsoleSession(const std::string& id) {
  ReadLease lease(*this);
  Query q(lease.conn(), kSessionGet);
  q.Text(1, id);
  return ReadOne<ConsoleSession>(q, ReadSession, "console session");
}

Status SqliteStore::TouchConsoleSession(const std::string& id, int64_t last_seen_at) {
  WriteLease lease(*this);
  Query q(lease.conn(), kSessionTouch);
  q.Text(1, id);
  q.Int(2, last_seen_at);
  return RunOnExisting(q, "console session");
}

Status SqliteStore::DeleteConsoleSession(const std::string& id) {
  WriteLease lease(*this);
  Query q(lease.conn(), kSessionDelete);
  q.Text(1, id);
  return RunOnExisting(q, "console session");
}

Result<int> SqliteStore::DeleteOperatorSessions(const std::string& operator_id,
                                                const std::string& keep_id) {
  WriteLease lease(*this);
  Query q(lease.conn(), kSessionDeleteOfOperator);
  q.Text(1, operator_id);
  q.Text(2, keep_id);
  TESSERA_RETURN_IF_ERROR(q.Run());
  return q.Changes();
}

Result<int> SqliteStore::PurgeConsoleSessions(int64_t now, int64_t idle_before, int limit) {
  TESSERA_RETURN_IF_ERROR(CheckLimit(limit));
  WriteLease lease(*this);
  Query q(lease.conn(), kSessionPurge);
  q.Int(1, now);
  q.Int(2, idle_before);
  q.Int(3, limit);
  TESSERA_RETURN_IF_ERROR(q.Run());
  return q.Changes();
}

}  // namespace tessera::store
