// `tessera serve` settings (server/config.h): SetSetting on every setting name and ApplyTomlFile
// on hostile bytes.
//
// The fuzzer's bytes are a TOML file: ApplyTomlFile reads them from a temporary file (one per
// process, rewritten for each input), and SetSetting gets, for every name of SettingNames(), the
// whole input, each of its lines and the value part of each `key = value` line (quotes removed).
//
// Invariants checked beyond the sanitizers:
//   - SetSetting and ApplyTomlFile never throw, and every error is kInvalidArgument; a SetSetting
//     error names the setting;
//   - a name outside SettingNames() is refused;
//   - a configuration that SetSetting or ApplyTomlFile accepted is valid: its listen address
//     parses, numbers are within their ranges, signing_alg and log_level are known values, the
//     issuer is an http(s) URL, the database a sqlite:// or postgres URL, and no audience is
//     empty, holds a comma or is padded with spaces; a text setting keeps the value given.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "server/config.h"

namespace tessera::fuzz {
namespace {

using server::ServeConfig;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

void CheckValid(const ServeConfig& c, std::string_view what) {
  const std::string where(what);
  TESSERA_FUZZ_CHECK(c.ListenAddress().ok(), where + ": listen " + c.listen);
  TESSERA_FUZZ_CHECK(c.threads >= 0 && c.threads <= 256, where);
  TESSERA_FUZZ_CHECK(c.database.empty() || StartsWith(c.database, "sqlite://") ||
                         StartsWith(c.database, "postgresql://") ||
                         StartsWith(c.database, "postgres://"),
                     where + ": database " + c.database);
  TESSERA_FUZZ_CHECK(
      c.issuer.empty() || StartsWith(c.issuer, "http://") || StartsWith(c.issuer, "https://"),
      where + ": issuer " + c.issuer);
  TESSERA_FUZZ_CHECK(
      c.signing_alg == "RS256" || c.signing_alg == "ES256" || c.signing_alg == "EdDSA",
      where + ": signing_alg " + c.signing_alg);
  TESSERA_FUZZ_CHECK(c.clock_skew >= 0 && c.clock_skew <= 600, where);
  TESSERA_FUZZ_CHECK(c.max_assertion_lifetime >= 60 && c.max_assertion_lifetime <= 86400, where);
  TESSERA_FUZZ_CHECK(c.cache_ttl >= 0 && c.cache_ttl <= 3600, where);
  const std::string& l = c.log_level;
  TESSERA_FUZZ_CHECK(l == "trace" || l == "debug" || l == "info" || l == "warn" || l == "error",
                     where + ": log_level " + l);
  for (const std::string& a : c.audiences) {
    TESSERA_FUZZ_CHECK(
        !a.empty() && a.find(',') == std::string::npos && a.front() != ' ' && a.back() != ' ',
        where + ": audience '" + a + "'");
  }
}

Status CallSetSetting(ServeConfig& c, const std::string& name, const std::string& value) {
  try {
    return server::SetSetting(c, name, value);
  } catch (const std::exception& e) {
    CheckFailed(__FILE__, __LINE__, "SetSetting threw", e.what());
  }
}

void CheckSetting(const std::string& name, const std::string& value) {
  ServeConfig c;
  const Status s = CallSetSetting(c, name, value);
  if (!s.ok()) {
    TESSERA_FUZZ_CHECK(s.code() == StatusCode::kInvalidArgument, Describe(s));
    TESSERA_FUZZ_CHECK(s.message().find(name) != std::string::npos, name + ": " + Describe(s));
    return;
  }
  CheckValid(c, name);
  if (name == "listen") TESSERA_FUZZ_CHECK(c.listen == value, c.listen);
  if (name == "data_dir") TESSERA_FUZZ_CHECK(c.data_dir == value, c.data_dir);
  if (name == "database") TESSERA_FUZZ_CHECK(c.database == value, c.database);
  if (name == "tls_cert") TESSERA_FUZZ_CHECK(c.tls_cert == value, c.tls_cert);
  if (name == "tls_key") TESSERA_FUZZ_CHECK(c.tls_key == value, c.tls_key);
  if (name == "signing_alg") TESSERA_FUZZ_CHECK(c.signing_alg == value, c.signing_alg);
  if (name == "log_level") TESSERA_FUZZ_CHECK(c.log_level == value, c.log_level);
  // The issuer loses trailing '/' only.
  if (name == "issuer") TESSERA_FUZZ_CHECK(StartsWith(value, c.issuer), c.issuer);
}

// The values SetSetting is tried with: the input, its lines, and `key = value` values.
std::vector<std::string> Values(std::string_view input, std::vector<std::string>* keys) {
  std::vector<std::string> out = {std::string(input)};
  std::size_t lines = 0;
  while (!input.empty() && lines++ < 32) {
    const std::size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    input = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    out.emplace_back(line);
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = line.substr(0, eq);
    std::string_view value = line.substr(eq + 1);
    while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\r')) value.remove_suffix(1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    keys->emplace_back(key);
    out.emplace_back(value);
  }
  return out;
}

const std::string& TomlPath() {
  static const std::string* const path = [] {
    auto* p = new std::string("/tmp/tessera-fuzz-config-" + std::to_string(getpid()) + ".toml");
    std::atexit([] { std::remove(TomlPath().c_str()); });
    return p;
  }();
  return *path;
}

void CheckTomlFile(std::string_view input) {
  const std::string& path = TomlPath();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  TESSERA_FUZZ_CHECK(f != nullptr, path);
  const bool written = std::fwrite(input.data(), 1, input.size(), f) == input.size();
  TESSERA_FUZZ_CHECK(std::fclose(f) == 0 && written, path);

  ServeConfig c;
  Status s;
  try {
    s = server::ApplyTomlFile(c, path);
  } catch (const std::exception& e) {
    CheckFailed(__FILE__, __LINE__, "ApplyTomlFile threw", e.what());
  }
  if (!s.ok()) {
    TESSERA_FUZZ_CHECK(s.code() == StatusCode::kInvalidArgument, Describe(s));
    return;
  }
  CheckValid(c, "config file");
}

}  // namespace
}  // namespace tessera::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera;
  const std::string_view input = fuzz::AsText(data, size);
  static const std::vector<std::string> names = server::SettingNames();

  std::vector<std::string> keys;
  for (const std::string& value : fuzz::Values(input, &keys)) {
    for (const std::string& name : names) fuzz::CheckSetting(name, value);
  }
  for (const std::string& key : keys) {
    if (std::find(names.begin(), names.end(), key) != names.end()) continue;
    server::ServeConfig c;
    const Status s = fuzz::CallSetSetting(c, key, "1");
    TESSERA_FUZZ_CHECK(!s.ok() && s.code() == StatusCode::kInvalidArgument, key);
  }
  fuzz::CheckTomlFile(input);
  return 0;
}
