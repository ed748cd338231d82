// The man page and the bash completion of `tessera`, generated from the CLI11 definitions of
// the commands themselves (the App tree main builds), so that neither is written twice nor goes
// stale: a new option appears in --help, the man page and the completion at once.
//
// The build runs the hidden commands `tessera man` and `tessera completion bash` and installs
// their output as share/man/man1/tessera.1 and share/bash-completion/completions/tessera.
// Hidden commands (CLI11 group "") appear in neither.
#ifndef TESSERA_CLI_DOCGEN_H_
#define TESSERA_CLI_DOCGEN_H_

#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace tessera::cli {

// tessera(1) in man(7) roff: NAME, SYNOPSIS, DESCRIPTION, one subsection per command (at every
// depth) with its options, ENVIRONMENT, FILES, EXIT STATUS.
std::string ManPage(const CLI::App& app);

// A bash script defining and registering (`complete -F`) the completion of `tessera`: the
// subcommand names and long options valid at the cursor's position in the command tree.
std::string BashCompletion(const CLI::App& app);

// `tessera man` and `tessera completion bash`, hidden; they print the two documents above for
// `app`, which must be the root the other commands were added to (call last).
void RegisterDocCommands(CLI::App& app, struct CommandContext& ctx);

}  // namespace tessera::cli

#endif  // TESSERA_CLI_DOCGEN_H_
