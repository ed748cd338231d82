// Trust-token validation (tokeninfo), trust-token issuers, and assertion checks.
#include <spdlog/spdlog.h>

#include "common/log_value.h"
#include "http/api/api.h"
#include "http/form.h"
#include "jose/base64url.h"
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
  if (it == params->end() || it->second.empty()) return Status::InvalidArgument("id_token is required");
  return it->second;
}

// Basic credentials as sent (before form-decoding), for diagnosing encoding mistakes.
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

}  // namespace

void RegisterTrustRoutes(Router& router, ApiServices& s) {
  if (s.trust != nullptr) {
    oauth::TrustTokenService& trust = *s.trust;
    auto tokeninfo = [&s, &trust](Request& req) {
      Result<std::string> token = IdToken(req);
      if (!token.ok()) return InvalidToken(token.status().message(), req.ecid);
      Result<Json> claims = trust.Validate(*token);
      if (!claims.ok()) {
        if (claims.status().code() == StatusCode::kUnavailable) {
          Response r = OAuthError(503, "temporarily_unavailable", "retry later", req.ecid);
          r.AddHeader("Retry-After", "5");
          return r;
        }
        s.metrics.Increment("tessera_tokeninfo_total", {{"outcome", "invalid"}});
        spdlog::warn("ecid={} tokeninfo rejected: {}", req.ecid, LogValue(claims.status().message()));
        return InvalidToken(claims.status().message(), req.ecid);
      }
      s.metrics.Increment("tessera_tokeninfo_total", {{"outcome", "valid"}});
      Response r = Response::Json(200, jose::DumpCompact(*claims));
      r.AddHeader("Cache-Control", "no-store");
      return r;
    };
    router.Add("GET", "/oauth2/v1/tokeninfo", tokeninfo);
    router.Add("POST", "/oauth2/v1/tokeninfo", tokeninfo);

    router.Add("POST", "/admin/v1/TrustTokenIssuers", [&s, &trust](Request& req) {
      auto who = AuthorizeAdmin(s, req);
      if (auto* r = std::get_if<Response>(&who)) return *r;
      Result<Json> body = ReadJsonBody(req);
      if (!body.ok()) return ScimError(body.status());
      Result<Json> out = trust.PutIssuer(std::get<std::string>(who), req.ecid, *body);
      return out.ok() ? ScimJson(201, *out) : ScimError(out.status());
    }, RouteOptions{64 * 1024});
    router.Add("GET", "/admin/v1/TrustTokenIssuers", [&s, &trust](Request& req) {
      auto who = AuthorizeAdmin(s, req);
      if (auto* r = std::get_if<Response>(&who)) return *r;
      Result<Json> out = trust.ListIssuers();
      return out.ok() ? ScimJson(200, *out) : ScimError(out.status());
    });
    router.Add("DELETE", "/admin/v1/TrustTokenIssuers/{issuer}", [&s, &trust](Request& req) {
      auto who = AuthorizeAdmin(s, req);
      if (auto* r = std::get_if<Response>(&who)) return *r;
      Status st = trust.DeleteIssuer(std::get<std::string>(who), req.ecid, req.params["issuer"]);
      if (!st.ok()) return ScimError(st);
      Response r = Response::Text(204, "");
      r.content_type.clear();
      return r;
    });
  }

  if (s.checks != nullptr) {
    oauth::AssertionCheckService& checks = *s.checks;
    router.Add("POST", "/admin/v1/AssertionChecks", [&s, &checks](Request& req) {
      Result<Json> body = ReadJsonBody(req);
      if (!body.ok()) return ScimError(body.status());
      auto field = [&](const char* name) -> std::optional<std::string> {
        auto it = body->find(name);
        if (it == body->end() || !it->is_string()) return std::nullopt;
        return it->get<std::string>();
      };
      std::optional<std::string> assertion = field("assertion");
      std::optional<std::string> client_id = field("clientId");
      if (!assertion || !client_id) return ScimError(400, "'assertion' and 'clientId' are required strings", "invalidValue");
      // An administrator may check any assertion; a client only assertions naming itself, with
      // its own Basic credentials (so it can diagnose itself).
      std::optional<std::string_view> auth = req.Header("authorization");
      const bool basic = auth && auth->size() > 6 && (auth->substr(0, 6) == "Basic " || auth->substr(0, 6) == "basic ");
      if (basic) {
        Result<BasicCredentials> creds = ParseBasicAuthorization(*auth);
        if (!creds.ok()) return ScimError(401, "the Authorization header is not valid Basic: " + creds.status().message());
        oauth::ClientRequest cr;
        cr.basic = oauth::ClientCredentials{creds->client_id, creds->client_secret};
        cr.ecid = req.ecid;
        auto result = s.tokens.Authenticate(cr);
        if (auto* rej = std::get_if<oauth::Rejection>(&result); rej && rej->reason != oauth::Reason::kClientInactive) {
          std::optional<oauth::ClientCredentials> raw = RawBasic(*auth);
          Response r = ScimError(401, "client authentication failed: " +
                                          checks.ExplainBasicFailure(*cr.basic, raw.value_or(*cr.basic)));
          r.AddHeader("WWW-Authenticate", "Basic realm=\"tessera\"");
          return r;
        }
        if (creds->client_id != *client_id) {
          return ScimError(403, "a client may check only assertions for its own client id");
        }
      } else {
        auto who = AuthorizeAdmin(s, req);
        if (auto* r = std::get_if<Response>(&who)) return *r;
      }
      oauth::AssertionCheckRequest check{*assertion, *client_id, field("scope")};
      return ScimJson(200, checks.Run(check));
    }, RouteOptions{64 * 1024});
  }
}

}  // namespace tessera::http
