// SchemaStatus: which numbered migrations a database has applied and which this build would still
// apply, for `tessera migrate status` on either backend. Plain data; no database type.
#ifndef TESSERA_STORE_SCHEMA_STATUS_H_
#define TESSERA_STORE_SCHEMA_STATUS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tessera::store {

struct MigrationStatus {
  int version = 0;
  std::string name;        // the file name, e.g. "001_init.sql"
  bool applied = false;    // recorded in the database's schema_version table
  int64_t applied_at = 0;  // seconds since the epoch; 0 while pending
  bool known = true;       // false: applied by a newer build, unknown to this one

  bool operator==(const MigrationStatus&) const = default;
};

struct SchemaStatus {
  int current = 0;  // the highest version applied (0: none, a new database)
  int latest = 0;   // the highest version this build knows
  // Every version this build knows, then every applied one it does not, by version.
  std::vector<MigrationStatus> migrations;

  int pending() const {
    int n = 0;
    for (const MigrationStatus& m : migrations) n += m.applied ? 0 : 1;
    return n;
  }
};

// One row of a database's schema_version table.
struct AppliedMigration {
  int version = 0;
  std::string name;
  int64_t applied_at = 0;
};

// Merges what a database recorded (`applied`) with what this build embeds (`embedded`, version
// and file name, in version order from 1).
inline SchemaStatus MakeSchemaStatus(const std::vector<AppliedMigration>& applied,
                                     const std::vector<std::pair<int, std::string>>& embedded) {
  std::map<int, const AppliedMigration*> by_version;
  SchemaStatus status;
  for (const AppliedMigration& a : applied) {
    by_version[a.version] = &a;
    if (a.version > status.current) status.current = a.version;
  }
  for (const auto& [version, name] : embedded) {
    MigrationStatus m;
    m.version = version;
    m.name = name;
    if (auto it = by_version.find(version); it != by_version.end()) {
      m.applied = true;
      m.applied_at = it->second->applied_at;
      by_version.erase(it);
    }
    if (version > status.latest) status.latest = version;
    status.migrations.push_back(std::move(m));
  }
  for (const auto& [version, a] : by_version) {
    status.migrations.push_back(MigrationStatus{version, a->name, true, a->applied_at, false});
  }
  return status;
}

}  // namespace tessera::store

#endif  // TESSERA_STORE_SCHEMA_STATUS_H_
