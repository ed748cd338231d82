#include "cli/http_fetch.h"

#include <curl/curl.h>

#include <functional>
#include <memory>
#include <mutex>

namespace tessera::cli {
namespace {

struct Sink {
  std::string body;
  std::size_t max_bytes = 0;
  bool overflow = false;
};

size_t Write(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (sink->body.size() + n > sink->max_bytes) {
    sink->overflow = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  sink->body.append(data, n);
  return n;
}

bool IsHttpUrl(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

// Runs one request; `configure` adds the method-specific options.
Result<HttpAnswer> Perform(const std::string& url, const FetchLimits& limits, bool follow,
                           const std::function<void(CURL*)>& configure) {
  if (!IsHttpUrl(url)) {
    return Status::InvalidArgument("cannot fetch " + url + ": only http:// and https:// URLs");
  }
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return Status::Internal("cannot fetch " + url + ": curl_easy_init failed");
  Sink sink;
  sink.max_bytes = limits.max_bytes;
  char error[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  // A key set is public data, but where it comes from decides which tokens verify: no file://,
  // no other schemes, even after a redirect.
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, limits.timeout_seconds);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, limits.timeout_seconds);
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "tessera");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  configure(c);
  const CURLcode rc = curl_easy_perform(c);
  if (sink.overflow || rc == CURLE_FILESIZE_EXCEEDED) {
    return Status::ResourceExhausted("cannot fetch " + url + ": answer larger than " +
                                     std::to_string(limits.max_bytes) + " bytes");
  }
  if (rc != CURLE_OK) {
    return Status::Unavailable("cannot fetch " + url + ": " +
                               (error[0] != '\0' ? std::string(error) : curl_easy_strerror(rc)));
  }
  HttpAnswer answer;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer.status);
  answer.body = std::move(sink.body);
  return answer;
}

}  // namespace

Result<std::string> HttpGet(const std::string& url, const FetchLimits& limits) {
  TESSERA_ASSIGN_OR_RETURN(HttpAnswer answer, Perform(url, limits, true, [](CURL*) {}));
  if (answer.status < 200 || answer.status > 299) {
    return Status::Unavailable("cannot fetch " + url + ": HTTP status " +
                               std::to_string(answer.status));
  }
  return std::move(answer.body);
}

Result<HttpAnswer> HttpSend(const std::string& method, const std::string& url,
                            const std::vector<std::string>& headers, const std::string& body,
                            const FetchLimits& limits) {
  struct SlistFree {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
  };
  std::unique_ptr<curl_slist, SlistFree> list;
  for (const auto& h : headers) list.reset(curl_slist_append(list.release(), h.c_str()));
  return Perform(url, limits, false, [&](CURL* c) {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (list) curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
    if (!body.empty() || (method != "GET" && method != "DELETE")) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
  });
}

}  // namespace tessera::cli
