#include "federation/trust_json.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::federation {
namespace {

using jose::Json;

// The longest string any field may hold: a PEM certificate (ValidateTrust's own bound); every
// other field has a tighter bound there.
constexpr std::size_t kMaxStringBytes = 64 * 1024;

constexpr std::string_view kFields[] = {
    "schemas",
    "id",
    "meta",
    "name",
    "type",
    "issuer",
    "active",
    "publicKeyEndpoint",
    "publicCertificate",
    "subjectClaimName",
    "subjectMappingAttribute",
    "subjectType",
    "clientClaimName",
    "clientClaimValues",
    "oauthClients",
    "allowImpersonation",
    "impersonationServiceUsers",
    "clockSkewSeconds",
    "audiences",
    "conditions",
    "allowedScopes",
    "maxTokenLifetime",
    "jti",
};

Status FieldError(std::string_view field, std::string_view what) {
  return Status::InvalidArgument(std::string(field) + ": " + std::string(what));
}

// Names shown in a refusal are the client's own bytes: bounded, and only printable ASCII.
std::string Shown(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  if (s.size() > 64) out += "...";
  return out;
}

Status RefuseUnknownMembers(const Json& object, std::string_view where,
                            std::initializer_list<std::string_view> known) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
      return FieldError(where, "unknown attribute \"" + Shown(it.key()) + "\"");
    }
  }
  return Status::Ok();
}

// The member `name`, or nullptr when absent or null (unassigned, RFC 7643 2.5).
const Json* Member(const Json& object, std::string_view name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Status ReadString(const Json& value, std::string_view field, std::string* out) {
  if (!value.is_string()) return FieldError(field, "must be a string");
  const auto& s = value.get_ref<const std::string&>();
  if (s.size() > kMaxStringBytes) {
    return FieldError(field, "longer than " + std::to_string(kMaxStringBytes) + " bytes");
  }
  *out = s;
  return Status::Ok();
}

Status OptionalString(const Json& object, std::string_view field, std::string* out) {
  const Json* v = Member(object, field);
  return v == nullptr ? Status::Ok() : ReadString(*v, field, out);
}

Status OptionalBool(const Json& object, std::string_view field, bool* out) {
  const Json* v = Member(object, field);
  if (v == nullptr) return Status::Ok();
  if (!v->is_boolean()) return FieldError(field, "must be true or false");
  *out = v->get<bool>();
  return Status::Ok();
}

Result<int64_t> ReadInteger(const Json& value, std::string_view field) {
  if (!value.is_number_integer() ||
      (value.is_number_unsigned() &&
       value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
    return FieldError(field, "must be a whole number of seconds");
  }
  return value.get<int64_t>();
}

// A JSON array of at most kMaxTrustListEntries entries (checked before anything is copied).
Status CheckArray(const Json& value, std::string_view field) {
  if (!value.is_array()) return FieldError(field, "must be an array");
  if (value.size() > kMaxTrustListEntries) {
    return FieldError(field, "at most " + std::to_string(kMaxTrustListEntries) + " entries");
  }
  return Status::Ok();
}

Status ReadStringList(const Json& value, std::string_view field, std::vector<std::string>* out) {
  if (!value.is_array()) return FieldError(field, "must be an array of strings");
  TESSERA_RETURN_IF_ERROR(CheckArray(value, field));
  std::vector<std::string> list;
  list.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::string s;
    if (!value[i].is_string()) {
      return FieldError(std::string(field) + "[" + std::to_string(i) + "]", "must be a string");
    }
    TESSERA_RETURN_IF_ERROR(
        ReadString(value[i], std::string(field) + "[" + std::to_string(i) + "]", &s));
    list.push_back(std::move(s));
  }
  *out = std::move(list);
  return Status::Ok();
}

Status OptionalStringList(const Json& object, std::string_view field,
                          std::vector<std::string>* out) {
  const Json* v = Member(object, field);
  return v == nullptr ? Status::Ok() : ReadStringList(*v, field, out);
}

// An enum member: its wire name, read back by `from_name`.
template <typename E, typename FromName>
Status OptionalEnum(const Json& object, std::string_view field, std::string_view allowed,
                    FromName from_name, E* out) {
  const Json* v = Member(object, field);
  if (v == nullptr) return Status::Ok();
  std::string name;
  TESSERA_RETURN_IF_ERROR(ReadString(*v, field, &name));
  std::optional<E> e = from_name(name);
  if (!e)
    return FieldError(field, "must be " + std::string(allowed) + ", not \"" + Shown(name) + "\"");
  *out = *e;
  return Status::Ok();
}

Result<ClaimCondition> ReadCondition(const Json& value, const std::string& where) {
  if (!value.is_object()) {
    return FieldError(where, "must be {\"claim\":..,\"in\":[..]} or {\"claim\":..,\"like\":..}");
  }
  TESSERA_RETURN_IF_ERROR(RefuseUnknownMembers(value, where, {"claim", "in", "like"}));
  ClaimCondition c;
  const Json* claim = Member(value, "claim");
  if (claim == nullptr) return FieldError(where + ".claim", "required");
  TESSERA_RETURN_IF_ERROR(ReadString(*claim, where + ".claim", &c.claim));
  const Json* in = Member(value, "in");
  const Json* like = Member(value, "like");
  if ((in == nullptr) == (like == nullptr)) {
    return FieldError(where, "exactly one of \"in\" (a list of values) and \"like\" (a glob)");
  }
  if (in != nullptr) {
    TESSERA_RETURN_IF_ERROR(ReadStringList(*in, where + ".in", &c.in));
    if (c.in.empty()) return FieldError(where + ".in", "at least one value");
  } else {
    std::string glob;
    TESSERA_RETURN_IF_ERROR(ReadString(*like, where + ".like", &glob));
    c.like = std::move(glob);
  }
  return c;
}

Result<ImpersonationServiceUser> ReadServiceUser(const Json& value, const std::string& where) {
  if (!value.is_object()) {
    return FieldError(where, "must be {\"rule\":..,\"value\":<user id>}");
  }
  TESSERA_RETURN_IF_ERROR(RefuseUnknownMembers(value, where, {"rule", "value"}));
  ImpersonationServiceUser u;
  const Json* rule = Member(value, "rule");
  const Json* id = Member(value, "value");
  if (rule == nullptr) return FieldError(where + ".rule", "required");
  if (id == nullptr) return FieldError(where + ".value", "required: the service user's id");
  TESSERA_RETURN_IF_ERROR(ReadString(*rule, where + ".rule", &u.rule));
  TESSERA_RETURN_IF_ERROR(ReadString(*id, where + ".value", &u.value));
  return u;
}

Status ReadSchemas(const Json& object) {
  const Json* v = Member(object, "schemas");
  if (v == nullptr) return Status::Ok();
  std::vector<std::string> schemas;
  TESSERA_RETURN_IF_ERROR(ReadStringList(*v, "schemas", &schemas));
  if (std::find(schemas.begin(), schemas.end(), kTrustSchema) == schemas.end()) {
    return FieldError("schemas", std::string("must hold \"") + kTrustSchema + "\"");
  }
  return Status::Ok();
}

}  // namespace

jose::Json TrustToJson(const Trust& t) {
  Json j = Json::object();
  j["schemas"] = Json::array({kTrustSchema});
  if (!t.id.empty()) j["id"] = t.id;
  j["name"] = t.name;
  j["type"] = t.type;
  j["issuer"] = t.issuer;
  j["active"] = t.active;
  if (!t.public_key_endpoint.empty()) j["publicKeyEndpoint"] = t.public_key_endpoint;
  if (!t.public_certificate.empty()) j["publicCertificate"] = t.public_certificate;
  j["subjectClaimName"] = t.subject_claim_name;
  j["subjectMappingAttribute"] = SubjectMappingAttributeName(t.subject_mapping_attribute);
  j["subjectType"] = SubjectTypeName(t.subject_type);
  if (!t.client_claim_name.empty()) j["clientClaimName"] = t.client_claim_name;
  j["clientClaimValues"] = t.client_claim_values;
  j["oauthClients"] = t.oauth_clients;
  j["allowImpersonation"] = t.allow_impersonation;
  Json users = Json::array();
  for (const ImpersonationServiceUser& u : t.impersonation_service_users) {
    users.push_back(Json{{"rule", u.rule}, {"value", u.value}});
  }
  j["impersonationServiceUsers"] = std::move(users);
  j["clockSkewSeconds"] = t.clock_skew_seconds;
  j["audiences"] = t.audiences;
  Json conditions = Json::array();
  for (const ClaimCondition& c : t.conditions) {
    Json e{{"claim", c.claim}};
    if (c.like) {
      e["like"] = *c.like;
    } else {
      e["in"] = c.in;
    }
    conditions.push_back(std::move(e));
  }
  j["conditions"] = std::move(conditions);
  j["allowedScopes"] = t.allowed_scopes;
  if (t.max_token_lifetime) j["maxTokenLifetime"] = *t.max_token_lifetime;
  j["jti"] = JtiPolicyName(t.jti);
  return j;
}

Result<Trust> TrustFromJson(const jose::Json& json) {
  if (!json.is_object()) {
    return Status::InvalidArgument("an IdentityPropagationTrust is a JSON object");
  }
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (std::find(std::begin(kFields), std::end(kFields), it.key()) == std::end(kFields)) {
      return FieldError(Shown(it.key()),
                        "unknown attribute of an IdentityPropagationTrust (docs/federation.md "
                        "lists its fields)");
    }
  }
  TESSERA_RETURN_IF_ERROR(ReadSchemas(json));
  if (const Json* meta = Member(json, "meta"); meta != nullptr && !meta->is_object()) {
    return FieldError("meta", "must be an object");
  }

  Trust t;
  TESSERA_RETURN_IF_ERROR(OptionalString(json, "id", &t.id));
  TESSERA_RETURN_IF_ERROR(OptionalString(json, "name", &t.name));
  TESSERA_RETURN_IF_ERROR(OptionalString(json, "type", &t.type));
  TESSERA_RETURN_IF_ERROR(OptionalString(json, "issuer", &t.issuer));
  TESSERA_RETURN_IF_ERROR(OptionalBool(json, "active", &t.active));
  TESSERA_RETURN_IF_ERROR(OptionalString(json, "publicKeyEndpoint", &t.public_key_endpoint));
  TESSERA_RETURN_IF_ERROR(OptionalString(json, "publicCertificate", &t.public_certificate));
  TESSERA_RETURN_IF_ERROR(OptionalString(json, "subjectClaimName", &t.subject_claim_name));
  TESSERA_RETURN_IF_ERROR(
      OptionalEnum(json, "subjectMappingAttribute", "\"userName\", \"email\" or \"id\"",
                   SubjectMappingAttributeFromName, &t.subject_mapping_attribute));
  TESSERA_RETURN_IF_ERROR(OptionalEnum(json, "subjectType", "\"User\" or \"App\"",
                                       SubjectTypeFromName, &t.subject_type));
  TESSERA_RETURN_IF_ERROR(OptionalString(json, "clientClaimName", &t.client_claim_name));
  TESSERA_RETURN_IF_ERROR(OptionalStringList(json, "clientClaimValues", &t.client_claim_values));
  TESSERA_RETURN_IF_ERROR(OptionalStringList(json, "oauthClients", &t.oauth_clients));
  TESSERA_RETURN_IF_ERROR(OptionalBool(json, "allowImpersonation", &t.allow_impersonation));
  if (const Json* v = Member(json, "impersonationServiceUsers"); v != nullptr) {
    TESSERA_RETURN_IF_ERROR(CheckArray(*v, "impersonationServiceUsers"));
    for (std::size_t i = 0; i < v->size(); ++i) {
      TESSERA_ASSIGN_OR_RETURN(
          ImpersonationServiceUser u,
          ReadServiceUser((*v)[i], "impersonationServiceUsers[" + std::to_string(i) + "]"));
      t.impersonation_service_users.push_back(std::move(u));
    }
  }
  if (const Json* v = Member(json, "clockSkewSeconds"); v != nullptr) {
    TESSERA_ASSIGN_OR_RETURN(t.clock_skew_seconds, ReadInteger(*v, "clockSkewSeconds"));
  }
  TESSERA_RETURN_IF_ERROR(OptionalStringList(json, "audiences", &t.audiences));
  if (const Json* v = Member(json, "conditions"); v != nullptr) {
    TESSERA_RETURN_IF_ERROR(CheckArray(*v, "conditions"));
    for (std::size_t i = 0; i < v->size(); ++i) {
      TESSERA_ASSIGN_OR_RETURN(ClaimCondition c,
                               ReadCondition((*v)[i], "conditions[" + std::to_string(i) + "]"));
      t.conditions.push_back(std::move(c));
    }
  }
  TESSERA_RETURN_IF_ERROR(OptionalStringList(json, "allowedScopes", &t.allowed_scopes));
  if (const Json* v = Member(json, "maxTokenLifetime"); v != nullptr) {
    TESSERA_ASSIGN_OR_RETURN(int64_t seconds, ReadInteger(*v, "maxTokenLifetime"));
    t.max_token_lifetime = seconds;
  }
  TESSERA_RETURN_IF_ERROR(
      OptionalEnum(json, "jti", "\"required\" or \"reuse-until-exp\"", JtiPolicyFromName, &t.jti));

  TESSERA_RETURN_IF_ERROR(ValidateTrust(t));
  return t;
}

std::string TrustToDocument(const Trust& trust) { return jose::DumpCompact(TrustToJson(trust)); }

Result<Trust> TrustFromDocument(std::string_view document) {
  Result<Json> json = jose::ParseStrictJson(document, {kMaxTrustDocumentBytes, 8});
  if (!json.ok()) {
    return Status::InvalidArgument("the stored trust is not valid JSON: " +
                                   json.status().message());
  }
  return TrustFromJson(*json);
}

}  // namespace tessera::federation
