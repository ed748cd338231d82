#include "server/serve.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "common/background_thread.h"
#include "common/clock.h"
#include "http/api/api.h"
#include "http/server.h"
#include "oauth/admin_service.h"
#include "oauth/assertion_checks.h"
#include "oauth/audit.h"
#include "oauth/directory.h"
#include "oauth/signing_keys.h"
#include "oauth/token_service.h"
#include "oauth/trust_tokens.h"
#include "server/demo.h"
#include "server/logging.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace tessera::server {
namespace {

namespace fs = std::filesystem;

constexpr int kPurgeBatch = 1000;
constexpr auto kPurgeInterval = std::chrono::seconds(30);

Result<std::unique_ptr<store::Store>> OpenStore(const ServeConfig& c) {
  std::string path;
  if (c.database.rfind("postgresql://", 0) == 0 || c.database.rfind("postgres://", 0) == 0) {
    store::PostgresOptions options;
    // A connection per worker thread, plus the purger and the audit writer (0: the store's
    // default, cores + 2, matching the server's default thread count).
    if (c.threads > 0) options.pool_size = c.threads + 2;
    TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<store::PostgresStore> s, store::PostgresStore::Open(c.database, options));
    return std::unique_ptr<store::Store>(std::move(s));
  }
  if (c.database.rfind("sqlite://", 0) == 0) {
    path = c.database.substr(std::string("sqlite://").size());
    if (path.empty()) return Status::InvalidArgument("database: sqlite:///path/file.db needs a path");
  } else {
    path = (fs::path(c.data_dir) / "tessera.db").string();
  }
  store::SqliteOptions options;
  if (c.sqlite_full_sync) options.synchronous = store::SqliteOptions::Synchronous::kFull;
  TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<store::SqliteStore> s, store::SqliteStore::Open(path, options));
  return std::unique_ptr<store::Store>(std::move(s));
}

std::string SelfPath() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "tessera" : p.string();
}

// Deletes expired jti and revocation rows in bounded batches, off the request path.
class Purger {
 public:
  Purger(store::Store& store, const Clock& clock) : store_(store), clock_(clock), thread_([this] { Run(); }) {}
  ~Purger() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Run() {
    LowerCurrentThreadPriority();
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, kPurgeInterval, [this] { return stop_; })) {
      lock.unlock();
      const int64_t now = clock_.NowSeconds();
      for (int i = 0; i < 100; ++i) {  // bounded work per round
        Result<int> a = store_.PurgeExpiredJtis(now, kPurgeBatch);
        Result<int> b = store_.PurgeExpiredRevocations(now, kPurgeBatch);
        if (!a.ok() || !b.ok() || (*a < kPurgeBatch && *b < kPurgeBatch)) break;
      }
      lock.lock();
    }
  }
  store::Store& store_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

Status RunServe(const ServeConfig& c, std::ostream& out) {
  const auto started = std::chrono::steady_clock::now();
  TESSERA_RETURN_IF_ERROR(ConfigureLogging(c.log_format, c.log_level));
  TESSERA_ASSIGN_OR_RETURN(auto address, c.ListenAddress());
  if (c.tls_cert.empty() != c.tls_key.empty()) return Status::InvalidArgument("--tls-cert and --tls-key go together");

  std::error_code ec;
  fs::create_directories(c.data_dir, ec);
  if (ec) return Status::Unavailable("cannot create data directory " + c.data_dir + ": " + ec.message());
  ::chmod(c.data_dir.c_str(), 0700);  // keys and the database live here: owner only

  TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store, OpenStore(c));
  SystemClock clock;
  oauth::DomainConfig domain;
  domain.issuer = c.EffectiveIssuer();
  domain.extra_audiences = c.audiences;
  domain.clock_skew = c.clock_skew;
  domain.max_assertion_lifetime = c.max_assertion_lifetime;
  domain.cache_ttl_seconds = c.cache_ttl;

  oauth::SigningKeyOptions key_options;
  key_options.alg = *jose::AlgorithmFromName(c.signing_alg);
  key_options.refresh_seconds = c.cache_ttl;
  oauth::SigningKeys keys(*store, clock, key_options);
  TESSERA_RETURN_IF_ERROR(keys.EnsureActiveKey().WithContext("signing key"));

  oauth::Directory directory(*store, clock, c.cache_ttl);
  oauth::AuditLog audit(*store);
  oauth::TokenService tokens(*store, directory, keys, audit, domain, clock);
  oauth::AdminService admin(*store, directory, keys, audit, domain, clock);
  oauth::TrustTokenService trust(*store, directory, keys, tokens, audit, domain, clock);
  oauth::AssertionCheckService checks(*store, directory, tokens, domain);

  const char* admin_id = std::getenv("TESSERA_ADMIN_CLIENT_ID");
  const char* admin_secret = std::getenv("TESSERA_ADMIN_CLIENT_SECRET");
  if (admin_id && admin_secret && *admin_id && *admin_secret) {
    TESSERA_RETURN_IF_ERROR(admin.EnsureBootstrapAdmin(admin_id, admin_secret).WithContext("bootstrap administrator"));
  }

  std::optional<DemoSetup> demo;
  if (c.demo) {
    TESSERA_ASSIGN_OR_RETURN(DemoSetup d, EnsureDemo(admin, *store, c.data_dir, clock.NowSeconds()));
    demo = std::move(d);
  }

  http::Metrics metrics;
  http::Router router;
  http::ApiServices services{tokens, admin, keys, *store, metrics, domain, &trust, &checks};
  // Token requests arriving together share one jti commit, made on the batcher's own thread.
  // It outlives the server (declared before it): requests in flight wait on it until the end.
  http::JtiBatcher jti_batcher(tokens, &metrics);
  services.jti_batcher = &jti_batcher;
  std::unique_ptr<RateLimiter> token_limiter;
  if (c.token_rate_limit > 0) {
    token_limiter = std::make_unique<RateLimiter>(clock, static_cast<double>(c.token_rate_limit),
                                                  static_cast<double>(c.token_rate_limit));
    services.token_limiter = token_limiter.get();
  }
  http::RegisterApiRoutes(router, services);

  http::ServerOptions options;
  options.host = address.first;
  options.port = address.second;
  options.threads = c.threads;
  options.tls_cert_file = c.tls_cert;
  options.tls_key_file = c.tls_key;
  options.stop_on_signals = true;
  options.max_connections_per_client = static_cast<std::size_t>(c.max_connections_per_client);
  http::Server server(options, std::move(router), &metrics);
  TESSERA_RETURN_IF_ERROR(server.Start());
  Purger purger(*store, clock);

  const std::string bound = (address.first.find(':') != std::string::npos ? "[" + address.first + "]" : address.first) +
                            ":" + std::to_string(server.port());
  const std::string base = std::string(c.tls_cert.empty() ? "http://" : "https://") + bound;
  // Contract section 1: the default issuer is http://<listen>; with port 0 that is the port the
  // kernel chose, known only now. Nobody can have learnt the port before the banner below.
  if (c.issuer.empty() && address.second == 0) domain.issuer = base;
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  // With JSON logs every line of standard output is a log record, the banner too.
  const bool json_log = c.log_format == "json";
  auto announce = [&out, json_log](const std::string& line) {
    if (json_log) {
      spdlog::info("{}", line);
      spdlog::default_logger()->flush();
    } else {
      out << line << std::endl;
    }
  };
  announce("tessera: listening on " + base + " (issuer " + domain.issuer + ", ready in " +
           std::to_string(static_cast<int>(ms)) + " ms)");
  if (demo) PrintDemoCommands(*demo, base, SelfPath(), out);
  out.flush();
  server.Wait();
  audit.Flush();
  announce("tessera: stopped");
  return Status::Ok();
}

}  // namespace tessera::server
