// `tessera serve`: run the identity-domain server (contract section 1).
//
// Every setting comes from, in rising precedence: a TOML file (--config FILE, else
// $TESSERA_CONFIG, else /etc/tessera/tessera.toml when it exists), TESSERA_<NAME> environment
// variables (or TESSERA_<NAME>_FILE, resolved by main), and these flags. Only flags actually given
// override the others. Any bad setting stops here, before the server opens or changes anything.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "server/config.h"
#include "server/serve.h"

namespace tessera::cli {

void RegisterServeCommand(CLI::App& app, CommandContext& ctx) {
  struct Flags {
    std::string config;
    std::map<std::string, std::string> values;  // setting name -> flag value
    std::vector<std::string> audiences;
    bool demo = false;
    bool full_sync = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("serve", "Run the Tessera identity-domain server");
  cmd->add_option("--config", f->config,
                  "TOML configuration file (default $TESSERA_CONFIG, else "
                  "/etc/tessera/tessera.toml if it exists)");
  auto text_flag = [&](const char* flag, const char* setting, const char* help) {
    cmd->add_option_function<std::string>(
        flag, [f, setting](const std::string& v) { f->values[setting] = v; }, help);
  };
  text_flag("--listen", "listen",
            "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks a free one)");
  text_flag("--threads", "threads", "Worker threads (default: cores)");
  text_flag("--data-dir", "data_dir",
            "Directory of the SQLite file and generated keys (default ./tessera-data)");
  text_flag("--database", "database",
            "sqlite:///path/file.db or postgresql://user:pw@host:port/db");
  text_flag("--issuer", "issuer", "The iss of every token minted (default http://<listen>)");
  text_flag("--tls-cert", "tls_cert", "PEM certificate (chain) for HTTPS");
  text_flag("--tls-key", "tls_key", "PEM private key for HTTPS");
  text_flag("--signing-alg", "signing_alg",
            "Access-token signing algorithm: RS256 (default), ES256 or EdDSA");
  text_flag("--clock-skew", "clock_skew",
            "Seconds of clock skew accepted on assertions (default 30)");
  text_flag("--max-assertion-lifetime", "max_assertion_lifetime",
            "Longest accepted assertion lifetime in seconds (default 3600)");
  text_flag("--assertion-audience", "assertion_audience",
            "Accepted assertion audiences: compat (default; issuer, token endpoint and the IDCS "
            "audience) or strict (RFC 10070: the issuer alone for client assertions)");
  text_flag("--cache-ttl", "cache_ttl",
            "Seconds a node may serve cached apps, users and keys (default 5)");
  text_flag("--log-level", "log_level", "trace, debug, info (default), warn or error");
  text_flag("--log-format", "log_format", "Log records as text (default) or json, one per line");
  text_flag("--token-rate-limit", "token_rate_limit",
            "Token requests per second per client id, answered 429 beyond it (default 0: off)");
  text_flag("--max-connections-per-client", "max_connections_per_client",
            "Open connections per client address, IPv6 per /64 (default 256; 0: no cap)");
  text_flag("--max-connections", "max_connections",
            "Open connections; past it the longest-idle one is closed to admit a new one (default "
            "10000)");
  text_flag("--idle-timeout", "idle_timeout",
            "Seconds a connection may wait before sending a request's first byte (default 10)");
  text_flag("--audit-retention", "audit_retention",
            "Seconds audit events are kept before the purger deletes them (default 7776000: 90 "
            "days; 0: for ever)");
  cmd->add_option("--audience", f->audiences,
                  "An accepted assertion audience besides the defaults (repeatable)");
  cmd->add_flag("--demo", f->demo,
                "Create demo objects and print the commands that obtain a token");
  cmd->add_flag("--sqlite-full-sync", f->full_sync,
                "fsync every SQLite commit (survives power loss)");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> Status {
      server::ServeConfig config;
      auto getenv = [](const char* n) -> const char* { return std::getenv(n); };
      const std::string file = server::ConfigFilePath(f->config, getenv);
      if (!file.empty()) TESSERA_RETURN_IF_ERROR(server::ApplyTomlFile(config, file));
      TESSERA_RETURN_IF_ERROR(server::ApplyEnvironment(config, getenv));
      for (const auto& [name, value] : f->values) {
        TESSERA_RETURN_IF_ERROR(server::SetSetting(config, name, value).WithContext("--" + name));
      }
      if (!f->audiences.empty()) config.audiences = f->audiences;
      if (f->demo) config.demo = true;
      if (f->full_sync) config.sqlite_full_sync = true;
      return server::RunServe(config, *ctx.out);
    };
  });
}

}  // namespace tessera::cli
