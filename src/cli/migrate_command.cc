// `tessera migrate status|up`: the schema versions a store has applied and those this build
// would apply, and applying them without starting a server (`tessera serve` applies them at
// start too). See docs/backup.md.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <ctime>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/store_maintenance.h"
#include "store/postgres/postgres_schema.h"
#include "store/postgres/postgres_store.h"
#include "store/schema_status.h"
#include "store/sqlite/sqlite_maintenance.h"
#include "store/sqlite/sqlite_store.h"

namespace tessera::cli {
namespace {

struct Flags {
  std::string data_dir;
  std::string database;
};

void AddStoreOptions(CLI::App* cmd, Flags& f) {
  CLI::Option* data_dir =
      cmd->add_option("--data-dir", f.data_dir, "The server's data directory (its tessera.db)");
  cmd->add_option("--database", f.database,
                  "sqlite:///path/file.db or postgresql://user:pw@host:port/db")
      ->excludes(data_dir);
}

void RequireStore(const Flags& f) {
  if (f.data_dir.empty() && f.database.empty()) {
    throw CLI::RequiredError("--data-dir or --database");
  }
}

std::string UtcTime(int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  char buf[32];
  if (gmtime_r(&t, &tm) == nullptr ||
      std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return std::to_string(seconds);
  }
  return buf;
}

Result<store::SchemaStatus> ReadStatus(const StoreLocation& where) {
  if (where.postgres) return store::PostgresSchemaStatus(where.postgres_url);
  return store::SqliteSchemaStatus(where.sqlite_path);
}

// One line per migration, after a summary line:
//   schema version 1 (this build's: 2), 1 pending
//     1  001_init.sql                       applied 2026-01-01T00:00:00Z
//     2  002_used_jtis_without_rowid.sql    pending
void Print(const store::SchemaStatus& s, std::ostream& out) {
  out << "schema version " << s.current << " (this build's: " << s.latest << "), " << s.pending()
      << " pending\n";
  for (const store::MigrationStatus& m : s.migrations) {
    std::string name = m.name;
    if (name.size() < 40) name.resize(40, ' ');
    out << "  " << m.version << "  " << name << ' ';
    if (!m.applied) {
      out << "pending\n";
    } else {
      out << "applied " << UtcTime(m.applied_at)
          << (m.known ? "" : " (by a newer build: this one will not open the store)") << '\n';
    }
  }
}

}  // namespace

void RegisterMigrateCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* cmd = app.add_subcommand("migrate", "Schema versions of a store: status, up");
  cmd->require_subcommand(1);

  auto status_flags = std::make_shared<Flags>();
  CLI::App* status = cmd->add_subcommand(
      "status", "Print each schema version: applied (when) or pending; changes nothing");
  AddStoreOptions(status, *status_flags);
  status->callback([&ctx, f = status_flags] {
    RequireStore(*f);
    ctx.action = [&ctx, f]() -> Status {
      TESSERA_ASSIGN_OR_RETURN(StoreLocation where, LocateStore(f->data_dir, f->database));
      TESSERA_ASSIGN_OR_RETURN(store::SchemaStatus s, ReadStatus(where));
      Print(s, *ctx.out);
      return Status::Ok();
    };
  });

  auto up_flags = std::make_shared<Flags>();
  CLI::App* up = cmd->add_subcommand(
      "up", "Apply the pending migrations now (tessera serve applies them when it starts)");
  AddStoreOptions(up, *up_flags);
  up->callback([&ctx, f = up_flags] {
    RequireStore(*f);
    ctx.action = [&ctx, f]() -> Status {
      TESSERA_ASSIGN_OR_RETURN(StoreLocation where, LocateStore(f->data_dir, f->database));
      if (where.postgres) {
        store::PostgresOptions options;
        options.pool_size = 1;
        TESSERA_RETURN_IF_ERROR(store::PostgresStore::Open(where.postgres_url, options).status());
      } else {
        // A mistyped path must not become a new, empty store.
        struct stat st {};
        if (::stat(where.sqlite_path.c_str(), &st) != 0) {
          return Status::NotFound("no store at " + where.sqlite_path);
        }
        TESSERA_RETURN_IF_ERROR(
            store::SqliteStore::Open(where.sqlite_path, store::SqliteOptions{}).status());
      }
      TESSERA_ASSIGN_OR_RETURN(store::SchemaStatus s, ReadStatus(where));
      Print(s, *ctx.out);
      return Status::Ok();
    };
  });
}

}  // namespace tessera::cli
