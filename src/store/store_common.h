// Internal to the store adapters (src/store/sqlite, src/store/postgres): the argument checks,
// the JSON encoding of list fields and the kind names that every backend stores the same way.
// Not a port and not installed; domain code never includes it.
//
// Stored forms (both backends' schemas depend on them; changing one is a migration):
//   - list fields (User::emails, App::allowed_grants, ...) are a JSON array of strings;
//   - AppKind is "confidential" | "resource", CertificateKind "client" | "partner".
#ifndef TESSERA_STORE_STORE_COMMON_H_
#define TESSERA_STORE_STORE_COMMON_H_

#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"
#include "tessera/status.h"

namespace tessera::store::store_internal {

// kInvalidArgument "<what> must not be empty" when `value` is empty (store.h: a create's key).
Status RequireKey(std::string_view value, std::string_view what);

// kInvalidArgument when offset or limit is negative (store.h: paging).
Status CheckPage(int offset, int limit);

// kInvalidArgument when limit is negative. Databases read a negative LIMIT as "no limit" (SQLite)
// or refuse it with a database error (PostgreSQL): refused here, before either, so a purge with a
// bad limit never deletes everything.
Status CheckLimit(int limit);

// `values` as a JSON array of strings. kInvalidArgument naming `field` when a value is not valid
// UTF-8.
Result<std::string> ToJson(const std::vector<std::string>& values, std::string_view field);

// The JSON array of strings `text`, as stored by ToJson. kInternal naming `field` when the stored
// text is not one.
Result<std::vector<std::string>> FromJson(const std::string& text, std::string_view field);

// The stored names of the kinds.
const char* AppKindName(AppKind kind);
const char* CertificateKindName(CertificateKind kind);

// The AppKind whose stored name is `name`; kInternal for any other text.
Result<AppKind> AppKindFromName(std::string_view name);

// The JSON texts of an app's list fields.
struct AppJson {
  std::string allowed_grants, allowed_scopes, certificate_aliases, allowed_operations,
      assertion_algs, scopes;
};

// ToJson of each list field of `app`.
Result<AppJson> EncodeApp(const App& app);

// FromJson of each text of `json` into the list fields of `app`; the other fields are untouched.
Status DecodeApp(const AppJson& json, App& app);

}  // namespace tessera::store::store_internal

#endif  // TESSERA_STORE_STORE_COMMON_H_
