#include "store/sqlite/sqlite_error.h"

#include <sqlite3.h>

#include <string>

namespace tessera::store {

Status SqliteError(int rc, sqlite3* db, std::string_view context) {
  // Connections run with extended result codes on, but a caller may pass a primary code (e.g.
  // from sqlite3_open_v2 before the flag is set); the extended code of the connection is the
  // more precise of the two when it refines the same primary code.
  if (db != nullptr && rc == (rc & 0xff)) {
    const int extended = sqlite3_extended_errcode(db);
    if ((extended & 0xff) == rc) rc = extended;
  }
  std::string message(context);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  message += " (sqlite code ";
  message += std::to_string(rc);
  message += ")";

  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Status::AlreadyExists(std::move(message));
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
      return Status::Unavailable(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

}  // namespace tessera::store
