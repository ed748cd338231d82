// `tessera`: the composition root of the command line. It alone knows every verb; each verb's
// file registers its subcommand (see cli/commands.h), and this file parses, runs the chosen verb
// once, and turns its Status into an exit status and one line on stderr.
//
// Before parsing, TESSERA_<NAME>_FILE variables become TESSERA_<NAME> (cli/env_files.h); a bad
// one stops every command with one line and status 1, before anything runs.
//
// Exit status: 0 success; 1 the command failed (file, key, token, network); 2 the command line
// itself is wrong (unknown option, missing argument).
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/docgen.h"
#include "cli/env_files.h"
#include "common/build_info.h"
#include "tessera/clock.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// One line, whatever a library put in the message.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

int Run(int argc, char** argv) {
  tessera::SystemClock clock;
  tessera::cli::CommandContext ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  ctx.clock = &clock;

  CLI::App app("Tessera: OAuth 2.0 JWT assertions, keys and tokens", "tessera");
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every command and exit");
  app.set_version_flag("--version", tessera::BuildVersionLine(), "Print the version and exit");
  app.add_subcommand("version", "Print the version and exit")->callback([&ctx] {
    ctx.action = [&ctx]() -> tessera::Status {
      *ctx.out << tessera::BuildVersionLine() << '\n';
      return tessera::Status::Ok();
    };
  });
  tessera::cli::RegisterKeysCommand(app, ctx);
  tessera::cli::RegisterAssertCommand(app, ctx);
  tessera::cli::RegisterJwtCommand(app, ctx);
  tessera::cli::RegisterServeCommand(app, ctx);
  tessera::cli::RegisterAdminCommand(app, ctx);
  tessera::cli::RegisterDoctorCommand(app, ctx);
  tessera::cli::RegisterTokenCommand(app, ctx);
  tessera::cli::RegisterDpopCommand(app, ctx);
  tessera::cli::RegisterGatewayCommand(app, ctx);
  tessera::cli::RegisterBackupCommand(app, ctx);
  tessera::cli::RegisterRestoreCommand(app, ctx);
  tessera::cli::RegisterMigrateCommand(app, ctx);
  tessera::cli::RegisterDocCommands(app, ctx);  // last: it documents the others

  // CLI11 would report a mistyped verb as "A subcommand is required"; name it instead.
  if (argc >= 2 && argv[1][0] != '-') {
    std::string verbs;
    bool known = false;
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      known = known || sub->get_name() == argv[1];
      if (!sub->get_group().empty()) verbs += (verbs.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::cerr << "tessera: unknown command \"" << OneLine(argv[1]) << "\"; commands: " << verbs
                << " (see --help)\n";
      return kExitUsage;
    }
  }
  if (const tessera::Status s = tessera::cli::ApplyFileVariables(); !s.ok()) {
    std::cerr << "tessera: " << OneLine(s.message()) << '\n';
    return kExitFailure;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "tessera: " << OneLine(e.what()) << " (see --help)\n";
    return kExitUsage;
  }
  if (!ctx.action) {
    std::cerr << "tessera: no command given (see --help)\n";
    return kExitUsage;
  }
  const tessera::Status status = ctx.action();
  std::cout.flush();
  if (!status.ok()) {
    std::cerr << "tessera: " << OneLine(status.message()) << '\n';
    return kExitFailure;
  }
  if (!std::cout) {
    std::cerr << "tessera: cannot write to standard output\n";
    return kExitFailure;
  }
  return 0;
}

}  // namespace

// An exception no verb turned into a Status (allocation failure, a library's own) is a failed
// command, reported on one line like the others, not std::terminate's abort.
int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "tessera: " << OneLine(e.what()) << '\n';
  } catch (...) {
    std::cerr << "tessera: unexpected error\n";
  }
  return kExitFailure;
}
