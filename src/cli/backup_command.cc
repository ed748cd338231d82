// `tessera backup --data-dir DIR --out FILE`: an online copy of the embedded store, and
// `tessera backup verify FILE`: the check of such a copy (see docs/backup.md).
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/store_maintenance.h"
#include "store/sqlite/sqlite_maintenance.h"

namespace tessera::cli {

void RegisterBackupCommand(CLI::App& app, CommandContext& ctx) {
  struct Flags {
    std::string data_dir;
    std::string database;
    std::string out;
    bool force = false;
    std::string file;  // of `verify`
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "backup", "Copy the embedded store to a file, also while the server runs (mode 0600)");
  CLI::Option* data_dir =
      cmd->add_option("--data-dir", f->data_dir, "The server's data directory (its tessera.db)");
  cmd->add_option("--database", f->database, "sqlite:///path/file.db, instead of --data-dir")
      ->excludes(data_dir);
  cmd->add_option("--out", f->out, "The backup file to write");
  cmd->add_flag("--force", f->force, "Replace an existing --out file");

  CLI::App* verify = cmd->add_subcommand(
      "verify", "Check a backup file: integrity, a Tessera store, its schema version");
  verify->add_option("FILE", f->file, "The backup file")->required();
  verify->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> Status {
      TESSERA_ASSIGN_OR_RETURN(store::SqliteFileInfo info, store::VerifySqliteBackup(f->file));
      *ctx.out << "backup " << f->file << ": ok, " << DescribeStoreFile(info) << '\n';
      return Status::Ok();
    };
  });

  cmd->callback([&ctx, f, verify] {
    if (verify->parsed()) return;  // `backup verify`: its own action
    if (f->data_dir.empty() && f->database.empty()) {
      throw CLI::RequiredError("--data-dir or --database");
    }
    if (f->out.empty()) throw CLI::RequiredError("--out");
    ctx.action = [&ctx, f]() -> Status {
      TESSERA_ASSIGN_OR_RETURN(StoreLocation where, LocateStore(f->data_dir, f->database));
      if (where.postgres) return PostgresBackupRefusal();
      Result<store::SqliteFileInfo> info =
          store::BackupSqliteStore(where.sqlite_path, f->out, f->force);
      if (info.status().code() == StatusCode::kAlreadyExists) {
        return Status::AlreadyExists(info.status().message() + " (--force replaces it)");
      }
      TESSERA_RETURN_IF_ERROR(info.status());
      *ctx.out << "backup " << f->out << ": written from " << where.sqlite_path << ", "
               << DescribeStoreFile(*info) << '\n';
      return Status::Ok();
    };
  });
}

}  // namespace tessera::cli
