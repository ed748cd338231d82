// Admin API routes (contract section 6): bearer-token authorisation, SCIM bodies and errors.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

#include "common/log_value.h"
#include "console/console_service.h"
#include "federation/trust_json.h"
#include "http/api/api.h"
#include "http/api/scim.h"
#include "http/form.h"
#include "jose/base64url.h"
#include "jose/claims.h"
#include "jose/json.h"

namespace tessera::http {
namespace {

using jose::Json;
using store::CertificateKind;

constexpr std::size_t kAdminBodyLimit = 1024 * 1024;
constexpr char kScimType[] = "application/scim+json";

bool HasScope(const Json& claims, std::string_view wanted) {
  auto it = claims.find("scope");
  if (it == claims.end() || !it->is_string()) return false;
  std::istringstream in(it->get<std::string>());
  std::string s;
  while (in >> s) {
    if (s == wanted) return true;
  }
  return false;
}

std::string StringClaim(const Json& claims, const char* name) {
  auto it = claims.find(name);
  return it != claims.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Response ScimJson(int status, const Json& body) {
  // Error details may quote request bytes that are not UTF-8: replaced, never a throw (a 500).
  Response r = Response::Json(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
  r.content_type = kScimType;
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

Result<std::string> AuthorizeAdmin(ApiServices& s, Request& req) {
  std::optional<std::string_view> auth = req.Header("authorization");
  // Contract section 9: the console's session cookie stands in for a bearer token. A request
  // that sends an Authorization header is judged by it alone.
  if (!auth && s.console != nullptr && RequestCookie(req, kSessionCookie)) {
    Result<console::SessionInfo> session = AuthorizeConsoleSession(s, req);
    if (!session.ok()) {
      spdlog::info("ecid={} admin session rejected: {}", req.ecid,
                   LogValue(session.status().message()));
      return session.status();
    }
    if (session->op.role != console::kAdministratorRole) {
      return Status::PermissionDenied("the operator does not hold the administrator role");
    }
    return "operator:" + session->op.user_name;
  }
  if (!auth || auth->size() < 8 ||
      !std::equal(auth->begin(), auth->begin() + 7, "Bearer ",
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return Status::Unauthenticated(
        "a bearer token is required (client_credentials with scope urn:opc:idm:__myscopes__)");
  }
  std::string_view token = auth->substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  Result<oauth::AccessTokenInfo> info = s.tokens.VerifyAccessToken(token);
  if (!info.ok()) {
    if (info.status().code() == StatusCode::kUnavailable) return info.status();
    spdlog::warn("ecid={} admin bearer rejected: {}", req.ecid, LogValue(info.status().message()));
    return Status::Unauthenticated("the bearer token is not valid: " + info.status().message(),
                                   kInvalidBearerToken);
  }
  // Contract section 6: only a client_credentials token speaks for the administrator app. A user
  // token minted for that app (jwt-bearer, gtp "jwt") speaks for its user, who holds no role.
  if (StringClaim(info->claims, "gtp") != "cc" ||
      StringClaim(info->claims, "sub_type") != "client" ||
      StringClaim(info->claims, "sub") != info->client_id) {
    spdlog::info("ecid={} admin bearer rejected: not a client_credentials token of client {}",
                 req.ecid, info->client_id);
    return Status::PermissionDenied(
        "the admin API accepts only client_credentials tokens of an administrator app");
  }
  if (!HasScope(info->claims, oauth::kScopeMyScopes)) {
    return Status::PermissionDenied("the token lacks scope urn:opc:idm:__myscopes__");
  }
  // The role is checked now, not only at issuance: a revoked role takes effect at once.
  Result<store::App> app = s.store.FindAppByClientId(info->client_id);
  if (!app.ok() || !app->is_admin || !app->active) {
    return Status::PermissionDenied("client " + info->client_id +
                                    " does not hold the identity domain administrator role");
  }
  return info->client_id;
}

Handler AdminRoute(ApiServices& s, AdminCall call) {
  return [&s, call = std::move(call)](Request& req) {
    Result<std::string> who = AuthorizeAdmin(s, req);
    if (!who.ok()) return ScimError(who.status());
    oauth::AdminService::Context ctx{std::move(who).value(), req.ecid};
    return call(ctx, req);
  };
}

Result<Json> ReadJsonBody(const Request& req) {
  if (req.body.empty()) return Status::InvalidArgument("a JSON body is required");
  Result<Json> j = jose::ParseStrictJson(req.body, {kAdminBodyLimit, 32});
  if (!j.ok())
    return Status::InvalidArgument("the body is not valid JSON: " + j.status().message());
  return j;
}

namespace {

Result<std::map<std::string, std::string>> Query(const Request& req) {
  return ParseQuery(req.query);
}

// A service call's answer: its value rendered by `to_json`, or its error.
template <typename T, typename ToJson>
Response Answer(const Result<T>& r, ToJson to_json, int ok_status = 200) {
  if (!r.ok()) return ScimError(r.status());
  return ScimJson(ok_status, to_json(*r));
}

// A listing's answer: a SCIM ListResponse of every record rendered by `to_json`.
template <typename T, typename ToJson>
Response AnswerList(const Result<std::vector<T>>& r, ToJson to_json, int start_index) {
  if (!r.ok()) return ScimError(r.status());
  Json resources = Json::array();
  for (const T& item : *r) resources.push_back(to_json(item));
  return ScimJson(200, scim::ListResponse(std::move(resources), start_index));
}

Response FromStatus(const Status& s) {
  if (!s.ok()) return ScimError(s);
  Response r = Response::Text(204, "");
  r.content_type.clear();
  return r;
}

CertificateKind KindOf(bool partner) {
  return partner ? CertificateKind::kPartner : CertificateKind::kClient;
}

bool IsBasicScheme(std::string_view auth) {
  constexpr std::string_view kBasic = "basic ";
  return auth.size() >= kBasic.size() &&
         std::equal(kBasic.begin(), kBasic.end(), auth.begin(), [](char a, char b) {
           return a == std::tolower(static_cast<unsigned char>(b));
         });
}

// Basic credentials as sent (before form-decoding), for logging an encoding mistake.
std::optional<oauth::ClientCredentials> RawBasic(std::string_view header) {
  if (header.size() < 6) return std::nullopt;
  std::string_view b64 = header.substr(6);
  while (!b64.empty() && b64.front() == ' ') b64.remove_prefix(1);
  Result<std::string> text = jose::Base64Decode(b64);
  if (!text.ok()) return std::nullopt;
  const size_t colon = text->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return oauth::ClientCredentials{text->substr(0, colon), text->substr(colon + 1)};
}

// The token endpoint's answer to a refused caller (contract section 2): a client-authentication
// failure of any kind is the one uniform 401 (WWW-Authenticate when Basic was used), a spent
// budget 429 with Retry-After. The precise reason goes to the log with the ecid only.
Response RefuseCaller(const Request& req, const oauth::Rejection& rej, bool basic,
                      std::string_view why) {
  spdlog::info("ecid={} endpoint=assertion_checks rejected reason={} detail={}", req.ecid,
               oauth::ReasonCode(rej.reason), why);
  return OAuthRejection(rej, basic, req.ecid);
}

// POST /admin/v1/AssertionChecks (contract section 6), as oauth/assertion_checks.h describes:
// the caller first (address budget, then an administrator's bearer token or the client's own
// Basic credentials), the body only then.
Response AssertionChecks(ApiServices& s, oauth::AssertionCheckService& checks, Request& req) {
  std::optional<std::string_view> auth = req.Header("authorization");
  const bool basic = auth && IsBasicScheme(*auth);
  if (std::optional<oauth::Rejection> limited = checks.AdmitAddress(req.remote_address)) {
    return RefuseCaller(req, *limited, basic, limited->detail);
  }
  std::optional<std::string> self;  // a client checking itself
  oauth::ReportDepth depth = oauth::ReportDepth::kEveryRule;
  if (basic) {
    Result<BasicCredentials> creds = ParseBasicAuthorization(*auth);
    if (!creds.ok() || req.HeaderCount("authorization") > 1) {
      return RefuseCaller(req, {oauth::Reason::kBadAuthorizationHeader, "not valid HTTP Basic"},
                          true, "the Authorization header is not valid HTTP Basic");
    }
    const oauth::ClientCredentials decoded{creds->client_id, creds->client_secret};
    auto admitted = checks.AdmitClient(decoded);
    if (auto* rej = std::get_if<oauth::Rejection>(&admitted)) {
      std::string why = rej->detail;
      if (rej->reason != oauth::Reason::kRateLimited &&
          rej->reason != oauth::Reason::kStoreUnavailable) {
        why = checks.ExplainBasicFailure(decoded, RawBasic(*auth).value_or(decoded));
      }
      return RefuseCaller(req, *rej, true, why);
    }
    self = std::get<std::shared_ptr<const store::App>>(admitted)->client_id;
    // Past a signature that failed, a client learns nothing (no user lookups for made-up claims).
    depth = oauth::ReportDepth::kUntilSignatureFails;
  } else {
    Result<std::string> who = AuthorizeAdmin(s, req);
    if (!who.ok()) {
      Response refused = ScimError(who.status());
      if (who.status().code() == StatusCode::kUnavailable) return refused;
      // A console session (contract section 9) is refused as on every admin route: a missing
      // CSRF header or a foreign Origin is 403, an ended session 401, in the SCIM shape the
      // console reads; it is no client authentication to answer in the OAuth shape.
      if (!auth && s.console != nullptr && RequestCookie(req, kSessionCookie)) return refused;
      return RefuseCaller(req, {oauth::Reason::kNoClientAuthentication, ""}, false,
                          "neither an administrator's bearer token nor client credentials (" +
                              std::to_string(refused.status) + ")");
    }
  }

  Result<Json> body = ReadJsonBody(req);
  if (!body.ok()) return ScimError(body.status());
  auto field = [&](const char* name) -> std::optional<std::string> {
    auto it = body->find(name);
    if (it == body->end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  std::optional<std::string> assertion = field("assertion");
  std::optional<std::string> client_id = field("clientId");
  if (!assertion || !client_id)
    return ScimError(400, "'assertion' and 'clientId' are required strings", "invalidValue");
  if (self && *self != *client_id)
    return ScimError(403, "a client may check only assertions for its own client id");
  oauth::AssertionCheckRequest check{*assertion, *client_id, field("scope")};
  // Optional: {"dpop":{"proof":..,"method":..,"url":..}}, the DPoP proof the token request would
  // carry (method default POST, url default the token endpoint).
  if (auto d = body->find("dpop"); d != body->end()) {
    auto member = [&](const char* name) -> Result<std::optional<std::string>> {
      if (!d->is_object()) return Status::InvalidArgument("'dpop' must be an object");
      auto it = d->find(name);
      if (it == d->end()) return std::optional<std::string>();
      if (!it->is_string())
        return Status::InvalidArgument(std::string("'dpop.") + name + "' must be a string");
      return std::optional<std::string>(it->get<std::string>());
    };
    Result<std::optional<std::string>> proof = member("proof");
    Result<std::optional<std::string>> method = member("method");
    Result<std::optional<std::string>> url = member("url");
    for (const auto* r : {&proof, &method, &url}) {
      if (!r->ok()) return ScimError(400, r->status().message(), "invalidValue");
    }
    if (!proof->has_value()) return ScimError(400, "'dpop.proof' is required", "invalidValue");
    check.dpop = oauth::DpopCheckInput{**proof, method->value_or("POST"), url->value_or("")};
  }
  return ScimJson(200, checks.Run(check, depth));
}

}  // namespace

Response ScimError(int http_status, std::string_view detail, std::string_view scim_type) {
  return ScimJson(http_status, scim::ErrorToJson(http_status, detail, scim_type));
}

Response ScimError(const Status& s) {
  // Exhaustive, without a default: a new StatusCode must be given its answer here (-Wswitch).
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return ScimError(400, s.message(), "invalidValue");
    case StatusCode::kUnauthenticated: {
      // RFC 6750 3: a 401 carries the Bearer challenge; 3.1: error="invalid_token" when the
      // token sent is not valid.
      Response r = ScimError(401, s.message());
      r.AddHeader("WWW-Authenticate", s.reason() == kInvalidBearerToken
                                          ? "Bearer realm=\"tessera\", error=\"invalid_token\""
                                          : "Bearer realm=\"tessera\"");
      return r;
    }
    case StatusCode::kPermissionDenied:
      return ScimError(403, s.message());
    case StatusCode::kNotFound:
      return ScimError(404, s.message());
    case StatusCode::kAlreadyExists:
      return ScimError(409, s.message(), "uniqueness");
    case StatusCode::kFailedPrecondition:
      // The resource's state does not allow the operation now (e.g. a concurrent key rotation).
      return ScimError(409, s.message());
    case StatusCode::kResourceExhausted:
      return ScimError(429, s.message());
    case StatusCode::kUnavailable: {
      Response r = ScimError(503, "the store is unavailable; retry later");
      SetRetryAfter(r, kUnavailableRetrySeconds);
      return r;
    }
    case StatusCode::kOk:  // a caller's bug: an answer was asked for a success
    case StatusCode::kInternal:
      break;
  }
  spdlog::error("admin request failed: {}", LogValue(s.ToString()));
  return ScimError(500, "internal error");
}

void RegisterAdminRoutes(Router& router, ApiServices& s) {
  const RouteOptions big{kAdminBodyLimit};
  oauth::AdminService& a = s.admin;

  router.Add("POST", "/admin/v1/Users",
             AdminRoute(s,
                        [&a](auto& ctx, Request& req) {
                          Result<Json> body = ReadJsonBody(req);
                          if (!body.ok()) return ScimError(body.status());
                          Result<oauth::UserFields> fields = scim::ParseUser(*body);
                          if (!fields.ok()) return ScimError(fields.status());
                          return Answer(a.CreateUser(ctx, *fields), scim::UserToJson, 201);
                        }),
             big);
  router.Add("GET", "/admin/v1/Users", AdminRoute(s, [&a](auto&, Request& req) {
               auto q = Query(req);
               if (!q.ok()) return ScimError(q.status());
               Result<oauth::Page> page = scim::ParsePage(*q);
               if (!page.ok()) return ScimError(page.status());
               Result<std::optional<std::string>> name = scim::ParseUserFilter(*q);
               if (!name.ok()) return ScimError(name.status());
               return AnswerList(a.ListUsers(*name, *page), scim::UserToJson,
                                 name->has_value() ? 1 : page->start);
             }));
  router.Add("GET", "/admin/v1/Users/{id}", AdminRoute(s, [&a](auto&, Request& req) {
               return Answer(a.GetUser(req.params["id"]), scim::UserToJson);
             }));
  router.Add("PATCH", "/admin/v1/Users/{id}",
             AdminRoute(s,
                        [&a](auto& ctx, Request& req) {
                          Result<Json> body = ReadJsonBody(req);
                          if (!body.ok()) return ScimError(body.status());
                          Result<store::User> current = a.GetUser(req.params["id"]);
                          if (!current.ok()) return ScimError(current.status());
                          Result<oauth::UserFields> fields = scim::ParseUserPatch(*current, *body);
                          if (!fields.ok()) return ScimError(fields.status());
                          return Answer(a.PatchUser(ctx, current->id, *fields), scim::UserToJson);
                        }),
             big);
  router.Add("DELETE", "/admin/v1/Users/{id}", AdminRoute(s, [&a](auto& ctx, Request& req) {
               return FromStatus(a.DeleteUser(ctx, req.params["id"]));
             }));

  router.Add("POST", "/admin/v1/Apps",
             AdminRoute(s,
                        [&a](auto& ctx, Request& req) {
                          Result<Json> body = ReadJsonBody(req);
                          if (!body.ok()) return ScimError(body.status());
                          Result<oauth::AppFields> fields = scim::ParseNewApp(*body);
                          if (!fields.ok()) return ScimError(fields.status());
                          return Answer(a.CreateApp(ctx, *fields), scim::AppCreatedToJson, 201);
                        }),
             big);
  router.Add("GET", "/admin/v1/Apps", AdminRoute(s, [&a](auto&, Request& req) {
               auto q = Query(req);
               if (!q.ok()) return ScimError(q.status());
               Result<oauth::Page> page = scim::ParsePage(*q);
               if (!page.ok()) return ScimError(page.status());
               Result<std::optional<oauth::AppFilter>> filter = scim::ParseAppFilter(*q);
               if (!filter.ok()) return ScimError(filter.status());
               return AnswerList(a.ListApps(*filter, *page), scim::AppToJson,
                                 filter->has_value() ? 1 : page->start);
             }));
  router.Add("GET", "/admin/v1/Apps/{id}", AdminRoute(s, [&a](auto&, Request& req) {
               return Answer(a.GetApp(req.params["id"]), scim::AppToJson);
             }));
  router.Add("PATCH", "/admin/v1/Apps/{id}",
             AdminRoute(s,
                        [&a](auto& ctx, Request& req) {
                          Result<Json> body = ReadJsonBody(req);
                          if (!body.ok()) return ScimError(body.status());
                          Result<store::App> current = a.GetApp(req.params["id"]);
                          if (!current.ok()) return ScimError(current.status());
                          Result<oauth::AppFields> fields = scim::ParseAppPatch(*current, *body);
                          if (!fields.ok()) return ScimError(fields.status());
                          return Answer(a.PatchApp(ctx, current->id, *fields), scim::AppToJson);
                        }),
             big);
  router.Add("DELETE", "/admin/v1/Apps/{id}", AdminRoute(s, [&a](auto& ctx, Request& req) {
               return FromStatus(a.DeleteApp(ctx, req.params["id"]));
             }));
  router.Add("PUT", "/admin/v1/AppStatusChanger/{id}", AdminRoute(s, [&a](auto& ctx, Request& req) {
               Result<Json> body = ReadJsonBody(req);
               if (!body.ok()) return ScimError(body.status());
               Result<bool> active = scim::ParseAppStatus(*body);
               if (!active.ok()) return ScimError(active.status());
               return Answer(a.SetAppActive(ctx, req.params["id"], *active), scim::AppStatusToJson);
             }));

  for (bool partner : {false, true}) {
    const std::string base =
        partner ? "/admin/v1/OAuthPartnerCertificates" : "/admin/v1/OAuthClientCertificates";
    const CertificateKind kind = KindOf(partner);
    router.Add("POST", base,
               AdminRoute(s,
                          [&a, kind](auto& ctx, Request& req) {
                            Result<Json> body = ReadJsonBody(req);
                            if (!body.ok()) return ScimError(body.status());
                            Result<oauth::NewCertificate> cert = scim::ParseCertificate(*body);
                            if (!cert.ok()) return ScimError(cert.status());
                            return Answer(a.PutCertificate(ctx, kind, *cert),
                                          scim::CertificateToJson, 201);
                          }),
               big);
    router.Add("GET", base, AdminRoute(s, [&s, &a, kind](auto&, Request&) {
                 Result<std::vector<store::CertificateRecord>> certs = a.ListCertificates(kind);
                 if (!certs.ok() || s.certificate_uses == nullptr)
                   return AnswerList(certs, scim::CertificateToJson, 1);
                 // When each one last verified an assertion (rotation: is the old one idle?).
                 Result<std::map<std::string, int64_t>> uses = s.certificate_uses->Last(kind);
                 if (!uses.ok()) return ScimError(uses.status());
                 Json resources = Json::array();
                 for (const auto& c : *certs) {
                   Json j = scim::CertificateToJson(c);
                   if (auto it = uses->find(c.alias); it != uses->end())
                     j["lastUsed"] = jose::FormatNumericDate(it->second);
                   resources.push_back(std::move(j));
                 }
                 return ScimJson(200, scim::ListResponse(std::move(resources), 1));
               }));
    router.Add("GET", base + "/{alias}", AdminRoute(s, [&a, kind](auto&, Request& req) {
                 return Answer(a.GetCertificate(kind, req.params["alias"]),
                               scim::CertificateToJson);
               }));
    router.Add("DELETE", base + "/{alias}", AdminRoute(s, [&a, kind](auto& ctx, Request& req) {
                 return FromStatus(a.DeleteCertificate(ctx, kind, req.params["alias"]));
               }));
  }

  // Federation trusts (contract section 10). A creation or a change answers "warnings".
  const std::string trusts = "/admin/v1/IdentityPropagationTrusts";
  auto with_warnings = [](const oauth::FederationTrust& t) {
    return scim::FederationTrustToJson(t, true);
  };
  auto plain = [](const oauth::FederationTrust& t) { return scim::FederationTrustToJson(t); };
  router.Add("POST", trusts,
             AdminRoute(s,
                        [&a, with_warnings](auto& ctx, Request& req) {
                          Result<Json> body = ReadJsonBody(req);
                          if (!body.ok()) return ScimError(body.status());
                          Result<federation::Trust> trust = federation::TrustFromJson(*body);
                          if (!trust.ok()) return ScimError(trust.status());
                          return Answer(a.CreateFederationTrust(ctx, std::move(trust).value()),
                                        with_warnings, 201);
                        }),
             big);
  router.Add("GET", trusts, AdminRoute(s, [&a, plain](auto&, Request& req) {
               auto q = Query(req);
               if (!q.ok()) return ScimError(q.status());
               Result<std::optional<std::string>> issuer = scim::ParseTrustFilter(*q);
               if (!issuer.ok()) return ScimError(issuer.status());
               return AnswerList(a.ListFederationTrusts(*issuer), plain, 1);
             }));
  router.Add("GET", trusts + "/{id}", AdminRoute(s, [&a, plain](auto&, Request& req) {
               return Answer(a.GetFederationTrust(req.params["id"]), plain);
             }));
  router.Add(
      "PATCH", trusts + "/{id}",
      AdminRoute(s,
                 [&a, with_warnings](auto& ctx, Request& req) {
                   Result<Json> body = ReadJsonBody(req);
                   if (!body.ok()) return ScimError(body.status());
                   Result<oauth::FederationTrust> current = a.GetFederationTrust(req.params["id"]);
                   if (!current.ok()) return ScimError(current.status());
                   Result<federation::Trust> trust = scim::ParseTrustPatch(*current, *body);
                   if (!trust.ok()) return ScimError(trust.status());
                   return Answer(
                       a.UpdateFederationTrust(ctx, current->record.id, std::move(trust).value()),
                       with_warnings);
                 }),
      big);
  router.Add("DELETE", trusts + "/{id}", AdminRoute(s, [&a](auto& ctx, Request& req) {
               return FromStatus(a.DeleteFederationTrust(ctx, req.params["id"]));
             }));

  router.Add(
      "POST", "/admin/v1/AppClientSecretRegenerator", AdminRoute(s, [&a](auto& ctx, Request& req) {
        Result<Json> body = ReadJsonBody(req);
        if (!body.ok()) return ScimError(body.status());
        Result<std::string> app_id = scim::ParseSecretRegeneration(*body);
        if (!app_id.ok()) return ScimError(app_id.status());
        return Answer(a.RegenerateClientSecret(ctx, *app_id), scim::SecretRegeneratedToJson, 201);
      }));

  router.Add("POST", "/admin/v1/SigningKeys/rotate", AdminRoute(s, [&a](auto& ctx, Request&) {
               return Answer(
                   a.RotateSigningKey(ctx),
                   [](const std::string& kid) {
                     return Json{{"kid", kid}, {"active", true}};
                   },
                   201);
             }));
  router.Add("GET", "/admin/v1/SigningKeys", AdminRoute(s, [&a](auto&, Request&) {
               return AnswerList(a.ListSigningKeys(), scim::SigningKeyToJson, 1);
             }));
  router.Add("POST", "/admin/v1/SigningKeys/{kid}/revoke",
             AdminRoute(s, [&a](auto& ctx, Request& req) {
               const std::string kid = req.params["kid"];
               return Answer(a.RevokeSigningKey(ctx, kid), [&kid](const std::string& active) {
                 return Json{{"kid", kid}, {"state", "revoked"}, {"activeKid", active}};
               });
             }));
  router.Add("GET", "/admin/v1/AuditEvents", AdminRoute(s, [&s, &a](auto&, Request& req) {
               auto q = Query(req);
               if (!q.ok()) return ScimError(q.status());
               Result<store::AuditFilter> filter = scim::ParseAuditQuery(*q);
               if (!filter.ok()) return ScimError(filter.status());
               Result<std::vector<store::AuditEvent>> events = a.ListAudit(*filter);
               if (!events.ok()) return ScimError(events.status());
               // totalResults is every matching event, not the page's size (RFC 7644 3.4.2).
               Result<int64_t> total = s.store.CountAudit(*filter);
               if (!total.ok()) return ScimError(total.status());
               Json resources = Json::array();
               for (const auto& e : *events) resources.push_back(scim::AuditEventToJson(e));
               Json list = scim::ListResponse(std::move(resources), 1);
               list["totalResults"] =
                   std::max<int64_t>(*total, list["itemsPerPage"].get<int64_t>());
               return ScimJson(200, list);
             }));
  router.Add("GET", "/admin/v1/TokenFailureSummary", AdminRoute(s, [&a](auto&, Request& req) {
               auto q = Query(req);
               if (!q.ok()) return ScimError(q.status());
               Result<scim::TimeWindow> window = scim::ParseTimeWindow(*q);
               if (!window.ok()) return ScimError(window.status());
               return Answer(a.SummarizeTokenFailures(window->since, window->until),
                             scim::TokenFailureSummaryToJson);
             }));
  if (s.checks != nullptr) {
    router.Add(
        "POST", "/admin/v1/AssertionChecks",
        [&s, &checks = *s.checks](Request& req) { return AssertionChecks(s, checks, req); },
        RouteOptions{64 * 1024});
  }
}

}  // namespace tessera::http
