# Turns the numbered migration files into a C++ header of raw string literals, so the binary
# carries its schema and needs no files at run time.
#
# Usage: cmake -DOUTPUT=<header> -DMIGRATIONS_DIR=<dir> -DBACKEND=<sqlite|postgres>
#              -P embed_migrations.cmake
# Files must be named NNN_name.sql and numbered 001, 002, ... without gaps. Each backend gets its
# own namespace (tessera::store::<BACKEND>_internal) and include guard, so both schemas can be
# linked into one binary.
if(NOT BACKEND)
  message(FATAL_ERROR "embed_migrations.cmake needs -DBACKEND=<name>")
endif()
string(TOUPPER "${BACKEND}" BACKEND_UPPER)

file(GLOB files RELATIVE "${MIGRATIONS_DIR}" "${MIGRATIONS_DIR}/*.sql")
list(SORT files)
if(NOT files)
  message(FATAL_ERROR "no migrations in ${MIGRATIONS_DIR}")
endif()

set(delimiter "tessera_sql")
set(body "")
set(expected 1)
foreach(name IN LISTS files)
  if(NOT name MATCHES "^([0-9][0-9][0-9])_[a-z0-9_]+\\.sql$")
    message(FATAL_ERROR "migration ${name}: the name must be NNN_lower_snake.sql")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")  # drops the leading zeros
  if(NOT version EQUAL expected)
    message(FATAL_ERROR "migration ${name}: expected number ${expected}; numbers have no gaps")
  endif()
  math(EXPR expected "${expected} + 1")
  file(READ "${MIGRATIONS_DIR}/${name}" sql)
  string(FIND "${sql}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "migration ${name} contains the raw-string delimiter )${delimiter}\"")
  endif()
  string(APPEND body "    {${version}, \"${name}\", R\"${delimiter}(${sql})${delimiter}\"},\n")
endforeach()

set(content "// Generated from src/store/${BACKEND}/migrations/*.sql by embed_migrations.cmake. Do not edit.
#ifndef TESSERA_STORE_${BACKEND_UPPER}_MIGRATIONS_H_
#define TESSERA_STORE_${BACKEND_UPPER}_MIGRATIONS_H_

namespace tessera::store::${BACKEND}_internal {

struct Migration {
  int version;       // 1, 2, ...: the file's number
  const char* name;  // the file name, for messages
  const char* sql;   // the file's statements, applied in one transaction
};

// In order of version, without gaps.
inline constexpr Migration kMigrations[] = {
${body}};

}  // namespace tessera::store::${BACKEND}_internal

#endif  // TESSERA_STORE_${BACKEND_UPPER}_MIGRATIONS_H_
")

# Rewrite only on change, so an unchanged schema does not rebuild its dependents.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${content}")
