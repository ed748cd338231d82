// `tessera restore --in FILE --data-dir DIR [--force]`: puts a backup in place of the embedded
// store (see docs/backup.md).
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/store_maintenance.h"
#include "store/sqlite/sqlite_maintenance.h"

namespace tessera::cli {

void RegisterRestoreCommand(CLI::App& app, CommandContext& ctx) {
  struct Flags {
    std::string in;
    std::string data_dir;
    std::string database;
    bool force = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "restore", "Put a backup in place of the embedded store (the server must be stopped)");
  cmd->add_option("--in", f->in, "The backup file (from tessera backup)")->required();
  CLI::Option* data_dir =
      cmd->add_option("--data-dir", f->data_dir, "The server's data directory (its tessera.db)");
  cmd->add_option("--database", f->database, "sqlite:///path/file.db, instead of --data-dir")
      ->excludes(data_dir);
  cmd->add_flag("--force", f->force, "Replace the store that is there");
  cmd->callback([&ctx, f] {
    if (f->data_dir.empty() && f->database.empty()) {
      throw CLI::RequiredError("--data-dir or --database");
    }
    ctx.action = [&ctx, f]() -> Status {
      TESSERA_ASSIGN_OR_RETURN(StoreLocation where, LocateStore(f->data_dir, f->database));
      if (where.postgres) return PostgresBackupRefusal();
      Result<store::SqliteFileInfo> info =
          store::RestoreSqliteStore(f->in, where.sqlite_path, f->force);
      if (info.status().code() == StatusCode::kAlreadyExists) {
        return Status::AlreadyExists(info.status().message() + " (--force replaces it)");
      }
      TESSERA_RETURN_IF_ERROR(info.status());
      // The data directory holds keys and the database: owner only, as `serve` keeps it.
      if (!f->data_dir.empty()) ::chmod(f->data_dir.c_str(), 0700);
      *ctx.out << "restore: " << where.sqlite_path << " now holds backup " << f->in << ", "
               << DescribeStoreFile(*info) << '\n';
      if (info->schema_version < info->latest_schema_version) {
        *ctx.out << "restore: tessera serve (or tessera migrate up) upgrades it to schema version "
                 << info->latest_schema_version << '\n';
      }
      return Status::Ok();
    };
  });
}

}  // namespace tessera::cli
