// Translation of SQLite result codes into Tessera's Status: the one place where a foreign error
// becomes ours, so every adapter method reports the same code for the same failure.
//
// Thread safety: reads the connection's last error; call it on the thread that just used `db`,
// before the next call on that connection.
#ifndef TESSERA_STORE_SQLITE_SQLITE_ERROR_H_
#define TESSERA_STORE_SQLITE_SQLITE_ERROR_H_

#include <string_view>

#include "tessera/status.h"

struct sqlite3;

namespace tessera::store {

// Maps `rc` (a primary or extended SQLite result code; never SQLITE_OK/ROW/DONE) to a Status:
//   SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY     -> kAlreadyExists,
//   SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_CANTOPEN,
//   SQLITE_FULL (disk full: an outage, retrying may help)      -> kUnavailable,
//   anything else                                              -> kInternal.
// The message is "<context>: <SQLite's message> (<extended code>)"; `db` may be null (e.g. when
// opening failed), and then SQLite's generic text for `rc` is used.
Status SqliteError(int rc, sqlite3* db, std::string_view context);

}  // namespace tessera::store

#endif  // TESSERA_STORE_SQLITE_SQLITE_ERROR_H_
