// Work on an embedded store's database file from outside the server: an online backup, the check
// of a backup file, restoring a backup into place, and the schema's migration status.
//
// Everything a node keeps is in the one database file: users, apps, certificates, the signing
// keys (private keys included, so a restored store serves the same JWKS), trust-token issuers,
// used jtis, revocations and the audit trail. A backup is therefore that file, copied.
//
// Example:
//   TESSERA_ASSIGN_OR_RETURN(SqliteFileInfo info,
//                            BackupSqliteStore("/var/lib/tessera/tessera.db", "/backup/t.db",
//                                              /*overwrite=*/false));
//   TESSERA_RETURN_IF_ERROR(VerifySqliteBackup("/backup/t.db").status());
//
// Messages are one line that names the file and the problem ("backup /b/t.db: the file is
// empty"). None of these functions migrates a store.
#ifndef TESSERA_STORE_SQLITE_SQLITE_MAINTENANCE_H_
#define TESSERA_STORE_SQLITE_SQLITE_MAINTENANCE_H_

#include <cstdint>
#include <string>

#include "store/schema_status.h"
#include "tessera/status.h"

namespace tessera::store {

// What a checked store or backup file holds.
struct SqliteFileInfo {
  int schema_version = 0;         // the newest migration recorded in the file
  int latest_schema_version = 0;  // the newest this build knows
  int64_t signing_keys = 0;
  int64_t used_jtis = 0;
  int64_t audit_events = 0;
  int64_t bytes = 0;  // the file's size
};

// Copies the store at `db_path` to `out_path` while servers keep reading and writing it. The copy
// is made by SQLite's online backup API on a connection of its own, in one read transaction: it
// is the state after one committed transaction, and writers are not held off meanwhile (WAL
// mode; the server's checkpoints never wait for readers). The copy is one self-contained file
// (rollback-journal mode, no -wal companion), created mode 0600 as a temporary file in
// out_path's directory, flushed to disk, checked as VerifySqliteBackup does, and only then
// renamed to `out_path` (the directory is flushed too), so `out_path` is either absent, the
// previous file, or a complete checked backup.
// Errors: kNotFound no store at db_path or no directory for out_path; kAlreadyExists out_path
// exists and !overwrite; kInvalidArgument out_path is the store itself (or one of its
// companions), or db_path is not a Tessera store; kFailedPrecondition the store's schema is newer
// than this build; kUnavailable I/O errors, or the store stayed locked for seconds.
Result<SqliteFileInfo> BackupSqliteStore(const std::string& db_path, const std::string& out_path,
                                         bool overwrite);

// Checks, without writing anything (not even -wal or -shm companions), that `path` is a complete
// Tessera store this build can serve: a regular, non-empty file with a SQLite header, not shorter
// than its header says, that passes PRAGMA integrity_check, records its migrations in
// schema_version under this build's names, has the store's tables, and whose schema version is
// not newer than this build's (an older one is upgraded when a server opens it).
// Errors: kNotFound the file is missing; kInvalidArgument any of the above fails;
// kFailedPrecondition the schema is newer than this build; kUnavailable I/O errors.
Result<SqliteFileInfo> VerifySqliteBackup(const std::string& path);

// Puts the backup at `in_path` in the place of the store at `db_path`. First, before anything is
// changed, the backup is checked as VerifySqliteBackup does; a store already at db_path (a
// non-empty file) is refused unless `force`; a store that a process holds open (a running
// server) is refused always. Then the backup is copied to a temporary file (mode 0600) beside
// db_path, flushed and checked again, the old store's -wal, -shm and -journal companions are
// removed (they belong to the old file and would corrupt the new one), and the copy is renamed
// to db_path (the directory is flushed too). Missing directories of db_path are created 0700.
// Errors: as VerifySqliteBackup for the backup; kAlreadyExists a store exists and !force;
// kFailedPrecondition the store is in use; kUnavailable I/O errors.
Result<SqliteFileInfo> RestoreSqliteStore(const std::string& in_path, const std::string& db_path,
                                          bool force);

// The migrations this build knows and those recorded at `db_path`, read without migrating (an
// empty file has none applied). Errors: kNotFound no file at db_path; kInvalidArgument the file
// is not a Tessera store; kUnavailable it cannot be read.
Result<SchemaStatus> SqliteSchemaStatus(const std::string& db_path);

}  // namespace tessera::store

#endif  // TESSERA_STORE_SQLITE_SQLITE_MAINTENANCE_H_
