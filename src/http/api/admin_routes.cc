// Admin API routes (contract section 6): bearer-token authorisation, SCIM bodies and errors.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

#include "common/log_value.h"
#include "http/api/api.h"
#include "http/form.h"
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

}  // namespace

Response ScimJson(int status, const Json& body) {
  // Error details may quote request bytes that are not UTF-8: replaced, never a throw (a 500).
  Response r = Response::Json(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
  r.content_type = kScimType;
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

std::variant<std::string, Response> AuthorizeAdmin(ApiServices& s, Request& req) {
  std::optional<std::string_view> auth = req.Header("authorization");
  if (!auth || auth->size() < 8 || !std::equal(auth->begin(), auth->begin() + 7, "Bearer ",
                                               [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    Response r = ScimError(401, "a bearer token is required (client_credentials with scope urn:opc:idm:__myscopes__)");
    r.AddHeader("WWW-Authenticate", "Bearer realm=\"tessera\"");
    return r;
  }
  std::string_view token = auth->substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  Result<oauth::AccessTokenInfo> info = s.tokens.VerifyAccessToken(token);
  if (!info.ok()) {
    if (info.status().code() == StatusCode::kUnavailable) return ScimError(503, "the store is unavailable; retry later");
    spdlog::warn("ecid={} admin bearer rejected: {}", req.ecid, LogValue(info.status().message()));
    Response r = ScimError(401, "the bearer token is not valid: " + info.status().message());
    r.AddHeader("WWW-Authenticate", "Bearer realm=\"tessera\", error=\"invalid_token\"");
    return r;
  }
  if (!HasScope(info->claims, oauth::kScopeMyScopes)) {
    return ScimError(403, "the token lacks scope urn:opc:idm:__myscopes__");
  }
  // The role is checked now, not only at issuance: a revoked role takes effect at once.
  Result<store::App> app = s.store.FindAppByClientId(info->client_id);
  if (!app.ok() || !app->is_admin || !app->active) {
    return ScimError(403, "client " + info->client_id + " does not hold the identity domain administrator role");
  }
  return info->client_id;
}

Result<Json> ReadJsonBody(const Request& req) {
  if (req.body.empty()) return Status::InvalidArgument("a JSON body is required");
  Result<Json> j = jose::ParseStrictJson(req.body, {kAdminBodyLimit, 32});
  if (!j.ok()) return Status::InvalidArgument("the body is not valid JSON: " + j.status().message());
  return j;
}

namespace {

Result<std::map<std::string, std::string>> Query(const Request& req) { return ParseQuery(req.query); }

using AdminCall = std::function<Response(oauth::AdminService::Context&, Request&)>;

Handler Admin(ApiServices& s, AdminCall call) {
  return [&s, call](Request& req) {
    auto who = AuthorizeAdmin(s, req);
    if (auto* r = std::get_if<Response>(&who)) return *r;
    oauth::AdminService::Context ctx{std::get<std::string>(who), req.ecid};
    return call(ctx, req);
  };
}

Response FromResult(const Result<Json>& r, int ok_status = 200) {
  if (!r.ok()) return ScimError(r.status());
  return ScimJson(ok_status, *r);
}

Response FromStatus(const Status& s) {
  if (!s.ok()) return ScimError(s);
  Response r = Response::Text(204, "");
  r.content_type.clear();
  return r;
}

CertificateKind KindOf(bool partner) { return partner ? CertificateKind::kPartner : CertificateKind::kClient; }

}  // namespace

Response ScimError(int http_status, std::string_view detail, std::string_view scim_type) {
  Json body = {{"schemas", {oauth::kScimErrorSchema}}, {"detail", detail}, {"status", std::to_string(http_status)}};
  if (!scim_type.empty()) body["scimType"] = scim_type;
  return ScimJson(http_status, body);
}

Response ScimError(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return ScimError(400, s.message(), "invalidValue");
    case StatusCode::kNotFound:
      return ScimError(404, s.message());
    case StatusCode::kAlreadyExists:
      return ScimError(409, s.message(), "uniqueness");
    case StatusCode::kPermissionDenied:
      return ScimError(403, s.message());
    case StatusCode::kUnauthenticated:
      return ScimError(401, s.message());
    case StatusCode::kUnavailable: {
      Response r = ScimError(503, "the store is unavailable; retry later");
      r.AddHeader("Retry-After", "5");
      return r;
    }
    default:
      spdlog::error("admin request failed: {}", LogValue(s.ToString()));
      return ScimError(500, "internal error");
  }
}

void RegisterAdminRoutes(Router& router, ApiServices& s) {
  const RouteOptions big{kAdminBodyLimit};
  oauth::AdminService& a = s.admin;

  router.Add("POST", "/admin/v1/Users", Admin(s, [&a](auto& ctx, Request& req) {
    Result<Json> body = ReadJsonBody(req);
    if (!body.ok()) return ScimError(body.status());
    return FromResult(a.CreateUser(ctx, *body), 201);
  }), big);
  router.Add("GET", "/admin/v1/Users", Admin(s, [&a](auto&, Request& req) {
    auto q = Query(req);
    if (!q.ok()) return ScimError(q.status());
    return FromResult(a.ListUsers(*q));
  }));
  router.Add("GET", "/admin/v1/Users/{id}", Admin(s, [&a](auto&, Request& req) { return FromResult(a.GetUser(req.params["id"])); }));
  router.Add("PATCH", "/admin/v1/Users/{id}", Admin(s, [&a](auto& ctx, Request& req) {
    Result<Json> body = ReadJsonBody(req);
    if (!body.ok()) return ScimError(body.status());
    return FromResult(a.PatchUser(ctx, req.params["id"], *body));
  }), big);
  router.Add("DELETE", "/admin/v1/Users/{id}",
             Admin(s, [&a](auto& ctx, Request& req) { return FromStatus(a.DeleteUser(ctx, req.params["id"])); }));

  router.Add("POST", "/admin/v1/Apps", Admin(s, [&a](auto& ctx, Request& req) {
    Result<Json> body = ReadJsonBody(req);
    if (!body.ok()) return ScimError(body.status());
    return FromResult(a.CreateApp(ctx, *body), 201);
  }), big);
  router.Add("GET", "/admin/v1/Apps", Admin(s, [&a](auto&, Request& req) {
    auto q = Query(req);
    if (!q.ok()) return ScimError(q.status());
    return FromResult(a.ListApps(*q));
  }));
  router.Add("GET", "/admin/v1/Apps/{id}", Admin(s, [&a](auto&, Request& req) { return FromResult(a.GetApp(req.params["id"])); }));
  router.Add("PATCH", "/admin/v1/Apps/{id}", Admin(s, [&a](auto& ctx, Request& req) {
    Result<Json> body = ReadJsonBody(req);
    if (!body.ok()) return ScimError(body.status());
    return FromResult(a.PatchApp(ctx, req.params["id"], *body));
  }), big);
  router.Add("DELETE", "/admin/v1/Apps/{id}",
             Admin(s, [&a](auto& ctx, Request& req) { return FromStatus(a.DeleteApp(ctx, req.params["id"])); }));
  router.Add("PUT", "/admin/v1/AppStatusChanger/{id}", Admin(s, [&a](auto& ctx, Request& req) {
    Result<Json> body = ReadJsonBody(req);
    if (!body.ok()) return ScimError(body.status());
    return FromResult(a.SetAppActive(ctx, req.params["id"], *body));
  }));

  for (bool partner : {false, true}) {
    const std::string base = partner ? "/admin/v1/OAuthPartnerCertificates" : "/admin/v1/OAuthClientCertificates";
    const CertificateKind kind = KindOf(partner);
    router.Add("POST", base, Admin(s, [&a, kind](auto& ctx, Request& req) {
      Result<Json> body = ReadJsonBody(req);
      if (!body.ok()) return ScimError(body.status());
      return FromResult(a.PutCertificate(ctx, kind, *body), 201);
    }), big);
    router.Add("GET", base, Admin(s, [&a, kind](auto&, Request&) { return FromResult(a.ListCertificates(kind)); }));
    router.Add("GET", base + "/{alias}",
               Admin(s, [&a, kind](auto&, Request& req) { return FromResult(a.GetCertificate(kind, req.params["alias"])); }));
    router.Add("DELETE", base + "/{alias}", Admin(s, [&a, kind](auto& ctx, Request& req) {
      return FromStatus(a.DeleteCertificate(ctx, kind, req.params["alias"]));
    }));
  }

  router.Add("POST", "/admin/v1/SigningKeys/rotate",
             Admin(s, [&a](auto& ctx, Request&) { return FromResult(a.RotateSigningKey(ctx), 201); }));
  router.Add("GET", "/admin/v1/AuditEvents", Admin(s, [&a](auto&, Request& req) {
    auto q = Query(req);
    if (!q.ok()) return ScimError(q.status());
    return FromResult(a.ListAudit(*q));
  }));
}

}  // namespace tessera::http
