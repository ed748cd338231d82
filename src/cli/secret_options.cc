#include "cli/secret_options.h"

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "cli/files.h"

namespace tessera::cli {

Result<std::string> ReadSecretFile(const std::string& path, const std::string& what) {
  TESSERA_ASSIGN_OR_RETURN(std::string secret, ReadFileBounded(path, what));
  // `echo secret > file` and a here-string add one newline that is not part of the secret.
  if (!secret.empty() && secret.back() == '\n') {
    secret.pop_back();
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  }
  if (secret.empty())
    return Status::InvalidArgument(what + " " + (path == "-" ? "(standard input)" : path) +
                                   " is empty");
  return secret;
}

Result<std::optional<std::string>> ClientSecretOptions::Resolve() const {
  if (secret && file)
    return Status::InvalidArgument("give --client-secret or --client-secret-file, not both");
  if (file) {
    TESSERA_ASSIGN_OR_RETURN(std::string s, ReadSecretFile(*file, "--client-secret-file"));
    return std::optional<std::string>(std::move(s));
  }
  if (secret) return secret;
  if (!env.empty()) {
    if (const char* v = std::getenv(env.c_str()); v != nullptr && *v != '\0')
      return std::optional<std::string>(v);
  }
  return std::optional<std::string>();
}

void AddClientSecretOptions(CLI::App* cmd, ClientSecretOptions* o, const std::string& help,
                            const std::string& env) {
  o->env = env;
  const std::string env_help = env.empty() ? "" : " (or set " + env + " or " + env + "_FILE)";
  cmd->add_option("--client-secret", o->secret, help + env_help);
  cmd->add_option(
      "--client-secret-file", o->file,
      "File holding the client secret (one trailing newline dropped; - reads standard input)");
}

}  // namespace tessera::cli
