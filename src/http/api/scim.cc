#include "http/api/scim.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

#include "federation/trust_json.h"
#include "jose/base64url.h"
#include "jose/claims.h"
#include "jose/keyio.h"
#include "oauth/config.h"
#include "oauth/identifiers.h"

namespace tessera::http::scim {
namespace {

using jose::Json;

constexpr std::size_t kMaxName = 256;
constexpr std::size_t kMaxListItems = 100;
constexpr std::size_t kMaxCertificateText = 64 * 1024;
constexpr int kMaxPage = 1000;
// The audit trail keeps at most 128 bytes of a grant (token_service.cc); reason codes are short.
constexpr std::size_t kMaxAuditGrant = 128;
constexpr std::size_t kMaxReasonCode = 64;

Status Bad(std::string msg) { return Status::InvalidArgument(std::move(msg)); }

Result<std::string> RequiredString(const Json& body, const char* name, std::size_t max = kMaxName) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return Bad(std::string("attribute '") + name + "' is required and must be a non-empty string");
  }
  if (it->get_ref<const std::string&>().size() > max) {
    return Bad(std::string("attribute '") + name + "' is longer than " + std::to_string(max) +
               " characters");
  }
  // Names and identifiers are logged and shown: no control characters. Long values (PEM text)
  // are not identifiers and may hold line breaks.
  if (max <= 4096 && !oauth::IsSafeIdentifier(it->get_ref<const std::string&>(), max)) {
    return Bad(std::string("attribute '") + name + "' must not contain control characters");
  }
  return it->get<std::string>();
}

Status OptionalString(const Json& body, const char* name, std::optional<std::string>* out,
                      std::size_t max = kMaxName) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_string() || it->get_ref<const std::string&>().size() > max) {
    return Bad(std::string("attribute '") + name + "' must be a string of at most " +
               std::to_string(max) + " characters");
  }
  *out = it->get<std::string>();
  return Status::Ok();
}

Status OptionalBool(const Json& body, const char* name, std::optional<bool>* out) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_boolean()) return Bad(std::string("attribute '") + name + "' must be true or false");
  *out = it->get<bool>();
  return Status::Ok();
}

// A list of strings given as ["a","b"] or as [{"<member>":"a"}, ...] (IDCS shapes).
Status OptionalStringList(const Json& body, const char* name, const char* member,
                          std::optional<std::vector<std::string>>* out) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_array() || it->size() > kMaxListItems) {
    return Bad(std::string("attribute '") + name + "' must be an array of at most 100 entries");
  }
  std::vector<std::string> v;
  for (const Json& e : *it) {
    const Json* s = &e;
    if (e.is_object() && member != nullptr) {
      auto m = e.find(member);
      if (m == e.end())
        return Bad(std::string("each entry of '") + name + "' needs '" + member + "'");
      s = &*m;
    }
    if (!s->is_string() || s->get_ref<const std::string&>().empty() ||
        s->get_ref<const std::string&>().size() > 1024) {
      return Bad(std::string("entries of '") + name + "' must be non-empty strings");
    }
    if (std::find(v.begin(), v.end(), s->get<std::string>()) == v.end())
      v.push_back(s->get<std::string>());
  }
  *out = std::move(v);
  return Status::Ok();
}

Result<int64_t> OptionalLifetime(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return int64_t{0};
  if (!it->is_number_integer() || it->get<int64_t>() < oauth::kMinTokenLifetime ||
      it->get<int64_t>() > oauth::kMaxTokenLifetime) {
    return Bad(std::string("attribute '") + name +
               "' must be a whole number of seconds from 60 to 31556952");
  }
  return it->get<int64_t>();
}

Result<std::vector<oauth::CertificateRef>> CertificateRefs(const Json& certs) {
  if (!certs.is_array() || certs.size() > 16)
    return Bad("'certificates' must be an array of at most 16 entries");
  std::vector<oauth::CertificateRef> refs;
  for (const Json& c : certs) {
    if (!c.is_object()) return Bad("each entry of 'certificates' is an object with 'certAlias'");
    oauth::CertificateRef ref;
    TESSERA_ASSIGN_OR_RETURN(ref.alias, RequiredString(c, "certAlias"));
    if (auto x = c.find("x509Base64Certificate"); x != c.end() && !x->is_null()) {
      TESSERA_ASSIGN_OR_RETURN(ref.x509_base64,
                               RequiredString(c, "x509Base64Certificate", kMaxCertificateText));
    }
    refs.push_back(std::move(ref));
  }
  return refs;
}

// An App's attributes; `kind` unset for a creation, where the isOAuth* flags decide it.
Result<oauth::AppFields> ParseApp(const Json& body, std::optional<store::AppKind> kind) {
  if (!body.is_object()) return Bad("an App is a JSON object");
  oauth::AppFields f;
  TESSERA_ASSIGN_OR_RETURN(f.display_name, RequiredString(body, "displayName"));
  TESSERA_RETURN_IF_ERROR(OptionalString(body, "description", &f.description, 4096));
  std::optional<bool> is_client, is_resource;
  TESSERA_RETURN_IF_ERROR(OptionalBool(body, "isOAuthClient", &is_client));
  TESSERA_RETURN_IF_ERROR(OptionalBool(body, "isOAuthResource", &is_resource));
  if (!kind) {
    if (is_client.value_or(false) == is_resource.value_or(false))
      return Bad(
          "an App is either isOAuthClient (a confidential app) or isOAuthResource (a resource "
          "app)");
    kind = is_client.value_or(false) ? store::AppKind::kConfidential : store::AppKind::kResource;
  }
  f.kind = *kind;
  TESSERA_ASSIGN_OR_RETURN(f.access_token_expiry, OptionalLifetime(body, "accessTokenExpiry"));
  if (f.kind == store::AppKind::kResource) {
    TESSERA_ASSIGN_OR_RETURN(f.audience, RequiredString(body, "audience", 1024));
    TESSERA_RETURN_IF_ERROR(OptionalStringList(body, "scopes", "value", &f.scopes));
    return f;
  }
  if (auto ct = body.find("clientType");
      ct != body.end() && !ct->is_null() && *ct != "confidential") {
    return Bad("only clientType 'confidential' is supported");
  }
  TESSERA_RETURN_IF_ERROR(OptionalStringList(body, "allowedGrants", nullptr, &f.allowed_grants));
  TESSERA_RETURN_IF_ERROR(OptionalStringList(body, "allowedScopes", "fqs", &f.allowed_scopes));
  TESSERA_RETURN_IF_ERROR(
      OptionalStringList(body, "allowedOperations", nullptr, &f.allowed_operations));
  TESSERA_RETURN_IF_ERROR(
      OptionalStringList(body, "assertionAlgorithms", nullptr, &f.assertion_algs));
  TESSERA_RETURN_IF_ERROR(OptionalBool(body, "requireJti", &f.require_jti));
  TESSERA_RETURN_IF_ERROR(OptionalBool(body, "dpopBoundAccessTokens", &f.dpop_bound_access_tokens));
  TESSERA_RETURN_IF_ERROR(OptionalBool(body, "tlsClientCertificateBoundAccessTokens",
                                       &f.tls_client_certificate_bound_access_tokens));
  TESSERA_RETURN_IF_ERROR(
      OptionalString(body, "tlsClientAuthSubjectDn", &f.tls_client_auth_subject_dn, 1024));
  TESSERA_RETURN_IF_ERROR(
      OptionalString(body, "tlsClientAuthSanDns", &f.tls_client_auth_san_dns, 253));
  if (auto certs = body.find("certificates"); certs != body.end() && !certs->is_null()) {
    TESSERA_ASSIGN_OR_RETURN(f.certificates, CertificateRefs(*certs));
  }
  return f;
}

// `attr eq "value"` (RFC 7644 3.4.2.2), the only filter the admin API needs.
Result<std::pair<std::string, std::string>> ParseEqFilter(const std::string& filter) {
  const size_t sp1 = filter.find(' ');
  const size_t sp2 = sp1 == std::string::npos ? sp1 : filter.find(' ', sp1 + 1);
  if (sp2 == std::string::npos || filter.compare(sp1 + 1, sp2 - sp1 - 1, "eq") != 0) {
    return Bad("unsupported filter; use: attribute eq \"value\"");
  }
  std::string value = filter.substr(sp2 + 1);
  if (value.size() < 2 || value.front() != '"' || value.back() != '"')
    return Bad("filter value must be quoted");
  return std::make_pair(filter.substr(0, sp1), value.substr(1, value.size() - 2));
}

Result<int> IntParam(const Query& q, const char* name, int def, int lo, int hi) {
  auto it = q.find(name);
  if (it == q.end()) return def;
  int v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || v < lo || v > hi) {
    return Bad(std::string("query parameter '") + name + "' must be a number from " +
               std::to_string(lo) + " to " + std::to_string(hi));
  }
  return v;
}

Json Meta(const char* type, int64_t created, int64_t updated) {
  return Json{{"resourceType", type},
              {"created", jose::FormatNumericDate(created)},
              {"lastModified", jose::FormatNumericDate(updated)}};
}

const char* StateName(oauth::SigningKeyState s) {
  switch (s) {
    case oauth::SigningKeyState::kActive:
      return "active";
    case oauth::SigningKeyState::kRetired:
      return "retired";
    case oauth::SigningKeyState::kRevoked:
      return "revoked";
    case oauth::SigningKeyState::kExpired:
      return "expired";
  }
  return "revoked";  // unreachable: the switch is exhaustive
}

}  // namespace

// ---- Request bodies ----

Result<oauth::UserFields> ParseUser(const Json& body) {
  if (!body.is_object()) return Bad("a User is a JSON object");
  oauth::UserFields f;
  TESSERA_ASSIGN_OR_RETURN(f.user_name, RequiredString(body, "userName"));
  if (auto it = body.find("name"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return Bad("attribute 'name' must be an object");
    TESSERA_RETURN_IF_ERROR(OptionalString(*it, "givenName", &f.given_name));
    TESSERA_RETURN_IF_ERROR(OptionalString(*it, "familyName", &f.family_name));
  }
  if (auto it = body.find("emails"); it != body.end() && !it->is_null()) {
    if (!it->is_array() || it->size() > 16)
      return Bad("attribute 'emails' must be an array of at most 16 entries");
    std::vector<std::string> emails;
    for (const Json& e : *it) {
      if (!e.is_object() || !e.contains("value") || !e["value"].is_string())
        return Bad("each email needs a string 'value'");
      const std::string v = e["value"].get<std::string>();
      const bool primary = e.value("primary", false) == true;
      if (primary) {
        emails.insert(emails.begin(), v);
      } else {
        emails.push_back(v);
      }
    }
    f.emails = std::move(emails);
  }
  TESSERA_RETURN_IF_ERROR(OptionalBool(body, "active", &f.active));
  return f;
}

Result<oauth::AppFields> ParseNewApp(const Json& body) { return ParseApp(body, std::nullopt); }

Result<oauth::AppFields> ParseAppAttributes(const Json& body, store::AppKind kind) {
  return ParseApp(body, kind);
}

Status ApplyPatch(Json& resource, const Json& patch) {
  if (!patch.is_object()) return Bad("a PATCH body is a SCIM PatchOp object");
  auto ops = patch.find("Operations");
  if (ops == patch.end() || !ops->is_array() || ops->empty() || ops->size() > 64) {
    return Bad("PatchOp needs a non-empty 'Operations' array");
  }
  for (const Json& op : *ops) {
    if (!op.is_object() || !op.contains("op") || !op["op"].is_string())
      return Bad("each operation needs 'op'");
    std::string kind = op["op"].get<std::string>();
    // The op name is matched without regard to case.
    std::transform(kind.begin(), kind.end(), kind.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    const bool has_path = op.contains("path");
    if (has_path && !op["path"].is_string()) return Bad("'path' must be a string");
    const std::string path = has_path ? op["path"].get<std::string>() : "";
    if (path.find_first_of(".[") != std::string::npos) {
      return Bad("only top-level attributes can be patched (path '" + path + "')");
    }
    if (kind == "remove") {
      if (!has_path) return Bad("'remove' needs a path");
      resource.erase(path);
    } else if (kind == "add" || kind == "replace") {
      if (!op.contains("value")) return Bad("'" + kind + "' needs a value");
      const Json& value = op["value"];
      if (!has_path) {
        if (!value.is_object()) return Bad("'" + kind + "' without a path needs an object value");
        for (auto it = value.begin(); it != value.end(); ++it) resource[it.key()] = it.value();
      } else if (kind == "add" && resource.contains(path) && resource[path].is_array() &&
                 value.is_array()) {
        for (const Json& v : value)
          resource[path].push_back(v);  // RFC 7644 3.5.2.1: add to a multi-valued attribute
      } else {
        resource[path] = value;
      }
    } else {
      return Bad("unknown PATCH op '" + kind + "'");
    }
  }
  return Status::Ok();
}

Result<oauth::UserFields> ParseUserPatch(const store::User& current, const Json& patch) {
  Json view = UserToJson(current);
  TESSERA_RETURN_IF_ERROR(ApplyPatch(view, patch));
  return ParseUser(view);
}

Result<oauth::AppFields> ParseAppPatch(const store::App& current, const Json& patch) {
  Json view = AppToJson(current);
  TESSERA_RETURN_IF_ERROR(ApplyPatch(view, patch));
  TESSERA_ASSIGN_OR_RETURN(oauth::AppFields f, ParseAppAttributes(view, current.kind));
  // Activation has its own endpoint, but "active" in a PATCH is honoured too.
  TESSERA_RETURN_IF_ERROR(OptionalBool(view, "active", &f.active));
  return f;
}

Result<federation::Trust> ParseTrustPatch(const oauth::FederationTrust& current,
                                          const Json& patch) {
  Json view = FederationTrustToJson(current);
  TESSERA_RETURN_IF_ERROR(ApplyPatch(view, patch));
  // RFC 7643 3.1: "id" is readOnly; "meta" likewise, and the answer's own anyway.
  if (!view.contains("id") || view["id"] != current.record.id) return Bad("id: read-only");
  view.erase("meta");
  return federation::TrustFromJson(view);
}

Result<oauth::NewCertificate> ParseCertificate(const Json& body) {
  if (!body.is_object()) return Bad("a certificate is a JSON object");
  oauth::NewCertificate c;
  TESSERA_ASSIGN_OR_RETURN(c.alias, RequiredString(body, "certificateAlias"));
  TESSERA_ASSIGN_OR_RETURN(c.x509_base64,
                           RequiredString(body, "x509Base64Certificate", kMaxCertificateText));
  return c;
}

Result<bool> ParseAppStatus(const Json& body) {
  if (!body.is_object() || !body.contains("active") || !body["active"].is_boolean()) {
    return Bad("AppStatusChanger needs {\"active\": true|false}");
  }
  return body["active"].get<bool>();
}

Result<std::string> ParseSecretRegeneration(const Json& body) {
  if (!body.is_object() || !body.contains("appId") || !body["appId"].is_string() ||
      body["appId"].get<std::string>().empty()) {
    return Bad("AppClientSecretRegenerator needs {\"appId\": \"<app id>\"}");
  }
  return body["appId"].get<std::string>();
}

// ---- Queries ----

Result<oauth::Page> ParsePage(const Query& q) {
  oauth::Page page;
  TESSERA_ASSIGN_OR_RETURN(page.start, IntParam(q, "startIndex", 1, 1, 1 << 30));
  TESSERA_ASSIGN_OR_RETURN(page.count, IntParam(q, "count", 100, 0, kMaxPage));
  return page;
}

Result<std::optional<std::string>> ParseUserFilter(const Query& q) {
  auto f = q.find("filter");
  if (f == q.end()) return std::optional<std::string>();
  TESSERA_ASSIGN_OR_RETURN(auto eq, ParseEqFilter(f->second));
  if (eq.first != "userName") return Bad("users can be filtered by userName only");
  return std::optional<std::string>(std::move(eq.second));
}

Result<std::optional<oauth::AppFilter>> ParseAppFilter(const Query& q) {
  auto f = q.find("filter");
  if (f == q.end()) return std::optional<oauth::AppFilter>();
  TESSERA_ASSIGN_OR_RETURN(auto eq, ParseEqFilter(f->second));
  if (eq.first != "displayName" && eq.first != "name")
    return Bad("apps can be filtered by displayName or name only");
  return std::optional<oauth::AppFilter>(oauth::AppFilter{
      eq.first == "name" ? oauth::AppFilterField::kClientId : oauth::AppFilterField::kDisplayName,
      std::move(eq.second)});
}

Result<std::optional<std::string>> ParseTrustFilter(const Query& q) {
  auto f = q.find("filter");
  if (f == q.end()) return std::optional<std::string>();
  TESSERA_ASSIGN_OR_RETURN(auto eq, ParseEqFilter(f->second));
  if (eq.first != "issuer") return Bad("federation trusts can be filtered by issuer only");
  return std::optional<std::string>(std::move(eq.second));
}

Result<TimeWindow> ParseTimeWindow(const Query& q) {
  TimeWindow w;
  TESSERA_ASSIGN_OR_RETURN(int since, IntParam(q, "since", -1, 0, INT32_MAX));
  TESSERA_ASSIGN_OR_RETURN(int until, IntParam(q, "until", -1, 0, INT32_MAX));
  if (since >= 0) w.since = since;
  if (until >= 0) w.until = until;
  return w;
}

Result<store::AuditFilter> ParseAuditQuery(const Query& q) {
  store::AuditFilter f;
  if (auto it = q.find("clientId"); it != q.end()) f.client_id = it->second;
  if (auto it = q.find("outcome"); it != q.end()) f.outcome = it->second;
  if (auto it = q.find("grant"); it != q.end()) {
    if (it->second.size() > kMaxAuditGrant) return Bad("query parameter 'grant' is too long");
    f.grant = it->second;
  }
  if (auto it = q.find("reason"); it != q.end()) {
    // A code, never text: the store matches the code part of the reason exactly.
    if (it->second.empty() || it->second.size() > kMaxReasonCode ||
        it->second.find(':') != std::string::npos) {
      return Bad("query parameter 'reason' must be a reason code such as assertion_expired");
    }
    f.reason_code = it->second;
  }
  TESSERA_ASSIGN_OR_RETURN(TimeWindow window, ParseTimeWindow(q));
  f.since = window.since;
  f.until = window.until;
  TESSERA_ASSIGN_OR_RETURN(f.limit, IntParam(q, "count", 100, 1, kMaxPage));
  return f;
}

// ---- Answers ----

Json UserToJson(const store::User& u) {
  Json emails = Json::array();
  for (size_t i = 0; i < u.emails.size(); ++i)
    emails.push_back({{"value", u.emails[i]}, {"primary", i == 0}});
  return Json{{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:User"}},
              {"id", u.id},
              {"userName", u.user_name},
              {"name", {{"givenName", u.given_name}, {"familyName", u.family_name}}},
              {"emails", emails},
              {"active", u.active},
              {"meta", Meta("User", u.created_at, u.updated_at)}};
}

Json AppToJson(const store::App& a) {
  Json j = {{"schemas", {"urn:ietf:params:scim:schemas:oracle:idcs:App"}},
            {"id", a.id},
            {"displayName", a.display_name},
            {"description", a.description},
            {"active", a.active},
            {"meta", Meta("App", a.created_at, a.updated_at)}};
  if (a.kind == store::AppKind::kResource) {
    j["isOAuthResource"] = true;
    j["audience"] = a.audience;
    Json scopes = Json::array();
    for (const auto& s : a.scopes) scopes.push_back({{"value", s}, {"fqs", a.audience + s}});
    j["scopes"] = scopes;
  } else {
    j["isOAuthClient"] = true;
    j["clientType"] = "confidential";
    j["name"] = a.client_id;
    j["allowedGrants"] = a.allowed_grants;
    Json scopes = Json::array();
    for (const auto& s : a.allowed_scopes) scopes.push_back({{"fqs", s}});
    j["allowedScopes"] = scopes;
    Json certs = Json::array();
    for (const auto& c : a.certificate_aliases) certs.push_back({{"certAlias", c}});
    j["certificates"] = certs;
    j["allowedOperations"] = a.allowed_operations;
    j["assertionAlgorithms"] =
        a.assertion_algs.empty() ? std::vector<std::string>{"RS256"} : a.assertion_algs;
    j["requireJti"] = a.require_jti;
    j["isAdmin"] = a.is_admin;
    j["dpopBoundAccessTokens"] = a.dpop_bound_access_tokens;
    j["tlsClientCertificateBoundAccessTokens"] = a.tls_client_certificate_bound_access_tokens;
    if (!a.tls_client_auth_subject_dn.empty())
      j["tlsClientAuthSubjectDn"] = a.tls_client_auth_subject_dn;
    if (!a.tls_client_auth_san_dns.empty()) j["tlsClientAuthSanDns"] = a.tls_client_auth_san_dns;
  }
  if (a.access_token_expiry > 0) j["accessTokenExpiry"] = a.access_token_expiry;
  return j;
}

Json AppCreatedToJson(const oauth::AppWithSecret& created) {
  Json out = AppToJson(created.app);
  if (!created.client_secret.empty()) out["clientSecret"] = created.client_secret;
  return out;
}

Json AppStatusToJson(const store::App& a) {
  return Json{{"schemas", {"urn:ietf:params:scim:schemas:oracle:idcs:AppStatusChanger"}},
              {"id", a.id},
              {"active", a.active}};
}

Json SecretRegeneratedToJson(const oauth::AppWithSecret& r) {
  return Json{{"schemas", {"urn:ietf:params:scim:schemas:oracle:idcs:AppClientSecretRegenerator"}},
              {"appId", r.app.id},
              {"name", r.app.client_id},
              {"clientSecret", r.client_secret}};
}

Json CertificateToJson(const store::CertificateRecord& rec) {
  Json j = {{"certificateAlias", rec.alias},
            {"x509Base64Certificate", jose::Base64Encode(rec.der)},
            {"x5t", rec.x5t},
            {"x5t#S256", rec.x5t_s256},
            {"notAfter", jose::FormatNumericDate(rec.not_after)}};
  // The validity start and subject are read from the stored DER, which the upload parsed.
  if (Result<jose::Certificate> cert = jose::LoadCertificate(rec.der); cert.ok()) {
    j["notBefore"] = jose::FormatNumericDate(cert->not_before);
    j["subject"] = cert->subject;
  }
  return j;
}

Json SigningKeyToJson(const oauth::SigningKeyStatus& s) {
  const store::SigningKeyRecord& k = s.key;
  Json j = {
      {"kid", k.kid}, {"alg", k.alg}, {"state", StateName(s.state)}, {"createdAt", k.created_at}};
  if (k.retired_at != 0) j["retiredAt"] = k.retired_at;
  if (k.retired_at != 0 && k.revoked_at == 0) j["publishUntil"] = k.publish_until;
  if (k.revoked_at != 0) j["revokedAt"] = k.revoked_at;
  return j;
}

Json AuditEventToJson(const store::AuditEvent& e) {
  Json j = {{"id", e.id},
            {"time", jose::FormatNumericDate(e.time)},
            {"timestamp", e.time},
            {"ecid", e.ecid},
            {"clientId", e.client_id},
            {"subject", e.subject},
            {"grant", e.grant},
            {"outcome", e.outcome},
            {"reason", e.reason}};
  if (std::optional<int> rule = oauth::AssertionRuleOf(e)) j["rule"] = *rule;
  return j;
}

Json TokenFailureSummaryToJson(const oauth::TokenFailureSummary& s) {
  Json reasons = Json::array();
  for (const auto& g : s.reasons) {
    Json r = {{"reason", g.reason_code}, {"count", g.count}};
    if (g.rule) r["rule"] = *g.rule;
    reasons.push_back(std::move(r));
  }
  return Json{{"schemas", {kTokenFailureSummarySchema}},
              {"since", s.since},
              {"until", s.until},
              {"total", s.total},
              {"reasons", std::move(reasons)}};
}

Json FederationTrustToJson(const oauth::FederationTrust& t, bool with_warnings) {
  Json j = federation::TrustToJson(t.trust);
  j["id"] = t.record.id;
  j["meta"] = Meta("IdentityPropagationTrust", t.record.created_at, t.record.updated_at);
  if (with_warnings) j["warnings"] = t.warnings;
  return j;
}

Json ListResponse(Json resources, int start_index) {
  const std::size_t total = resources.size();
  return Json{{"schemas", {kListSchema}},
              {"totalResults", total},
              {"startIndex", start_index},
              {"itemsPerPage", total},
              {"Resources", std::move(resources)}};
}

Json ErrorToJson(int http_status, std::string_view detail, std::string_view scim_type) {
  Json body = {
      {"schemas", {kErrorSchema}}, {"detail", detail}, {"status", std::to_string(http_status)}};
  if (!scim_type.empty()) body["scimType"] = scim_type;
  return body;
}

}  // namespace tessera::http::scim
