#include "store/postgres/postgres_schema.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "store/postgres/migrations.h"
#include "store/postgres/pg_error.h"
#include "store/postgres/postgres_pool.h"

namespace tessera::store {
namespace {

using postgres_internal::kMigrations;

using ConnPtr = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

Result<ResultPtr> Query(PGconn* conn, const char* sql) {
  ResultPtr res(PQexec(conn, sql), &PQclear);
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
    return PgError(res.get(), conn, std::string("running ") + sql);
  }
  return res;
}

}  // namespace

Result<SchemaStatus> PostgresSchemaStatus(const std::string& url) {
  // For messages: never the password.
  TESSERA_ASSIGN_OR_RETURN(const std::string where, postgres_internal::PostgresUrlWhere(url));

  const char* keys[] = {"dbname", "connect_timeout", "fallback_application_name", nullptr};
  const char* values[] = {url.c_str(), "3", "tessera", nullptr};
  ConnPtr conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1), &PQfinish);
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    return PgError(conn.get(), "connecting to PostgreSQL at " + where);
  }
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);

  std::vector<AppliedMigration> applied;
  TESSERA_ASSIGN_OR_RETURN(ResultPtr exists,
                           Query(conn.get(), "SELECT to_regclass('schema_version') IS NOT NULL"));
  if (std::string_view(PQgetvalue(exists.get(), 0, 0)) == "t") {
    TESSERA_ASSIGN_OR_RETURN(
        ResultPtr rows,
        Query(conn.get(), "SELECT version, name, applied_at FROM schema_version ORDER BY version"));
    for (int i = 0; i < PQntuples(rows.get()); ++i) {
      applied.push_back(AppliedMigration{std::atoi(PQgetvalue(rows.get(), i, 0)),
                                         PQgetvalue(rows.get(), i, 1),
                                         std::atoll(PQgetvalue(rows.get(), i, 2))});
    }
  }
  std::vector<std::pair<int, std::string>> embedded;
  for (const auto& m : kMigrations) embedded.emplace_back(m.version, m.name);
  return MakeSchemaStatus(applied, embedded);
}

}  // namespace tessera::store
