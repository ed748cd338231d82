// The client's one network call: POST an application/x-www-form-urlencoded body (through
// common/http_client.h), bounded in time and size, never following a redirect, returning
// status, body and the headers the client needs.
#ifndef TESSERA_CLIENT_HTTP_POST_H_
#define TESSERA_CLIENT_HTTP_POST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tessera/status.h"

namespace tessera::client {

struct PostAnswer {
  long status = 0;
  std::string body;
  std::optional<int64_t> retry_after_seconds;  // Retry-After (delta-seconds or HTTP-date)
  std::optional<std::string> dpop_nonce;       // DPoP-Nonce (RFC 9449 8), as sent
};

struct PostRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> form;  // encoded here
  std::string basic_user;                                 // Basic credentials when non-empty
  std::string basic_password;
  std::vector<std::string> headers;  // more fields, "Name: value" (a DPoP proof)
  long timeout_seconds = 10;
  std::string ca_file;
  std::string client_cert_file;  // mutual TLS (common/http_client.h)
  std::string client_key_file;
  std::string client_key_password;
};

// Fails with kUnavailable on network, TLS or timeout errors (retryable); any HTTP status is an
// answer, not an error.
Result<PostAnswer> PostForm(const PostRequest& request);

// RFC 3986 percent-encoding of everything but unreserved characters (as forms and RFC 6749
// 2.3.1 Basic credentials need).
std::string FormEncode(std::string_view s);

}  // namespace tessera::client

#endif  // TESSERA_CLIENT_HTTP_POST_H_
