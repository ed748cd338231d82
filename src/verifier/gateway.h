// The bearer gateway behind `tessera gateway`: an HTTP reverse proxy that admits only requests
// carrying a valid access token (tessera_verifier), and forwards them to one upstream.
//
// Per request (RFC 6750 section 3 for the answers):
//   - no token or a refused one: 401, WWW-Authenticate: Bearer realm="tessera",
//     error="invalid_token", error_description="<fixed phrase of the VerifyReason>". The contract
//     (section 7) asks for error="invalid_token" also when no token was sent, where RFC 6750 3.1
//     would rather omit the error code (a SHOULD NOT); Tessera follows the contract;
//   - every token goes through Verifier::VerifyRequest, so its "cnf" is enforced: a cnf.jkt
//     token only as "Authorization: DPoP" with a valid, unused proof for this method and URL
//     (the public URL, or the scheme and Host of the request) and this token (ath), never as
//     Bearer; a cnf.x5t#S256 token only over a connection presenting that certificate; any
//     other cnf refused. Refusals carry the challenges of VerifyRequest in one WWW-Authenticate
//     field (Bearer error=..., then DPoP algs=...; or DPoP error="invalid_dpop_proof" ...) and
//     a JSON body with the first challenge's error;
//   - a valid token lacking a required scope: 403, error="insufficient_scope", scope="<needed>";
//   - a path that UpstreamPath refuses (it would leave the upstream's base path): 400
//     invalid_request, before the token is looked at;
//   - the key set unreachable and none cached: 503;
//   - otherwise the request goes upstream: same method, the path as UpstreamPath normalises
//     it, the query as it came, the body, and the headers minus the hop-by-hop ones (RFC 9110
//     7.6.1: Connection and the fields it names, Keep-Alive, Proxy-*, TE, Trailer,
//     Transfer-Encoding, Upgrade), Host, Content-Length and Expect (set for the upstream), and
//     the headers the gateway owns: every X-Tessera-* (so a client cannot forge the identity
//     headers), every X-Forwarded-*, Forwarded and X-Real-IP. Names are compared case-blind
//     and with '_' equal to '-', since CGI/WSGI upstreams read "X_Tessera_Subject" as
//     X-Tessera-Subject. Added, once each: X-Tessera-Subject (sub), X-Tessera-Scope (scope),
//     X-Tessera-Client-Id (client_id, when present), X-Forwarded-For (the peer address),
//     X-Forwarded-Proto.
//     Authorization is kept: the upstream is the token's audience and may read its claims or
//     exchange it; it must not be the place a token leaks from.
//   - the upstream's status, headers (minus hop-by-hop) and body come back; an unreachable
//     upstream is 502, a timeout 504. The call runs on the gateway's upstream threads
//     (GatewayOptions::max_upstream_requests), so a slow upstream holds none of the server's;
//     with all of them busy and max_queued_upstream calls waiting, 503.
// The detail of a refusal (claim values from the token) goes to the log, never to the client.
//
// Routing: the gateway registers "/{*path}" for GET, HEAD, POST, PUT, PATCH, DELETE and
// OPTIONS, so every path of those methods, empty segments and all, goes to the upstream (as
// UpstreamPath has it); routes added to the same router without "{*...}" (such as "/health") win
// over it.
#ifndef TESSERA_VERIFIER_GATEWAY_H_
#define TESSERA_VERIFIER_GATEWAY_H_

#include <memory>
#include <string>
#include <string_view>

#include "http/router.h"
#include "tessera/verifier.h"

namespace tessera::gateway {

struct GatewayOptions {
  std::string upstream;  // "http://127.0.0.1:9000" (a path prefix is allowed)
  // The base URL clients address the gateway by ("https://api.example.com"), for the DPoP htu
  // check; empty: this connection's scheme and the request's Host header.
  std::string public_url = {};
  long upstream_timeout_seconds = 30;
  std::size_t max_body_bytes = 1024 * 1024;
  // Upstream calls run on threads of their own, not the server's: at most this many at once
  // (each holds a thread while its upstream answers) ...
  int max_upstream_requests = 64;
  // ... and up to this many more wait their turn; beyond, 503 temporarily_unavailable with
  // Retry-After: 1.
  std::size_t max_queued_upstream = 4096;
};

// The path sent upstream, after the upstream URL's own path, for the raw request path `path`:
// RFC 3986 5.2.4 remove_dot_segments, with "%2e" and "%2E" read as '.' (RFC 3986 6.2.2.2), so
// "/a/./b/../c" is "/a/c" and "/a/%2E%2e/c" is "/c". Everything else is kept byte for byte:
// empty segments ("/a//b"), escapes and their case, encoded slashes ("/a%2Fb" stays one
// segment). kInvalidArgument for:
//   - a ".." that would climb above "/" ("/../x", "/a/%2e%2e/.."), which would leave the
//     upstream's base path;
//   - a dot segment between encoded slashes or backslashes ("/..%2Fx", "/a%5C..%5Cb"), a
//     traversal to any upstream that decodes them before resolving the path;
//   - a backslash, not a URI character (RFC 3986 2), and a separator to some servers;
//   - a path not starting with '/'.
Result<std::string> UpstreamPath(std::string_view path);

// Adds the proxy routes to `router`. The verifier is shared (copied handle); it holds the
// required scopes. Errors: kInvalidArgument for an upstream or public URL that is not http(s).
Status AddGatewayRoutes(http::Router& router, const verifier::Verifier& verifier,
                        const GatewayOptions& options);

}  // namespace tessera::gateway

#endif  // TESSERA_VERIFIER_GATEWAY_H_
