// Token, introspection, revocation, discovery, JWKS, health and metrics routes.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/log_value.h"
#include "http/api/api.h"
#include "http/form.h"
#include "jose/json.h"

namespace tessera::http {
namespace {

using jose::Json;

constexpr char kFormType[] = "application/x-www-form-urlencoded";

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

// Builds the domain request from the wire: form body, Basic credentials, DPoP proofs. A
// malformed request is answered here (invalid_request) and nullopt returned.
std::optional<oauth::ClientRequest> ReadClientRequest(Request& req, const std::string& issuer,
                                                      Response* error) {
  oauth::ClientRequest out;
  out.ecid = req.ecid;
  out.remote_address = req.remote_address;
  out.client_certificate_der = req.client_certificate.der;
  out.client_certificate_chained = req.client_certificate.chained;
  // RFC 9449 4.3: every DPoP field, so that two are refused rather than one picked; the URL the
  // proof's htu must name is the configured external one (the issuer), never the Host header.
  for (const auto& [name, value] : req.headers) {
    if (name == "dpop") out.dpop_proofs.push_back(value);
  }
  out.method = req.method;
  out.url = issuer + req.path;
  std::optional<std::string_view> ct = req.Header("content-type");
  if (!ct || !StartsWithNoCase(*ct, kFormType)) {
    *error = OAuthError(400, "invalid_request",
                        "the body must be application/x-www-form-urlencoded", req.ecid);
    return std::nullopt;
  }
  Result<std::map<std::string, std::string>> form = ParseForm(req.body);
  if (!form.ok()) {
    *error = OAuthError(400, "invalid_request", form.status().message(), req.ecid);
    return std::nullopt;
  }
  out.form = std::move(form).value();
  if (req.HeaderCount("authorization") > 1) {
    out.bad_authorization = true;
  } else if (std::optional<std::string_view> auth = req.Header("authorization")) {
    Result<BasicCredentials> basic = ParseBasicAuthorization(*auth);
    if (basic.ok()) {
      out.basic =
          oauth::ClientCredentials{std::move(basic->client_id), std::move(basic->client_secret)};
    } else {
      out.bad_authorization = true;
    }
  }
  return out;
}

Response Render(const oauth::Outcome& outcome, std::string_view ecid, Metrics& metrics,
                const char* endpoint) {
  if (outcome.body) {
    metrics.Increment("tessera_oauth_requests_total",
                      {{"endpoint", endpoint}, {"outcome", "ok"}, {"reason", ""}});
    Response r = Response::Json(200, *outcome.body);
    if (outcome.body->empty()) r.content_type.clear();
    r.AddHeader("Cache-Control", "no-store").AddHeader("Pragma", "no-cache");
    return r;
  }
  const oauth::Rejection& rej = *outcome.rejection;
  const std::string_view code = oauth::ReasonCode(rej.reason);
  metrics.Increment(
      "tessera_oauth_requests_total",
      {{"endpoint", endpoint}, {"outcome", "rejected"}, {"reason", std::string(code)}});
  // The full reason goes to the log with the ecid; the wire gets what ToWireError allows. The
  // detail quotes what the request sent (kid, iss, sub, client id): escaped, never raw.
  spdlog::warn("ecid={} endpoint={} rejected reason={} client_assertion={} detail={}", ecid,
               endpoint, code, rej.client_assertion, LogValue(rej.detail));
  return OAuthRejection(rej, outcome.used_basic, ecid);
}

using SteadyTime = std::chrono::steady_clock::time_point;

// Render, plus the endpoint's latency.
Response RenderTimed(const oauth::Outcome& outcome, std::string_view ecid, Metrics& metrics,
                     const char* endpoint, SteadyTime start) {
  Response r = Render(outcome, ecid, metrics, endpoint);
  metrics.Observe("tessera_oauth_duration_seconds", {{"endpoint", endpoint}},
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return r;
}

// The domain request, or nullopt with the 400 in *error (counted as malformed).
std::optional<oauth::ClientRequest> ReadCounted(ApiServices& s, Request& req, const char* endpoint,
                                                Response* error) {
  std::optional<oauth::ClientRequest> cr = ReadClientRequest(req, s.config.issuer, error);
  if (!cr) {
    s.metrics.Increment(
        "tessera_oauth_requests_total",
        {{"endpoint", endpoint}, {"outcome", "rejected"}, {"reason", "malformed_request"}});
  }
  return cr;
}

template <typename Fn>
Handler ClientEndpoint(ApiServices& s, const char* endpoint, Fn call) {
  return [&s, endpoint, call](Request& req) {
    const SteadyTime start = std::chrono::steady_clock::now();
    Response error;
    std::optional<oauth::ClientRequest> cr = ReadCounted(s, req, endpoint, &error);
    if (!cr) return error;
    return RenderTimed(call(*cr), req.ecid, s.metrics, endpoint, start);
  };
}

// A token request between TokenService::Prepare and Complete, kept alive while its jtis wait
// for the batcher.
struct PendingToken {
  oauth::ClientRequest request;
  oauth::PreparedToken prepared;
  SteadyTime start;
};

// POST /oauth2/v1/token: Prepare, then the jtis (through the batcher when there is one, so
// that concurrent requests share one store commit), then Complete on the request's thread.
Response TokenEndpoint(ApiServices& s, Request& req) {
  constexpr const char* kEndpoint = "token";
  const SteadyTime start = std::chrono::steady_clock::now();
  Response error;
  std::optional<oauth::ClientRequest> cr = ReadCounted(s, req, kEndpoint, &error);
  if (!cr) return error;
  std::variant<oauth::PreparedToken, oauth::Outcome> prepared = s.tokens.Prepare(*cr);
  if (auto* done = std::get_if<oauth::Outcome>(&prepared)) {
    return RenderTimed(*done, req.ecid, s.metrics, kEndpoint, start);
  }
  auto pending = std::make_shared<PendingToken>(
      PendingToken{std::move(*cr), std::move(std::get<oauth::PreparedToken>(prepared)), start});
  auto complete = [&s, pending](std::optional<oauth::Rejection> jti_rejection) {
    return RenderTimed(
        s.tokens.Complete(pending->request, pending->prepared, std::move(jti_rejection)),
        pending->request.ecid, s.metrics, kEndpoint, pending->start);
  };
  if (pending->prepared.jtis.empty()) return complete(std::nullopt);
  if (s.jti_batcher == nullptr)
    return complete(s.tokens.RecordJtis({&pending->prepared.jtis}).front());
  // A replay of a jti this node recorded is refused here, after every other check as before,
  // without a store transaction (JtiBatcher::KnownReplay).
  if (std::optional<oauth::Rejection> replay = s.jti_batcher->KnownReplay(pending->prepared.jtis))
    return complete(std::move(replay));
  return Response::Later(
      [&s, pending, complete, defer = std::move(req.defer)](Response::Resume resume) {
        s.jti_batcher->Submit(
            &pending->prepared.jtis,
            [complete, resume = std::move(resume)](std::optional<oauth::Rejection> jti_rejection) {
              resume([complete, r = std::move(jti_rejection)]() mutable {
                return complete(std::move(r));
              });
            },
            defer);
      });
}

Json DpopAlgorithmNames() {
  Json names = Json::array();
  for (int i = 0; i < jose::kAlgorithmCount; ++i) {
    const auto alg = static_cast<jose::Algorithm>(i);
    if (oauth::kDefaultDpopAlgorithms.Contains(alg)) names.push_back(jose::AlgorithmName(alg));
  }
  return names;
}

Json Discovery(const oauth::DomainConfig& c) {
  const std::string& iss = c.issuer;
  Json auth_methods = {"client_secret_basic", "client_secret_post", "private_key_jwt"};
  if (c.mutual_tls) {
    auth_methods.push_back("tls_client_auth");
    auth_methods.push_back("self_signed_tls_client_auth");
  }
  Json out = Json{
      {"issuer", iss},
      {"token_endpoint", iss + "/oauth2/v1/token"},
      {"jwks_uri", iss + "/admin/v1/SigningCert/jwk"},
      {"introspection_endpoint", iss + "/oauth2/v1/introspect"},
      {"revocation_endpoint", iss + "/oauth2/v1/revoke"},
      {"grant_types_supported",
       {oauth::kGrantClientCredentials, oauth::kGrantJwtBearer, oauth::kGrantTokenExchange}},
      {"token_endpoint_auth_methods_supported", auth_methods},
      {"token_endpoint_auth_signing_alg_values_supported", {"RS256", "PS256", "ES256", "EdDSA"}},
      {"introspection_endpoint_auth_methods_supported", auth_methods},
      {"revocation_endpoint_auth_methods_supported", auth_methods},
      {"scopes_supported", {oauth::kScopeMyScopes}},
      // RFC 9449 5.1: the proof algorithms the token endpoint accepts.
      {"dpop_signing_alg_values_supported", DpopAlgorithmNames()},
      {"response_types_supported", Json::array()}};
  if (c.mutual_tls) {
    // RFC 8705 3.3 and 5: certificate-bound tokens, and the endpoints a client reaches with its
    // certificate, which are the ordinary ones: one listener serves both.
    out["tls_client_certificate_bound_access_tokens"] = true;
    out["mtls_endpoint_aliases"] = {{"token_endpoint", iss + "/oauth2/v1/token"},
                                    {"introspection_endpoint", iss + "/oauth2/v1/introspect"},
                                    {"revocation_endpoint", iss + "/oauth2/v1/revoke"}};
  }
  return out;
}

}  // namespace

Response OAuthError(int status, std::string_view error, std::string_view description,
                    std::string_view ecid) {
  Json body = {{"error", error}, {"error_description", description}, {"ecid", ecid}};
  // A description may quote the request's bytes (a parser's "last read: ..."), which need not be
  // UTF-8: replace those instead of throwing, so that a hostile assertion still gets its 400
  // (contract section 2 rule 1) and not a 500.
  Response r = Response::Json(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
  r.AddHeader("Cache-Control", "no-store").AddHeader("Pragma", "no-cache");
  return r;
}

void SetRetryAfter(Response& response, int64_t seconds) {
  response.AddHeader("Retry-After", std::to_string(std::max<int64_t>(1, seconds)));
}

Response OAuthRejection(const oauth::Rejection& rejection, bool used_basic, std::string_view ecid) {
  const oauth::WireError wire = oauth::ToWireError(rejection);
  Response r = OAuthError(wire.http_status, wire.error, wire.description, ecid);
  // RFC 6749 5.2: a 401 after Basic authentication names the scheme the client used.
  if (wire.http_status == 401 && used_basic)
    r.AddHeader("WWW-Authenticate", "Basic realm=\"tessera\"");
  // RFC 6585 4 (429: the budget's own wait) and RFC 9110 15.6.4 (503).
  if (wire.http_status == 429) SetRetryAfter(r, rejection.retry_after);
  if (wire.http_status == 503) SetRetryAfter(r, kUnavailableRetrySeconds);
  // RFC 9449 8: use_dpop_nonce comes with the nonce to put in the next proof.
  if (!rejection.dpop_nonce.empty()) r.AddHeader("DPoP-Nonce", rejection.dpop_nonce);
  return r;
}

void RegisterApiRoutes(Router& router, ApiServices& s) {
  s.metrics.Describe("tessera_oauth_requests_total",
                     "Token, introspection and revocation requests by outcome and precise reason.");
  s.metrics.Describe("tessera_oauth_duration_seconds",
                     "Time spent answering OAuth endpoint requests.");
  // Rate limits (ClientAuthLimits) are the token service's: failures per address before any
  // credential is tried, and a client's budget only once it has authenticated.
  router.Add("POST", "/oauth2/v1/token", [&s](Request& req) { return TokenEndpoint(s, req); });
  router.Add("POST", "/oauth2/v1/introspect",
             ClientEndpoint(s, "introspect", [&s](const oauth::ClientRequest& r) {
               return s.tokens.Introspect(r);
             }));
  router.Add("POST", "/oauth2/v1/revoke",
             ClientEndpoint(s, "revoke",
                            [&s](const oauth::ClientRequest& r) { return s.tokens.Revoke(r); }));
  if (s.trust != nullptr) {
    router.Add("POST", "/oauth2/v1/trusttoken",
               ClientEndpoint(s, "trusttoken",
                              [&s](const oauth::ClientRequest& r) { return s.trust->Mint(r); }));
  }

  auto discovery = [&s](Request&) {
    Response r = Response::Json(200, jose::DumpCompact(Discovery(s.config)));
    r.AddHeader("Cache-Control", "public, max-age=3600");
    return r;
  };
  router.Add("GET", "/.well-known/openid-configuration", discovery);
  router.Add("GET", "/.well-known/oauth-authorization-server", discovery);
  router.Add("GET", "/admin/v1/SigningCert/jwk", [&s](Request& req) {
    Result<std::string> jwks = s.keys.JwksJson();
    if (!jwks.ok())
      return OAuthError(503, "temporarily_unavailable", "signing keys unavailable", req.ecid);
    Response r = Response::Json(200, *jwks);
    // Short enough that a rotation elsewhere is picked up quickly by caches honouring it.
    r.AddHeader("Cache-Control", "public, max-age=60");
    return r;
  });

  auto live = [](Request&) { return Response::Json(200, R"({"status":"UP"})"); };
  router.Add("GET", "/health", live);
  router.Add("GET", "/health/live", live);
  // Kubernetes-style probe names (contract section 8): /healthz, /livez and /readyz.
  router.Add("GET", "/healthz", live);
  router.Add("GET", "/livez", live);
  auto ready = [&s](Request&) {
    Status db = s.store.Ping();
    Result<std::shared_ptr<const oauth::LoadedKey>> key =
        db.ok() ? s.keys.Active() : Result<std::shared_ptr<const oauth::LoadedKey>>(db);
    if (!db.ok() || !key.ok()) {
      Json body = {{"status", "DOWN"},
                   {"store", db.ok() ? "UP" : "DOWN"},
                   {"signingKey", key.ok() ? "UP" : "DOWN"}};
      Response r = Response::Json(503, jose::DumpCompact(body));
      SetRetryAfter(r, kUnavailableRetrySeconds);
      return r;
    }
    return Response::Json(200, R"({"status":"UP","store":"UP","signingKey":"UP"})");
  };
  router.Add("GET", "/ready", ready);
  router.Add("GET", "/health/ready", ready);
  router.Add("GET", "/readyz", ready);
  RegisterAdminRoutes(router, s);
  RegisterDomainRoutes(router, s);
  RegisterTrustRoutes(router, s);
  RegisterConsoleRoutes(router, s);
  router.Add("GET", "/metrics", [&s](Request&) {
    Response r = Response::Text(200, s.metrics.Render());
    r.content_type = std::string(Metrics::kContentType);
    return r;
  });
}

}  // namespace tessera::http
