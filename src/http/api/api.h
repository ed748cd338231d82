// The wire <-> domain layer: every Tessera endpoint of the contract (sections 1-6) as routes on a
// Router, translating HTTP requests into oauth service calls and outcomes into answers.
//
// This is the one place where a Reason becomes an OAuth error body (via oauth::ToWireError) and a
// Status becomes a SCIM error body. Bodies and credentials are never logged; each rejection is
// logged once with its ecid and precise reason.
#ifndef TESSERA_HTTP_API_API_H_
#define TESSERA_HTTP_API_API_H_

#include <functional>
#include <string>

#include "console/console_service.h"
#include "http/api/jti_batcher.h"
#include "http/metrics.h"
#include "http/router.h"
#include "oauth/admin_service.h"
#include "oauth/assertion_checks.h"
#include "oauth/config.h"
#include "oauth/domain_transfer.h"
#include "oauth/signing_keys.h"
#include "oauth/token_service.h"
#include "oauth/trust_tokens.h"
#include "store/store.h"

namespace tessera::http {

struct ApiServices {
  oauth::TokenService& tokens;
  oauth::AdminService& admin;
  oauth::SigningKeys& keys;
  store::Store& store;
  Metrics& metrics;
  const oauth::DomainConfig& config;
  oauth::TrustTokenService* trust = nullptr;       // trust-token routes when set
  oauth::AssertionCheckService* checks = nullptr;  // /admin/v1/AssertionChecks when set
  // Token requests record their jtis through it (group commit) when set; else one by one.
  JtiBatcher* jti_batcher = nullptr;
  // /admin/v1/DomainExport and DomainImport when set.
  oauth::DomainTransfer* domain = nullptr;
  // Certificate listings carry "lastUsed" when set.
  oauth::CertificateUses* certificate_uses = nullptr;
  // Console sign-in (/console/login, /console/logout, /console/api/*), /admin/v1/Operators, and
  // the session cookie in place of a bearer token at the admin API, when set.
  console::ConsoleService* console = nullptr;
};

// Adds every route. `services` must outlive the router.
void RegisterApiRoutes(Router& router, ApiServices& services);
// The admin API routes alone (contract section 6), AssertionChecks included; RegisterApiRoutes
// calls it.
void RegisterAdminRoutes(Router& router, ApiServices& services);
// Trust tokens (tokeninfo, trusttoken, TrustTokenIssuers).
void RegisterTrustRoutes(Router& router, ApiServices& services);
// Configuration as code: GET /admin/v1/DomainExport, POST /admin/v1/DomainImport.
void RegisterDomainRoutes(Router& router, ApiServices& services);
// Console sign-in and operators (contract section 9), when services.console is set, and the
// console's page and files (RegisterConsoleFileRoutes) in any case.
void RegisterConsoleRoutes(Router& router, ApiServices& services);
// GET and HEAD of the console's page ("/console/" and the deep links of contract section 9,
// "Cache-Control: no-cache"), of its built files under /console/assets/ (content-hashed names:
// "public, max-age=31536000, immutable"), and 404 for every other path under /console/; with the
// console's security headers, a strong ETag (If-None-Match answered 304), and gzip when the
// client's Accept-Encoding takes it (Vary: Accept-Encoding).
void RegisterConsoleFileRoutes(Router& router);

// The console session cookie (contract section 9). The __Host- prefix makes browsers accept it
// only with Secure, Path=/ and no Domain (RFC 6265bis 4.1.3.2): no subdomain can set or shadow it.
inline constexpr std::string_view kSessionCookie = "__Host-tessera_session";
// The header a session-authenticated non-GET request must carry, with the value "1". A page of
// another site cannot send a custom header to this origin without a CORS preflight, and Tessera
// answers no preflight, so its presence proves the request came from the console itself.
inline constexpr std::string_view kCsrfHeader = "x-tessera-csrf";

// The value of cookie `name` in the request's Cookie headers (RFC 6265 5.4), if sent.
std::optional<std::string> RequestCookie(const Request& request, std::string_view name);

// The origin (RFC 6454: scheme "://" host [":" port], default ports left out, lower-case) of an
// absolute http(s) URL; empty when `url` is not one.
std::string OriginOf(std::string_view url);

// The console session's operator, for a request bearing the session cookie (and no
// Authorization header): kUnauthenticated when the session is absent or ended; for a request
// other than GET or HEAD, kPermissionDenied without X-Tessera-CSRF: 1; for any request,
// kPermissionDenied when an Origin header is sent and differs from the issuer's origin.
Result<console::SessionInfo> AuthorizeConsoleSession(ApiServices& services, const Request& request);

// Status::reason() of a kUnauthenticated admin refusal whose bearer token was sent but is not
// valid: its challenge carries error="invalid_token" (RFC 6750 3.1).
inline constexpr int kInvalidBearerToken = 1;

// The admin prologue (contract sections 6 and 9): the administrator's client id for a request
// bearing a valid client_credentials token of an active administrator app holding
// urn:opc:idm:__myscopes__, or "operator:<user name>" for a request with no Authorization header
// and a live console session cookie (AuthorizeConsoleSession's rules); else kUnauthenticated (no
// or an invalid bearer token or session), kPermissionDenied or kUnavailable, answered by
// ScimError.
Result<std::string> AuthorizeAdmin(ApiServices& services, Request& request);

// A route behind the admin prologue: `call` runs with the administrator's audit context; a
// refused caller gets ScimError's answer.
using AdminCall = std::function<Response(oauth::AdminService::Context&, Request&)>;
Handler AdminRoute(ApiServices& services, AdminCall call);

// The JSON body of an admin request (at most 1 MiB, strict JSON).
Result<jose::Json> ReadJsonBody(const Request& request);

// A SCIM/JSON answer with Cache-Control: no-store.
Response ScimJson(int status, const jose::Json& body);

// An RFC 6749 5.2 error answer {"error","error_description","ecid"} with no-store caching.
Response OAuthError(int status, std::string_view error, std::string_view description,
                    std::string_view ecid);

// The OAuth endpoints' answer to a Rejection: oauth::ToWireError's error, WWW-Authenticate: Basic
// on a 401 when Basic was used, Retry-After on a 429 (the rejection's wait) or a 503.
Response OAuthRejection(const oauth::Rejection& rejection, bool used_basic, std::string_view ecid);

// How long a client is told to wait (Retry-After) when a dependency is unavailable.
inline constexpr int64_t kUnavailableRetrySeconds = 5;

// Sets Retry-After (RFC 9110 10.2.3) to `seconds`, at least 1: the one place it is set.
void SetRetryAfter(Response& response, int64_t seconds);

// The SCIM/admin answer for a failed Status (RFC 7644 3.12), one case per StatusCode:
//   kInvalidArgument 400 "invalidValue", kUnauthenticated 401 with a Bearer challenge,
//   kPermissionDenied 403, kNotFound 404, kAlreadyExists 409 "uniqueness",
//   kFailedPrecondition 409, kResourceExhausted 429, kUnavailable 503 with Retry-After,
//   kInternal (and an OK Status, a bug) 500 "internal error", the detail logged only.
Response ScimError(const Status& status);
Response ScimError(int http_status, std::string_view detail, std::string_view scim_type = {});

}  // namespace tessera::http

#endif  // TESSERA_HTTP_API_API_H_
