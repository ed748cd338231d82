#include "server/serve.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "common/allocator.h"
#include "common/background_thread.h"
#include "common/build_info.h"
#include "common/rate_limiter.h"
#include "console/console_service.h"
#include "federation/issuer_keys.h"
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
#include "server/purger.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "tessera/clock.h"

namespace tessera::server {
namespace {

namespace fs = std::filesystem;

Result<std::unique_ptr<store::Store>> OpenStore(const ServeConfig& c) {
  std::string path;
  if (c.database.rfind("postgresql://", 0) == 0 || c.database.rfind("postgres://", 0) == 0) {
    store::PostgresOptions options;
    // A connection per worker thread, plus the purger and the audit writer (0: the store's
    // default, cores + 2, matching the server's default thread count).
    if (c.threads > 0) options.pool_size = c.threads + 2;
    TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<store::PostgresStore> s,
                             store::PostgresStore::Open(c.database, options));
    return std::unique_ptr<store::Store>(std::move(s));
  }
  if (c.database.rfind("sqlite://", 0) == 0) {
    path = c.database.substr(std::string("sqlite://").size());
    if (path.empty())
      return Status::InvalidArgument("database: sqlite:///path/file.db needs a path");
  } else {
    path = (fs::path(c.data_dir) / "tessera.db").string();
  }
  store::SqliteOptions options;
  if (c.sqlite_full_sync) options.synchronous = store::SqliteOptions::Synchronous::kFull;
  TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<store::SqliteStore> s,
                           store::SqliteStore::Open(path, options));
  return std::unique_ptr<store::Store>(std::move(s));
}

std::string SelfPath() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "tessera" : p.string();
}

}  // namespace

Status RunServe(const ServeConfig& c, std::ostream& out) {
  const auto started = std::chrono::steady_clock::now();
  TESSERA_RETURN_IF_ERROR(ConfigureLogging(c.log_format, c.log_level));
  spdlog::info("{}, memory allocator {}", BuildVersionLine(), MallocAllocator());
  TESSERA_ASSIGN_OR_RETURN(auto address, c.ListenAddress());
  if (c.tls_cert.empty() != c.tls_key.empty())
    return Status::InvalidArgument("--tls-cert and --tls-key go together");
  if (c.trusted_proxy.empty() != c.client_cert_header.empty())
    return Status::InvalidArgument("--trusted-proxy and --client-cert-header go together");
  if (!c.tls_client_ca.empty() && c.tls_cert.empty() && c.client_cert_header.empty()) {
    return Status::InvalidArgument(
        "--tls-client-ca needs --tls-cert (client certificates at the HTTPS listener) or "
        "--client-cert-header (forwarded by a trusted proxy)");
  }

  std::error_code ec;
  fs::create_directories(c.data_dir, ec);
  if (ec)
    return Status::Unavailable("cannot create data directory " + c.data_dir + ": " + ec.message());
  ::chmod(c.data_dir.c_str(), 0700);  // keys and the database live here: owner only

  TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store, OpenStore(c));
  SystemClock clock;
  oauth::DomainConfig domain;
  domain.issuer = c.EffectiveIssuer();
  domain.extra_audiences = c.audiences;
  domain.clock_skew = c.clock_skew;
  domain.dpop_nonce = c.dpop_nonce;
  domain.max_assertion_lifetime = c.max_assertion_lifetime;
  domain.cache_ttl_seconds = c.cache_ttl;
  domain.assertion_audience = c.assertion_audience == "strict" ? oauth::AssertionAudience::kStrict
                                                               : oauth::AssertionAudience::kCompat;
  domain.mutual_tls = c.MutualTls();

  oauth::SigningKeyOptions key_options;
  key_options.alg = *jose::AlgorithmFromName(c.signing_alg);
  key_options.refresh_seconds = c.cache_ttl;
  oauth::SigningKeys keys(*store, clock, key_options);
  TESSERA_RETURN_IF_ERROR(keys.EnsureActiveKey().WithContext("signing key"));

  oauth::Directory directory(*store, clock, c.cache_ttl);
  oauth::AuditLog audit(*store, ServerLogger());
  // --token-rate-limit N: N token requests per second per authenticated client, and N failed
  // client authentications per second per address (bursts of N).
  std::unique_ptr<RateLimiter> token_limiter, failure_limiter;
  oauth::ClientAuthLimits limits;
  if (c.token_rate_limit > 0) {
    const auto n = static_cast<double>(c.token_rate_limit);
    token_limiter = std::make_unique<RateLimiter>(clock, n, n);
    failure_limiter = std::make_unique<RateLimiter>(clock, n, n);
    limits = {failure_limiter.get(), token_limiter.get()};
  }
  oauth::TokenService tokens(*store, directory, keys, audit, domain, clock, limits);
  // When each certificate last verified an assertion: noted in memory by token requests,
  // written once a minute (docs/operations.md), never on the request path.
  oauth::CertificateUses certificate_uses(*store);
  certificate_uses.StartFlushing(std::chrono::seconds(60));
  tokens.set_certificate_uses(&certificate_uses);
  // Federation (contract section 10): the outside issuers' keys, one cache for every thread
  // (fetches bounded as IssuerKeysOptions has them), and the trusts by issuer, cached per node
  // within the cache bound.
  federation::HttpKeyFetcher key_fetcher;
  federation::IssuerKeys issuer_keys(key_fetcher, clock);
  oauth::FederationTrusts federation_trusts(*store, clock, c.cache_ttl, &directory);
  tokens.set_federation(&federation_trusts, &issuer_keys);
  oauth::AdminService admin(*store, directory, keys, audit, domain, clock);
  oauth::TrustTokenService trust(*store, directory, keys, tokens, audit, domain, clock);
  oauth::AssertionCheckService checks(*store, directory, tokens, domain, clock);

  const char* admin_id = std::getenv("TESSERA_ADMIN_CLIENT_ID");
  const char* admin_secret = std::getenv("TESSERA_ADMIN_CLIENT_SECRET");
  if (admin_id && admin_secret && *admin_id && *admin_secret) {
    Result<oauth::AdminService::BootstrapOutcome> boot =
        admin.EnsureBootstrapAdmin(admin_id, admin_secret);
    TESSERA_RETURN_IF_ERROR(boot.status().WithContext("bootstrap administrator"));
    // The secret itself is never logged.
    if (*boot == oauth::AdminService::BootstrapOutcome::kSecretReplaced) {
      spdlog::warn(
          "bootstrap administrator {}: TESSERA_ADMIN_CLIENT_SECRET differs from the stored secret; "
          "the stored secret was replaced and the old one no longer authenticates",
          admin_id);
    } else if (*boot == oauth::AdminService::BootstrapOutcome::kHashUpgraded) {
      spdlog::info("bootstrap administrator {}: stored secret re-hashed with Argon2id", admin_id);
    }
  }

  console::ConsoleOptions console_options;
  console_options.idle_timeout = c.console_idle_timeout;
  console_options.session_lifetime = c.console_session_lifetime;
  console::ConsoleService console(*store, audit, clock, console_options);
  // Contract section 9: the bootstrap console operator. Both variables or neither; a password
  // under 12 characters stops the start with the reason (never the password).
  const char* console_user = std::getenv("TESSERA_CONSOLE_USER");
  const char* console_password = std::getenv("TESSERA_CONSOLE_PASSWORD");
  const bool has_user = console_user != nullptr && *console_user != '\0';
  const bool has_password = console_password != nullptr && *console_password != '\0';
  if (has_user != has_password) {
    return Status::InvalidArgument(
        "bootstrap console operator: TESSERA_CONSOLE_USER and TESSERA_CONSOLE_PASSWORD go "
        "together");
  }
  if (has_user) {
    Result<console::BootstrapOutcome> boot =
        console.EnsureBootstrapOperator(console_user, console_password);
    TESSERA_RETURN_IF_ERROR(boot.status().WithContext("bootstrap console operator"));
    if (*boot == console::BootstrapOutcome::kCreated) {
      spdlog::info("bootstrap console operator {} created with the administrator role",
                   console_user);
    }
  }

  std::optional<DemoSetup> demo;
  if (c.demo) {
    TESSERA_ASSIGN_OR_RETURN(
        DemoSetup d,
        EnsureDemo(admin, *store, has_user ? nullptr : &console, c.data_dir, clock.NowSeconds(),
                   admin_id && admin_secret && *admin_id && *admin_secret ? std::string(admin_id)
                                                                          : std::string()));
    demo = std::move(d);
  }

  http::Metrics metrics;
  metrics.Describe("tessera_build_info", "The version and git revision of this build (always 1).");
  metrics.SetGauge(
      "tessera_build_info",
      {{"version", std::string(BuildVersion())}, {"revision", std::string(BuildRevision())}}, 1);
  http::Router router;
  http::ApiServices services{tokens, admin, keys, *store, metrics, domain, &trust, &checks};
  // Token requests arriving together share one jti commit, made on the batcher's own thread.
  // It outlives the server (declared before it): requests in flight wait on it until the end.
  http::JtiBatcher jti_batcher(tokens, &metrics);
  services.jti_batcher = &jti_batcher;
  oauth::DomainTransfer domain_transfer(*store, directory, audit, clock);
  services.domain = &domain_transfer;
  services.certificate_uses = &certificate_uses;
  services.console = &console;
  http::RegisterApiRoutes(router, services);

  http::ServerOptions options;
  options.host = address.first;
  options.port = address.second;
  options.threads = c.threads;
  options.tls_cert_file = c.tls_cert;
  options.tls_key_file = c.tls_key;
  options.tls_client_ca_file = c.tls_client_ca;
  options.trusted_proxies = c.trusted_proxy;
  options.client_cert_header = c.client_cert_header;
  options.stop_on_signals = true;
  options.max_connections_per_client = static_cast<std::size_t>(c.max_connections_per_client);
  options.max_connections = static_cast<std::size_t>(c.max_connections);
  options.idle_timeout = std::chrono::seconds(c.idle_timeout);
  // systemd Type=notify: sd_notify does nothing without $NOTIFY_SOCKET.
  options.on_stopping = [] { sd_notify(0, "STOPPING=1"); };
  http::Server server(options, std::move(router), &metrics);
  TESSERA_RETURN_IF_ERROR(server.Bind());
  const std::string bound =
      (address.first.find(':') != std::string::npos ? "[" + address.first + "]" : address.first) +
      ":" + std::to_string(server.port());
  const std::string base = std::string(c.tls_cert.empty() ? "http://" : "https://") + bound;
  // Contract section 1: the default issuer is http://<listen>; with port 0 that is the port the
  // kernel chose, known once bound. Set before Start: from then on handler threads read it.
  if (c.issuer.empty() && address.second == 0) domain.issuer = base;
  TESSERA_RETURN_IF_ERROR(server.Start());
  PurgeOptions purge_options;
  purge_options.audit_retention = c.audit_retention;
  purge_options.console_idle_timeout = c.console_idle_timeout;
  Purger purger(*store, clock, purge_options);

  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
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
  // Serving, with the store open and a signing key active: what /ready checks.
  sd_notify(0, "READY=1");
  server.Wait();
  audit.Flush();
  announce("tessera: stopped");
  return Status::Ok();
}

}  // namespace tessera::server
