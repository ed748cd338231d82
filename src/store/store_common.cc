#include "store/store_common.h"

#include <nlohmann/json.hpp>

namespace tessera::store::store_internal {

Status RequireKey(std::string_view value, std::string_view what) {
  if (value.empty()) return Status::InvalidArgument(std::string(what) + " must not be empty");
  return Status::Ok();
}

Status CheckPage(int offset, int limit) {
  if (offset < 0 || limit < 0) {
    return Status::InvalidArgument("offset and limit must not be negative");
  }
  return Status::Ok();
}

Status CheckLimit(int limit) {
  if (limit < 0) return Status::InvalidArgument("limit must not be negative");
  return Status::Ok();
}

Result<std::string> ToJson(const std::vector<std::string>& values, std::string_view field) {
  try {
    return nlohmann::json(values).dump();
  } catch (const nlohmann::json::exception& e) {
    // dump() throws on invalid UTF-8.
    return Status::InvalidArgument(std::string(field) + ": " + e.what());
  }
}

Result<std::vector<std::string>> FromJson(const std::string& text, std::string_view field) {
  try {
    return nlohmann::json::parse(text).get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    return Status::Internal("stored " + std::string(field) +
                            " is not a JSON string array: " + e.what());
  }
}

const char* AppKindName(AppKind kind) {
  switch (kind) {
    case AppKind::kConfidential:
      return "confidential";
    case AppKind::kResource:
      return "resource";
  }
  return "";  // not reached: the switch is exhaustive and -Wswitch checks it
}

const char* CertificateKindName(CertificateKind kind) {
  switch (kind) {
    case CertificateKind::kClient:
      return "client";
    case CertificateKind::kPartner:
      return "partner";
  }
  return "";
}

Result<AppKind> AppKindFromName(std::string_view name) {
  if (name == "confidential") return AppKind::kConfidential;
  if (name == "resource") return AppKind::kResource;
  return Status::Internal("stored app kind is unknown: " + std::string(name));
}

Result<AppJson> EncodeApp(const App& app) {
  AppJson j;
  TESSERA_ASSIGN_OR_RETURN(j.allowed_grants, ToJson(app.allowed_grants, "allowed_grants"));
  TESSERA_ASSIGN_OR_RETURN(j.allowed_scopes, ToJson(app.allowed_scopes, "allowed_scopes"));
  TESSERA_ASSIGN_OR_RETURN(j.certificate_aliases,
                           ToJson(app.certificate_aliases, "certificate_aliases"));
  TESSERA_ASSIGN_OR_RETURN(j.allowed_operations,
                           ToJson(app.allowed_operations, "allowed_operations"));
  TESSERA_ASSIGN_OR_RETURN(j.assertion_algs, ToJson(app.assertion_algs, "assertion_algs"));
  TESSERA_ASSIGN_OR_RETURN(j.scopes, ToJson(app.scopes, "scopes"));
  return j;
}

Status DecodeApp(const AppJson& json, App& app) {
  TESSERA_ASSIGN_OR_RETURN(app.allowed_grants, FromJson(json.allowed_grants, "allowed_grants"));
  TESSERA_ASSIGN_OR_RETURN(app.allowed_scopes, FromJson(json.allowed_scopes, "allowed_scopes"));
  TESSERA_ASSIGN_OR_RETURN(app.certificate_aliases,
                           FromJson(json.certificate_aliases, "certificate_aliases"));
  TESSERA_ASSIGN_OR_RETURN(app.allowed_operations,
                           FromJson(json.allowed_operations, "allowed_operations"));
  TESSERA_ASSIGN_OR_RETURN(app.assertion_algs, FromJson(json.assertion_algs, "assertion_algs"));
  TESSERA_ASSIGN_OR_RETURN(app.scopes, FromJson(json.scopes, "scopes"));
  return Status::Ok();
}

}  // namespace tessera::store::store_internal
