#include "store/postgres/pg_error.h"

#include <cstring>
#include <string>

namespace tessera::store {
namespace {

// libpq messages end with a newline (sometimes several lines); keep one line for logs.
std::string OneLine(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s.empty() ? "unknown error" : s;
}

bool Is(const char* sqlstate, const char* code) { return std::strcmp(sqlstate, code) == 0; }

}  // namespace

bool PgSessionLost(const char* sqlstate) {
  if (sqlstate == nullptr || std::strlen(sqlstate) != 5) return false;
  return std::strncmp(sqlstate, "08", 2) == 0 || Is(sqlstate, "57P01") || Is(sqlstate, "57P02") ||
         Is(sqlstate, "57P03");
}

Status PgError(const PGresult* res, const PGconn* conn, std::string_view context) {
  const char* sqlstate = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string message(context);
  message += ": ";
  if (res != nullptr && PQresultErrorMessage(res)[0] != '\0') {
    message += OneLine(PQresultErrorMessage(res));
  } else {
    message += OneLine(conn != nullptr ? PQerrorMessage(conn) : "no result from libpq");
  }
  if (sqlstate == nullptr) {
    // Errors the server reports always carry a SQLSTATE; one without is libpq's own (the socket
    // broke, the server closed the connection, out of memory): an outage, not a bug of ours.
    return Status::Unavailable(std::move(message));
  }
  message += " (SQLSTATE ";
  message += sqlstate;
  message += ")";
  if (Is(sqlstate, "23505")) return Status::AlreadyExists(std::move(message));
  if (PgSessionLost(sqlstate) || Is(sqlstate, "40001") || Is(sqlstate, "40P01") ||
      Is(sqlstate, "53300") || Is(sqlstate, "57014")) {
    return Status::Unavailable(std::move(message));
  }
  return Status::Internal(std::move(message));
}

Status PgError(const PGconn* conn, std::string_view context) {
  std::string message(context);
  message += ": ";
  message +=
      OneLine(conn != nullptr ? PQerrorMessage(conn) : "libpq could not allocate a connection");
  return Status::Unavailable(std::move(message));
}

}  // namespace tessera::store
