#include "store/postgres/postgres_pool.h"

#include <poll.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "store/postgres/migrations.h"
#include "store/postgres/pg_error.h"

namespace tessera::store::postgres_internal {

Result<std::string> PostgresUrlWhere(const std::string& url) {
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
  return host + ":" + port + "/" + db;
}

namespace {

// The advisory lock key ('tessera' and a suffix) that serialises migrations across nodes.
constexpr int64_t kMigrationLock = 0x7465737365726101;

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
    case 'T':
      return 1009;  // text[]
    case 'I':
      return 1016;  // int8[]
    default:
      return 0;
  }
}

std::string StmtName(int id) { return "s" + std::to_string(id); }

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
  TESSERA_ASSIGN_OR_RETURN(std::string where, PostgresUrlWhere(url));
  ConnectParams p;
  p.url = url;
  p.where = std::move(where);
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

// ---- PgConnection.

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const ConnectParams& params,
                                                            bool prepare) {
  std::vector<const char*> keys, values;
  for (size_t i = 0; i < params.keys.size(); ++i) {
    keys.push_back(params.keys[i].c_str());
    values.push_back(params.values[i].c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  auto conn = std::unique_ptr<PgConnection>(new PgConnection(params.statements));
  conn->conn_ = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn->conn_ == nullptr || PQstatus(conn->conn_) != CONNECTION_OK) {
    return PgError(conn->conn_, "connecting to PostgreSQL at " + params.where);
  }
  // Server notices (e.g. "relation already exists, skipping") are not errors; libpq's default
  // prints them to stderr.
  PQsetNoticeProcessor(
      conn->conn_, [](void*, const char*) {}, nullptr);
  if (params.statement_timeout.count() > 0) {
    TESSERA_RETURN_IF_ERROR(
        conn->Exec("SET statement_timeout = " + std::to_string(params.statement_timeout.count())));
  }
  if (prepare) TESSERA_RETURN_IF_ERROR(conn->PrepareAll());
  return conn;
}

bool PgConnection::LooksAlive() {
  if (broken()) return false;
  pollfd pfd{PQsocket(conn_), POLLIN, 0};
  if (pfd.fd < 0) return false;
  return ::poll(&pfd, 1, 0) == 0;
}

Result<Rows> PgConnection::Run(int id, const Params& params) {
  TESSERA_RETURN_IF_ERROR(params.status());
  const auto index = static_cast<std::size_t>(id);
  if (!prepared_[index]) TESSERA_RETURN_IF_ERROR(Prepare(id));
  const std::string name = StmtName(id);
  if (PQsendQueryPrepared(conn_, name.c_str(), params.count(), params.values(), params.lengths(),
                          params.formats(), /*resultFormat=*/1) == 0) {
    // Nothing complete reached the server: without its final Sync message an extended-protocol
    // statement is never committed, so the caller may retry elsewhere.
    broken_ = broken_ || PQstatus(conn_) != CONNECTION_OK;
    return PgError(conn_, std::string("sending ") + statements_[index].sql);
  }
  sent_ = true;
  return Collect(statements_[index].sql);
}

Status PgConnection::Exec(const std::string& sql) {
  if (PQsendQuery(conn_, sql.c_str()) == 0) {
    broken_ = broken_ || PQstatus(conn_) != CONNECTION_OK;
    return PgError(conn_, "sending " + sql.substr(0, 80));
  }
  sent_ = true;
  return Collect(sql.substr(0, 80)).status();
}

Status PgConnection::PrepareAll() {
  for (std::size_t i = 0; i < statements_.size(); ++i) {
    if (!prepared_[i]) TESSERA_RETURN_IF_ERROR(Prepare(static_cast<int>(i)));
  }
  return Status::Ok();
}

Result<Rows> PgConnection::Collect(const std::string& context) {
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

Status PgConnection::Prepare(int id) {
  const StmtDef& def = statements_[static_cast<std::size_t>(id)];
  std::vector<Oid> types;
  for (const char* p = def.params; *p != '\0'; ++p) types.push_back(TypeOid(*p));
  ResultPtr res(PQprepare(conn_, StmtName(id).c_str(), def.sql, static_cast<int>(types.size()),
                          types.data()));
  if (res == nullptr || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
    NoteFailure(res.get());
    return PgError(res.get(), conn_, std::string("preparing ") + def.sql);
  }
  prepared_[static_cast<std::size_t>(id)] = true;
  return Status::Ok();
}

void PgConnection::NoteFailure(const PGresult* res) {
  const char* sqlstate = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  if (res == nullptr || sqlstate == nullptr || PgSessionLost(sqlstate) ||
      PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
  }
}

// ---- Pool.

Result<std::unique_ptr<Pool>> Pool::Open(const std::string& url, const PostgresOptions& options,
                                         std::span<const StmtDef> statements) {
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
  params.statements = statements;
  {
    TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn,
                             PgConnection::Connect(params, /*prepare=*/false));
    TESSERA_RETURN_IF_ERROR(Migrate(*conn));
  }
  const int size = options.pool_size > 0
                       ? options.pool_size
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) + 2;
  auto pool = std::make_unique<Pool>(std::move(params), options, size);
  // One pooled connection now: proves that every statement prepares against the schema.
  {
    TESSERA_ASSIGN_OR_RETURN(Lease lease, pool->Acquire());
    TESSERA_RETURN_IF_ERROR(lease.conn().PrepareAll());
  }
  return pool;
}

Result<Pool::Lease> Pool::Acquire() {
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

void Pool::Release(std::unique_ptr<PgConnection> conn) {
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

}  // namespace tessera::store::postgres_internal
