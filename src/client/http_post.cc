#include "client/http_post.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "common/http_client.h"
#include "jose/base64url.h"

namespace tessera::client {
namespace {

constexpr std::size_t kMaxAnswerBytes = 256 * 1024;

// RFC 9110 10.2.3: Retry-After is delay-seconds or an HTTP-date.
std::optional<int64_t> RetryAfterSeconds(std::string_view value) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
    value.remove_prefix(1);
  }
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
    value.remove_suffix(1);
  }
  if (!value.empty() && value.size() < 12 &&
      value.find_first_not_of("0123456789") == std::string_view::npos) {
    return std::stoll(std::string(value));
  }
  if (const std::optional<int64_t> when = ParseHttpDate(value)) {
    return std::max<int64_t>(0, *when - std::time(nullptr));
  }
  return std::nullopt;
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
  std::string body;
  for (const auto& [name, value] : r.form) {
    if (!body.empty()) body += '&';
    body += FormEncode(name) + "=" + FormEncode(value);
  }
  HttpClientRequest request;
  request.method = "POST";
  request.url = r.url;
  request.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
  if (!r.basic_user.empty()) {
    // RFC 6749 2.3.1: Basic base64(urlencode(id) ":" urlencode(secret)).
    request.headers.push_back(
        "Authorization: Basic " +
        jose::Base64Encode(FormEncode(r.basic_user) + ":" + FormEncode(r.basic_password)));
  }
  request.headers.insert(request.headers.end(), r.headers.begin(), r.headers.end());
  request.body = body;
  request.timeout_seconds = r.timeout_seconds;
  request.max_body_bytes = kMaxAnswerBytes;
  request.max_redirects = 0;  // never re-send credentials elsewhere
  request.ca_file = r.ca_file;
  request.client_cert_file = r.client_cert_file;
  request.client_key_file = r.client_key_file;
  request.client_key_password = r.client_key_password;
  request.user_agent = "tessera-client";
  HttpClient client;
  Result<HttpClientAnswer> answer = client.Perform(request);
  if (!answer.ok()) {
    if (HttpClientErrorOf(answer.status()) == HttpClientError::kTooLarge) {
      return Status::ResourceExhausted("the answer of " + r.url + " is larger than " +
                                       std::to_string(kMaxAnswerBytes) + " bytes");
    }
    return answer.status().WithContext("cannot reach " + r.url);
  }
  PostAnswer a;
  a.status = answer->status;
  if (const std::optional<std::string> retry_after = answer->Header("retry-after")) {
    a.retry_after_seconds = RetryAfterSeconds(*retry_after);
  }
  a.dpop_nonce = answer->Header("dpop-nonce");
  a.body = std::move(answer->body);
  return a;
}

}  // namespace tessera::client
