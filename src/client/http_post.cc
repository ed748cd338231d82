#include "client/http_post.h"

#include <curl/curl.h>

#include <cctype>
#include <ctime>
#include <memory>
#include <mutex>

#include "jose/base64url.h"

namespace tessera::client {
namespace {

constexpr std::size_t kMaxAnswerBytes = 256 * 1024;

struct Sink {
  std::string body;
  bool overflow = false;
  std::optional<int64_t> retry_after;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (sink->body.size() + n > kMaxAnswerBytes) {
    sink->overflow = true;
    return 0;
  }
  sink->body.append(data, n);
  return n;
}

size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  std::string line(data, n);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    bool match = true;
    for (std::size_t i = 0; i < kName.size() && match; ++i) {
      match = std::tolower(static_cast<unsigned char>(line[i])) == kName[i];
    }
    if (match) {
      std::string value = line.substr(kName.size());
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
        value.erase(0, 1);
      }
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
        value.pop_back();
      }
      // RFC 9110 10.2.3: delay-seconds or an HTTP-date.
      if (!value.empty() && value.size() < 12 &&
          value.find_first_not_of("0123456789") == std::string::npos) {
        sink->retry_after = std::stoll(value);
      } else if (const time_t when = curl_getdate(value.c_str(), nullptr); when >= 0) {
        sink->retry_after = std::max<int64_t>(0, when - std::time(nullptr));
      }
    }
  }
  return n;
}

}  // namespace

std::string FormEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<PostAnswer> PostForm(const PostRequest& r) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return Status::Internal("curl_easy_init failed");
  std::string body;
  for (const auto& [name, value] : r.form) {
    if (!body.empty()) body += '&';
    body += FormEncode(name) + "=" + FormEncode(value);
  }
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
  headers = curl_slist_append(headers, "Accept: application/json");
  std::string authorization;
  if (!r.basic_user.empty()) {
    // RFC 6749 2.3.1: Basic base64(urlencode(id) ":" urlencode(secret)).
    authorization = "Authorization: Basic " + jose::Base64Encode(FormEncode(r.basic_user) + ":" +
                                                                 FormEncode(r.basic_password));
    headers = curl_slist_append(headers, authorization.c_str());
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers,
                                                                          &curl_slist_free_all);
  Sink sink;
  char error[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // never re-send credentials elsewhere
  curl_easy_setopt(c, CURLOPT_TIMEOUT, r.timeout_seconds);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, r.timeout_seconds);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "tessera-client");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &WriteHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
  if (!r.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, r.ca_file.c_str());
  const CURLcode rc = curl_easy_perform(c);
  if (sink.overflow) {
    return Status::ResourceExhausted("the answer of " + r.url + " is larger than " +
                                     std::to_string(kMaxAnswerBytes) + " bytes");
  }
  if (rc != CURLE_OK) {
    return Status::Unavailable("cannot reach " + r.url + ": " +
                               (error[0] != '\0' ? std::string(error) : curl_easy_strerror(rc)));
  }
  PostAnswer a;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
  a.body = std::move(sink.body);
  a.retry_after_seconds = sink.retry_after;
  return a;
}

}  // namespace tessera::client
