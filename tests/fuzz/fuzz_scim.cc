// SCIM PATCH (http/api/scim.h ApplyPatch) on hostile PatchOp bodies, applied to the
// SCIM views (UserToJson, AppToJson) of fixed records, as PATCH /Users/{id} and /Apps/{id} do.
//
// The fuzzer's bytes are parsed with jose::ParseStrictJson, as the admin API parses a body; a
// JSON array is also tried as the "Operations" of a PatchOp, so the fuzzer reaches the operations
// quickly.
//
// Invariants checked beyond the sanitizers:
//   - ApplyPatch never throws, and every error is kInvalidArgument;
//   - a body that is not an object, or has no non-empty "Operations" array, is refused;
//   - an accepted patch leaves the view a JSON object whose top-level attributes show the last
//     operation on each: "remove" erased it, "replace" (with a path) set it to the value, an
//     operation without a path set every member of its object value;
//   - applying an accepted patch twice from the same view gives the same result.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "http/api/scim.h"
#include "jose/json.h"
#include "store/store.h"

namespace tessera::fuzz {
namespace {

using jose::Json;

const Json& UserView() {
  static const Json* const view = [] {
    store::User u;
    u.id = "6f1c2a9e8b7d4c3a";
    u.user_name = "alice@example.com";
    u.given_name = "Alice";
    u.family_name = "Liddell";
    u.emails = {"alice@example.com", "a.liddell@example.org"};
    u.active = true;
    u.created_at = 1767225600;
    u.updated_at = 1767229200;
    return new Json(http::scim::UserToJson(u));
  }();
  return *view;
}

const Json& ConfidentialAppView() {
  static const Json* const view = [] {
    store::App a;
    a.id = "a1b2c3d4e5f60718";
    a.client_id = "billing-service";
    a.display_name = "Billing";
    a.description = "Posts invoices";
    a.kind = store::AppKind::kConfidential;
    a.active = true;
    a.secret_hash = "pbkdf2-sha256$600000$c2FsdA$aGFzaA";
    a.allowed_grants = {"urn:ietf:params:oauth:grant-type:jwt-bearer", "client_credentials"};
    a.allowed_scopes = {"https://api.example.com:443urn:opc:resource:consumer::all"};
    a.certificate_aliases = {"billing-2026"};
    a.allowed_operations = {"introspect"};
    a.assertion_algs = {"RS256", "ES256"};
    a.access_token_expiry = 3600;
    a.created_at = 1767225600;
    a.updated_at = 1767225600;
    return new Json(http::scim::AppToJson(a));
  }();
  return *view;
}

const Json& ResourceAppView() {
  static const Json* const view = [] {
    store::App a;
    a.id = "0918f7e6d5c4b3a2";
    a.display_name = "Invoices API";
    a.kind = store::AppKind::kResource;
    a.active = true;
    a.audience = "https://api.example.com:443";
    a.scopes = {"urn:opc:resource:consumer::all", "invoices.read"};
    a.access_token_expiry = 900;
    a.created_at = 1767225600;
    a.updated_at = 1767225600;
    return new Json(http::scim::AppToJson(a));
  }();
  return *view;
}

std::string Lower(std::string s) {
  for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return s;
}

// Checks an accepted patch against the result, walking the operations from the last.
void CheckApplied(const Json& patch, const Json& result) {
  TESSERA_FUZZ_CHECK(result.is_object(), result.dump());
  const Json& ops = patch.at("Operations");
  TESSERA_FUZZ_CHECK(ops.is_array() && !ops.empty(), patch.dump());
  std::set<std::string> settled;
  for (auto op = ops.rbegin(); op != ops.rend(); ++op) {
    TESSERA_FUZZ_CHECK(op->is_object() && op->contains("op") && op->at("op").is_string(),
                       op->dump());
    const std::string kind = Lower(op->at("op").get<std::string>());
    TESSERA_FUZZ_CHECK(kind == "add" || kind == "replace" || kind == "remove", kind);
    if (!op->contains("path")) {
      TESSERA_FUZZ_CHECK(kind != "remove", op->dump());
      const Json& value = op->at("value");
      TESSERA_FUZZ_CHECK(value.is_object(), op->dump());
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!settled.insert(it.key()).second) continue;
        TESSERA_FUZZ_CHECK(result.contains(it.key()) && result.at(it.key()) == it.value(),
                           it.key());
      }
      continue;
    }
    const Json& path_json = op->at("path");
    TESSERA_FUZZ_CHECK(path_json.is_string(), op->dump());
    const std::string path = path_json.get<std::string>();
    TESSERA_FUZZ_CHECK(path.find_first_of(".[") == std::string::npos, path);
    if (!settled.insert(path).second) continue;
    if (kind == "remove") {
      TESSERA_FUZZ_CHECK(!result.contains(path), path);
    } else if (kind == "replace") {
      TESSERA_FUZZ_CHECK(result.contains(path) && result.at(path) == op->at("value"), path);
    } else {
      TESSERA_FUZZ_CHECK(result.contains(path), path);  // "add" may append to an array
    }
  }
}

void CheckPatch(const Json& patch) {
  const bool shaped = patch.is_object() && patch.contains("Operations") &&
                      patch.at("Operations").is_array() && !patch.at("Operations").empty();
  for (const Json* view : {&UserView(), &ConfidentialAppView(), &ResourceAppView()}) {
    Json resource = *view;
    Status s;
    try {
      s = http::scim::ApplyPatch(resource, patch);
    } catch (const std::exception& e) {
      CheckFailed(__FILE__, __LINE__, "ApplyPatch threw", e.what());
    }
    if (!s.ok()) {
      TESSERA_FUZZ_CHECK(s.code() == StatusCode::kInvalidArgument, Describe(s));
      continue;
    }
    TESSERA_FUZZ_CHECK(shaped, patch.dump());
    CheckApplied(patch, resource);
    Json again = *view;
    const Status s2 = http::scim::ApplyPatch(again, patch);
    TESSERA_FUZZ_CHECK(s2.ok() && again == resource, Describe(s2));
  }
}

}  // namespace
}  // namespace tessera::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera;
  Result<jose::Json> body = jose::ParseStrictJson(fuzz::AsText(data, size));
  if (!body.ok()) return 0;
  fuzz::CheckPatch(*body);
  if (body->is_array()) {
    jose::Json wrapped = {{"schemas", {http::scim::kPatchSchema}}, {"Operations", *body}};
    fuzz::CheckPatch(wrapped);
  }
  return 0;
}
