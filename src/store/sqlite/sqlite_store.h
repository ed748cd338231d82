// SqliteStore: the embedded Store, one SQLite database file per node.
//
// Durability (what an OK return promises):
//   - synchronous = kNormal (the default): a write that returned OK survives the process being
//     killed at any moment after (SIGKILL, crash, OOM kill): it is in the write-ahead log, which
//     the next Open recovers. On power loss or an operating-system crash the last transactions
//     committed before the failure may be rolled back; the database stays consistent.
//   - synchronous = kFull: every commit is also flushed to stable storage (fsync of the WAL)
//     before it returns, so a write that returned OK survives power loss too, at the cost of one
//     fsync per write.
//
// Files: `path` and its companions `path`-wal and `path`-shm are created owner-only (0600), and
// a missing parent directory is created 0700. An existing file keeps its mode.
//
// Schema: numbered migrations (migrations/NNN_*.sql, embedded at build time) are applied in
// order at Open, each in its own transaction, and recorded in the table schema_version.
// Opening a database whose schema is newer than this build knows fails (kFailedPrecondition),
// so an old binary never writes to a schema it does not understand.
//
// Concurrency: every method may be called from many threads at once. Writes go through one
// connection, serialised in process by a mutex (SQLite allows one writer at a time anyway; the
// mutex queues writers without SQLite's sleep-and-retry) and across processes by SQLite's locks
// with busy_timeout. Reads use a small pool of read-only connections and run in parallel with
// the writer (WAL). Each connection prepares its statements once, at Open.
//
// Checkpoints: a thread of the store's own, on a connection of its own, copies the write-ahead
// log into the database file each time checkpoint_pages more pages are in it, so that no
// caller's write waits for a checkpoint's copies and fsyncs. Under steady writes the log cannot
// start over by itself (frames keep arriving during each copy); once it holds
// 10 * checkpoint_pages pages (Pool::kLogLimitFactor) the checkpointer catches up without the lock,
// then copies the last few frames with writes held off, and the next write starts the log over. A
// failed checkpoint is retried after the next commit.
//
// Lifetime: destroy the store only when no call is running on it.
#ifndef TESSERA_STORE_SQLITE_SQLITE_STORE_H_
#define TESSERA_STORE_SQLITE_SQLITE_STORE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"
#include "tessera/status.h"

namespace tessera::store {

namespace sqlite_internal {
class Pool;  // the connections and the checkpointer (sqlite_connection.h)
}  // namespace sqlite_internal

struct SqliteOptions {
  enum class Synchronous {
    kNormal,  // survives a killed process (see the file comment)
    kFull,    // survives power loss too
  };
  Synchronous synchronous = Synchronous::kNormal;
  // How long a statement waits for another process's lock before failing with kUnavailable.
  std::chrono::milliseconds busy_timeout{5000};
  // Read-only connections in the pool (at least 1). Reads beyond this many wait for one.
  int read_connections = 4;
  // Pages added to the write-ahead log after which the background checkpointer copies it into
  // the database file (at least 1); the log is kept near 10 times this (see the file comment).
  int checkpoint_pages = 1000;
};

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database at `path`, applies pending migrations and prepares
  // every statement. Errors: kInvalidArgument for an empty path or bad options,
  // kFailedPrecondition for a schema newer than this build, kUnavailable when the file or its
  // directory cannot be created or opened, kInternal otherwise.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   const SqliteOptions& options);

  // The schema version this build writes (the number of the last embedded migration).
  static int LatestSchemaVersion();

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // The schema version recorded in the database.
  Result<int> SchemaVersion();

  Status Ping() override;

  Status CreateUser(const User& user) override;
  Result<User> GetUser(const std::string& id) override;
  Result<User> FindUserByName(const std::string& user_name) override;
  Result<std::vector<User>> FindUsersByEmail(const std::string& email) override;
  Result<std::vector<User>> ListUsers(int offset, int limit) override;
  Status UpdateUser(const User& user) override;
  Status DeleteUser(const std::string& id) override;

  Status CreateApp(const App& app) override;
  Result<App> GetApp(const std::string& id) override;
  Result<App> FindAppByClientId(const std::string& client_id) override;
  Result<std::vector<App>> ListApps(int offset, int limit) override;
  Status UpdateApp(const App& app) override;
  Status DeleteApp(const std::string& id) override;

  Status PutCertificate(CertificateKind kind, const CertificateRecord& cert) override;
  Result<CertificateRecord> GetCertificate(CertificateKind kind, const std::string& alias) override;
  Result<std::vector<CertificateRecord>> ListCertificates(CertificateKind kind) override;
  Status DeleteCertificate(CertificateKind kind, const std::string& alias) override;

  Status AddSigningKey(const SigningKeyRecord& key) override;
  Result<std::vector<SigningKeyRecord>> ListSigningKeys() override;
  Status RetireOtherKeys(const std::string& active_kid, int64_t now,
                         int64_t publish_until) override;
  Status RevokeSigningKey(const std::string& kid, int64_t now) override;

  Status PutTrustTokenIssuer(const TrustTokenIssuerRecord& issuer) override;
  Result<TrustTokenIssuerRecord> GetTrustTokenIssuer(const std::string& issuer) override;
  Result<std::vector<TrustTokenIssuerRecord>> ListTrustTokenIssuers() override;
  Status DeleteTrustTokenIssuer(const std::string& issuer) override;

  Status CreateFederationTrust(const FederationTrustRecord& trust) override;
  Result<FederationTrustRecord> GetFederationTrust(const std::string& id) override;
  Result<std::vector<FederationTrustRecord>> ListFederationTrusts() override;
  Result<std::vector<FederationTrustRecord>> FindFederationTrustsByIssuer(
      const std::string& issuer) override;
  Status UpdateFederationTrust(const FederationTrustRecord& trust) override;
  Status DeleteFederationTrust(const std::string& id) override;

  Result<bool> ConsumeJti(const std::string& issuer, const std::string& jti,
                          int64_t expires_at) override;
  Result<std::vector<bool>> ConsumeJtis(const std::vector<JtiRecord>& records) override;
  Result<bool> IsJtiUsed(const std::string& issuer, const std::string& jti) override;
  Result<int> PurgeExpiredJtis(int64_t now, int limit) override;

  Status RevokeToken(const std::string& jti, int64_t expires_at) override;
  Result<bool> IsRevoked(const std::string& jti) override;
  Result<int> PurgeExpiredRevocations(int64_t now, int limit) override;

  Status AppendAudit(const AuditEvent& event) override;
  Status AppendAudits(const std::vector<AuditEvent>& events) override;
  Result<std::vector<AuditEvent>> ListAudit(const AuditFilter& filter) override;
  Result<int> PurgeAuditBefore(int64_t before, int limit) override;

  Status RecordCertificateUse(CertificateKind kind, const std::string& alias, int64_t at) override;
  Result<std::map<std::string, int64_t>> ListCertificateUses(CertificateKind kind) override;
  Result<int64_t> CountAudit(const AuditFilter& filter) override;
  Result<std::vector<ReasonCount>> CountRejectionsByReason(int64_t since, int64_t until,
                                                           int limit) override;

  Status CreateOperator(const Operator& op) override;
  Result<Operator> GetOperator(const std::string& id) override;
  Result<Operator> FindOperatorByName(const std::string& user_name) override;
  Result<std::vector<Operator>> ListOperators() override;
  Status UpdateOperator(const Operator& op) override;
  Status DeleteOperator(const std::string& id) override;
  Status CreateConsoleSession(const ConsoleSession& session) override;
  Result<ConsoleSession> GetConsoleSession(const std::string& id) override;
  Status TouchConsoleSession(const std::string& id, int64_t last_seen_at) override;
  Status DeleteConsoleSession(const std::string& id) override;
  Result<int> DeleteOperatorSessions(const std::string& operator_id,
                                     const std::string& keep_id) override;
  Result<int> PurgeConsoleSessions(int64_t now, int64_t idle_before, int limit) override;

 private:
  class ReadLease;
  class WriteLease;

  explicit SqliteStore(std::unique_ptr<sqlite_internal::Pool> pool);

  std::unique_ptr<sqlite_internal::Pool> pool_;
};

}  // namespace tessera::store

#endif  // TESSERA_STORE_SQLITE_SQLITE_STORE_H_
