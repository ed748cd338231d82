#include "verifier/jwks_fetch.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

namespace tessera::verifier {
namespace {

struct Sink {
  std::string body;
  std::size_t max_bytes = 0;
  bool overflow = false;
  std::optional<int64_t> max_age;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (sink->body.size() + n > sink->max_bytes) {
    sink->overflow = true;
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  sink->body.append(data, n);
  return n;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  // A redirect's headers come first; every new status line starts the answer over.
  if (StartsWithNoCase(line, "http/")) sink->max_age.reset();
  constexpr std::string_view kName = "cache-control:";
  if (StartsWithNoCase(line, kName)) {
    line.remove_prefix(kName.size());
    sink->max_age = ParseCacheControlMaxAge(line);
  }
  return n;
}

}  // namespace

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
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("cannot fetch " + url + ": only http:// and https:// URLs");
  }
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return Status::Internal("cannot fetch " + url + ": curl_easy_init failed");
  Sink sink;
  sink.max_bytes = max_bytes;
  char error[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  // Where the key set comes from decides which tokens verify: no other scheme, even by redirect.
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, follow_redirects ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_seconds);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout_seconds);
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_bytes));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "tessera-verifier");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &WriteHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
  const CURLcode rc = curl_easy_perform(c);
  if (sink.overflow || rc == CURLE_FILESIZE_EXCEEDED) {
    return Status::ResourceExhausted("cannot fetch " + url + ": answer larger than " +
                                     std::to_string(max_bytes) + " bytes");
  }
  if (rc != CURLE_OK) {
    return Status::Unavailable("cannot fetch " + url + ": " +
                               (error[0] != '\0' ? std::string(error) : curl_easy_strerror(rc)));
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (code < 200 || code > 299) {
    return Status::Unavailable("cannot fetch " + url + ": HTTP status " + std::to_string(code));
  }
  return JwksAnswer{std::move(sink.body), sink.max_age};
}

}  // namespace tessera::verifier
