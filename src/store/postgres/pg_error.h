// Translation of libpq failures into Tessera's Status: the one place where a PostgreSQL error
// becomes ours, so every adapter method reports the same code for the same failure.
//
// Thread safety: reads the connection's or the result's error; call it on the thread that owns
// `conn` (or `res`), before the next call on that connection.
#ifndef TESSERA_STORE_POSTGRES_PG_ERROR_H_
#define TESSERA_STORE_POSTGRES_PG_ERROR_H_

#include <libpq-fe.h>

#include <string_view>

#include "tessera/status.h"

namespace tessera::store {

// Maps a failed statement result to a Status by its SQLSTATE:
//   23505 unique_violation                                     -> kAlreadyExists,
//   class 08 (connection exception), 57P01 admin_shutdown,
//   57P02 crash_shutdown, 57P03 cannot_connect_now,
//   40001 serialization_failure, 40P01 deadlock_detected,
//   53300 too_many_connections, 57014 query_canceled
//   (statement_timeout: an overloaded database)                -> kUnavailable,
//   no SQLSTATE at all (libpq lost the connection itself)      -> kUnavailable,
//   anything else                                              -> kInternal.
// `res` may be null (libpq returned no result: the connection is gone), and then `conn`'s
// message is used. The message is "<context>: <PostgreSQL's message> (SQLSTATE xxxxx)".
Status PgError(const PGresult* res, const PGconn* conn, std::string_view context);

// Maps a connection-level failure (connecting, sending, a connection gone bad) to kUnavailable,
// with PQerrorMessage(conn) in the message; `conn` may be null (out of memory in libpq).
Status PgError(const PGconn* conn, std::string_view context);

// True if `sqlstate` (five characters, or null) means the server has closed or is closing this
// session, so the connection must not be used again.
bool PgSessionLost(const char* sqlstate);

}  // namespace tessera::store

#endif  // TESSERA_STORE_POSTGRES_PG_ERROR_H_
