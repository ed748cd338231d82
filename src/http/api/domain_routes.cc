// Configuration as code (docs/http-api.md, "Domain export and import"): the JSON form of
// oauth::DomainRecords, and the routes GET /admin/v1/DomainExport and POST /admin/v1/DomainImport.
// The shapes are those of the SCIM resources (IDCS names), with every secret replaced by
// {"secretRef": "..."}.
#include <set>

#include "federation/trust_json.h"
#include "http/api/api.h"
#include "jose/base64url.h"
#include "jose/claims.h"
#include "oauth/config.h"
#include "oauth/domain_transfer.h"

namespace tessera::http {
namespace {

using jose::Json;
using oauth::DomainRecords;

constexpr char kDomainSchema[] = "urn:tessera:domain:1";
constexpr std::size_t kMaxString = 64 * 1024;

Status Bad(const std::string& where, const std::string& what) {
  return Status::InvalidArgument(where + ": " + what);
}

// ---- Records -> JSON.

Json SecretRef(const std::string& ref) { return Json{{"secretRef", ref}}; }

Json UserJson(const store::User& u) {
  Json emails = Json::array();
  for (size_t i = 0; i < u.emails.size(); ++i)
    emails.push_back({{"value", u.emails[i]}, {"primary", i == 0}});
  return Json{{"id", u.id},
              {"userName", u.user_name},
              {"name", {{"givenName", u.given_name}, {"familyName", u.family_name}}},
              {"emails", emails},
              {"active", u.active}};
}

Json AppJson(const store::App& a) {
  Json j = {{"id", a.id},
            {"displayName", a.display_name},
            {"description", a.description},
            {"active", a.active},
            {"accessTokenExpiry", a.access_token_expiry}};
  if (a.kind == store::AppKind::kResource) {
    j["isOAuthResource"] = true;
    j["audience"] = a.audience;
    Json scopes = Json::array();
    for (const auto& s : a.scopes) scopes.push_back({{"value", s}});
    j["scopes"] = scopes;
    return j;
  }
  j["isOAuthClient"] = true;
  j["name"] = a.client_id;
  j["isAdmin"] = a.is_admin;
  j["allowedGrants"] = a.allowed_grants;
  Json scopes = Json::array();
  for (const auto& s : a.allowed_scopes) scopes.push_back({{"fqs", s}});
  j["allowedScopes"] = scopes;
  Json certs = Json::array();
  for (const auto& c : a.certificate_aliases) certs.push_back({{"certAlias", c}});
  j["certificates"] = certs;
  j["allowedOperations"] = a.allowed_operations;
  j["assertionAlgorithms"] = a.assertion_algs;
  j["requireJti"] = a.require_jti;
  j["dpopBoundAccessTokens"] = a.dpop_bound_access_tokens;
  j["tlsClientCertificateBoundAccessTokens"] = a.tls_client_certificate_bound_access_tokens;
  j["tlsClientAuthSubjectDn"] = a.tls_client_auth_subject_dn;
  j["tlsClientAuthSanDns"] = a.tls_client_auth_san_dns;
  j["clientSecret"] = SecretRef(oauth::AppSecretRef(a));
  return j;
}

Json CertJson(const store::CertificateRecord& c) {
  return Json{{"certificateAlias", c.alias},
              {"x509Base64Certificate", jose::Base64Encode(c.der)},
              {"x5t", c.x5t},
              {"notAfter", jose::FormatNumericDate(c.not_after)}};
}

Json IssuerJson(const store::TrustTokenIssuerRecord& i) {
  Json j = {{"issuer", i.issuer}};
  if (i.cert_der.empty()) {
    j["sharedSecret"] = SecretRef(oauth::IssuerSecretRef(i));
  } else {
    j["certAlias"] = i.cert_alias;
    j["x509Base64Certificate"] = jose::Base64Encode(i.cert_der);
  }
  return j;
}

Json DomainJson(const DomainRecords& d) {
  Json out = {{"schemas", {kDomainSchema}}};
  Json users = Json::array(), apps = Json::array(), certs = Json::array(), partners = Json::array(),
       issuers = Json::array();
  for (const auto& u : d.users) users.push_back(UserJson(u));
  for (const auto& a : d.apps) apps.push_back(AppJson(a));
  for (const auto& c : d.client_certificates) certs.push_back(CertJson(c));
  for (const auto& c : d.partner_certificates) partners.push_back(CertJson(c));
  for (const auto& i : d.trust_issuers) issuers.push_back(IssuerJson(i));
  out["users"] = users;
  out["apps"] = apps;
  out["certificates"] = certs;
  out["partnerCertificates"] = partners;
  out["trustTokenIssuers"] = issuers;
  Json trusts = Json::array();
  for (const auto& t : d.federation_trusts) {
    Json j = federation::TrustToJson(t);
    j.erase("schemas");  // the domain's own schema covers it
    trusts.push_back(std::move(j));
  }
  out["identityPropagationTrusts"] = trusts;
  return out;
}

// ---- JSON -> records, strictly: an unknown member is refused with the allowed ones.

class Reader {
 public:
  Reader(const Json& j, std::string where) : j_(j), where_(std::move(where)) {}

  Status Object(const std::set<std::string>& allowed) const {
    if (!j_.is_object()) return Bad(where_, "must be a JSON object");
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (!allowed.count(it.key())) {
        std::string names;
        for (const auto& a : allowed) names += (names.empty() ? "" : ", ") + a;
        return Bad(where_, "unknown member '" + it.key().substr(0, 64) + "'; allowed: " + names);
      }
    }
    return Status::Ok();
  }
  Status String(const char* name, std::string* out, bool required = false) const {
    auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) {
      return required ? Bad(where_, std::string("'") + name + "' is required") : Status::Ok();
    }
    if (!it->is_string() || it->get_ref<const std::string&>().size() > kMaxString)
      return Bad(where_, std::string("'") + name + "' must be a string");
    *out = it->get<std::string>();
    return Status::Ok();
  }
  Status Bool(const char* name, bool* out) const {
    auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) return Status::Ok();
    if (!it->is_boolean()) return Bad(where_, std::string("'") + name + "' must be true or false");
    *out = it->get<bool>();
    return Status::Ok();
  }
  Status Int(const char* name, int64_t* out) const {
    auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) return Status::Ok();
    if (!it->is_number_integer())
      return Bad(where_, std::string("'") + name + "' must be a whole number");
    *out = it->get<int64_t>();
    return Status::Ok();
  }
  // ["a", ...] or [{"<member>": "a"}, ...].
  Status List(const char* name, const char* member, std::vector<std::string>* out) const {
    auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) return Status::Ok();
    if (!it->is_array() || it->size() > 1000)
      return Bad(where_, std::string("'") + name + "' must be an array");
    out->clear();
    for (const Json& e : *it) {
      const Json* s = &e;
      if (e.is_object() && member != nullptr && e.contains(member)) s = &e[member];
      if (!s->is_string() || s->get_ref<const std::string&>().empty())
        return Bad(where_, std::string("entries of '") + name + "' must be non-empty strings" +
                               (member ? std::string(" or {\"") + member + "\": ...}" : ""));
      out->push_back(s->get<std::string>());
    }
    return Status::Ok();
  }
  // {"secretRef": "..."}: the reference is computed from the record, so only its shape is
  // checked (a reference naming another record would be a mistake).
  Status SecretRefMember(const char* name, const std::string& expected) const {
    auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) return Status::Ok();
    if (!it->is_object() || !it->contains("secretRef") || !(*it)["secretRef"].is_string())
      return Bad(where_, std::string("'") + name + "' must be {\"secretRef\": \"" + expected +
                             "\"}: secrets are supplied apart, never in the domain");
    if ((*it)["secretRef"] != expected)
      return Bad(where_, std::string("'") + name + "' must reference '" + expected + "'");
    return Status::Ok();
  }
  const Json& json() const { return j_; }
  const std::string& where() const { return where_; }

 private:
  const Json& j_;
  std::string where_;
};

Result<std::string> Der(const Reader& r, const char* name) {
  std::string text;
  TESSERA_RETURN_IF_ERROR(r.String(name, &text, true));
  // PEM or base64 DER: what LoadCertificate takes; kept as given, decoded by the domain.
  return text;
}

Result<DomainRecords> ParseDomain(const Json& j) {
  DomainRecords d;
  Reader top(j, "domain");
  TESSERA_RETURN_IF_ERROR(
      top.Object({"schemas", "users", "apps", "certificates", "partnerCertificates",
                  "trustTokenIssuers", "identityPropagationTrusts"}));
  auto array = [&](const char* name) -> Result<const Json*> {
    static const Json kEmpty = Json::array();
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return &kEmpty;
    if (!it->is_array()) return Bad("domain", std::string("'") + name + "' must be an array");
    return &*it;
  };
  TESSERA_ASSIGN_OR_RETURN(const Json* users, array("users"));
  for (size_t i = 0; i < users->size(); ++i) {
    Reader r((*users)[i], "users[" + std::to_string(i) + "]");
    TESSERA_RETURN_IF_ERROR(r.Object({"id", "userName", "name", "emails", "active"}));
    store::User u;
    TESSERA_RETURN_IF_ERROR(r.String("id", &u.id));
    TESSERA_RETURN_IF_ERROR(r.String("userName", &u.user_name, true));
    if (auto n = r.json().find("name"); n != r.json().end() && !n->is_null()) {
      Reader name(*n, r.where() + ".name");
      TESSERA_RETURN_IF_ERROR(name.Object({"givenName", "familyName"}));
      TESSERA_RETURN_IF_ERROR(name.String("givenName", &u.given_name));
      TESSERA_RETURN_IF_ERROR(name.String("familyName", &u.family_name));
    }
    TESSERA_RETURN_IF_ERROR(r.List("emails", "value", &u.emails));
    TESSERA_RETURN_IF_ERROR(r.Bool("active", &u.active));
    d.users.push_back(std::move(u));
  }
  TESSERA_ASSIGN_OR_RETURN(const Json* apps, array("apps"));
  for (size_t i = 0; i < apps->size(); ++i) {
    Reader r((*apps)[i], "apps[" + std::to_string(i) + "]");
    store::App a;
    bool client = false, resource = false;
    TESSERA_RETURN_IF_ERROR(r.Bool("isOAuthClient", &client));
    TESSERA_RETURN_IF_ERROR(r.Bool("isOAuthResource", &resource));
    if (client == resource)
      return Bad(r.where(), "is either \"isOAuthClient\": true or \"isOAuthResource\": true");
    const std::set<std::string> common = {"id", "displayName", "description", "active",
                                          "accessTokenExpiry"};
    std::set<std::string> allowed = common;
    if (resource) {
      allowed.insert({"isOAuthResource", "audience", "scopes"});
    } else {
      allowed.insert({"isOAuthClient", "name", "isAdmin", "allowedGrants", "allowedScopes",
                      "certificates", "allowedOperations", "assertionAlgorithms", "requireJti",
                      "dpopBoundAccessTokens", "tlsClientCertificateBoundAccessTokens",
                      "tlsClientAuthSubjectDn", "tlsClientAuthSanDns", "clientSecret"});
    }
    TESSERA_RETURN_IF_ERROR(r.Object(allowed));
    a.kind = resource ? store::AppKind::kResource : store::AppKind::kConfidential;
    TESSERA_RETURN_IF_ERROR(r.String("id", &a.id));
    TESSERA_RETURN_IF_ERROR(r.String("displayName", &a.display_name, true));
    TESSERA_RETURN_IF_ERROR(r.String("description", &a.description));
    TESSERA_RETURN_IF_ERROR(r.Bool("active", &a.active));
    TESSERA_RETURN_IF_ERROR(r.Int("accessTokenExpiry", &a.access_token_expiry));
    if (resource) {
      TESSERA_RETURN_IF_ERROR(r.String("audience", &a.audience, true));
      TESSERA_RETURN_IF_ERROR(r.List("scopes", "value", &a.scopes));
    } else {
      TESSERA_RETURN_IF_ERROR(r.String("name", &a.client_id, true));
      TESSERA_RETURN_IF_ERROR(r.Bool("isAdmin", &a.is_admin));
      TESSERA_RETURN_IF_ERROR(r.List("allowedGrants", nullptr, &a.allowed_grants));
      TESSERA_RETURN_IF_ERROR(r.List("allowedScopes", "fqs", &a.allowed_scopes));
      TESSERA_RETURN_IF_ERROR(r.List("certificates", "certAlias", &a.certificate_aliases));
      TESSERA_RETURN_IF_ERROR(r.List("allowedOperations", nullptr, &a.allowed_operations));
      TESSERA_RETURN_IF_ERROR(r.List("assertionAlgorithms", nullptr, &a.assertion_algs));
      TESSERA_RETURN_IF_ERROR(r.Bool("requireJti", &a.require_jti));
      // Absent in exports made before these settings existed: false and unset, as then.
      TESSERA_RETURN_IF_ERROR(r.Bool("dpopBoundAccessTokens", &a.dpop_bound_access_tokens));
      TESSERA_RETURN_IF_ERROR(r.Bool("tlsClientCertificateBoundAccessTokens",
                                     &a.tls_client_certificate_bound_access_tokens));
      TESSERA_RETURN_IF_ERROR(r.String("tlsClientAuthSubjectDn", &a.tls_client_auth_subject_dn));
      TESSERA_RETURN_IF_ERROR(r.String("tlsClientAuthSanDns", &a.tls_client_auth_san_dns));
      TESSERA_RETURN_IF_ERROR(r.SecretRefMember("clientSecret", oauth::AppSecretRef(a)));
    }
    d.apps.push_back(std::move(a));
  }
  for (const char* kind : {"certificates", "partnerCertificates"}) {
    TESSERA_ASSIGN_OR_RETURN(const Json* certs, array(kind));
    for (size_t i = 0; i < certs->size(); ++i) {
      Reader r((*certs)[i], std::string(kind) + "[" + std::to_string(i) + "]");
      // x5t and notAfter are informative: recomputed from the certificate.
      TESSERA_RETURN_IF_ERROR(
          r.Object({"certificateAlias", "x509Base64Certificate", "x5t", "notAfter"}));
      store::CertificateRecord c;
      TESSERA_RETURN_IF_ERROR(r.String("certificateAlias", &c.alias, true));
      TESSERA_ASSIGN_OR_RETURN(c.der, Der(r, "x509Base64Certificate"));
      (std::string(kind) == "certificates" ? d.client_certificates : d.partner_certificates)
          .push_back(std::move(c));
    }
  }
  TESSERA_ASSIGN_OR_RETURN(const Json* issuers, array("trustTokenIssuers"));
  for (size_t i = 0; i < issuers->size(); ++i) {
    Reader r((*issuers)[i], "trustTokenIssuers[" + std::to_string(i) + "]");
    TESSERA_RETURN_IF_ERROR(
        r.Object({"issuer", "sharedSecret", "certAlias", "x509Base64Certificate"}));
    store::TrustTokenIssuerRecord t;
    TESSERA_RETURN_IF_ERROR(r.String("issuer", &t.issuer, true));
    const bool has_cert = r.json().contains("x509Base64Certificate");
    const bool has_secret = r.json().contains("sharedSecret");
    if (has_cert == has_secret)
      return Bad(r.where(),
                 "give either \"sharedSecret\": {\"secretRef\": ...} (HS256) or \"certAlias\" "
                 "with \"x509Base64Certificate\" (RS256)");
    if (has_cert) {
      TESSERA_RETURN_IF_ERROR(r.String("certAlias", &t.cert_alias, true));
      TESSERA_ASSIGN_OR_RETURN(t.cert_der, Der(r, "x509Base64Certificate"));
    } else {
      TESSERA_RETURN_IF_ERROR(r.SecretRefMember("sharedSecret", oauth::IssuerSecretRef(t)));
    }
    d.trust_issuers.push_back(std::move(t));
  }
  // Federation trusts: the IdentityPropagationTrust attributes, read as the admin API reads them.
  TESSERA_ASSIGN_OR_RETURN(const Json* trusts, array("identityPropagationTrusts"));
  for (size_t i = 0; i < trusts->size(); ++i) {
    Result<federation::Trust> t = federation::TrustFromJson((*trusts)[i]);
    if (!t.ok()) {
      return Bad("identityPropagationTrusts[" + std::to_string(i) + "]", t.status().message());
    }
    d.federation_trusts.push_back(std::move(t).value());
  }
  return d;
}

Json PlanJson(const std::vector<oauth::PlanStep>& plan, bool dry_run) {
  Json steps = Json::array();
  int created = 0, updated = 0, unchanged = 0;
  for (const auto& p : plan) {
    Json s = {{"action", oauth::ActionName(p.action)}, {"kind", p.kind}, {"name", p.name}};
    if (!p.changes.empty()) s["changes"] = p.changes;
    steps.push_back(std::move(s));
    created += p.action == oauth::PlanStep::Action::kCreate;
    updated += p.action == oauth::PlanStep::Action::kUpdate;
    unchanged += p.action == oauth::PlanStep::Action::kUnchanged;
  }
  return Json{{"dryRun", dry_run},
              {"created", created},
              {"updated", updated},
              {"unchanged", unchanged},
              {"plan", steps}};
}

}  // namespace

void RegisterDomainRoutes(Router& router, ApiServices& s) {
  if (s.domain == nullptr) return;
  oauth::DomainTransfer& domain = *s.domain;
  router.Add("GET", "/admin/v1/DomainExport", AdminRoute(s, [&domain](auto&, Request&) {
               Result<DomainRecords> d = domain.Export();
               if (!d.ok()) return ScimError(d.status());
               return ScimJson(200, DomainJson(*d));
             }));
  router.Add(
      "POST", "/admin/v1/DomainImport",
      AdminRoute(s,
                 [&domain](oauth::AdminService::Context& ctx, Request& req) {
                   Result<Json> body = ReadJsonBody(req);
                   if (!body.ok()) return ScimError(body.status());
                   Reader top(*body, "request");
                   if (Status st = top.Object({"schemas", "domain", "secrets", "dryRun"}); !st.ok())
                     return ScimError(st);
                   bool dry_run = false;
                   if (Status st = top.Bool("dryRun", &dry_run); !st.ok()) return ScimError(st);
                   if (!body->contains("domain"))
                     return ScimError(Status::InvalidArgument("request: 'domain' is required"));
                   std::map<std::string, std::string> secrets;
                   if (auto it = body->find("secrets"); it != body->end() && !it->is_null()) {
                     if (!it->is_object())
                       return ScimError(Status::InvalidArgument(
                           "request: 'secrets' must be an object of reference -> secret strings"));
                     for (auto e = it->begin(); e != it->end(); ++e) {
                       if (!e->is_string())
                         return ScimError(Status::InvalidArgument(
                             "request: secrets['" + e.key().substr(0, 64) + "'] must be a string"));
                       secrets[e.key()] = e->get<std::string>();
                     }
                   }
                   Result<DomainRecords> parsed = ParseDomain((*body)["domain"]);
                   if (!parsed.ok()) return ScimError(parsed.status());
                   Result<std::vector<oauth::PlanStep>> plan =
                       domain.Import(ctx.actor, ctx.ecid, *parsed, secrets, dry_run);
                   if (!plan.ok()) return ScimError(plan.status());
                   return ScimJson(200, PlanJson(*plan, dry_run));
                 }),
      RouteOptions{1024 * 1024});
}

}  // namespace tessera::http
