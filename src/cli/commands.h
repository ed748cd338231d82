// The verbs of the `tessera` command line, and how a verb joins it.
//
// Pattern: every verb lives in its own file `src/cli/<verb>_command.cc` and exposes one function
// here, `void Register<Verb>Command(CLI::App& app, CommandContext& ctx)`. It adds its subcommand
// (and any sub-subcommands) to `app` with their options and `--help` text, and gives each leaf a
// CLI11 callback that does nothing but store the work to do in `ctx.action`. main.cc, the
// composition root, calls every Register function, parses the command line, and only when parsing
// succeeded runs `ctx.action` once. So a verb never runs on a half-parsed command line, never
// calls exit(), and never prints its own errors: it returns a Status whose message is ONE line
// saying what failed and on which input ("cannot read key file x.pem: No such file or
// directory"), and main prints it as "tessera: <message>" on stderr with a non-zero exit status.
//
// Adding a verb (serve, token, admin, doctor, gateway, ...):
//   1. write src/cli/<verb>_command.cc defining Register<Verb>Command;
//   2. declare it below;
//   3. add the file to tessera_cli in src/cli/CMakeLists.txt and one call in main.cc.
//
// Example (a verb with one option):
//   void RegisterEchoCommand(CLI::App& app, CommandContext& ctx) {
//     auto text = std::make_shared<std::string>();
//     CLI::App* cmd = app.add_subcommand("echo", "Print TEXT");
//     cmd->add_option("TEXT", *text, "What to print")->required();
//     cmd->callback([&ctx, text] {
//       ctx.action = [&ctx, text]() -> Status { *ctx.out << *text << '\n'; return Status::Ok(); };
//     });
//   }
//
// Options are held in a shared_ptr captured by the callbacks, because they must outlive the
// Register call and be read when the action runs.
#ifndef TESSERA_CLI_COMMANDS_H_
#define TESSERA_CLI_COMMANDS_H_

#include <functional>
#include <ostream>

#include "tessera/clock.h"
#include "tessera/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tessera::cli {

// What every verb may use. Owned by main; outlives parsing and the action.
struct CommandContext {
  std::ostream* out = nullptr;   // normal output (stdout)
  std::ostream* err = nullptr;   // warnings that do not fail the command (stderr)
  const Clock* clock = nullptr;  // "now" for iat/exp and time checks
  // Set by the callback of the subcommand the user named; run by main after a successful parse.
  std::function<Status()> action;
};

// `tessera keys generate|thumbprint|jwk`: key pairs, certificates, PKCS#12, thumbprints.
void RegisterKeysCommand(CLI::App& app, CommandContext& ctx);

// `tessera assert`: sign a JWT user assertion (RFC 7523 2.1) or client assertion (2.2).
void RegisterAssertCommand(CLI::App& app, CommandContext& ctx);

// `tessera admin ...`: the admin API from the shell (contract section 7).
void RegisterAdminCommand(CLI::App& app, CommandContext& ctx);

// `tessera doctor`: the assertion check of contract section 6 as a checklist with fixes.
void RegisterDoctorCommand(CLI::App& app, CommandContext& ctx);

// `tessera serve`: run the identity-domain server (contract section 1).
void RegisterServeCommand(CLI::App& app, CommandContext& ctx);

// `tessera jwt decode|verify`: inspect a JWT, or verify its signature and time claims.
void RegisterJwtCommand(CLI::App& app, CommandContext& ctx);

// `tessera token`: obtain an access token (client credentials, or a user assertion with --sub).
void RegisterTokenCommand(CLI::App& app, CommandContext& ctx);

// `tessera dpop proof|thumbprint`: DPoP proofs (RFC 9449) and key thumbprints.
void RegisterDpopCommand(CLI::App& app, CommandContext& ctx);

// `tessera gateway`: a reverse proxy admitting only requests with a valid bearer token.
void RegisterGatewayCommand(CLI::App& app, CommandContext& ctx);

// `tessera backup` and `tessera backup verify`: an online copy of the embedded store, checked.
void RegisterBackupCommand(CLI::App& app, CommandContext& ctx);

// `tessera restore`: a backup put in place of the embedded store.
void RegisterRestoreCommand(CLI::App& app, CommandContext& ctx);

// `tessera migrate status|up`: a store's schema versions, applied and pending.
void RegisterMigrateCommand(CLI::App& app, CommandContext& ctx);

}  // namespace tessera::cli

#endif  // TESSERA_CLI_COMMANDS_H_
