// The bearer gateway behind `tessera gateway`: an HTTP reverse proxy that admits only requests
// carrying a valid access token (tessera_verifier), and forwards them to one upstream.
//
// Per request (RFC 6750 section 3 for the answers):
//   - no token or a refused one: 401, WWW-Authenticate: Bearer realm="tessera",
//     error="invalid_token", error_description="<fixed phrase of the VerifyReason>". The contract
//     (section 7) asks for error="invalid_token" also when no token was sent, where RFC 6750 3.1
//     would rather omit the error code (a SHOULD NOT); Tessera follows the contract;
//   - a valid token lacking a required scope: 403, error="insufficient_scope", scope="<needed>";
//   - the key set unreachable and none cached: 503;
//   - otherwise the request goes upstream: same method, path and query, the body, and the
//     headers minus the hop-by-hop ones (RFC 9110 7.6.1: Connection and the fields it names,
//     Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade), Host and Content-Length
//     (set for the upstream), and any X-Tessera-* header the client sent (so a client cannot
//     forge the identity headers). Added: X-Tessera-Subject (sub), X-Tessera-Scope (scope),
//     X-Tessera-Client-Id (client_id, when present), X-Forwarded-For, X-Forwarded-Proto.
//     Authorization is kept: the upstream is the token's audience and may read its claims or
//     exchange it; it must not be the place a token leaks from.
//   - the upstream's status, headers (minus hop-by-hop) and body come back; an unreachable
//     upstream is 502, a timeout 504.
// The detail of a refusal (claim values from the token) goes to the log, never to the client.
//
// Routing: the gateway registers "/{*path}" for GET, HEAD, POST, PUT, PATCH, DELETE and
// OPTIONS, so every path of those methods, empty segments and all, goes to the upstream as it
// came; routes added to the same router without "{*...}" (such as "/health") win over it.
#ifndef TESSERA_VERIFIER_GATEWAY_H_
#define TESSERA_VERIFIER_GATEWAY_H_

#include <memory>
#include <string>

#include "http/router.h"
#include "tessera/verifier.h"

namespace tessera::gateway {

struct GatewayOptions {
  std::string upstream;  // "http://127.0.0.1:9000" (a path prefix is allowed)
  long upstream_timeout_seconds = 30;
  std::size_t max_body_bytes = 1024 * 1024;
};

// Adds the proxy routes to `router`. The verifier is shared (copied handle).
// Errors: kInvalidArgument for an upstream that is not an http(s) URL.
Status AddGatewayRoutes(http::Router& router, const verifier::Verifier& verifier,
                        const GatewayOptions& options, std::vector<std::string> required_scopes);

}  // namespace tessera::gateway

#endif  // TESSERA_VERIFIER_GATEWAY_H_
