// TESSERA_<NAME>_FILE: any TESSERA_<NAME> variable given as the name of a file holding its value
// (contract section 8), for secrets mounted as files (systemd credentials, container secrets).
//
// main resolves them once, before parsing the command line, so that every consumer of
// TESSERA_<NAME> (the server's settings, the bootstrap administrator's
// TESSERA_ADMIN_CLIENT_SECRET, the command-line options' defaults) sees the value without knowing
// where it came from. The value is the file's content with one trailing newline dropped.
// An empty TESSERA_<NAME>_FILE counts as unset.
#ifndef TESSERA_CLI_ENV_FILES_H_
#define TESSERA_CLI_ENV_FILES_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tessera/status.h"

namespace tessera::cli {

// The TESSERA_<NAME> values to set for the TESSERA_<NAME>_FILE entries of `environment`
// ("NAME=value" strings, as in environ). `getenv` looks a variable up. Errors, one line each:
// "TESSERA_X and TESSERA_X_FILE are both set; give one of them" when TESSERA_X is set and not
// empty too, and the read error naming the variable and the file.
Result<std::vector<std::pair<std::string, std::string>>> ResolveFileVariables(
    const std::vector<std::string>& environment,
    const std::function<const char*(const char*)>& getenv);

// ResolveFileVariables over this process's environment, then setenv for each result.
Status ApplyFileVariables();

}  // namespace tessera::cli

#endif  // TESSERA_CLI_ENV_FILES_H_
