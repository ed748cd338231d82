#include "server/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace tessera::server {
namespace {

Result<int64_t> ParseInt(const std::string& name, const std::string& v, int64_t lo, int64_t hi) {
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || out < lo || out > hi) {
    return Status::InvalidArgument("setting " + name + ": '" + v + "' is not a whole number from " +
                                   std::to_string(lo) + " to " + std::to_string(hi));
  }
  return out;
}

Result<bool> ParseBool(const std::string& name, const std::string& v) {
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return Status::InvalidArgument("setting " + name + ": '" + v + "' is not true or false");
}

std::vector<std::string> SplitList(const std::string& v) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string::npos) comma = v.size();
    std::string item = v.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::vector<std::string> SettingNames() {
  return {"listen",
          "threads",
          "data_dir",
          "database",
          "issuer",
          "tls_cert",
          "tls_key",
          "demo",
          "signing_alg",
          "clock_skew",
          "max_assertion_lifetime",
          "audiences",
          "assertion_audience",
          "cache_ttl",
          "sqlite_full_sync",
          "log_level",
          "log_format",
          "token_rate_limit",
          "max_connections_per_client",
          "max_connections",
          "idle_timeout",
          "audit_retention"};
}

Status SetSetting(ServeConfig& c, const std::string& name, const std::string& v) {
  if (name == "listen") {
    c.listen = v;
    return c.ListenAddress().status();
  }
  if (name == "threads") {
    TESSERA_ASSIGN_OR_RETURN(int64_t n, ParseInt(name, v, 0, 256));
    c.threads = static_cast<int>(n);
  } else if (name == "data_dir") {
    c.data_dir = v;
  } else if (name == "database") {
    if (!v.empty() && v.rfind("sqlite://", 0) != 0 && v.rfind("postgresql://", 0) != 0 &&
        v.rfind("postgres://", 0) != 0) {
      return Status::InvalidArgument(
          "setting database: use sqlite:///path/file.db or postgresql://user:pw@host:port/db");
    }
    c.database = v;
  } else if (name == "issuer") {
    if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) {
      return Status::InvalidArgument("setting issuer: must be an http:// or https:// URL");
    }
    c.issuer = v;
    while (c.issuer.size() > 8 && c.issuer.back() == '/') c.issuer.pop_back();
  } else if (name == "tls_cert") {
    c.tls_cert = v;
  } else if (name == "tls_key") {
    c.tls_key = v;
  } else if (name == "demo") {
    TESSERA_ASSIGN_OR_RETURN(c.demo, ParseBool(name, v));
  } else if (name == "signing_alg") {
    if (v != "RS256" && v != "ES256" && v != "EdDSA") {
      return Status::InvalidArgument("setting signing_alg: RS256, ES256 or EdDSA");
    }
    c.signing_alg = v;
  } else if (name == "clock_skew") {
    TESSERA_ASSIGN_OR_RETURN(c.clock_skew, ParseInt(name, v, 0, 600));
  } else if (name == "max_assertion_lifetime") {
    TESSERA_ASSIGN_OR_RETURN(c.max_assertion_lifetime, ParseInt(name, v, 60, 86400));
  } else if (name == "audiences") {
    c.audiences = SplitList(v);
  } else if (name == "assertion_audience") {
    if (v != "compat" && v != "strict")
      return Status::InvalidArgument("setting assertion_audience: compat or strict");
    c.assertion_audience = v;
  } else if (name == "cache_ttl") {
    TESSERA_ASSIGN_OR_RETURN(c.cache_ttl, ParseInt(name, v, 0, 3600));
  } else if (name == "sqlite_full_sync") {
    TESSERA_ASSIGN_OR_RETURN(c.sqlite_full_sync, ParseBool(name, v));
  } else if (name == "log_level") {
    if (v != "trace" && v != "debug" && v != "info" && v != "warn" && v != "warning" &&
        v != "error") {
      return Status::InvalidArgument("setting log_level: trace, debug, info, warn or error");
    }
    c.log_level = v == "warning" ? "warn" : v;
  } else if (name == "log_format") {
    if (v != "text" && v != "json")
      return Status::InvalidArgument("setting log_format: text or json");
    c.log_format = v;
  } else if (name == "token_rate_limit") {
    TESSERA_ASSIGN_OR_RETURN(c.token_rate_limit, ParseInt(name, v, 0, 1000000));
  } else if (name == "max_connections_per_client") {
    TESSERA_ASSIGN_OR_RETURN(c.max_connections_per_client, ParseInt(name, v, 0, 1000000));
  } else if (name == "max_connections") {
    TESSERA_ASSIGN_OR_RETURN(c.max_connections, ParseInt(name, v, 1, 1000000));
  } else if (name == "idle_timeout") {
    TESSERA_ASSIGN_OR_RETURN(c.idle_timeout, ParseInt(name, v, 1, 3600));
  } else if (name == "audit_retention") {
    // Seconds, like every other duration; 0 keeps events for ever. At most 100 years.
    TESSERA_ASSIGN_OR_RETURN(c.audit_retention, ParseInt(name, v, 0, 3155695200));
  } else {
    return Status::InvalidArgument("unknown setting '" + name + "'");
  }
  return Status::Ok();
}

Result<std::pair<std::string, uint16_t>> ServeConfig::ListenAddress() const {
  std::string host;
  std::string port;
  if (!listen.empty() && listen.front() == '[') {
    const size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return Status::InvalidArgument("setting listen: expected [IPv6]:PORT");
    }
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    const size_t colon = listen.rfind(':');
    if (colon == std::string::npos)
      return Status::InvalidArgument("setting listen: expected HOST:PORT");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  if (host == "localhost") host = "127.0.0.1";
  TESSERA_ASSIGN_OR_RETURN(int64_t p, ParseInt("listen", port, 0, 65535));
  return std::make_pair(host, static_cast<uint16_t>(p));
}

std::string ServeConfig::EffectiveIssuer() const {
  if (!issuer.empty()) return issuer;
  return std::string(tls_cert.empty() ? "http://" : "https://") + listen;
}

std::string ConfigFilePath(const std::string& flag,
                           const std::function<const char*(const char*)>& getenv,
                           const std::string& system_file) {
  if (!flag.empty()) return flag;
  if (const char* env = getenv("TESSERA_CONFIG"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  return std::filesystem::exists(system_file, ec) ? system_file : std::string();
}

Status ApplyTomlFile(ServeConfig& config, const std::string& path) {
  constexpr std::size_t kMaxConfigBytes = 1 << 20;
  // Read here rather than by toml++, whose error for a missing or unreadable file does not say why.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument("config file " + path + ": is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::InvalidArgument("config file " + path +
                                   ": cannot read: " + std::strerror(errno));
  std::string text;
  text.resize(kMaxConfigBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad())
    return Status::InvalidArgument("config file " + path +
                                   ": cannot read: " + std::strerror(errno));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes)
    return Status::InvalidArgument("config file " + path + ": larger than 1 MiB");
  toml::table table;
  try {
    table = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument("config file " + path + ": " + std::string(e.description()) +
                                   " at line " + std::to_string(e.source().begin.line));
  }
  const auto invalid = [&path](const std::string& name, const char* what) {
    return Status::InvalidArgument("config file " + path + ": " + name + what);
  };
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    std::string text;
    if (auto s = node.value<std::string>(); s && node.is_string()) {
      text = *s;
    } else if (node.is_integer()) {
      text = std::to_string(*node.value<int64_t>());
    } else if (node.is_boolean()) {
      text = *node.value<bool>() ? "true" : "false";
    } else if (const toml::array* arr = node.as_array()) {
      for (const auto& item : *arr) {
        auto s = item.value<std::string>();
        if (!s) return invalid(name, " must list strings");
        if (!text.empty()) text += ',';
        text += *s;
      }
    } else {
      return invalid(name, " has an unsupported type");
    }
    TESSERA_RETURN_IF_ERROR(SetSetting(config, name, text).WithContext("config file " + path));
  }
  return Status::Ok();
}

Status ApplyEnvironment(ServeConfig& config,
                        const std::function<const char*(const char*)>& getenv) {
  for (const std::string& name : SettingNames()) {
    std::string var = "TESSERA_" + name;
    std::transform(var.begin(), var.end(), var.begin(),
                   [](unsigned char ch) { return std::toupper(ch); });
    if (const char* v = getenv(var.c_str()))
      TESSERA_RETURN_IF_ERROR(SetSetting(config, name, v).WithContext(var));
  }
  return Status::Ok();
}

}  // namespace tessera::server
