// Internal to the PostgreSQL adapter: the connections under PostgresStore and their plumbing.
// Params and Rows carry one execution's values (binary format both ways); a PgConnection is one
// libpq connection with its prepared statements; the Pool opens connections on demand and keeps
// the database's up/down state; RunOnPool runs one call on a leased connection with the retry
// rules of postgres_store.h ("Faults"). The store's methods (postgres_store.cc) see only these.
//
// Statements are the store's catalogue: an array of StmtDef, each prepared on a connection at its
// first use there and named by its index.
#ifndef TESSERA_STORE_POSTGRES_POSTGRES_POOL_H_
#define TESSERA_STORE_POSTGRES_POSTGRES_POOL_H_

#include <libpq-fe.h>

#include <array>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/postgres/postgres_store.h"
#include "tessera/status.h"

namespace tessera::store::postgres_internal {

// One statement of the catalogue. `params` gives the type of each $n, one letter each: t text,
// i bigint, b bytea, o boolean; T text[] and I bigint[] (a batch in one statement, unnest). Types
// are declared, not inferred, because every value travels in binary format and an unused parameter
// (the updates skip created_at) still needs a type.
struct StmtDef {
  const char* sql;
  const char* params;
};

// Parameters of one execution, all in binary format. Owns copies of the encoded integers and
// arrays; text and bytea values point into the caller's strings, which outlive the execution.
// Neither copied nor moved: the pointers it hands libpq point into its own buffers, which a move
// of a short string would not carry along. Build it where it is used.
class Params {
 public:
  Params() = default;
  Params(const Params&) = delete;
  Params& operator=(const Params&) = delete;

  void Text(std::string_view v) { Add(v.empty() ? "" : v.data(), v.size()); }
  void Blob(std::string_view v) { Text(v); }
  void Int(int64_t v) {
    std::string* s = Owned();
    if (s == nullptr) return;
    AppendBigEndian(*s, static_cast<uint64_t>(v), 8);
    Add(s->data(), 8);
  }
  // A one-dimensional text[] or bigint[] of `values` (PostgreSQL's binary array: dimensions,
  // element type, then each element's length and bytes). At least one element.
  void TextArray(const std::vector<std::string_view>& values) {
    std::string* s = ArrayHeader(kTextOid, values.size());
    if (s == nullptr) return;
    for (std::string_view v : values) {
      if (v.size() > static_cast<size_t>(INT_MAX)) {
        status_ = Status::InvalidArgument("a value is too large for the database");
        return;
      }
      AppendBigEndian(*s, v.size(), 4);
      s->append(v);
    }
    Add(s->data(), s->size());
  }
  void IntArray(const std::vector<int64_t>& values) {
    std::string* s = ArrayHeader(kInt8Oid, values.size());
    if (s == nullptr) return;
    for (int64_t v : values) {
      AppendBigEndian(*s, 8, 4);
      AppendBigEndian(*s, static_cast<uint64_t>(v), 8);
    }
    Add(s->data(), s->size());
  }
  void Bool(bool v) { Add(v ? "\1" : "\0", 1); }
  void Null() { Add(nullptr, 0); }

  int count() const { return count_; }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }
  const Status& status() const { return status_; }

 private:
  static constexpr int kMax = 32;
  static constexpr uint32_t kTextOid = 25;
  static constexpr uint32_t kInt8Oid = 20;
  static void AppendBigEndian(std::string& s, uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  // A buffer of this execution's own for the next parameter; null (and the status set) when the
  // parameters are full, as Add would refuse it.
  std::string* Owned() {
    if (count_ >= kMax) {
      status_ = Status::Internal("too many statement parameters");
      return nullptr;
    }
    std::string* s = &owned_[count_];
    s->clear();
    return s;
  }
  std::string* ArrayHeader(uint32_t element_oid, size_t n) {
    std::string* s = Owned();
    if (s == nullptr) return nullptr;
    if (n == 0 || n > static_cast<size_t>(INT_MAX)) {
      status_ = Status::Internal("an array parameter holds 1 to INT_MAX elements");
      return nullptr;
    }
    AppendBigEndian(*s, 1, 4);            // dimensions
    AppendBigEndian(*s, 0, 4);            // flags: no NULL element
    AppendBigEndian(*s, element_oid, 4);  // element type
    AppendBigEndian(*s, n, 4);            // length of the one dimension
    AppendBigEndian(*s, 1, 4);            // its lower bound
    return s;
  }
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
  std::array<std::string, kMax> owned_;  // by parameter index; fixed: Add keeps pointers into them
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

// "host:port/db" of a postgresql:// or postgres:// URL, for messages (never the password);
// kInvalidArgument naming the problem when libpq cannot parse the URL.
Result<std::string> PostgresUrlWhere(const std::string& url);

// How libpq is told to connect: the URL expanded as "dbname", then our fixed settings, which win
// over the same keys in the URL; and the statements every connection prepares.
struct ConnectParams {
  std::string url;
  std::string where;  // "host:port/db" for messages; never the password
  std::vector<std::string> keys;
  std::vector<std::string> values;
  std::chrono::milliseconds statement_timeout{0};
  std::span<const StmtDef> statements;  // the store's catalogue; outlives every connection
};

// One libpq connection with its prepared statements. Used by one thread at a time (the pool's
// leases guarantee it). Records, per call, whether a statement was sent and whether the
// connection broke, which decide if the call may be retried and if the connection is reused.
class PgConnection {
 public:
  // Connects; with `prepare`, prepares every statement at once.
  static Result<std::unique_ptr<PgConnection>> Connect(const ConnectParams& params, bool prepare);

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
  bool LooksAlive();

  // Executes statement `id` of the catalogue. Binary parameters and results.
  Result<Rows> Run(int id, const Params& params);

  // Runs `sql` (one or more statements, no parameters) with the simple protocol: set-up only.
  Status Exec(const std::string& sql);

  // Prepares every statement not yet prepared on this connection.
  Status PrepareAll();

 private:
  explicit PgConnection(std::span<const StmtDef> statements)
      : statements_(statements), prepared_(statements.size(), false) {}

  // Reads every result of the statement just sent (libpq requires draining to the final null);
  // the first one is the answer.
  Result<Rows> Collect(const std::string& context);

  // Prepares `id` on this connection, once: at its first use rather than at connect time, so a
  // new connection does not wait for locks on tables its first call never touches (preparing
  // takes a lock on each table a statement names). A Parse executes nothing, so a failure here
  // leaves sent() false: the call may be retried elsewhere.
  Status Prepare(int id);

  void NoteFailure(const PGresult* res);

  PGconn* conn_ = nullptr;
  std::span<const StmtDef> statements_;
  std::vector<bool> prepared_;
  bool broken_ = false;
  bool sent_ = false;
};

// The pool: at most `size` connections, opened on demand, and the database's up/down state.
class Pool {
 public:
  // Checks `options`, applies the pending migrations on a connection of its own and returns a
  // pool whose first connection has prepared every statement of `statements` (which must
  // outlive the pool). Errors as PostgresStore::Open.
  static Result<std::unique_ptr<Pool>> Open(const std::string& url, const PostgresOptions& options,
                                            std::span<const StmtDef> statements);

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

  // An idle connection that looks alive, or a new one while fewer than `size` are open; waits up
  // to acquire_timeout when all are busy. kUnavailable when the database is down or every
  // connection stayed busy.
  Result<Lease> Acquire();

 private:
  void Release(std::unique_ptr<PgConnection> conn);

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

}  // namespace tessera::store::postgres_internal

#endif  // TESSERA_STORE_POSTGRES_POSTGRES_POOL_H_
