#include "store/sqlite/sqlite_connection.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <exception>
#include <filesystem>
#include <utility>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_error.h"

namespace tessera::store::sqlite_internal {
namespace {

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

// ---- Connection.

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                     const SqliteOptions& options, bool writer) {
  auto conn = std::unique_ptr<Connection>(new Connection());
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
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
      return Status::Internal("cannot put " + path + " in WAL mode (journal_mode is " + mode + ")");
    }
    TESSERA_RETURN_IF_ERROR(conn->Exec(options.synchronous == SqliteOptions::Synchronous::kFull
                                           ? "PRAGMA synchronous = FULL"
                                           : "PRAGMA synchronous = NORMAL"));
  } else {
    // A reader never writes; if a bug ever routed a write here it fails loudly.
    TESSERA_RETURN_IF_ERROR(conn->Exec("PRAGMA query_only = ON"));
  }
  TESSERA_RETURN_IF_ERROR(conn->Exec("PRAGMA foreign_keys = ON"));
  TESSERA_RETURN_IF_ERROR(conn->Prepare("BEGIN IMMEDIATE", &conn->begin_));
  TESSERA_RETURN_IF_ERROR(conn->Prepare("COMMIT", &conn->commit_));
  TESSERA_RETURN_IF_ERROR(conn->Prepare("ROLLBACK", &conn->rollback_));
  return conn;
}

Connection::~Connection() {
  for (sqlite3_stmt* stmt : stmts_) sqlite3_finalize(stmt);  // null is a no-op
  sqlite3_finalize(begin_);
  sqlite3_finalize(commit_);
  sqlite3_finalize(rollback_);
  sqlite3_close_v2(db_);
}

Status Connection::Prepare(const char* sql, sqlite3_stmt** stmt) {
  const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, db_, std::string("preparing ") + sql);
  return Status::Ok();
}

Status Connection::PrepareAll(std::span<const char* const> sql) {
  stmts_.assign(sql.size(), nullptr);
  for (std::size_t i = 0; i < sql.size(); ++i) {
    TESSERA_RETURN_IF_ERROR(Prepare(sql[i], &stmts_[i]));
  }
  return Status::Ok();
}

Status Connection::Exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, db_, std::string("running ") + sql);
  return Status::Ok();
}

Result<std::string> Connection::QueryText(const char* sql) {
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

// ---- Query.

Query::~Query() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Query::Text(int index, std::string_view value) {
  if (!FitsInt(value)) return;
  // data() of an empty view may be null, which SQLite would store as NULL, not ''.
  Check(sqlite3_bind_text(stmt_, index, value.empty() ? "" : value.data(),
                          static_cast<int>(value.size()), SQLITE_STATIC));
}

void Query::Blob(int index, std::string_view value) {
  if (!FitsInt(value)) return;
  Check(sqlite3_bind_blob(stmt_, index, value.empty() ? "" : value.data(),
                          static_cast<int>(value.size()), SQLITE_STATIC));
}

void Query::Int(int index, int64_t value) { Check(sqlite3_bind_int64(stmt_, index, value)); }

void Query::Null(int index) { Check(sqlite3_bind_null(stmt_, index)); }

Result<bool> Query::Step() {
  TESSERA_RETURN_IF_ERROR(bind_status_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(rc, db_, Context());
}

Status Query::Run() {
  TESSERA_ASSIGN_OR_RETURN(bool row, Step());
  if (row) return Status::Internal(Context() + ": returned an unexpected row");
  return Status::Ok();
}

int Query::Changes() const { return sqlite3_changes(db_); }

int64_t Query::ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Query::ColumnText(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) return std::string();
  return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::string Query::ColumnBlob(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  if (p == nullptr) return std::string();  // a zero-length blob reads back as null
  return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

bool Query::FitsInt(std::string_view value) {
  if (value.size() <= static_cast<size_t>(INT_MAX)) return true;
  if (bind_status_.ok()) bind_status_ = Status::InvalidArgument(Context() + ": value too large");
  return false;
}

void Query::Check(int rc) {
  if (rc != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = SqliteError(rc, db_, Context() + ": binding");
  }
}

std::string Query::Context() const { return std::string("statement ") + sqlite3_sql(stmt_); }

// ---- Transaction.

Result<Transaction> Transaction::Begin(const Connection& conn) {
  TESSERA_RETURN_IF_ERROR(Query(conn.db(), conn.begin()).Run());
  return Transaction(conn);
}

Transaction::~Transaction() {
  // A failed rollback leaves nothing to do: SQLite rolls back on its own when a statement
  // error aborts the transaction, and the next BEGIN would report a stuck one. Only an
  // allocation failure throws here: terminate, as the exception leaving the destructor would.
  try {
    if (open_) (void)Query(conn_->db(), conn_->rollback()).Run();
  } catch (...) {
    std::terminate();
  }
}

Status Transaction::Commit() {
  TESSERA_RETURN_IF_ERROR(Query(conn_->db(), conn_->commit()).Run());
  open_ = false;
  return Status::Ok();
}

// ---- Pool.

Result<std::unique_ptr<Pool>> Pool::Open(const std::string& path, const SqliteOptions& options,
                                         std::span<const char* const> statements) {
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

  auto pool = std::unique_ptr<Pool>(new Pool());
  TESSERA_ASSIGN_OR_RETURN(pool->writer_, Connection::Open(path, options, /*writer=*/true));
  TESSERA_RETURN_IF_ERROR(Migrate(*pool->writer_));
  TESSERA_RETURN_IF_ERROR(pool->writer_->PrepareAll(statements));
  // A connection of its own that may write (a checkpoint writes the database file) and syncs as
  // the writer does. Installing the hook also turns off SQLite's automatic checkpoint, which
  // would run inside the writer's commit.
  TESSERA_ASSIGN_OR_RETURN(pool->checkpointer_, Connection::Open(path, options, /*writer=*/true));
  pool->checkpoint_pages_ = options.checkpoint_pages;
  sqlite3_wal_hook(pool->writer_->db(), &Pool::OnWalCommit, pool.get());
  pool->checkpoint_thread_ = std::thread([p = pool.get()] { p->RunCheckpointer(); });
  for (int i = 0; i < options.read_connections; ++i) {
    TESSERA_ASSIGN_OR_RETURN(auto reader, Connection::Open(path, options, /*writer=*/false));
    TESSERA_RETURN_IF_ERROR(reader->PrepareAll(statements));
    pool->idle_readers_.push_back(reader.get());
    pool->readers_.push_back(std::move(reader));
  }
  return pool;
}

Pool::~Pool() {
  if (checkpoint_thread_.joinable()) {
    {
      std::lock_guard lock(checkpoint_mu_);
      checkpoint_stop_ = true;
    }
    checkpoint_cv_.notify_one();
    checkpoint_thread_.join();
  }
}

Pool::ReadLease::ReadLease(Pool& pool) : pool_(pool) {
  std::unique_lock<std::mutex> lock(pool_.pool_mu_);
  pool_.pool_cv_.wait(lock, [this] { return !pool_.idle_readers_.empty(); });
  conn_ = pool_.idle_readers_.back();
  pool_.idle_readers_.pop_back();
}

Pool::ReadLease::~ReadLease() {
  {
    std::lock_guard<std::mutex> lock(pool_.pool_mu_);
    pool_.idle_readers_.push_back(conn_);
  }
  pool_.pool_cv_.notify_one();
}

int Pool::OnWalCommit(void* pool, sqlite3* /*db*/, const char* /*name*/, int frames) {
  auto* self = static_cast<Pool*>(pool);
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

void Pool::RunCheckpointer() {
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

void Pool::Checkpoint() {
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

}  // namespace tessera::store::sqlite_internal
