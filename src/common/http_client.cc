#include "common/http_client.h"

#include <curl/curl.h>

#include <cctype>
#include <ctime>
#include <memory>
#include <mutex>

namespace tessera {
namespace {

Status Fail(StatusCode code, HttpClientError reason, std::string message) {
  return Status(code, std::move(message), static_cast<int>(reason));
}

bool IsHttpUrl(std::string_view url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

struct Sink {
  std::size_t max_body_bytes = 0;
  std::size_t header_bytes = 0;
  bool overflow = false;
  HttpClientAnswer answer;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (sink->answer.body.size() + n > sink->max_body_bytes) {
    sink->overflow = true;
    return 0;  // libcurl stops with CURLE_WRITE_ERROR
  }
  sink->answer.body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  sink->header_bytes += n;
  if (sink->header_bytes > kMaxHeaderBytes) {
    sink->overflow = true;
    return 0;
  }
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  // Each status line starts an answer: the fields of an interim (1xx) answer or of a followed
  // redirect do not belong to the final one.
  if (line.size() >= 5 && EqualsNoCase(line.substr(0, 5), "http/")) {
    sink->answer.headers.clear();
    return n;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return n;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  sink->answer.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return n;
}

void GlobalInit() {
  // Not thread-safe in every libcurl version, and libcurl's own lazy init (in curl_easy_init)
  // is not either: once, before any handle.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

HttpClientError HttpClientErrorOf(const Status& status) {
  if (status.ok()) return HttpClientError::kNone;
  const int r = status.reason();
  if (r < static_cast<int>(HttpClientError::kBadUrl) ||
      r > static_cast<int>(HttpClientError::kNoHandle)) {
    return HttpClientError::kNone;
  }
  return static_cast<HttpClientError>(r);
}

std::optional<std::string> HttpClientAnswer::Header(std::string_view name) const {
  std::optional<std::string> value;
  for (const auto& [n, v] : headers) {
    if (!EqualsNoCase(n, name)) continue;
    if (value) {
      *value += ", ";
      *value += v;
    } else {
      value = v;
    }
  }
  return value;
}

HttpClient::HttpClient() {
  GlobalInit();
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<HttpClientAnswer> HttpClient::Perform(const HttpClientRequest& r) {
  if (!IsHttpUrl(r.url)) {
    return Fail(StatusCode::kInvalidArgument, HttpClientError::kBadUrl,
                "only http:// and https:// URLs");
  }
  if (curl_ == nullptr) {
    return Fail(StatusCode::kInternal, HttpClientError::kNoHandle, "curl_easy_init failed");
  }
  CURL* c = static_cast<CURL*>(curl_);
  // Back to the default options; the connection and DNS caches stay.
  curl_easy_reset(c);

  std::unique_ptr<curl_slist, SlistFree> headers;
  for (const std::string& h : r.headers) {
    curl_slist* grown = curl_slist_append(headers.get(), h.c_str());
    if (grown == nullptr) {
      return Fail(StatusCode::kInternal, HttpClientError::kNoHandle, "curl_slist_append failed");
    }
    (void)headers.release();
    headers.reset(grown);
  }
  Sink sink;
  sink.max_body_bytes = r.max_body_bytes;
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  // Where an answer comes from decides what it is trusted for (a key set, a token): no file://
  // or any other scheme, not even by redirect.
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, r.max_redirects > 0 ? 1L : 0L);
  if (r.max_redirects > 0) curl_easy_setopt(c, CURLOPT_MAXREDIRS, r.max_redirects);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!r.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, r.ca_file.c_str());
  if (!r.client_cert_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, r.client_cert_file.c_str());
    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(c, CURLOPT_SSLKEY, r.client_key_file.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
    if (!r.client_key_password.empty()) {
      curl_easy_setopt(c, CURLOPT_KEYPASSWD, r.client_key_password.c_str());
    }
  }
  curl_easy_setopt(c, CURLOPT_TIMEOUT, r.timeout_seconds);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
                   r.connect_timeout_seconds > 0 ? r.connect_timeout_seconds : r.timeout_seconds);
  // Timeouts by polling, not SIGALRM: the handle may live on any thread of a server.
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (!r.user_agent.empty()) curl_easy_setopt(c, CURLOPT_USERAGENT, r.user_agent.c_str());
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  // No Accept-Encoding of libcurl's own, and the body as sent (a proxy passes it through).
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, nullptr);
  curl_easy_setopt(c, CURLOPT_HTTP_CONTENT_DECODING, 0L);
  if (r.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else {
    // Refused from the Content-Length, before any of the body is read. Not for HEAD, whose
    // Content-Length describes a body that is not sent.
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(r.max_body_bytes));
    if (r.body) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.body->data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body->size()));
    }
    if (r.method != (r.body ? "POST" : "GET")) {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);

  const CURLcode rc = curl_easy_perform(c);
  if (sink.overflow || rc == CURLE_FILESIZE_EXCEEDED) {
    return Fail(StatusCode::kResourceExhausted, HttpClientError::kTooLarge,
                sink.header_bytes > kMaxHeaderBytes
                    ? "header fields larger than " + std::to_string(kMaxHeaderBytes) + " bytes"
                    : "answer larger than " + std::to_string(r.max_body_bytes) + " bytes");
  }
  if (rc != CURLE_OK) {
    return Fail(
        StatusCode::kUnavailable,
        rc == CURLE_OPERATION_TIMEDOUT ? HttpClientError::kTimeout : HttpClientError::kTransport,
        error[0] != '\0' ? std::string(error) : curl_easy_strerror(rc));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &sink.answer.status);
  return std::move(sink.answer);
}

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  const std::string s(text);
  const time_t when = curl_getdate(s.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  return static_cast<int64_t>(when);
}

}  // namespace tessera
