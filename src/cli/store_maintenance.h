// What the store maintenance verbs (backup, restore, migrate) share. They find a store as
// `tessera serve` does: `--data-dir DIR` names DIR/tessera.db; `--database URL` names a
// sqlite:///path/file.db or a postgresql://user:password@host:port/db store.
#ifndef TESSERA_CLI_STORE_MAINTENANCE_H_
#define TESSERA_CLI_STORE_MAINTENANCE_H_

#include <string>

#include "store/sqlite/sqlite_maintenance.h"
#include "tessera/status.h"

namespace tessera::cli {

// The file name of the embedded store inside a data directory.
inline constexpr char kStoreFileName[] = "tessera.db";

struct StoreLocation {
  bool postgres = false;
  std::string sqlite_path;   // the database file, when !postgres
  std::string postgres_url;  // when postgres
};

// Exactly one of `data_dir` and `database` is non-empty (the command line ensures it).
// kInvalidArgument for a URL of another scheme, or sqlite:// without a path.
Result<StoreLocation> LocateStore(const std::string& data_dir, const std::string& database);

// "schema version 2 (this build's: 2), 1 signing key, 12 used jtis, 40 audit events, 61440
// bytes": what a backup holds, for the verbs' one-line answers.
std::string DescribeStoreFile(const store::SqliteFileInfo& info);

// The one-line refusal of backup and restore for a PostgreSQL store.
Status PostgresBackupRefusal();

}  // namespace tessera::cli

#endif  // TESSERA_CLI_STORE_MAINTENANCE_H_
