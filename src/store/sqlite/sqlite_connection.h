// Internal to the SQLite adapter: the connections under SqliteStore and their plumbing. A
// Connection is one sqlite3 handle with its prepared statements; a Query is one use of a
// prepared statement; a Transaction a write transaction; the Pool owns every connection of a
// store (one writer, several readers, the checkpointer) and the checkpointer's thread. The
// store's methods (sqlite_store.cc) see only leases, queries and transactions.
//
// Statements are the store's catalogue: an array of SQL texts, each prepared once on every
// connection at Open and named by its index. Transactions use statements of their own.
#ifndef TESSERA_STORE_SQLITE_SQLITE_CONNECTION_H_
#define TESSERA_STORE_SQLITE_SQLITE_CONNECTION_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "tessera/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tessera::store::sqlite_internal {

// One sqlite3 handle and its prepared statements. Used by one thread at a time (the pool's
// leases guarantee it), so the handle is opened with SQLITE_OPEN_NOMUTEX.
class Connection {
 public:
  // Opens `path`; the writer may create it, puts it in WAL mode and sets `synchronous`; a reader
  // is query-only. BEGIN IMMEDIATE, COMMIT and ROLLBACK are prepared here.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path,
                                                  const SqliteOptions& options, bool writer);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }
  // Statement `id` of the catalogue given to PrepareAll.
  sqlite3_stmt* stmt(int id) const { return stmts_[static_cast<std::size_t>(id)]; }
  // The transaction statements (Transaction uses them).
  sqlite3_stmt* begin() const { return begin_; }
  sqlite3_stmt* commit() const { return commit_; }
  sqlite3_stmt* rollback() const { return rollback_; }

  // Prepares `sql[i]` as statement i, once. REQUIRES: the schema is migrated.
  Status PrepareAll(std::span<const char* const> sql);

  // Runs `sql` (one or more statements, no results) outside the cache: for set-up only.
  Status Exec(const char* sql);

  // The first column of the first row of `sql`, as text: for set-up only.
  Result<std::string> QueryText(const char* sql);

 private:
  Connection() = default;
  Status Prepare(const char* sql, sqlite3_stmt** stmt);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* rollback_ = nullptr;
  std::vector<sqlite3_stmt*> stmts_;
};

// One use of a cached statement: bind, step, read columns; the destructor resets it and clears
// its bindings so the cached statement is ready for the next call and holds no read snapshot.
// Text and blobs are bound without copying (SQLITE_STATIC): the caller's strings outlive the
// Query. A bind error is kept and reported by the first Step.
class Query {
 public:
  Query(const Connection& conn, int id) : Query(conn.db(), conn.stmt(id)) {}
  Query(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  void Text(int index, std::string_view value);
  void Blob(int index, std::string_view value);
  void Int(int index, int64_t value);
  void Null(int index);

  // Steps once: true with a row to read, false when the statement is done.
  Result<bool> Step();
  // Steps a statement that returns no rows.
  Status Run();
  // Rows changed by the statement just run.
  int Changes() const;

  int64_t ColumnInt(int col) const;
  std::string ColumnText(int col) const;
  std::string ColumnBlob(int col) const;

 private:
  bool FitsInt(std::string_view value);
  void Check(int rc);
  std::string Context() const;

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  Status bind_status_;
};

// A write transaction on the writer connection (BEGIN IMMEDIATE: it takes the write lock at
// once, so a transaction that reads before it writes never fails to upgrade its lock halfway);
// rolled back unless committed.
class Transaction {
 public:
  static Result<Transaction> Begin(const Connection& conn);
  Transaction(Transaction&& other) noexcept : conn_(other.conn_), open_(other.open_) {
    other.open_ = false;
  }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(const Connection& conn) : conn_(&conn) {}
  const Connection* conn_;
  bool open_ = true;
};

// Every connection of one store, and its checkpointer (see sqlite_store.h, "Concurrency" and
// "Checkpoints"). Lifetime: destroy it only when no lease is held.
class Pool {
 public:
  // The log's size limit, in multiples of checkpoint_pages.
  static constexpr int kLogLimitFactor = 10;

  // Creates the file and its directory if missing (owner-only), opens every connection, applies
  // the pending migrations, prepares `statements` on the writer and the readers and starts the
  // checkpointer. REQUIRES: `options` checked (SqliteStore::Open does). `statements` must
  // outlive the pool.
  static Result<std::unique_ptr<Pool>> Open(const std::string& path, const SqliteOptions& options,
                                            std::span<const char* const> statements);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Exclusive use of the writer connection for one call.
  class WriteLease {
   public:
    explicit WriteLease(Pool& pool) : lock_(pool.write_mu_), conn_(*pool.writer_) {}
    const Connection& conn() const { return conn_; }

   private:
    std::lock_guard<std::mutex> lock_;
    const Connection& conn_;
  };

  // Exclusive use of one pooled reader for one call; waits while all are in use.
  class ReadLease {
   public:
    explicit ReadLease(Pool& pool);
    ~ReadLease();
    ReadLease(const ReadLease&) = delete;
    ReadLease& operator=(const ReadLease&) = delete;
    const Connection& conn() const { return *conn_; }

   private:
    Pool& pool_;
    Connection* conn_ = nullptr;
  };

 private:
  Pool() = default;

  // Called by SQLite after each commit of the writer with the log's size in frames.
  static int OnWalCommit(void* pool, sqlite3* db, const char* name, int frames);
  void RunCheckpointer();
  void Checkpoint();

  std::mutex write_mu_;
  std::unique_ptr<Connection> writer_;  // used only while write_mu_ is held

  // Past the limit: passes without the lock while they still find more than kFewFrames new
  // frames (at most kMaxCatchUpPasses), before the one with writes held off.
  static constexpr int kMaxCatchUpPasses = 8;
  static constexpr int kFewFrames = 64;

  int checkpoint_pages_ = 1000;
  std::atomic<int> checkpointed_frames_{0};   // frames copied by the last checkpoint
  std::unique_ptr<Connection> checkpointer_;  // used only by checkpoint_thread_
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_due_ = false;   // guarded by checkpoint_mu_
  bool checkpoint_stop_ = false;  // guarded by checkpoint_mu_
  std::thread checkpoint_thread_;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> readers_;  // owned; never resized after Open
  std::vector<Connection*> idle_readers_;             // guarded by pool_mu_
};

}  // namespace tessera::store::sqlite_internal

#endif  // TESSERA_STORE_SQLITE_SQLITE_CONNECTION_H_
