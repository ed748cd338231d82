// ServeConfig: how `tessera serve` is configured (contract section 1).
//
// Three sources, in rising order of precedence: a TOML file (--config FILE, else $TESSERA_CONFIG,
// else /etc/tessera/tessera.toml when it exists: see ConfigFilePath), the environment
// (TESSERA_<UPPER_SNAKE>, e.g. TESSERA_LISTEN, TESSERA_DATA_DIR), and command-line flags. Every
// setting has the same snake_case name in the TOML file ("listen", "data_dir", "tls_cert", ...).
#ifndef TESSERA_SERVER_CONFIG_H_
#define TESSERA_SERVER_CONFIG_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tessera/status.h"

namespace tessera::server {

struct ServeConfig {
  std::string listen = "127.0.0.1:8080";
  int threads = 0;  // 0 = cores
  std::string data_dir = "./tessera-data";
  std::string database;  // sqlite:///path/file.db | postgresql://...; wins over data_dir
  std::string issuer;    // default http(s)://<listen>
  std::string tls_cert;
  std::string tls_key;
  bool demo = false;
  std::string signing_alg = "RS256";  // RS256 | ES256 | EdDSA
  int64_t clock_skew = 30;
  int64_t max_assertion_lifetime = 3600;
  std::vector<std::string> audiences;         // accepted assertion audiences besides the defaults
  int64_t cache_ttl = 5;                      // seconds a node may serve stale apps/users/keys
  std::string assertion_audience = "compat";  // compat | strict (RFC 10070 audiences)
  bool sqlite_full_sync = false;              // fsync every commit (power-loss durability)
  std::string log_level = "info";             // trace | debug | info | warn (= warning) | error
  std::string log_format = "text";            // text | json (one JSON object per line)
  int64_t token_rate_limit = 0;               // token requests per second per client id; 0 = off
  int64_t max_connections_per_client = 256;   // open connections per peer address; 0 = off
  int64_t max_connections = 10000;    // open connections; the longest-idle one makes room past it
  int64_t idle_timeout = 10;          // seconds for the first byte of each request
  int64_t audit_retention = 7776000;  // seconds audit events are kept (90 days); 0 = for ever

  // Host and port of `listen` ("[::1]:8080" and "127.0.0.1:8080" forms).
  Result<std::pair<std::string, uint16_t>> ListenAddress() const;
  std::string EffectiveIssuer() const;
};

// Every setting by name, as the TOML file and TESSERA_* variables spell it.
std::vector<std::string> SettingNames();

// Sets one setting from text (a TOML value already converted, an environment value or a flag).
// kInvalidArgument with the setting's name for an unknown name or a bad value.
Status SetSetting(ServeConfig& config, const std::string& name, const std::string& value);

// The configuration file installed packages read when neither --config nor $TESSERA_CONFIG names
// one.
inline constexpr const char* kSystemConfigFile = "/etc/tessera/tessera.toml";

// Which TOML file to read (contract section 8): `flag` (--config) when given, else
// $TESSERA_CONFIG when set and not empty, else `system_file` when something exists there, else
// "" (no file: defaults, environment and flags only). A file named by the flag or the variable
// must then exist; the system file is optional.
std::string ConfigFilePath(const std::string& flag,
                           const std::function<const char*(const char*)>& getenv,
                           const std::string& system_file = kSystemConfigFile);

// Applies a TOML file. Unknown keys are errors (a typo must not silently change nothing). Every
// error is one line naming the file and the problem ("config file F: cannot read: Permission
// denied", "config file F: expected ... at line 3", "config file F: unknown setting 'lisen'").
// On error `config` may be partly changed: callers stop (the server starts only on success).
Status ApplyTomlFile(ServeConfig& config, const std::string& path);

// Applies TESSERA_<NAME> variables read through `getenv`.
Status ApplyEnvironment(ServeConfig& config, const std::function<const char*(const char*)>& getenv);

}  // namespace tessera::server

#endif  // TESSERA_SERVER_CONFIG_H_
