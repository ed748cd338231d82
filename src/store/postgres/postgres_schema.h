// The migration status of a PostgreSQL store, for `tessera migrate status --database URL`.
#ifndef TESSERA_STORE_POSTGRES_POSTGRES_SCHEMA_H_
#define TESSERA_STORE_POSTGRES_POSTGRES_SCHEMA_H_

#include <string>

#include "store/schema_status.h"
#include "tessera/status.h"

namespace tessera::store {

// Connects to `url` (as PostgresStore::Open accepts it) and reads its schema_version table
// without migrating anything; a database without that table has every migration pending.
// Errors: kInvalidArgument a malformed URL; kUnavailable the server cannot be reached or refuses
// the login; kInternal any other database error. Messages never contain the password.
Result<SchemaStatus> PostgresSchemaStatus(const std::string& url);

}  // namespace tessera::store

#endif  // TESSERA_STORE_POSTGRES_POSTGRES_SCHEMA_H_
