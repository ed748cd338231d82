#include "cli/env_files.h"

#include <cstdlib>

#include "cli/secret_options.h"

extern char** environ;

namespace tessera::cli {
namespace {

constexpr std::string_view kPrefix = "TESSERA_";
constexpr std::string_view kSuffix = "_FILE";

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> ResolveFileVariables(
    const std::vector<std::string>& environment,
    const std::function<const char*(const char*)>& getenv) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& entry : environment) {
    const std::size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = entry.substr(0, eq);
    const std::string path = entry.substr(eq + 1);
    if (name.size() <= kPrefix.size() + kSuffix.size() ||
        name.compare(0, kPrefix.size(), kPrefix) != 0 ||
        name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0 || path.empty()) {
      continue;
    }
    const std::string target = name.substr(0, name.size() - kSuffix.size());
    if (const char* direct = getenv(target.c_str()); direct != nullptr && *direct != '\0') {
      return Status::InvalidArgument(std::string(target).append(" and ").append(name).append(
          " are both set; give one of them"));
    }
    if (path == "-") return Status::InvalidArgument(name + " must name a file, not standard input");
    TESSERA_ASSIGN_OR_RETURN(std::string value, ReadSecretFile(path, name));
    out.emplace_back(target, std::move(value));
  }
  return out;
}

Status ApplyFileVariables() {
  std::vector<std::string> environment;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) environment.emplace_back(*e);
  TESSERA_ASSIGN_OR_RETURN(
      auto values, ResolveFileVariables(environment, [](const char* n) { return std::getenv(n); }));
  for (const auto& [name, value] : values) {
    if (::setenv(name.c_str(), value.c_str(), 1) != 0)
      return Status::Internal("cannot set " + name);
  }
  return Status::Ok();
}

}  // namespace tessera::cli
