#include "cli/store_maintenance.h"

#include <filesystem>

namespace tessera::cli {

Result<StoreLocation> LocateStore(const std::string& data_dir, const std::string& database) {
  StoreLocation where;
  if (database.empty()) {
    where.sqlite_path = (std::filesystem::path(data_dir) / kStoreFileName).string();
    return where;
  }
  if (database.rfind("postgresql://", 0) == 0 || database.rfind("postgres://", 0) == 0) {
    where.postgres = true;
    where.postgres_url = database;
    return where;
  }
  constexpr std::string_view kSqlite = "sqlite://";
  if (database.rfind(kSqlite, 0) != 0) {
    return Status::InvalidArgument(
        "--database: expected sqlite:///path/file.db or postgresql://user:pw@host:port/db");
  }
  where.sqlite_path = database.substr(kSqlite.size());
  if (where.sqlite_path.empty()) {
    return Status::InvalidArgument("--database: sqlite:///path/file.db needs a path");
  }
  return where;
}

std::string DescribeStoreFile(const store::SqliteFileInfo& info) {
  auto count = [](int64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  return "schema version " + std::to_string(info.schema_version) +
         " (this build's: " + std::to_string(info.latest_schema_version) + "), " +
         count(info.signing_keys, "signing key", "signing keys") + ", " +
         count(info.used_jtis, "used jti", "used jtis") + ", " +
         count(info.audit_events, "audit event", "audit events") + ", " +
         count(info.bytes, "byte", "bytes");
}

Status PostgresBackupRefusal() {
  return Status::InvalidArgument(
      "a PostgreSQL store is backed up with pg_dump and restored with pg_restore "
      "(see docs/backup.md)");
}

}  // namespace tessera::cli
