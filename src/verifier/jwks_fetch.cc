#include "verifier/jwks_fetch.h"

#include <algorithm>
#include <cctype>

#include "common/http_client.h"

namespace tessera::verifier {

std::optional<int64_t> ParseCacheControlMaxAge(std::string_view value) {
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.find("no-store") != std::string::npos || lower.find("no-cache") != std::string::npos) {
    return 0;
  }
  // RFC 9111 5.2.2.1: max-age=delta-seconds. "s-maxage" is for shared caches, not for us.
  std::size_t pos = 0;
  while ((pos = lower.find("max-age", pos)) != std::string::npos) {
    const bool token_start = pos == 0 || lower[pos - 1] == ' ' || lower[pos - 1] == ',' ||
                             lower[pos - 1] == '\t' || lower[pos - 1] == ':';
    pos += 7;
    if (!token_start || pos >= lower.size() || lower[pos] != '=') continue;
    ++pos;
    if (pos < lower.size() && lower[pos] == '"') ++pos;
    int64_t v = 0;
    std::size_t digits = 0;
    while (pos < lower.size() && std::isdigit(static_cast<unsigned char>(lower[pos])) &&
           digits < 12) {
      v = v * 10 + (lower[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

Result<JwksAnswer> FetchJwks(const std::string& url, long timeout_seconds, std::size_t max_bytes,
                             bool follow_redirects) {
  HttpClientRequest request;
  request.url = url;
  // Where the key set comes from decides which tokens verify: a few redirects, to http(s) only,
  // or none at all for the callers that ask so (outside issuers' keys).
  request.max_redirects = follow_redirects ? 3 : 0;
  request.timeout_seconds = timeout_seconds;
  request.max_body_bytes = max_bytes;
  request.user_agent = "tessera-verifier";
  HttpClient client;
  Result<HttpClientAnswer> answer = client.Perform(request);
  if (!answer.ok()) return answer.status().WithContext("cannot fetch " + url);
  if (answer->status < 200 || answer->status > 299) {
    return Status::Unavailable("cannot fetch " + url + ": HTTP status " +
                               std::to_string(answer->status));
  }
  std::optional<int64_t> max_age;
  if (const std::optional<std::string> value = answer->Header("cache-control")) {
    max_age = ParseCacheControlMaxAge(*value);
  }
  return JwksAnswer{std::move(answer->body), max_age};
}

}  // namespace tessera::verifier
