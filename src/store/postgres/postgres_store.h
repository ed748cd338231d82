// PostgresStore: the Store shared by many stateless nodes, on one PostgreSQL database.
//
// Example:
//   PostgresOptions options;
//   options.pool_size = worker_threads + 2;
//   TESSERA_ASSIGN_OR_RETURN(auto store,
//                            PostgresStore::Open("postgresql://tessera:pw@db:5432/tessera",
//                                                options));
//
// Durability: a method that returned OK has committed its transaction on the server, so the write
// is as durable as the server's settings make it (synchronous_commit=on, the default: flushed to
// the server's WAL before the commit answers). Every node sees it at once: the store itself keeps
// no cache (node caches live in src/oauth, bounded by --cache-ttl).
//
// Replay: ConsumeJti is one INSERT ... ON CONFLICT (issuer, jti) DO NOTHING; the primary key
// arbitrates between concurrent calls on any nodes, so exactly one of them sees true.
//
// Schema: numbered migrations (migrations/NNN_*.sql, embedded at build time) are applied at Open
// under a PostgreSQL advisory lock, so nodes starting together migrate once; each migration runs
// in its own transaction and is recorded in schema_version. A database whose schema is newer than
// this build is refused (kFailedPrecondition).
//
// Connections: a pool of at most `pool_size` connections, opened on demand. Each connection
// prepares each statement once, at the statement's first use on it (so again on a new connection
// after a reconnect); Open prepares all of them on its first connection to check them. A call
// leases one connection for its whole duration; when all are busy it waits up to
// `acquire_timeout`, then fails with kUnavailable.
//
// Faults (every failure of the database or the network is kUnavailable; nothing blocks for long):
//   - An idle connection is checked before each use (a closed socket or a pending FATAL from the
//     server is seen without a round trip); a dead one is dropped and another one used.
//   - A connection that breaks during a call is dropped from the pool. Reads are then retried once
//     on another connection. Writes (ConsumeJti included) are retried once only when the failure
//     came before the statement was sent; once it may have reached the server the call fails with
//     kUnavailable, never risking, e.g., a token issued for a jti that was not recorded.
//   - Connecting is bounded by `connect_timeout`. After a failed connect the database is marked
//     down: for `reconnect_backoff` every call that needs a new connection fails at once with
//     kUnavailable, and then one call at a time probes; the first probe that connects marks it up.
//     So the pool recovers by itself when the database returns, without a restart.
//   - Statements are bounded by `statement_timeout` (server side) and dead peers by TCP keepalives
//     and TCP_USER_TIMEOUT (client side).
//
// Errors: as store.h says; unique violations are kAlreadyExists, outages kUnavailable, other
// database errors kInternal (see pg_error.h). Messages never contain the password of the URL.
//
// Thread safety: every method may be called from many threads at once.
// Lifetime: destroy the store only when no call is running on it; it closes every connection.
#ifndef TESSERA_STORE_POSTGRES_POSTGRES_STORE_H_
#define TESSERA_STORE_POSTGRES_POSTGRES_STORE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"
#include "tessera/status.h"

namespace tessera::store {

namespace postgres_internal {
class Pool;  // the connections (postgres_pool.h)
}  // namespace postgres_internal

struct PostgresOptions {
  // Most connections open at once. 0: std::thread::hardware_concurrency() + 2 (the server's
  // default worker count, plus room for the purger and the audit writer).
  int pool_size = 0;
  // Bound on establishing one connection (libpq connect_timeout; whole seconds, at least 2).
  std::chrono::seconds connect_timeout{3};
  // How long a call waits for a pooled connection when all are busy.
  std::chrono::milliseconds acquire_timeout{5000};
  // After a failed connect, how long calls fail at once before the next probe.
  std::chrono::milliseconds reconnect_backoff{500};
  // Server-side bound on one statement (SET statement_timeout); 0 = none.
  std::chrono::milliseconds statement_timeout{5000};
};

class PostgresStore final : public Store {
 public:
  // Connects to `url` (postgresql://user:password@host:port/database; postgres:// too; libpq
  // query parameters such as ?sslmode=require are honoured), applies pending migrations and
  // checks that every statement prepares. Errors: kInvalidArgument for a malformed URL or bad
  // options, kUnavailable when the server cannot be reached or refuses the login,
  // kFailedPrecondition for a schema newer than this build, kInternal otherwise.
  static Result<std::unique_ptr<PostgresStore>> Open(const std::string& url,
                                                     const PostgresOptions& options);

  // The schema version this build writes (the number of the last embedded migration).
  static int LatestSchemaVersion();

  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  // The schema version recorded in the database.
  Result<int> SchemaVersion();

  // The pool's size after defaults were applied.
  int pool_size() const;

  // OK while a pooled connection answers SELECT 1.
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
  // One transaction for the batch.
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
  explicit PostgresStore(std::unique_ptr<postgres_internal::Pool> pool);

  std::unique_ptr<postgres_internal::Pool> pool_;  // no libpq type appears here
};

}  // namespace tessera::store

#endif  // TESSERA_STORE_POSTGRES_POSTGRES_STORE_H_
