// HttpClient: Tessera's one libcurl wrapper, for every outgoing HTTP request (the command line's
// fetches and admin calls, the client library's token requests, the verifier library's JWK Set
// fetches, the gateway's upstream calls). Private: compiled into libtessera-client and
// libtessera-verifier, never installed, and no libcurl type appears here.
//
// Every request is bounded:
//   - only http:// and https:// URLs, also across redirects (anything else is kInvalidArgument
//     before any I/O, or a failed redirect);
//   - redirects are not followed unless the request allows some (max_redirects): by default a
//     3xx is the answer, so credentials are never re-sent to another origin;
//   - a total and a connect timeout;
//   - at most max_body_bytes of body (a Content-Length above it fails before the body is read)
//     and kMaxHeaderBytes of header fields;
//   - TLS peer and host verification on (never turned off here); ca_file adds a CA bundle.
// curl_global_init runs once per process, before the first handle is made.
//
// Errors (the reason is an HttpClientError, see HttpClientErrorOf; the message is one line
// without the URL, for the caller to put in context):
//   kInvalidArgument   kBadUrl      not an http(s) URL
//   kResourceExhausted kTooLarge    body or header fields over their bound
//   kUnavailable       kTimeout     the total or the connect timeout expired
//   kUnavailable       kTransport   DNS, connection, TLS, protocol errors
//   kInternal          kNoHandle    libcurl could not make a handle
// Any HTTP status, 4xx and 5xx included, is an answer, not an error.
//
// Thread safety: an HttpClient is used by one thread at a time; distinct clients may be used
// concurrently. ParseHttpDate is thread-safe.
#ifndef TESSERA_COMMON_HTTP_CLIENT_H_
#define TESSERA_COMMON_HTTP_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tessera/status.h"

namespace tessera {

// The most bytes of header fields an answer may have (the final answer's and every interim or
// redirect answer's together).
inline constexpr std::size_t kMaxHeaderBytes = 256 * 1024;

enum class HttpClientError : int {
  kNone = 0,
  kBadUrl,
  kTooLarge,
  kTimeout,
  kTransport,
  kNoHandle,
};

// The HttpClientError of a status from HttpClient::Perform (kNone for any other status).
HttpClientError HttpClientErrorOf(const Status& status);

struct HttpClientRequest {
  std::string method = "GET";  // "HEAD" asks for the header fields only
  std::string url;             // http:// or https://
  // Request header fields, "Name: value". "Name;" sends the field with an empty value, "Name:"
  // suppresses a field libcurl would add (such as "Expect:").
  std::vector<std::string> headers;
  // The body, sent as is (with Content-Length) when present, even if empty; must stay valid
  // until Perform returns. Without one a GET, HEAD or DELETE has no body.
  std::optional<std::string_view> body;
  long timeout_seconds = 10;         // the whole exchange
  long connect_timeout_seconds = 0;  // 0: timeout_seconds
  std::size_t max_body_bytes = 1 << 20;
  long max_redirects = 0;  // 0: a 3xx is the answer; else at most this many followed
  std::string ca_file;     // an extra CA bundle for https; empty: the system's
  // A TLS client certificate (PEM, the file may hold its chain) and its private key (PEM;
  // encrypted with client_key_password if given), presented when an https server asks for one
  // (RFC 8705). Both or neither; a file libcurl cannot load fails the request (kTransport).
  std::string client_cert_file;
  std::string client_key_file;
  std::string client_key_password;
  std::string user_agent;  // empty: no User-Agent unless `headers` has one
};

struct HttpClientAnswer {
  long status = 0;
  // The final answer's header fields in order (those of interim and redirect answers are
  // dropped), the value without leading whitespace and the line end.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // as sent: never decoded, whatever its Content-Encoding

  // The value of the fields named `name` (case-insensitive), several joined with ", " as one
  // list (RFC 9110 5.3); nullopt when there is none.
  std::optional<std::string> Header(std::string_view name) const;
};

// One libcurl easy handle. Reusing a client for several requests reuses its connections
// (keep-alive) and DNS cache; every request starts from fresh options.
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<HttpClientAnswer> Perform(const HttpClientRequest& request);

 private:
  void* curl_;  // CURL*, owned
};

// An HTTP-date (RFC 9110 5.6.7, and the obsolete forms it accepts) as seconds since the Unix
// epoch; nullopt when `text` is not one.
std::optional<int64_t> ParseHttpDate(std::string_view text);

}  // namespace tessera

#endif  // TESSERA_COMMON_HTTP_CLIENT_H_
