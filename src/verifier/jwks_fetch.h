// The one network call of the verifier: GET a JWK Set over http(s) (through common/http_client.h),
// bounded in time and size, returning the body and the Cache-Control max-age of the answer.
//
// Only http:// and https:// (also across at most 3 redirects); TLS peer and host verification on.
// Failures are kUnavailable (network, TLS, timeout, non-2xx status) or kResourceExhausted (body
// over the limit), with a one-line message naming the URL.
#ifndef TESSERA_VERIFIER_JWKS_FETCH_H_
#define TESSERA_VERIFIER_JWKS_FETCH_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tessera/status.h"

namespace tessera::verifier {

struct JwksAnswer {
  std::string body;
  // max-age of Cache-Control in seconds; 0 for "no-store"/"no-cache"; nullopt when absent.
  std::optional<int64_t> max_age;
};

// With follow_redirects false a 3xx answer is not followed and fails as a non-2xx status (for
// key URLs an administrator named, whose keys must come from that URL alone).
Result<JwksAnswer> FetchJwks(const std::string& url, long timeout_seconds,
                             std::size_t max_bytes = 512 * 1024, bool follow_redirects = true);

// The max-age of a Cache-Control header value ("public, max-age=60" -> 60), 0 when it says
// no-store or no-cache, nullopt when it says neither. Exposed for tests.
std::optional<int64_t> ParseCacheControlMaxAge(std::string_view value);

}  // namespace tessera::verifier

#endif  // TESSERA_VERIFIER_JWKS_FETCH_H_
