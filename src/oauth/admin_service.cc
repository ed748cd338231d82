#include "oauth/admin_service.h"

#include <algorithm>
#include <charconv>

#include "common/random.h"
#include "jose/base64url.h"
#include "jose/claims.h"
#include "jose/keyio.h"
#include "oauth/identifiers.h"
#include "oauth/secrets.h"

namespace tessera::oauth {
namespace {

using jose::Json;

constexpr std::size_t kMaxName = 256;
constexpr std::size_t kMaxListItems = 100;
constexpr int kMaxPage = 1000;

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
  if (max <= 4096 && !IsSafeIdentifier(it->get_ref<const std::string&>(), max)) {
    return Bad(std::string("attribute '") + name + "' must not contain control characters");
  }
  return it->get<std::string>();
}

Status OptionalString(const Json& body, const char* name, std::string* out,
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

Status OptionalBool(const Json& body, const char* name, bool* out) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_boolean()) return Bad(std::string("attribute '") + name + "' must be true or false");
  *out = it->get<bool>();
  return Status::Ok();
}

// A list of strings given as ["a","b"] or as [{"<member>":"a"}, ...] (IDCS shapes).
Status OptionalStringList(const Json& body, const char* name, const char* member,
                          std::vector<std::string>* out) {
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

Result<std::optional<int64_t>> OptionalLifetime(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer() || it->get<int64_t>() < kMinTokenLifetime ||
      it->get<int64_t>() > kMaxTokenLifetime) {
    return Bad(std::string("attribute '") + name +
               "' must be a whole number of seconds from 60 to 31556952");
  }
  return std::optional<int64_t>(it->get<int64_t>());
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

Result<int> IntParam(const std::map<std::string, std::string>& q, const char* name, int def, int lo,
                     int hi) {
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

Json ListResponse(Json resources, int start_index, std::size_t total) {
  return Json{{"schemas", {kScimListSchema}},
              {"totalResults", total},
              {"startIndex", start_index},
              {"itemsPerPage", resources.size()},
              {"Resources", std::move(resources)}};
}

Json Meta(const char* type, int64_t created, int64_t updated) {
  return Json{{"resourceType", type},
              {"created", jose::FormatNumericDate(created)},
              {"lastModified", jose::FormatNumericDate(updated)}};
}

const std::vector<std::string>& KnownGrants() {
  static const std::vector<std::string> kGrants = {kGrantClientCredentials, kGrantJwtBearer};
  return kGrants;
}

Json CertificateToJson(const store::CertificateRecord& rec) {
  return Json{{"certificateAlias", rec.alias},
              {"x509Base64Certificate", jose::Base64Encode(rec.der)},
              {"x5t", rec.x5t},
              {"x5t#S256", rec.x5t_s256},
              {"notAfter", jose::FormatNumericDate(rec.not_after)}};
}

}  // namespace

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
  }
  if (a.access_token_expiry > 0) j["accessTokenExpiry"] = a.access_token_expiry;
  return j;
}

Status ApplyScimPatch(Json& resource, const Json& patch) {
  if (!patch.is_object()) return Bad("a PATCH body is a SCIM PatchOp object");
  auto ops = patch.find("Operations");
  if (ops == patch.end() || !ops->is_array() || ops->empty() || ops->size() > 64) {
    return Bad("PatchOp needs a non-empty 'Operations' array");
  }
  for (const Json& op : *ops) {
    if (!op.is_object() || !op.contains("op") || !op["op"].is_string())
      return Bad("each operation needs 'op'");
    std::string kind = op["op"].get<std::string>();
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

AdminService::AdminService(store::Store& store, Directory& directory, SigningKeys& keys,
                           AuditLog& audit, const DomainConfig& config, const Clock& clock)
    : store_(store),
      directory_(directory),
      keys_(keys),
      audit_(audit),
      config_(config),
      clock_(clock) {}

Status AdminService::Audit(const Context& ctx, const std::string& action, const std::string& what) {
  directory_.Invalidate();
  store::AuditEvent e;
  e.time = clock_.NowSeconds();
  e.ecid = ctx.ecid;
  e.client_id = ctx.actor;
  e.subject = what.substr(0, 256);
  e.grant = "admin";
  e.outcome = action;
  audit_.Record(std::move(e));
  return Status::Ok();
}

// ---- Users ----

namespace {
Result<store::User> UserFromJson(const Json& body, store::User u) {
  if (!body.is_object()) return Bad("a User is a JSON object");
  TESSERA_ASSIGN_OR_RETURN(u.user_name, RequiredString(body, "userName"));
  if (auto it = body.find("name"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return Bad("attribute 'name' must be an object");
    TESSERA_RETURN_IF_ERROR(OptionalString(*it, "givenName", &u.given_name));
    TESSERA_RETURN_IF_ERROR(OptionalString(*it, "familyName", &u.family_name));
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
    u.emails = std::move(emails);
  }
  TESSERA_RETURN_IF_ERROR(OptionalBool(body, "active", &u.active));
  return u;
}
}  // namespace

Result<Json> AdminService::CreateUser(const Context& ctx, const Json& body) {
  store::User u;
  u.active = true;
  TESSERA_ASSIGN_OR_RETURN(u, UserFromJson(body, u));
  u.id = RandomUuid();
  u.created_at = u.updated_at = clock_.NowSeconds();
  Status s = store_.CreateUser(u);
  if (s.code() == StatusCode::kAlreadyExists)
    return Status::AlreadyExists("a user with userName '" + u.user_name + "' exists");
  TESSERA_RETURN_IF_ERROR(s);
  TESSERA_RETURN_IF_ERROR(Audit(ctx, "user.create", u.user_name));
  return UserToJson(u);
}

Result<Json> AdminService::GetUser(const std::string& id) {
  TESSERA_ASSIGN_OR_RETURN(store::User u, store_.GetUser(id));
  return UserToJson(u);
}

Result<Json> AdminService::ListUsers(const std::map<std::string, std::string>& q) {
  TESSERA_ASSIGN_OR_RETURN(int start, IntParam(q, "startIndex", 1, 1, 1 << 30));
  TESSERA_ASSIGN_OR_RETURN(int count, IntParam(q, "count", 100, 0, kMaxPage));
  Json out = Json::array();
  if (auto f = q.find("filter"); f != q.end()) {
    TESSERA_ASSIGN_OR_RETURN(auto eq, ParseEqFilter(f->second));
    if (eq.first != "userName") return Bad("users can be filtered by userName only");
    Result<store::User> u = store_.FindUserByName(eq.second);
    if (u.ok())
      out.push_back(UserToJson(*u));
    else if (u.status().code() != StatusCode::kNotFound)
      return u.status();
    const size_t total = out.size();
    return ListResponse(std::move(out), 1, total);
  }
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::User> users, store_.ListUsers(start - 1, count));
  for (const auto& u : users) out.push_back(UserToJson(u));
  const size_t total = out.size();
  return ListResponse(std::move(out), start, total);
}

Result<Json> AdminService::PatchUser(const Context& ctx, const std::string& id, const Json& patch) {
  TESSERA_ASSIGN_OR_RETURN(store::User u, store_.GetUser(id));
  Json view = UserToJson(u);
  TESSERA_RETURN_IF_ERROR(ApplyScimPatch(view, patch));
  TESSERA_ASSIGN_OR_RETURN(store::User updated, UserFromJson(view, u));
  updated.id = u.id;
  updated.created_at = u.created_at;
  updated.updated_at = clock_.NowSeconds();
  Status s = store_.UpdateUser(updated);
  if (s.code() == StatusCode::kAlreadyExists)
    return Status::AlreadyExists("a user with userName '" + updated.user_name + "' exists");
  TESSERA_RETURN_IF_ERROR(s);
  TESSERA_RETURN_IF_ERROR(Audit(ctx, "user.update", updated.user_name));
  return UserToJson(updated);
}

Status AdminService::DeleteUser(const Context& ctx, const std::string& id) {
  TESSERA_ASSIGN_OR_RETURN(store::User u, store_.GetUser(id));
  TESSERA_RETURN_IF_ERROR(store_.DeleteUser(id));
  return Audit(ctx, "user.delete", u.user_name);
}

// ---- Certificates ----

Result<Json> AdminService::PutCertificate(const Context& ctx, store::CertificateKind kind,
                                          const Json& body) {
  if (!body.is_object()) return Bad("a certificate is a JSON object");
  TESSERA_ASSIGN_OR_RETURN(std::string alias, RequiredString(body, "certificateAlias"));
  TESSERA_ASSIGN_OR_RETURN(std::string text,
                           RequiredString(body, "x509Base64Certificate", 64 * 1024));
  Result<jose::Certificate> cert = jose::LoadCertificate(text);
  if (!cert.ok()) return Bad("x509Base64Certificate refused: " + cert.status().message());
  const int64_t now = clock_.NowSeconds();
  if (cert->not_after < now)
    return Bad("x509Base64Certificate refused: the certificate expired at " +
               jose::FormatNumericDate(cert->not_after));
  store::CertificateRecord rec{alias, cert->der, cert->x5t, cert->x5t_s256, cert->not_after, now};
  Status s = store_.PutCertificate(kind, rec);
  if (s.code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists("a certificate with alias '" + alias +
                                 "' exists; delete it first to replace it");
  }
  TESSERA_RETURN_IF_ERROR(s);
  TESSERA_RETURN_IF_ERROR(Audit(
      ctx,
      kind == store::CertificateKind::kClient ? "certificate.create" : "partner_certificate.create",
      alias));
  return CertificateToJson(rec);
}

Result<Json> AdminService::GetCertificate(store::CertificateKind kind, const std::string& alias) {
  TESSERA_ASSIGN_OR_RETURN(store::CertificateRecord rec, store_.GetCertificate(kind, alias));
  return CertificateToJson(rec);
}

Result<Json> AdminService::ListCertificates(store::CertificateKind kind) {
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::CertificateRecord> recs,
                           store_.ListCertificates(kind));
  Json out = Json::array();
  for (const auto& r : recs) out.push_back(CertificateToJson(r));
  const size_t total = out.size();
  return ListResponse(std::move(out), 1, total);
}

Status AdminService::DeleteCertificate(const Context& ctx, store::CertificateKind kind,
                                       const std::string& alias) {
  TESSERA_RETURN_IF_ERROR(store_.DeleteCertificate(kind, alias));
  return Audit(
      ctx,
      kind == store::CertificateKind::kClient ? "certificate.delete" : "partner_certificate.delete",
      alias);
}

// ---- Apps ----

Result<store::App> AdminService::AppFromJson(const Json& body, store::App a, bool creating,
                                             const Context& ctx) {
  if (!body.is_object()) return Bad("an App is a JSON object");
  TESSERA_ASSIGN_OR_RETURN(a.display_name, RequiredString(body, "displayName"));
  TESSERA_RETURN_IF_ERROR(OptionalString(body, "description", &a.description, 4096));
  bool is_client = false, is_resource = false;
  TESSERA_RETURN_IF_ERROR(OptionalBool(body, "isOAuthClient", &is_client));
  TESSERA_RETURN_IF_ERROR(OptionalBool(body, "isOAuthResource", &is_resource));
  if (creating) {
    if (is_client == is_resource)
      return Bad(
          "an App is either isOAuthClient (a confidential app) or isOAuthResource (a resource "
          "app)");
    a.kind = is_client ? store::AppKind::kConfidential : store::AppKind::kResource;
  }
  TESSERA_ASSIGN_OR_RETURN(std::optional<int64_t> expiry,
                           OptionalLifetime(body, "accessTokenExpiry"));
  a.access_token_expiry = expiry.value_or(0);
  if (a.kind == store::AppKind::kResource) {
    TESSERA_ASSIGN_OR_RETURN(a.audience, RequiredString(body, "audience", 1024));
    TESSERA_RETURN_IF_ERROR(OptionalStringList(body, "scopes", "value", &a.scopes));
    if (a.scopes.empty())
      return Bad(
          "a resource app needs at least one entry in 'scopes', e.g. "
          "{\"value\":\"urn:opc:resource:consumer::all\"}");
    return a;
  }
  if (auto ct = body.find("clientType");
      ct != body.end() && !ct->is_null() && *ct != "confidential") {
    return Bad("only clientType 'confidential' is supported");
  }
  TESSERA_RETURN_IF_ERROR(OptionalStringList(body, "allowedGrants", nullptr, &a.allowed_grants));
  for (const auto& g : a.allowed_grants) {
    if (std::find(KnownGrants().begin(), KnownGrants().end(), g) == KnownGrants().end()) {
      return Bad("allowedGrants: unknown grant '" + g + "'; supported: client_credentials, " +
                 kGrantJwtBearer);
    }
  }
  TESSERA_RETURN_IF_ERROR(OptionalStringList(body, "allowedScopes", "fqs", &a.allowed_scopes));
  TESSERA_RETURN_IF_ERROR(
      OptionalStringList(body, "allowedOperations", nullptr, &a.allowed_operations));
  for (const auto& op : a.allowed_operations) {
    if (op != "introspect" && op != "trustToken")
      return Bad("allowedOperations: unknown operation '" + op + "'");
  }
  TESSERA_RETURN_IF_ERROR(
      OptionalStringList(body, "assertionAlgorithms", nullptr, &a.assertion_algs));
  for (const auto& alg : a.assertion_algs) {
    auto parsed = jose::AlgorithmFromName(alg);
    // Contract rule 2: never none, never an HMAC alg for a certificate.
    if (!parsed || jose::FamilyOf(*parsed) == jose::AlgorithmFamily::kHmac) {
      return Bad("assertionAlgorithms: '" + alg +
                 "' is not allowed; use RS256, PS256, ES256 or EdDSA");
    }
  }
  TESSERA_RETURN_IF_ERROR(OptionalBool(body, "requireJti", &a.require_jti));
  // Certificates: attached by alias; an entry may carry the certificate itself.
  if (auto certs = body.find("certificates"); certs != body.end() && !certs->is_null()) {
    if (!certs->is_array() || certs->size() > 16)
      return Bad("'certificates' must be an array of at most 16 entries");
    std::vector<std::string> aliases;
    for (const Json& c : *certs) {
      if (!c.is_object()) return Bad("each entry of 'certificates' is an object with 'certAlias'");
      TESSERA_ASSIGN_OR_RETURN(std::string alias, RequiredString(c, "certAlias"));
      if (auto x = c.find("x509Base64Certificate"); x != c.end() && !x->is_null()) {
        Json upload = {{"certificateAlias", alias}, {"x509Base64Certificate", *x}};
        Result<Json> put = PutCertificate(ctx, store::CertificateKind::kClient, upload);
        if (!put.ok() && put.status().code() != StatusCode::kAlreadyExists) return put.status();
        if (!put.ok()) {
          // The alias exists: accept the same certificate again, refuse a different one.
          TESSERA_ASSIGN_OR_RETURN(store::CertificateRecord existing,
                                   store_.GetCertificate(store::CertificateKind::kClient, alias));
          Result<jose::Certificate> given = jose::LoadCertificate(x->get<std::string>());
          if (!given.ok() || given->der != existing.der) return put.status();
        }
      } else {
        Result<store::CertificateRecord> existing =
            store_.GetCertificate(store::CertificateKind::kClient, alias);
        if (!existing.ok() && existing.status().code() == StatusCode::kNotFound) {
          return Bad(
              "certificates: no client certificate with alias '" + alias +
              "'; upload it at /admin/v1/OAuthClientCertificates or include x509Base64Certificate");
        }
        TESSERA_RETURN_IF_ERROR(existing.status());
      }
      if (std::find(aliases.begin(), aliases.end(), alias) == aliases.end())
        aliases.push_back(alias);
    }
    a.certificate_aliases = std::move(aliases);
  }
  return a;
}

Result<Json> AdminService::CreateApp(const Context& ctx, const Json& body) {
  store::App a;
  a.active = false;  // contract section 6: new apps are inactive until activated
  TESSERA_ASSIGN_OR_RETURN(a, AppFromJson(body, a, true, ctx));
  a.id = RandomUuid();
  a.created_at = a.updated_at = clock_.NowSeconds();
  std::string secret;
  if (a.kind == store::AppKind::kConfidential) {
    a.client_id = GenerateClientId();
    secret = GenerateClientSecret();
    TESSERA_ASSIGN_OR_RETURN(a.secret_hash, HashSecret(secret));
  }
  TESSERA_RETURN_IF_ERROR(store_.CreateApp(a));
  TESSERA_RETURN_IF_ERROR(Audit(ctx, "app.create", a.display_name));
  Json out = AppToJson(a);
  if (!secret.empty()) out["clientSecret"] = secret;  // shown only here
  return out;
}

Result<Json> AdminService::GetApp(const std::string& id) {
  TESSERA_ASSIGN_OR_RETURN(store::App a, store_.GetApp(id));
  return AppToJson(a);
}

Result<Json> AdminService::ListApps(const std::map<std::string, std::string>& q) {
  TESSERA_ASSIGN_OR_RETURN(int start, IntParam(q, "startIndex", 1, 1, 1 << 30));
  TESSERA_ASSIGN_OR_RETURN(int count, IntParam(q, "count", 100, 0, kMaxPage));
  std::optional<std::pair<std::string, std::string>> eq;
  if (auto f = q.find("filter"); f != q.end()) {
    TESSERA_ASSIGN_OR_RETURN(eq, ParseEqFilter(f->second));
    if (eq->first != "displayName" && eq->first != "name")
      return Bad("apps can be filtered by displayName or name only");
  }
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::App> apps,
                           store_.ListApps(eq ? 0 : start - 1, eq ? 100000 : count));
  Json out = Json::array();
  for (const auto& a : apps) {
    if (eq && (eq->first == "name" ? a.client_id : a.display_name) != eq->second) continue;
    out.push_back(AppToJson(a));
  }
  const size_t total = out.size();
  return ListResponse(std::move(out), eq ? 1 : start, total);
}

Result<Json> AdminService::PatchApp(const Context& ctx, const std::string& id, const Json& patch) {
  TESSERA_ASSIGN_OR_RETURN(store::App a, store_.GetApp(id));
  Json view = AppToJson(a);
  TESSERA_RETURN_IF_ERROR(ApplyScimPatch(view, patch));
  TESSERA_ASSIGN_OR_RETURN(store::App updated, AppFromJson(view, a, false, ctx));
  // Identity, secret, role and kind are not patchable; activation has its own endpoint but
  // "active" in a PATCH is honoured too.
  bool active = a.active;
  TESSERA_RETURN_IF_ERROR(OptionalBool(view, "active", &active));
  updated.active = active;
  updated.id = a.id;
  updated.client_id = a.client_id;
  updated.secret_hash = a.secret_hash;
  updated.is_admin = a.is_admin;
  updated.kind = a.kind;
  updated.created_at = a.created_at;
  updated.updated_at = clock_.NowSeconds();
  TESSERA_RETURN_IF_ERROR(store_.UpdateApp(updated));
  TESSERA_RETURN_IF_ERROR(Audit(ctx, "app.update", updated.display_name));
  return AppToJson(updated);
}

Status AdminService::DeleteApp(const Context& ctx, const std::string& id) {
  TESSERA_ASSIGN_OR_RETURN(store::App a, store_.GetApp(id));
  TESSERA_RETURN_IF_ERROR(store_.DeleteApp(id));
  return Audit(ctx, "app.delete", a.display_name);
}

Result<Json> AdminService::SetAppActive(const Context& ctx, const std::string& id,
                                        const Json& body) {
  if (!body.is_object() || !body.contains("active") || !body["active"].is_boolean()) {
    return Bad("AppStatusChanger needs {\"active\": true|false}");
  }
  TESSERA_ASSIGN_OR_RETURN(store::App a, store_.GetApp(id));
  a.active = body["active"].get<bool>();
  a.updated_at = clock_.NowSeconds();
  TESSERA_RETURN_IF_ERROR(store_.UpdateApp(a));
  TESSERA_RETURN_IF_ERROR(Audit(ctx, a.active ? "app.activate" : "app.deactivate", a.display_name));
  return Json{{"schemas", {"urn:ietf:params:scim:schemas:oracle:idcs:AppStatusChanger"}},
              {"id", a.id},
              {"active", a.active}};
}

Result<Json> AdminService::RotateSigningKey(const Context& ctx) {
  TESSERA_ASSIGN_OR_RETURN(std::string kid, keys_.Rotate());
  TESSERA_RETURN_IF_ERROR(Audit(ctx, "signing_key.rotate", kid));
  return Json{{"kid", kid}, {"active", true}};
}

Result<Json> AdminService::RevokeSigningKey(const Context& ctx, const std::string& kid) {
  TESSERA_ASSIGN_OR_RETURN(std::string active, keys_.Revoke(kid));
  TESSERA_RETURN_IF_ERROR(Audit(ctx, "signing_key.revoke", kid));
  return Json{{"kid", kid}, {"state", "revoked"}, {"activeKid", active}};
}

Result<Json> AdminService::ListSigningKeys() {
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::SigningKeyRecord> recs, keys_.List());
  const int64_t now = clock_.NowSeconds();
  Json out = Json::array();
  for (const auto& k : recs) {
    const char* state = k.revoked_at != 0       ? "revoked"
                        : k.retired_at == 0     ? "active"
                        : k.publish_until < now ? "expired"
                                                : "retired";
    Json j = {{"kid", k.kid}, {"alg", k.alg}, {"state", state}, {"createdAt", k.created_at}};
    if (k.retired_at != 0) j["retiredAt"] = k.retired_at;
    if (k.retired_at != 0 && k.revoked_at == 0) j["publishUntil"] = k.publish_until;
    if (k.revoked_at != 0) j["revokedAt"] = k.revoked_at;
    out.push_back(std::move(j));
  }
  const size_t total = out.size();
  return ListResponse(std::move(out), 1, total);
}

Result<Json> AdminService::RegenerateClientSecret(const Context& ctx, const Json& body) {
  if (!body.is_object() || !body.contains("appId") || !body["appId"].is_string() ||
      body["appId"].get<std::string>().empty()) {
    return Bad("AppClientSecretRegenerator needs {\"appId\": \"<app id>\"}");
  }
  const std::string id = body["appId"].get<std::string>();
  TESSERA_ASSIGN_OR_RETURN(store::App a, store_.GetApp(id));
  if (a.kind != store::AppKind::kConfidential)
    return Bad("app " + id + " is a resource app: it has no client secret");
  const std::string secret = GenerateClientSecret();
  // Generated: the fast hash suffices (secrets.h).
  TESSERA_ASSIGN_OR_RETURN(a.secret_hash, HashSecret(secret));
  a.updated_at = clock_.NowSeconds();
  TESSERA_RETURN_IF_ERROR(store_.UpdateApp(a));
  // Audit invalidates this node's Directory: the old secret is refused from the next request.
  TESSERA_RETURN_IF_ERROR(Audit(ctx, "app.secret_regenerate", a.display_name));
  return Json{{"schemas", {"urn:ietf:params:scim:schemas:oracle:idcs:AppClientSecretRegenerator"}},
              {"appId", a.id},
              {"name", a.client_id},
              {"clientSecret", secret}};  // shown only here
}

Result<Json> AdminService::ListAudit(const std::map<std::string, std::string>& q) {
  store::AuditFilter f;
  if (auto it = q.find("clientId"); it != q.end()) f.client_id = it->second;
  if (auto it = q.find("outcome"); it != q.end()) f.outcome = it->second;
  TESSERA_ASSIGN_OR_RETURN(int since, IntParam(q, "since", -1, 0, INT32_MAX));
  TESSERA_ASSIGN_OR_RETURN(int until, IntParam(q, "until", -1, 0, INT32_MAX));
  if (since >= 0) f.since = since;
  if (until >= 0) f.until = until;
  TESSERA_ASSIGN_OR_RETURN(f.limit, IntParam(q, "count", 100, 1, kMaxPage));
  audit_.Flush();  // read-your-writes for the trail
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::AuditEvent> events, store_.ListAudit(f));
  Json out = Json::array();
  for (const auto& e : events) {
    out.push_back({{"id", e.id},
                   {"time", jose::FormatNumericDate(e.time)},
                   {"timestamp", e.time},
                   {"ecid", e.ecid},
                   {"clientId", e.client_id},
                   {"subject", e.subject},
                   {"grant", e.grant},
                   {"outcome", e.outcome},
                   {"reason", e.reason}});
  }
  const size_t total = out.size();
  return ListResponse(std::move(out), 1, total);
}

Result<AdminService::BootstrapOutcome> AdminService::EnsureBootstrapAdmin(
    const std::string& client_id, const std::string& client_secret) {
  if (client_secret.size() < 16)
    return Status::InvalidArgument("TESSERA_ADMIN_CLIENT_SECRET must be at least 16 characters");
  Result<store::App> existing = store_.FindAppByClientId(client_id);
  if (existing.ok()) {
    const bool same = VerifySecret(client_secret, existing->secret_hash);
    if (same && IsChosenSecretHash(existing->secret_hash)) return BootstrapOutcome::kUnchanged;
    // A new secret at start replaces the stored one: the operator's way to rotate it.
    store::App a = std::move(existing).value();
    a.secret_hash = HashChosenSecret(client_secret);
    a.updated_at = clock_.NowSeconds();
    TESSERA_RETURN_IF_ERROR(store_.UpdateApp(a));
    TESSERA_RETURN_IF_ERROR(Audit(
        {"bootstrap", ""}, same ? "app.secret_rehash" : "app.secret_replace", a.display_name));
    return same ? BootstrapOutcome::kHashUpgraded : BootstrapOutcome::kSecretReplaced;
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  store::App a;
  a.id = RandomUuid();
  a.client_id = client_id;
  a.display_name = "Tessera administrator";
  a.kind = store::AppKind::kConfidential;
  a.active = true;
  a.is_admin = true;
  a.secret_hash = HashChosenSecret(client_secret);
  a.allowed_grants = {kGrantClientCredentials};
  a.created_at = a.updated_at = clock_.NowSeconds();
  TESSERA_RETURN_IF_ERROR(store_.CreateApp(a));
  TESSERA_RETURN_IF_ERROR(Audit({"bootstrap", ""}, "app.create", a.display_name));
  return BootstrapOutcome::kCreated;
}

}  // namespace tessera::oauth
