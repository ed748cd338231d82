#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_error.h"

namespace tessera::store {
namespace {

using sqlite_internal::kMigrations;

// Every statement the store runs. Each connection prepares all of them once, at Open; a call
// binds, steps and resets one, and never prepares.
enum Stmt : int {
  kSchemaVersion,
  kBeginImmediate,
  kCommit,
  kRollback,
  kUserInsert,
  kUserGet,
  kUserFindByName,
  kUserList,
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
  kCertFindByX5t,
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
  kNumStmts,
};

#define USER_COLUMNS \
  "id, user_name, given_name, family_name, emails, active, created_at, updated_at"
#define APP_COLUMNS                                                                           \
  "id, client_id, display_name, description, kind, active, is_admin, secret_hash,"            \
  " allowed_grants, allowed_scopes, certificate_aliases, allowed_operations, assertion_algs," \
  " require_jti, access_token_expiry, audience, scopes, created_at, updated_at"
#define CERT_COLUMNS "alias, der, x5t, x5t_s256, not_after, created_at"
#define KEY_COLUMNS \
  "kid, alg, private_pem, cert_der, created_at, retired_at, publish_until, revoked_at"
#define ISSUER_COLUMNS "issuer, shared_secret, cert_alias, cert_der, created_at"
#define AUDIT_COLUMNS "id, time, ecid, client_id, subject, grant_type, outcome, reason"

constexpr std::array<const char*, kNumStmts> kSql = {
    // kSchemaVersion
    "SELECT coalesce(max(version), 0) FROM schema_version",
    // kBeginImmediate: takes the write lock at once, so a transaction that reads before it
    // writes never fails to upgrade its lock halfway (SQLITE_BUSY without waiting).
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    // Users.
    "INSERT INTO users (" USER_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    "SELECT " USER_COLUMNS " FROM users WHERE id = ?1",
    "SELECT " USER_COLUMNS " FROM users WHERE user_name = ?1",
    "SELECT " USER_COLUMNS " FROM users ORDER BY user_name LIMIT ?1 OFFSET ?2",
    "UPDATE users SET user_name = ?2, given_name = ?3, family_name = ?4, emails = ?5,"
    " active = ?6, updated_at = ?8 WHERE id = ?1",
    "DELETE FROM users WHERE id = ?1",
    // Apps.
    "INSERT INTO apps (" APP_COLUMNS
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
    " ?19)",
    "SELECT " APP_COLUMNS " FROM apps WHERE id = ?1",
    "SELECT " APP_COLUMNS " FROM apps WHERE client_id = ?1 AND client_id <> ''",
    "SELECT " APP_COLUMNS " FROM apps ORDER BY created_at, id LIMIT ?1 OFFSET ?2",
    "UPDATE apps SET client_id = ?2, display_name = ?3, description = ?4, kind = ?5, active = ?6,"
    " is_admin = ?7, secret_hash = ?8, allowed_grants = ?9, allowed_scopes = ?10,"
    " certificate_aliases = ?11, allowed_operations = ?12, assertion_algs = ?13,"
    " require_jti = ?14, access_token_expiry = ?15, audience = ?16, scopes = ?17,"
    " updated_at = ?19 WHERE id = ?1",
    "DELETE FROM apps WHERE id = ?1",
    // Certificates.
    "INSERT INTO certificates (kind, " CERT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    "SELECT " CERT_COLUMNS " FROM certificates WHERE kind = ?1 AND alias = ?2",
    "SELECT " CERT_COLUMNS " FROM certificates WHERE kind = ?1 ORDER BY alias",
    "DELETE FROM certificates WHERE kind = ?1 AND alias = ?2",
    "SELECT " CERT_COLUMNS " FROM certificates WHERE x5t = ?2 AND kind = ?1 ORDER BY alias",
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
    " ORDER BY time DESC, id DESC LIMIT ?5",
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
    " AND (?3 IS NULL OR time >= ?3) AND (?4 IS NULL OR time <= ?4)",
};

constexpr const char* kCreateSchemaVersion =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY NOT NULL,"
    " name TEXT NOT NULL,"
    " applied_at INTEGER NOT NULL)";
constexpr const char* kRecordVersion =
    "INSERT INTO schema_version (version, name, applied_at) VALUES (?1, ?2, CAST(strftime('%s', "
    "'now') AS INTEGER))";

Status ErrnoStatus(std::string_view what, const std::string& path, int err) {
  std::string message(what);
  message += " ";
  message += path;
  message += ": ";
  message += std::strerror(err);
  return Status::Unavailable(std::move(message));
}

}  // namespace

// One sqlite3 handle and its prepared statements. Used by one thread at a time (the store's
// leases guarantee it), so the handle is opened with SQLITE_OPEN_NOMUTEX.
class SqliteStore::Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const std::string& path,
                                                  const SqliteOptions& options, bool writer) {
    auto conn = std::unique_ptr<Connection>(new Connection());
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    const int rc = sqlite3_open_v2(path.c_str(), &conn->db_, flags, nullptr);
    if (rc != SQLITE_OK) {
      return SqliteError(rc, conn->db_, "opening " + path);
    }
    sqlite3_extended_result_codes(conn->db_, 1);
    // Set before anything that may wait for a lock, including journal_mode below.
    sqlite3_busy_timeout(conn->db_, static_cast<int>(options.busy_timeout.count()));
    if (writer) {
      // journal_mode is persistent in the file; only the writer sets it, and it must answer
      // "wal" (it answers the old mode when it cannot switch, e.g. on a read-only medium).
      TESSERA_ASSIGN_OR_RETURN(std::string mode, conn->QueryText("PRAGMA journal_mode = WAL"));
      if (mode != "wal") {
        return Status::Internal("cannot put " + path + " in WAL mode (journal_mode is " + mode +
                                ")");
      }
      TESSERA_RETURN_IF_ERROR(conn->Exec(options.synchronous == SqliteOptions::Synchronous::kFull
                                             ? "PRAGMA synchronous = FULL"
                                             : "PRAGMA synchronous = NORMAL"));
    } else {
      // A reader never writes; if a bug ever routed a write here it fails loudly.
      TESSERA_RETURN_IF_ERROR(conn->Exec("PRAGMA query_only = ON"));
    }
    TESSERA_RETURN_IF_ERROR(conn->Exec("PRAGMA foreign_keys = ON"));
    return conn;
  }

  ~Connection() {
    for (sqlite3_stmt* stmt : stmts_) sqlite3_finalize(stmt);  // null is a no-op
    sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }
  sqlite3_stmt* stmt(Stmt id) const { return stmts_[id]; }

  // REQUIRES: the schema is migrated.
  Status PrepareAll() {
    for (int i = 0; i < kNumStmts; ++i) {
      const int rc =
          sqlite3_prepare_v3(db_, kSql[i], -1, SQLITE_PREPARE_PERSISTENT, &stmts_[i], nullptr);
      if (rc != SQLITE_OK) return SqliteError(rc, db_, std::string("preparing ") + kSql[i]);
    }
    return Status::Ok();
  }

  // Runs `sql` (one or more statements, no results) outside the cache: for set-up only.
  Status Exec(const char* sql) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(rc, db_, std::string("running ") + sql);
    return Status::Ok();
  }

  // The first column of the first row of `sql`, as text: for set-up only.
  Result<std::string> QueryText(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(rc, db_, std::string("preparing ") + sql);
    rc = sqlite3_step(stmt);
    std::string text;
    if (rc == SQLITE_ROW) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      if (p != nullptr) text.assign(p, static_cast<size_t>(sqlite3_column_bytes(stmt, 0)));
    }
    Status status = (rc == SQLITE_ROW || rc == SQLITE_DONE)
                        ? Status::Ok()
                        : SqliteError(rc, db_, std::string("running ") + sql);
    sqlite3_finalize(stmt);
    TESSERA_RETURN_IF_ERROR(status);
    return text;
  }

 private:
  Connection() = default;

  sqlite3* db_ = nullptr;
  std::array<sqlite3_stmt*, kNumStmts> stmts_{};
};

namespace {

using Connection = SqliteStore::Connection;

// One use of a cached statement: bind, step, read columns; the destructor resets it and clears
// its bindings so the cached statement is ready for the next call and holds no read snapshot.
// Text and blobs are bound without copying (SQLITE_STATIC): the caller's strings outlive the
// Query. A bind error is kept and reported by the first Step.
class Query {
 public:
  Query(const Connection& conn, Stmt id) : db_(conn.db()), stmt_(conn.stmt(id)), id_(id) {}
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  void Text(int index, std::string_view value) {
    if (!FitsInt(value)) return;
    // data() of an empty view may be null, which SQLite would store as NULL, not ''.
    Check(sqlite3_bind_text(stmt_, index, value.empty() ? "" : value.data(),
                            static_cast<int>(value.size()), SQLITE_STATIC));
  }
  void Blob(int index, std::string_view value) {
    if (!FitsInt(value)) return;
    Check(sqlite3_bind_blob(stmt_, index, value.empty() ? "" : value.data(),
                            static_cast<int>(value.size()), SQLITE_STATIC));
  }
  void Int(int index, int64_t value) { Check(sqlite3_bind_int64(stmt_, index, value)); }
  void Null(int index) { Check(sqlite3_bind_null(stmt_, index)); }

  // Steps once: true with a row to read, false when the statement is done.
  Result<bool> Step() {
    TESSERA_RETURN_IF_ERROR(bind_status_);
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(rc, db_, Context());
  }
  // Steps a statement that returns no rows.
  Status Run() {
    TESSERA_ASSIGN_OR_RETURN(bool row, Step());
    if (row) return Status::Internal(Context() + ": returned an unexpected row");
    return Status::Ok();
  }
  // Rows changed by the statement just run.
  int Changes() const { return sqlite3_changes(db_); }

  int64_t ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string ColumnText(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    if (p == nullptr) return std::string();
    return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  std::string ColumnBlob(int col) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    if (p == nullptr) return std::string();  // a zero-length blob reads back as null
    return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }

 private:
  bool FitsInt(std::string_view value) {
    if (value.size() <= static_cast<size_t>(INT_MAX)) return true;
    if (bind_status_.ok()) bind_status_ = Status::InvalidArgument(Context() + ": value too large");
    return false;
  }
  void Check(int rc) {
    if (rc != SQLITE_OK && bind_status_.ok()) {
      bind_status_ = SqliteError(rc, db_, Context() + ": binding");
    }
  }
  std::string Context() const { return std::string("statement ") + kSql[id_]; }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  Stmt id_;
  Status bind_status_;
};

// A write transaction on the writer connection (BEGIN IMMEDIATE); rolled back unless committed.
class Transaction {
 public:
  static Result<Transaction> Begin(const Connection& conn) {
    TESSERA_RETURN_IF_ERROR(Query(conn, kBeginImmediate).Run());
    return Transaction(conn);
  }
  Transaction(Transaction&& other) noexcept : conn_(other.conn_), open_(other.open_) {
    other.open_ = false;
  }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction() {
    // A failed rollback leaves nothing to do: SQLite rolls back on its own when a statement
    // error aborts the transaction, and the next BEGIN would report a stuck one.
    if (open_) (void)Query(*conn_, kRollback).Run();
  }
  Status Commit() {
    TESSERA_RETURN_IF_ERROR(Query(*conn_, kCommit).Run());
    open_ = false;
    return Status::Ok();
  }

 private:
  explicit Transaction(const Connection& conn) : conn_(&conn) {}
  const Connection* conn_;
  bool open_ = true;
};

Status RequireKey(std::string_view value, std::string_view what) {
  if (value.empty()) return Status::InvalidArgument(std::string(what) + " must not be empty");
  return Status::Ok();
}

Status CheckPage(int offset, int limit) {
  if (offset < 0 || limit < 0) {
    return Status::InvalidArgument("offset and limit must not be negative");
  }
  return Status::Ok();
}

Status CheckLimit(int limit) {
  // SQLite reads a negative LIMIT as "no limit"; refuse it rather than purge everything.
  if (limit < 0) return Status::InvalidArgument("limit must not be negative");
  return Status::Ok();
}

Result<std::string> ToJson(const std::vector<std::string>& values, std::string_view field) {
  try {
    return nlohmann::json(values).dump();
  } catch (const nlohmann::json::exception& e) {
    // dump() throws on invalid UTF-8.
    return Status::InvalidArgument(std::string(field) + ": " + e.what());
  }
}

Result<std::vector<std::string>> FromJson(const std::string& text, std::string_view field) {
  try {
    return nlohmann::json::parse(text).get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    return Status::Internal("stored " + std::string(field) +
                            " is not a JSON string array: " + e.what());
  }
}

const char* AppKindName(AppKind kind) {
  switch (kind) {
    case AppKind::kConfidential:
      return "confidential";
    case AppKind::kResource:
      return "resource";
  }
  return "";  // not reached: the switch is exhaustive and -Wswitch checks it
}

const char* CertificateKindName(CertificateKind kind) {
  switch (kind) {
    case CertificateKind::kClient:
      return "client";
    case CertificateKind::kPartner:
      return "partner";
  }
  return "";
}

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
  const std::string kind = q.ColumnText(4);
  if (kind == "confidential") {
    app.kind = AppKind::kConfidential;
  } else if (kind == "resource") {
    app.kind = AppKind::kResource;
  } else {
    return Status::Internal("stored app kind is unknown: " + kind);
  }
  app.active = q.ColumnInt(5) != 0;
  app.is_admin = q.ColumnInt(6) != 0;
  app.secret_hash = q.ColumnText(7);
  TESSERA_ASSIGN_OR_RETURN(app.allowed_grants, FromJson(q.ColumnText(8), "allowed_grants"));
  TESSERA_ASSIGN_OR_RETURN(app.allowed_scopes, FromJson(q.ColumnText(9), "allowed_scopes"));
  TESSERA_ASSIGN_OR_RETURN(app.certificate_aliases,
                           FromJson(q.ColumnText(10), "certificate_aliases"));
  TESSERA_ASSIGN_OR_RETURN(app.allowed_operations,
                           FromJson(q.ColumnText(11), "allowed_operations"));
  TESSERA_ASSIGN_OR_RETURN(app.assertion_algs, FromJson(q.ColumnText(12), "assertion_algs"));
  app.require_jti = q.ColumnInt(13) != 0;
  app.access_token_expiry = q.ColumnInt(14);
  app.audience = q.ColumnText(15);
  TESSERA_ASSIGN_OR_RETURN(app.scopes, FromJson(q.ColumnText(16), "scopes"));
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

// The JSON texts of an app's vector fields, in column order 9..13 and 17.
struct AppJson {
  std::string allowed_grants, allowed_scopes, certificate_aliases, allowed_operations,
      assertion_algs, scopes;
};

Result<AppJson> EncodeApp(const App& app) {
  AppJson j;
  TESSERA_ASSIGN_OR_RETURN(j.allowed_grants, ToJson(app.allowed_grants, "allowed_grants"));
  TESSERA_ASSIGN_OR_RETURN(j.allowed_scopes, ToJson(app.allowed_scopes, "allowed_scopes"));
  TESSERA_ASSIGN_OR_RETURN(j.certificate_aliases,
                           ToJson(app.certificate_aliases, "certificate_aliases"));
  TESSERA_ASSIGN_OR_RETURN(j.allowed_operations,
                           ToJson(app.allowed_operations, "allowed_operations"));
  TESSERA_ASSIGN_OR_RETURN(j.assertion_algs, ToJson(app.assertion_algs, "assertion_algs"));
  TESSERA_ASSIGN_OR_RETURN(j.scopes, ToJson(app.scopes, "scopes"));
  return j;
}

// Binds ?1..?19 in APP_COLUMNS order (the update statement skips ?18, created_at).
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

// Creates the directories of `dir` that are missing, owner-only.
Status MakeDirectories(const std::filesystem::path& dir) {
  if (dir.empty()) return Status::Ok();
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return Status::Ok();
  TESSERA_RETURN_IF_ERROR(MakeDirectories(dir.parent_path()));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoStatus("cannot create directory", dir.string(), errno);
  }
  return Status::Ok();
}

// Applies the embedded migrations that `conn`'s database lacks, each in its own transaction.
// Another process may migrate at the same time: the version is read inside the write
// transaction, so each migration is applied exactly once.
Status Migrate(Connection& conn) {
  TESSERA_RETURN_IF_ERROR(conn.Exec(kCreateSchemaVersion));
  constexpr int kLatest = static_cast<int>(std::size(kMigrations));
  while (true) {
    TESSERA_RETURN_IF_ERROR(conn.Exec("BEGIN IMMEDIATE"));
    // Rolls back on every early return; disarmed after COMMIT.
    bool open = true;
    struct Rollback {
      Connection& conn;
      bool& open;
      ~Rollback() {
        if (open) (void)conn.Exec("ROLLBACK");
      }
    } rollback{conn, open};

    TESSERA_ASSIGN_OR_RETURN(
        std::string text, conn.QueryText("SELECT coalesce(max(version), 0) FROM schema_version"));
    const int current = std::stoi(text);
    if (current > kLatest) {
      return Status::FailedPrecondition("database schema version " + std::to_string(current) +
                                        " is newer than this build supports (" +
                                        std::to_string(kLatest) + "); run a newer Tessera");
    }
    if (current == kLatest) return Status::Ok();

    const auto& migration = kMigrations[current];  // version current + 1
    TESSERA_RETURN_IF_ERROR(conn.Exec(migration.sql));
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(conn.db(), kRecordVersion, -1, &stmt, nullptr);
    if (rc == SQLITE_OK) {
      sqlite3_bind_int(stmt, 1, migration.version);
      sqlite3_bind_text(stmt, 2, migration.name, -1, SQLITE_STATIC);
      rc = sqlite3_step(stmt);
    }
    Status recorded = rc == SQLITE_DONE
                          ? Status::Ok()
                          : SqliteError(rc, conn.db(), std::string("recording ") + migration.name);
    sqlite3_finalize(stmt);
    TESSERA_RETURN_IF_ERROR(recorded);
    TESSERA_RETURN_IF_ERROR(conn.Exec("COMMIT"));
    open = false;
  }
}

}  // namespace

// Exclusive use of the writer connection for one call.
class SqliteStore::WriteLease {
 public:
  explicit WriteLease(SqliteStore& store) : lock_(store.write_mu_), conn_(*store.writer_) {}
  const Connection& conn() const { return conn_; }

 private:
  std::lock_guard<std::mutex> lock_;
  const Connection& conn_;
};

// Exclusive use of one pooled reader for one call; waits while all are in use.
class SqliteStore::ReadLease {
 public:
  explicit ReadLease(SqliteStore& store) : store_(store) {
    std::unique_lock<std::mutex> lock(store_.pool_mu_);
    store_.pool_cv_.wait(lock, [this] { return !store_.idle_readers_.empty(); });
    conn_ = store_.idle_readers_.back();
    store_.idle_readers_.pop_back();
  }
  ~ReadLease() {
    {
      std::lock_guard<std::mutex> lock(store_.pool_mu_);
      store_.idle_readers_.push_back(conn_);
    }
    store_.pool_cv_.notify_one();
  }
  ReadLease(const ReadLease&) = delete;
  ReadLease& operator=(const ReadLease&) = delete;
  const Connection& conn() const { return *conn_; }

 private:
  SqliteStore& store_;
  Connection* conn_ = nullptr;
};

SqliteStore::SqliteStore() = default;

SqliteStore::~SqliteStore() {
  if (checkpoint_thread_.joinable()) {
    {
      std::lock_guard lock(checkpoint_mu_);
      checkpoint_stop_ = true;
    }
    checkpoint_cv_.notify_one();
    checkpoint_thread_.join();
  }
}

int SqliteStore::OnWalCommit(void* store, sqlite3* /*db*/, const char* /*name*/, int frames) {
  auto* self = static_cast<SqliteStore*>(store);
  const int copied = self->checkpointed_frames_.load(std::memory_order_relaxed);
  // A log shorter than what was copied has started over from its beginning.
  const int uncopied = frames >= copied ? frames - copied : frames;
  if (uncopied >= self->checkpoint_pages_) {
    bool wake = false;
    {
      std::lock_guard lock(self->checkpoint_mu_);
      wake = !self->checkpoint_due_;
      self->checkpoint_due_ = true;
    }
    if (wake) self->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteStore::RunCheckpointer() {
  std::unique_lock lock(checkpoint_mu_);
  for (;;) {
    checkpoint_cv_.wait(lock, [this] { return checkpoint_due_ || checkpoint_stop_; });
    if (checkpoint_stop_) return;
    lock.unlock();
    Checkpoint();
    lock.lock();
    // Commits made while it ran asked for this same checkpoint; a log still too long after it
    // asks again at the next commit.
    checkpoint_due_ = false;
  }
}

void SqliteStore::Checkpoint() {
  int log_frames = 0;
  int copied = 0;
  // PASSIVE: copies what no reader still needs and never waits for the writer; the copying and
  // both fsyncs happen here, while writes go on.
  auto pass = [&] {
    return sqlite3_wal_checkpoint_v2(checkpointer_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                     &log_frames, &copied);
  };
  int rc = pass();
  if (rc == SQLITE_OK && log_frames >= kLogLimitFactor * checkpoint_pages_) {
    // A write starts the log over from its beginning only if every frame was in the database
    // when it began, which under steady writes never happens by itself: a write is always
    // under way. Past the limit, more passes without the lock copy what the writes added
    // meanwhile, each shorter than the last, until little is added; then one pass with writes
    // held off copies the rest (a short stall) and the next write starts the log over.
    for (int i = 0; i < kMaxCatchUpPasses && rc == SQLITE_OK; ++i) {
      const int before = log_frames;
      rc = pass();
      if (log_frames - before <= kFewFrames) break;
    }
    if (rc == SQLITE_OK) {
      WriteLease lease(*this);
      rc = pass();
    }
  }
  // SQLITE_BUSY: another process is checkpointing. On any failure the next commit asks again.
  checkpointed_frames_.store(rc == SQLITE_OK ? copied : 0, std::memory_order_relaxed);
}

int SqliteStore::LatestSchemaVersion() { return static_cast<int>(std::size(kMigrations)); }

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       const SqliteOptions& options) {
  if (path.empty()) return Status::InvalidArgument("SQLite database path is empty");
  if (options.read_connections < 1) {
    return Status::InvalidArgument("SqliteOptions.read_connections must be at least 1");
  }
  if (options.checkpoint_pages < 1 || options.checkpoint_pages > INT_MAX / kLogLimitFactor) {
    return Status::InvalidArgument("SqliteOptions.checkpoint_pages is out of range");
  }
  if (options.busy_timeout.count() < 0 || options.busy_timeout.count() > INT_MAX) {
    return Status::InvalidArgument("SqliteOptions.busy_timeout is out of range");
  }
  // The connections are used by one thread at a time, but the library itself must be built
  // thread-safe for several connections to run in parallel.
  if (sqlite3_threadsafe() == 0) {
    return Status::Internal("the SQLite library was built without thread support");
  }

  TESSERA_RETURN_IF_ERROR(MakeDirectories(std::filesystem::path(path).parent_path()));
  // Create the file ourselves so it is owner-only whatever the umask; SQLite then creates the
  // -wal and -shm files with the same mode as the database file.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("cannot open", path, errno);
  ::close(fd);

  auto store = std::unique_ptr<SqliteStore>(new SqliteStore());
  TESSERA_ASSIGN_OR_RETURN(store->writer_, Connection::Open(path, options, /*writer=*/true));
  TESSERA_RETURN_IF_ERROR(Migrate(*store->writer_));
  TESSERA_RETURN_IF_ERROR(store->writer_->PrepareAll());
  // A connection of its own that may write (a checkpoint writes the database file) and syncs as
  // the writer does. Installing the hook also turns off SQLite's automatic checkpoint, which
  // would run inside the writer's commit.
  TESSERA_ASSIGN_OR_RETURN(store->checkpointer_, Connection::Open(path, options, /*writer=*/true));
  store->checkpoint_pages_ = options.checkpoint_pages;
  sqlite3_wal_hook(store->writer_->db(), &SqliteStore::OnWalCommit, store.get());
  store->checkpoint_thread_ = std::thread([s = store.get()] { s->RunCheckpointer(); });
  for (int i = 0; i < options.read_connections; ++i) {
    TESSERA_ASSIGN_OR_RETURN(auto reader, Connection::Open(path, options, /*writer=*/false));
    TESSERA_RETURN_IF_ERROR(reader->PrepareAll());
    store->idle_readers_.push_back(reader.get());
    store->readers_.push_back(std::move(reader));
  }
  return store;
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

Result<std::vector<CertificateRecord>> SqliteStore::FindCertificatesByX5t(CertificateKind kind,
                                                                          const std::string& x5t) {
  ReadLease lease(*this);
  Query q(lease.conn(), kCertFindByX5t);
  q.Text(1, CertificateKindName(kind));
  q.Text(2, x5t);
  return ReadAll<CertificateRecord>(q, ReadCertificate);
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

Result<std::vector<AuditEvent>> SqliteStore::ListAudit(const AuditFilter& filter) {
  TESSERA_RETURN_IF_ERROR(CheckLimit(filter.limit));
  ReadLease lease(*this);
  Query q(lease.conn(), kAuditList);
  if (filter.client_id) {
    q.Text(1, *filter.client_id);
  } else {
    q.Null(1);
  }
  if (filter.outcome) {
    q.Text(2, *filter.outcome);
  } else {
    q.Null(2);
  }
  if (filter.since) {
    q.Int(3, *filter.since);
  } else {
    q.Null(3);
  }
  if (filter.until) {
    q.Int(4, *filter.until);
  } else {
    q.Null(4);
  }
  q.Int(5, filter.limit);
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
  if (filter.client_id) {
    q.Text(1, *filter.client_id);
  } else {
    q.Null(1);
  }
  if (filter.outcome) {
    q.Text(2, *filter.outcome);
  } else {
    q.Null(2);
  }
  if (filter.since) {
    q.Int(3, *filter.since);
  } else {
    q.Null(3);
  }
  if (filter.until) {
    q.Int(4, *filter.until);
  } else {
    q.Null(4);
  }
  return ReadOne<int64_t>(
      q, [](const Query& r) { return r.ColumnInt(0); }, "audit count");
}

}  // namespace tessera::store
