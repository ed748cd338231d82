// The client secret of a command, given on the command line, in a file, or in the environment.
//
// Every command that takes `--client-secret S` also takes `--client-secret-file FILE` (contract
// section 8): FILE's content with one trailing newline dropped ("\n" or "\r\n"), `-` meaning
// standard input. A secret in a file stays out of the shell history and of `ps`. Giving both is
// an error naming both. Without either, the command's environment variable (when it has one)
// supplies the secret; TESSERA_<NAME>_FILE variables are already resolved by main.
//
// Example:
//   auto secret = std::make_shared<ClientSecretOptions>();
//   AddClientSecretOptions(cmd, secret.get(), "The client's secret", "TESSERA_CLIENT_SECRET");
//   ... in the action:
//   TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> s, secret->Resolve());
#ifndef TESSERA_CLI_SECRET_OPTIONS_H_
#define TESSERA_CLI_SECRET_OPTIONS_H_

#include <optional>
#include <string>

#include "tessera/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tessera::cli {

struct ClientSecretOptions {
  std::optional<std::string> secret;  // --client-secret
  std::optional<std::string> file;    // --client-secret-file
  std::string env;                    // the variable consulted when neither is given ("" = none)

  // The secret (nullopt when none is given anywhere). Errors: both options given; the file
  // unreadable, empty or over 1 MiB (one line naming the file and the reason).
  Result<std::optional<std::string>> Resolve() const;
};

// The secret of a file named by --client-secret-file (or a TESSERA_*_FILE variable): its content
// with one trailing newline dropped; `-` is standard input. `what` names the option for messages.
Result<std::string> ReadSecretFile(const std::string& path, const std::string& what);

// Adds --client-secret and --client-secret-file to `cmd`; `env` (may be empty) is the variable
// used when neither is given.
void AddClientSecretOptions(CLI::App* cmd, ClientSecretOptions* o, const std::string& help,
                            const std::string& env);

}  // namespace tessera::cli

#endif  // TESSERA_CLI_SECRET_OPTIONS_H_
