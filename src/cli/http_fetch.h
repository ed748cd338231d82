// Bounded HTTP(S) requests for the command line (`tessera jwt verify --jwks-url`, `tessera
// doctor`, `tessera admin`).
//
// Only http:// and https:// are fetched (also across redirects, at most 3), with TLS peer and host
// verification on, a 10 s overall timeout and a body limit; anything else fails with a one-line
// reason naming the URL. Not for servers: it blocks the calling thread.
#ifndef TESSERA_CLI_HTTP_FETCH_H_
#define TESSERA_CLI_HTTP_FETCH_H_

#include <cstddef>
#include <string>
#include <vector>

#include "tessera/status.h"

namespace tessera::cli {

struct FetchLimits {
  std::size_t max_bytes = 1 << 20;
  long timeout_seconds = 10;
};

// The body of a 2xx answer to GET `url`. Fails with kInvalidArgument (not an http(s) URL),
// kResourceExhausted (body over the limit), kUnavailable (network, TLS, timeout, non-2xx status).
Result<std::string> HttpGet(const std::string& url, const FetchLimits& limits = {});

struct HttpAnswer {
  long status = 0;
  std::string body;
};

// Sends `method` to `url` with `headers` ("Name: value") and `body` (none when empty and the
// method is GET or DELETE), without following redirects, and returns the status and body
// whatever the status. Fails only when no HTTP answer came: kInvalidArgument (not an http(s)
// URL), kResourceExhausted (body over the limit), kUnavailable (network, TLS, timeout).
Result<HttpAnswer> HttpSend(const std::string& method, const std::string& url,
                            const std::vector<std::string>& headers, const std::string& body,
                            const FetchLimits& limits = {});

}  // namespace tessera::cli

#endif  // TESSERA_CLI_HTTP_FETCH_H_
