// Trust-token validation (tokeninfo) and trust-token issuers.
#include <spdlog/spdlog.h>

#include "common/log_value.h"
#include "http/api/api.h"
#include "http/form.h"
#include "jose/json.h"

namespace tessera::http {
namespace {

using jose::Json;

Response InvalidToken(std::string_view why, std::string_view ecid) {
  Json body = {{"error", "invalid_token"}, {"error_description", why}, {"ecid", ecid}};
  Response r = Response::Json(400, jose::DumpCompact(body));
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

// The id_token of a tokeninfo request: query (GET) or form body (POST).
Result<std::string> IdToken(const Request& req) {
  Result<std::map<std::string, std::string>> params =
      req.method == "GET" ? ParseQuery(req.query) : ParseForm(req.body);
  if (!params.ok()) return params.status();
  auto it = params->find("id_token");
  if (it == params->end() || it->second.empty())
    return Status::InvalidArgument("id_token is required");
  return it->second;
}

}  // namespace

void RegisterTrustRoutes(Router& router, ApiServices& s) {
  if (s.trust != nullptr) {
    oauth::TrustTokenService& trust = *s.trust;
    auto tokeninfo = [&s, &trust](Request& req) {
      Result<std::string> token = IdToken(req);
      if (!token.ok()) return InvalidToken(token.status().message(), req.ecid);
      std::string detail;
      Result<Json> claims = trust.Validate(*token, &detail);
      if (!claims.ok()) {
        if (claims.status().code() == StatusCode::kUnavailable) {
          Response r = OAuthError(503, "temporarily_unavailable", "retry later", req.ecid);
          SetRetryAfter(r, kUnavailableRetrySeconds);
          return r;
        }
        s.metrics.Increment("tessera_tokeninfo_total", {{"outcome", "invalid"}});
        spdlog::warn("ecid={} tokeninfo rejected: {}", req.ecid,
                     LogValue(detail.empty() ? claims.status().message() : detail));
        return InvalidToken(claims.status().message(), req.ecid);
      }
      s.metrics.Increment("tessera_tokeninfo_total", {{"outcome", "valid"}});
      Response r = Response::Json(200, jose::DumpCompact(*claims));
      r.AddHeader("Cache-Control", "no-store");
      return r;
    };
    router.Add("GET", "/oauth2/v1/tokeninfo", tokeninfo);
    router.Add("POST", "/oauth2/v1/tokeninfo", tokeninfo);

    router.Add("POST", "/admin/v1/TrustTokenIssuers",
               AdminRoute(s,
                          [&trust](oauth::AdminService::Context& ctx, Request& req) {
                            Result<Json> body = ReadJsonBody(req);
                            if (!body.ok()) return ScimError(body.status());
                            Result<Json> out = trust.PutIssuer(ctx.actor, ctx.ecid, *body);
                            return out.ok() ? ScimJson(201, *out) : ScimError(out.status());
                          }),
               RouteOptions{64 * 1024});
    router.Add("GET", "/admin/v1/TrustTokenIssuers",
               AdminRoute(s, [&trust](oauth::AdminService::Context&, Request&) {
                 Result<Json> out = trust.ListIssuers();
                 return out.ok() ? ScimJson(200, *out) : ScimError(out.status());
               }));
    router.Add("DELETE", "/admin/v1/TrustTokenIssuers/{issuer}",
               AdminRoute(s, [&trust](oauth::AdminService::Context& ctx, Request& req) {
                 Status st = trust.DeleteIssuer(ctx.actor, ctx.ecid, req.params["issuer"]);
                 if (!st.ok()) return ScimError(st);
                 Response r = Response::Text(204, "");
                 r.content_type.clear();
                 return r;
               }));
  }
}

}  // namespace tessera::http
