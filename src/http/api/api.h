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
#include <variant>

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

// The administrator's client id for a request bearing a valid administrator token, or the
// 401/403/503 SCIM answer to send instead.
std::variant<std::string, Response> AuthorizeAdmin(ApiServices& services, Request& request);

// The JSON body of an admin request (at most 1 MiB, strict JSON).
Result<jose::Json> ReadJsonBody(const Request& request);

// A SCIM/JSON answer with Cache-Control: no-store.
Response ScimJson(int status, const jose::Json& body);

// An RFC 6749 5.2 error answer {"error","error_description","ecid"} with no-store caching.
Response OAuthError(int status, std::string_view error, std::string_view description,
                    std::string_view ecid);

// A SCIM error answer for a failed Status (RFC 7644 3.12).
Response ScimError(const Status& status);
Response ScimError(int http_status, std::string_view detail, std::string_view scim_type = {});

}  // namespace tessera::http

#endif  // TESSERA_HTTP_API_API_H_
