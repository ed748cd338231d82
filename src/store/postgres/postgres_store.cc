#include "store/postgres/postgres_store.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>

#include "store/postgres/migrations.h"
#include "store/postgres/pg_error.h"

namespace tessera::store {
namespace {

using postgres_internal::kMigrations;

// Every statement the store runs, prepared on each connection as "s<index>" at its first use
// there; after that a call only binds and executes.
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

// `params` gives the type of each $n, one letter each: t text, i bigint, b bytea, o boolean.
// Types are declared, not inferred, because every value travels in binary format and an unused
// parameter (the updates skip created_at) still needs a type.
struct StmtDef {
  const char* sql;
  const char* params;
};

#define USER_COLUMNS \
  "id, user_name, given_name, family_name, emails, active, created_at, updated_at"
#define APP_COLUMNS                                                                           \
  "id, client_id, display_name, description, kind, active, is_admin, secret_hash,"            \
  " allowed_grants, allowed_scopes, certificate_aliases, allowed_operations, assertion_algs," \
  " require_jti, access_token_expiry, audience, scopes, created_at, updated_at"
#define APP_PARAMS \
  "ttttto"         \
  "ot"             \
  "ttttt"          \
  "oi"             \
  "tt"             \
  "ii"
#define CERT_COLUMNS "alias, der, x5t, x5t_s256, not_after, created_at"
#define KEY_COLUMNS \
  "kid, alg, private_pem, cert_der, created_at, retired_at, publish_until, revoked_at"
#define ISSUER_COLUMNS "issuer, shared_secret, cert_alias, cert_der, created_at"
#define AUDIT_COLUMNS "id, time, ecid, client_id, subject, grant_type, outcome, reason"

// The advisory lock keys ('tessera' and a suffix): one serialises migrations across nodes, the
// other key rotations.
constexpr int64_t kMigrationLock = 0x7465737365726101;
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
    {"UPDATE users SET user_name = $2, given_name = $3, family_name = $4, emails = $5,"
     " active = $6, updated_at = $8 WHERE id = $1",
     "ttttto"
     "ii"},
    {"DELETE FROM users WHERE id = $1", "t"},
    // Apps.
    {"INSERT INTO apps (" APP_COLUMNS
     ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,"
     " $19)",
     APP_PARAMS},
    {"SELECT " APP_COLUMNS " FROM apps WHERE id = $1", "t"},
    {"SELECT " APP_COLUMNS " FROM apps WHERE client_id = $1 AND client_id <> ''", "t"},
    {"SELECT " APP_COLUMNS " FROM apps ORDER BY created_at, id LIMIT $1 OFFSET $2", "ii"},
    {"UPDATE apps SET client_id = $2, display_name = $3, description = $4, kind = $5, active = $6,"
     " is_admin = $7, secret_hash = $8, allowed_grants = $9, allowed_scopes = $10,"
     " certificate_aliases = $11, allowed_operations = $12, assertion_algs = $13,"
     " require_jti = $14, access_token_expiry = $15, audience = $16, scopes = $17,"
     " updated_at = $19 WHERE id = $1",
     APP_PARAMS},
    {"DELETE FROM apps WHERE id = $1", "t"},
    // Certificates.
    {"INSERT INTO certificates (kind, " CERT_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
     "ttbttii"},
    {"SELECT " CERT_COLUMNS " FROM certificates WHERE kind = $1 AND alias = $2", "tt"},
    {"SELECT " CERT_COLUMNS " FROM certificates WHERE kind = $1 ORDER BY alias", "t"},
    {"DELETE FROM certificates WHERE kind = $1 AND alias = $2", "tt"},
    {"SELECT " CERT_COLUMNS " FROM certificates WHERE x5t = $2 AND kind = $1 ORDER BY alias", "tt"},
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
    {"INSERT INTO audit_events (time, ecid, client_id, subject, grant_type, outcome, reason)"
     " VALUES ($1, $2, $3, $4, $5, $6, $7)",
     "itttttt"},
    {"SELECT " AUDIT_COLUMNS " FROM audit_events"
     " WHERE ($1 IS NULL OR client_id = $1) AND ($2 IS NULL OR outcome = $2)"
     " AND ($3 IS NULL OR time >= $3) AND ($4 IS NULL OR time <= $4)"
     " ORDER BY time DESC, id DESC LIMIT $5",
     "ttiii"},
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
     " AND ($3 IS NULL OR time >= $3) AND ($4 IS NULL OR time <= $4)",
     "ttii"},
}};

static_assert(kKeyRotationLock == 8387236820507844866, "kKeyLock's SQL spells this key");

constexpr const char* kCreateSchemaVersion =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL)";

Oid TypeOid(char letter) {
  switch (letter) {
    case 't':
      return 25;  // text
    case 'i':
      return 20;  // int8
    case 'b':
      return 17;  // bytea
    case 'o':
      return 16;  // bool
    default:
      return 0;
  }
}

std::string StmtName(int id) { return "s" + std::to_string(id); }

// Parameters of one execution, all in binary format. Owns copies of the encoded integers; text
// and bytea values point into the caller's strings, which outlive the execution.
class Params {
 public:
  void Text(std::string_view v) { Add(v.empty() ? "" : v.data(), v.size()); }
  void Blob(std::string_view v) { Text(v); }
  void Int(int64_t v) {
    uint64_t u = static_cast<uint64_t>(v);
    std::string& s = ints_[used_ints_++];
    s.resize(8);
    for (int i = 7; i >= 0; --i) {
      s[i] = static_cast<char>(u & 0xff);
      u >>= 8;
    }
    Add(s.data(), 8);
  }
  void Bool(bool v) { Add(v ? "\1" : "\0", 1); }
  void Null() { Add(nullptr, 0); }

  int count() const { return count_; }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }
  const Status& status() const { return status_; }

 private:
  static constexpr int kMax = 20;
  void Add(const char* p, size_t n) {
    if (count_ >= kMax) {
      status_ = Status::Internal("too many statement parameters");
      return;
    }
    if (n > static_cast<size_t>(INT_MAX)) {
      status_ = Status::InvalidArgument("a value is too large for the database");
      return;
    }
    values_[count_] = p;
    lengths_[count_] = static_cast<int>(n);
    formats_[count_] = 1;
    ++count_;
  }
  std::array<const char*, kMax> values_{};
  std::array<int, kMax> lengths_{};
  std::array<int, kMax> formats_{};
  std::array<std::string, kMax> ints_;  // fixed: Add keeps pointers into them
  int used_ints_ = 0;
  int count_ = 0;
  Status status_;
};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// The rows of one successful execution, in binary format.
class Rows {
 public:
  explicit Rows(ResultPtr res) : res_(std::move(res)) {}
  int size() const { return PQntuples(res_.get()); }
  // Rows the statement changed (INSERT/UPDATE/DELETE).
  int Changes() const {
    const char* n = PQcmdTuples(res_.get());
    return n[0] == '\0' ? 0 : std::atoi(n);
  }
  bool IsNull(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }
  std::string Text(int row, int col) const {
    return std::string(PQgetvalue(res_.get(), row, col),
                       static_cast<size_t>(PQgetlength(res_.get(), row, col)));
  }
  std::string Blob(int row, int col) const { return Text(row, col); }
  // Big-endian two's complement of 2, 4 or 8 bytes (int2/int4/int8 in binary format).
  int64_t Int(int row, int col) const {
    const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(res_.get(), row, col));
    const int n = PQgetlength(res_.get(), row, col);
    if (n != 2 && n != 4 && n != 8) return 0;
    uint64_t u = (p[0] & 0x80) ? ~uint64_t{0} : 0;
    for (int i = 0; i < n; ++i) u = (u << 8) | p[i];
    return static_cast<int64_t>(u);
  }
  bool Bool(int row, int col) const {
    return PQgetlength(res_.get(), row, col) == 1 && PQgetvalue(res_.get(), row, col)[0] != 0;
  }

 private:
  ResultPtr res_;
};

}  // namespace

// Not in the anonymous namespace: PostgresStore::Pool (a class with linkage) holds these.
namespace postgres_internal {

// How libpq is told to connect: the URL expanded as "dbname", then our fixed settings, which win
// over the same keys in the URL.
struct ConnectParams {
  std::string url;
  std::string where;  // "host:port/db" for messages; never the password
  std::vector<std::string> keys;
  std::vector<std::string> values;
  std::chrono::milliseconds statement_timeout{0};
};

// One libpq connection with its prepared statements. Used by one thread at a time (the pool's
// leases guarantee it). Records, per call, whether a statement was sent and whether the
// connection broke, which decide if the call may be retried and if the connection is reused.
class PgConnection {
 public:
  static Result<std::unique_ptr<PgConnection>> Connect(const ConnectParams& params, bool prepare) {
    std::vector<const char*> keys, values;
    for (size_t i = 0; i < params.keys.size(); ++i) {
      keys.push_back(params.keys[i].c_str());
      values.push_back(params.values[i].c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    auto conn = std::unique_ptr<PgConnection>(new PgConnection());
    conn->conn_ = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
    if (conn->conn_ == nullptr || PQstatus(conn->conn_) != CONNECTION_OK) {
      return PgError(conn->conn_, "connecting to PostgreSQL at " + params.where);
    }
    // Server notices (e.g. "relation already exists, skipping") are not errors; libpq's default
    // prints them to stderr.
    PQsetNoticeProcessor(
        conn->conn_, [](void*, const char*) {}, nullptr);
    if (params.statement_timeout.count() > 0) {
      TESSERA_RETURN_IF_ERROR(conn->Exec("SET statement_timeout = " +
                                         std::to_string(params.statement_timeout.count())));
    }
    if (prepare) TESSERA_RETURN_IF_ERROR(conn->PrepareAll());
    return conn;
  }

  ~PgConnection() { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PGconn* raw() const { return conn_; }
  bool broken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }
  bool sent() const { return sent_; }
  void StartCall() { sent_ = false; }
  bool Idle() const { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }

  // Whether an idle connection still looks usable, without a round trip. An idle session that
  // never LISTENs has nothing to say, so a readable socket means the server closed it or sent a
  // FATAL first (shutdown, pg_terminate_backend, idle timeout): such a connection is dropped
  // before anything is sent on it. Dropping a healthy one by mistake costs only a reconnect.
  bool LooksAlive() {
    if (broken()) return false;
    pollfd pfd{PQsocket(conn_), POLLIN, 0};
    if (pfd.fd < 0) return false;
    return ::poll(&pfd, 1, 0) == 0;
  }

  // Executes prepared statement `id`. Binary parameters and results.
  Result<Rows> Run(Stmt id, const Params& params) {
    TESSERA_RETURN_IF_ERROR(params.status());
    if (!prepared_[id]) TESSERA_RETURN_IF_ERROR(Prepare(id));
    const std::string name = StmtName(id);
    if (PQsendQueryPrepared(conn_, name.c_str(), params.count(), params.values(), params.lengths(),
                            params.formats(), /*resultFormat=*/1) == 0) {
      // Nothing complete reached the server: without its final Sync message an extended-protocol
      // statement is never committed, so the caller may retry elsewhere.
      broken_ = broken_ || PQstatus(conn_) != CONNECTION_OK;
      return PgError(conn_, std::string("sending ") + kStmts[id].sql);
    }
    sent_ = true;
    return Collect(kStmts[id].sql);
  }

  // Runs `sql` (one or more statements, no parameters) with the simple protocol: set-up only.
  Status Exec(const std::string& sql) {
    if (PQsendQuery(conn_, sql.c_str()) == 0) {
      broken_ = broken_ || PQstatus(conn_) != CONNECTION_OK;
      return PgError(conn_, "sending " + sql.substr(0, 80));
    }
    sent_ = true;
    return Collect(sql.substr(0, 80)).status();
  }

  // Prepares every statement not yet prepared on this connection.
  Status PrepareAll() {
    for (int i = 0; i < kNumStmts; ++i) {
      if (!prepared_[i]) TESSERA_RETURN_IF_ERROR(Prepare(static_cast<Stmt>(i)));
    }
    return Status::Ok();
  }

 private:
  PgConnection() = default;

  // Reads every result of the statement just sent (libpq requires draining to the final null);
  // the first one is the answer.
  Result<Rows> Collect(const std::string& context) {
    ResultPtr first;
    while (PGresult* r = PQgetResult(conn_)) {
      if (first == nullptr) {
        first.reset(r);
      } else {
        PQclear(r);
      }
    }
    const ExecStatusType st = first ? PQresultStatus(first.get()) : PGRES_FATAL_ERROR;
    if (first != nullptr && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)) {
      return Rows(std::move(first));
    }
    NoteFailure(first.get());
    return PgError(first.get(), conn_, "running " + context);
  }

  // Prepares `id` on this connection, once: at its first use rather than at connect time, so a
  // new connection does not wait for locks on tables its first call never touches (preparing
  // takes a lock on each table a statement names). A Parse executes nothing, so a failure here
  // leaves sent() false: the call may be retried elsewhere.
  Status Prepare(Stmt id) {
    std::vector<Oid> types;
    for (const char* p = kStmts[id].params; *p != '\0'; ++p) types.push_back(TypeOid(*p));
    ResultPtr res(PQprepare(conn_, StmtName(id).c_str(), kStmts[id].sql,
                            static_cast<int>(types.size()), types.data()));
    if (res == nullptr || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      NoteFailure(res.get());
      return PgError(res.get(), conn_, std::string("preparing ") + kStmts[id].sql);
    }
    prepared_[id] = true;
    return Status::Ok();
  }

  void NoteFailure(const PGresult* res) {
    const char* sqlstate = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    if (res == nullptr || sqlstate == nullptr || PgSessionLost(sqlstate) ||
        PQstatus(conn_) != CONNECTION_OK) {
      broken_ = true;
    }
  }

  PGconn* conn_ = nullptr;
  std::array<bool, kNumStmts> prepared_{};
  bool broken_ = false;
  bool sent_ = false;
};

}  // namespace postgres_internal

using postgres_internal::ConnectParams;
using postgres_internal::PgConnection;

// The pool: at most `size` connections, opened on demand, and the database's up/down state.
class PostgresStore::Pool {
 public:
  Pool(ConnectParams params, const PostgresOptions& options, int size)
      : params_(std::move(params)), options_(options), size_(size) {}

  int size() const { return size_; }

  // Exclusive use of one connection for one call. Returns it to the pool on destruction, unless
  // it broke or was left inside a transaction: then it is closed and its slot freed.
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<PgConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_ != nullptr) pool_->Release(std::move(conn_));
    }
    PgConnection& conn() { return *conn_; }

   private:
    Pool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  Result<Lease> Acquire() {
    const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      while (!idle_.empty()) {
        std::unique_ptr<PgConnection> conn = std::move(idle_.back());
        idle_.pop_back();
        if (conn->LooksAlive()) return Lease(this, std::move(conn));
        conn.reset();  // closed: the server restarted or ended the session
        --open_;
      }
      if (open_ < size_) {
        const auto now = std::chrono::steady_clock::now();
        if (down_ && (probing_ || now < retry_at_)) {
          return Status::Unavailable("PostgreSQL at " + params_.where +
                                     " is unavailable: " + last_error_.message());
        }
        const bool probe = down_;
        if (probe) probing_ = true;
        ++open_;
        lock.unlock();
        Result<std::unique_ptr<PgConnection>> conn = PgConnection::Connect(params_, false);
        lock.lock();
        if (probe) probing_ = false;
        if (!conn.ok()) {
          --open_;
          cv_.notify_one();
          // Only an outage marks the database down; e.g. a failed PREPARE is a bug, not a reason
          // to refuse everyone.
          if (conn.status().code() == StatusCode::kUnavailable) {
            down_ = true;
            retry_at_ = std::chrono::steady_clock::now() + options_.reconnect_backoff;
            last_error_ = conn.status();
          }
          return conn.status();
        }
        down_ = false;
        return Lease(this, std::move(*conn));
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
          open_ >= size_) {
        return Status::Unavailable("all " + std::to_string(size_) +
                                   " PostgreSQL connections stayed busy for " +
                                   std::to_string(options_.acquire_timeout.count()) + " ms");
      }
    }
  }

 private:
  void Release(std::unique_ptr<PgConnection> conn) {
    const bool keep = !conn->broken() && conn->Idle();
    if (!keep) conn.reset();  // closes outside the lock: PQfinish may send a Terminate
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (keep) {
        idle_.push_back(std::move(conn));
      } else {
        --open_;
      }
    }
    cv_.notify_one();
  }

  const ConnectParams params_;
  const PostgresOptions options_;
  const int size_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // guarded by mu_
  int open_ = 0;                                     // idle + leased + connecting; by mu_
  bool down_ = false;                                // the last connect failed; by mu_
  bool probing_ = false;                             // a connect is in flight while down_; by mu_
  std::chrono::steady_clock::time_point retry_at_;   // by mu_
  Status last_error_;                                // by mu_
};

namespace {

using Pool = PostgresStore::Pool;

// Which calls may run again on another connection after theirs broke.
enum class Retry {
  kRead,   // no effect on the database: always, once
  kWrite,  // only if the statement was never sent
};

// Runs `fn(connection)` (returning a Status or a Result) on a leased connection, retrying once
// on another connection when the first broke and `retry` allows it.
template <typename Fn>
auto RunOnPool(Pool& pool, Retry retry, Fn fn) -> decltype(fn(std::declval<PgConnection&>())) {
  for (int attempt = 0;; ++attempt) {
    Result<Pool::Lease> lease = pool.Acquire();
    if (!lease.ok()) return lease.status();
    PgConnection& conn = lease->conn();
    conn.StartCall();
    auto out = fn(conn);
    const Status status = internal::AsStatus(out);
    if (status.ok() || !conn.broken()) return out;
    const bool safe = retry == Retry::kRead || !conn.sent();
    if (attempt > 0 || !safe) return out;
  }
}

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
  if (limit < 0) return Status::InvalidArgument("limit must not be negative");
  return Status::Ok();
}

Result<std::string> ToJson(const std::vector<std::string>& values, std::string_view field) {
  try {
    return nlohmann::json(values).dump();
  } catch (const nlohmann::json::exception& e) {
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
  return "";
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
  const std::string kind = r.Text(i, 4);
  if (kind == "confidential") {
    app.kind = AppKind::kConfidential;
  } else if (kind == "resource") {
    app.kind = AppKind::kResource;
  } else {
    return Status::Internal("stored app kind is unknown: " + kind);
  }
  app.active = r.Bool(i, 5);
  app.is_admin = r.Bool(i, 6);
  app.secret_hash = r.Text(i, 7);
  TESSERA_ASSIGN_OR_RETURN(app.allowed_grants, FromJson(r.Text(i, 8), "allowed_grants"));
  TESSERA_ASSIGN_OR_RETURN(app.allowed_scopes, FromJson(r.Text(i, 9), "allowed_scopes"));
  TESSERA_ASSIGN_OR_RETURN(app.certificate_aliases, FromJson(r.Text(i, 10), "certificate_aliases"));
  TESSERA_ASSIGN_OR_RETURN(app.allowed_operations, FromJson(r.Text(i, 11), "allowed_operations"));
  TESSERA_ASSIGN_OR_RETURN(app.assertion_algs, FromJson(r.Text(i, 12), "assertion_algs"));
  app.require_jti = r.Bool(i, 13);
  app.access_token_expiry = r.Int(i, 14);
  app.audience = r.Text(i, 15);
  TESSERA_ASSIGN_OR_RETURN(app.scopes, FromJson(r.Text(i, 16), "scopes"));
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

// Binds $1..$19 in APP_COLUMNS order.
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

// The first column of the first row of a simple-protocol query, as text: set-up only.
Result<std::string> QueryText(PgConnection& conn, const std::string& sql) {
  ResultPtr res(PQexec(conn.raw(), sql.c_str()));
  if (res == nullptr || PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
    return PgError(res.get(), conn.raw(), "running " + sql);
  }
  if (PQntuples(res.get()) == 0 || PQgetisnull(res.get(), 0, 0)) return std::string();
  return std::string(PQgetvalue(res.get(), 0, 0));
}

// Applies the embedded migrations the database lacks, each in its own transaction, holding a
// session advisory lock so nodes starting together take turns: the second finds the work done.
Status Migrate(PgConnection& conn) {
  TESSERA_RETURN_IF_ERROR(conn.Exec("SET statement_timeout = 0; SET lock_timeout = '60s'"));
  TESSERA_RETURN_IF_ERROR(
      QueryText(conn, "SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")").status());
  // The lock is released when the session ends too, so an early return cannot leak it: the
  // migration connection is closed right after.
  TESSERA_RETURN_IF_ERROR(conn.Exec(kCreateSchemaVersion));
  constexpr int kLatest = static_cast<int>(std::size(kMigrations));
  TESSERA_ASSIGN_OR_RETURN(std::string text,
                           QueryText(conn, "SELECT coalesce(max(version), 0) FROM schema_version"));
  int current = std::atoi(text.c_str());
  if (current > kLatest) {
    return Status::FailedPrecondition("database schema version " + std::to_string(current) +
                                      " is newer than this build supports (" +
                                      std::to_string(kLatest) + "); run a newer Tessera");
  }
  for (; current < kLatest; ++current) {
    const auto& m = kMigrations[current];  // version current + 1
    // One simple-protocol string runs as one implicit transaction unless it has its own
    // BEGIN/COMMIT; spelling them out keeps the schema change and its record together.
    const std::string sql = std::string("BEGIN;\n") + m.sql +
                            "\n;INSERT INTO schema_version (version, name, applied_at) VALUES (" +
                            std::to_string(m.version) + ", '" + m.name +
                            "', extract(epoch FROM now())::bigint);\nCOMMIT;";
    Status applied = conn.Exec(sql);
    if (!applied.ok()) {
      (void)conn.Exec("ROLLBACK");
      return applied.WithContext(std::string("migration ") + m.name);
    }
  }
  return conn.Exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
}

// Builds the libpq parameters; kInvalidArgument when libpq cannot parse the URL.
Result<ConnectParams> MakeConnectParams(const std::string& url, const PostgresOptions& options) {
  if (url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0) {
    return Status::InvalidArgument("a PostgreSQL URL starts with postgresql://");
  }
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &error);
  if (parsed == nullptr) {
    std::string why = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return Status::InvalidArgument("invalid PostgreSQL URL: " + why);
  }
  std::string host = "localhost", port = "5432", db;
  for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::strcmp(o->keyword, "host") == 0) host = o->val;
    if (std::strcmp(o->keyword, "port") == 0) port = o->val;
    if (std::strcmp(o->keyword, "dbname") == 0) db = o->val;
  }
  PQconninfoFree(parsed);

  ConnectParams p;
  p.url = url;
  p.where = host + ":" + port + "/" + db;
  p.statement_timeout = options.statement_timeout;
  auto add = [&p](std::string k, std::string v) {
    p.keys.push_back(std::move(k));
    p.values.push_back(std::move(v));
  };
  add("fallback_application_name", "tessera");
  add("dbname", url);  // expanded in place; the settings after it win
  add("connect_timeout", std::to_string(options.connect_timeout.count()));
  add("client_encoding", "UTF8");
  // A peer that vanished without closing (host down, partition) is noticed in seconds, not
  // after the kernel's two-hour default.
  add("keepalives", "1");
  add("keepalives_idle", "10");
  add("keepalives_interval", "3");
  add("keepalives_count", "3");
  add("tcp_user_timeout", "10000");
  return p;
}

}  // namespace

PostgresStore::PostgresStore(std::unique_ptr<Pool> pool) : pool_(std::move(pool)) {}
PostgresStore::~PostgresStore() = default;

int PostgresStore::LatestSchemaVersion() { return static_cast<int>(std::size(kMigrations)); }

int PostgresStore::pool_size() const { return pool_->size(); }

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url,
                                                           const PostgresOptions& options) {
  if (options.pool_size < 0) {
    return Status::InvalidArgument("PostgresOptions.pool_size must not be negative");
  }
  if (options.connect_timeout < std::chrono::seconds(2)) {
    // libpq treats 1 as 2 and 0 as "wait forever"; say what is meant.
    return Status::InvalidArgument("PostgresOptions.connect_timeout must be at least 2 s");
  }
  if (options.acquire_timeout.count() < 0 || options.reconnect_backoff.count() < 0 ||
      options.statement_timeout.count() < 0) {
    return Status::InvalidArgument("PostgresOptions timeouts must not be negative");
  }
  // libpq is thread-safe for distinct connections only when built so (Debian's is).
  if (PQisthreadsafe() == 0) {
    return Status::Internal("the libpq library was built without thread support");
  }
  TESSERA_ASSIGN_OR_RETURN(ConnectParams params, MakeConnectParams(url, options));
  {
    TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn,
                             PgConnection::Connect(params, /*prepare=*/false));
    TESSERA_RETURN_IF_ERROR(Migrate(*conn));
  }
  const int size = options.pool_size > 0
                       ? options.pool_size
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) + 2;
  auto store = std::unique_ptr<PostgresStore>(
      new PostgresStore(std::make_unique<Pool>(params, options, size)));
  // One pooled connection now: proves that every statement prepares against the schema.
  {
    TESSERA_ASSIGN_OR_RETURN(Pool::Lease lease, store->pool_->Acquire());
    TESSERA_RETURN_IF_ERROR(lease.conn().PrepareAll());
  }
  return store;
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

Result<std::vector<CertificateRecord>> PostgresStore::FindCertificatesByX5t(
    CertificateKind kind, const std::string& x5t) {
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    p.Text(CertificateKindName(kind));
    p.Text(x5t);
    return ReadAll<CertificateRecord>(c.Run(kCertFindByX5t, p), ReadCertificate);
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
  // One transaction, one commit (one WAL flush on the server) for the batch. Retry::kWrite for
  // the reason ConsumeJti gives.
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) -> Result<std::vector<bool>> {
    TESSERA_RETURN_IF_ERROR(c.Run(kBegin, Params()).status());
    auto body = [&]() -> Result<std::vector<bool>> {
      // Inserted in key order, so that two batches holding the same pairs (two nodes, a replay
      // sent to both) wait for each other instead of deadlocking on each other's rows. The sort
      // is stable: of a pair repeated in the batch, the first one is the new one.
      std::vector<size_t> order(records.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return std::tie(records[a].issuer, records[a].jti) <
               std::tie(records[b].issuer, records[b].jti);
      });
      std::vector<bool> fresh(records.size(), false);
      for (size_t i : order) {
        const JtiRecord& r = records[i];
        Params p;
        p.Text(r.issuer);
        p.Text(r.jti);
        p.Int(r.expires_at);
        Result<Rows> rows = c.Run(kJtiInsert, p);
        TESSERA_RETURN_IF_ERROR(rows.status());
        fresh[i] = rows->Changes() == 1;
      }
      TESSERA_RETURN_IF_ERROR(c.Run(kCommit, Params()).status());
      return fresh;
    };
    Result<std::vector<bool>> out = body();
    if (!out.ok() && !c.broken() && !c.Idle()) (void)c.Run(kRollback, Params());
    return out;
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

Status PostgresStore::AppendAudit(const AuditEvent& event) {
  return RunOnPool(*pool_, Retry::kWrite, [&](PgConnection& c) {
    Params p;
    p.Int(event.time);
    p.Text(event.ecid);
    p.Text(event.client_id);
    p.Text(event.subject);
    p.Text(event.grant);
    p.Text(event.outcome);
    p.Text(event.reason);
    return c.Run(kAuditInsert, p).status();
  });
}

Result<std::vector<AuditEvent>> PostgresStore::ListAudit(const AuditFilter& filter) {
  TESSERA_RETURN_IF_ERROR(CheckLimit(filter.limit));
  return RunOnPool(*pool_, Retry::kRead, [&](PgConnection& c) {
    Params p;
    if (filter.client_id) {
      p.Text(*filter.client_id);
    } else {
      p.Null();
    }
    if (filter.outcome) {
      p.Text(*filter.outcome);
    } else {
      p.Null();
    }
    if (filter.since) {
      p.Int(*filter.since);
    } else {
      p.Null();
    }
    if (filter.until) {
      p.Int(*filter.until);
    } else {
      p.Null();
    }
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
    if (filter.client_id) {
      p.Text(*filter.client_id);
    } else {
      p.Null();
    }
    if (filter.outcome) {
      p.Text(*filter.outcome);
    } else {
      p.Null();
    }
    if (filter.since) {
      p.Int(*filter.since);
    } else {
      p.Null();
    }
    if (filter.until) {
      p.Int(*filter.until);
    } else {
      p.Null();
    }
    Result<Rows> rows = c.Run(kAuditCount, p);
    TESSERA_RETURN_IF_ERROR(rows.status());
    if (rows->size() != 1) return Status::Internal("audit count: no row");
    return rows->Int(0, 0);
  });
}

}  // namespace tessera::store
