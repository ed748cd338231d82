// The transport-neutral HTTP request and response that handlers see.
//
// Handlers include this header (and router.h, form.h, metrics.h) only: no Boost.Beast or Asio
// type appears here, so handler files compile quickly and can be tested without a socket.
//
// Example:
//   Response Health(Request& request) {
//     auto accept = request.Header("accept");          // names are lower-case
//     return Response::Json(200, R"({"status":"ok"})");
//   }
//
// Thread safety: plain values. The server builds one Request per HTTP request and hands it to
// exactly one handler call on one thread; nothing is shared.
#ifndef TESSERA_HTTP_REQUEST_H_
#define TESSERA_HTTP_REQUEST_H_

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::http {

// The name of the response header that carries the request id (ecid) assigned by the server.
inline constexpr std::string_view kEcidHeader = "X-Tessera-Ecid";
// The request header a client (or a proxy in front) may name the request id with, and the
// response header that echoes the id used (contract section 8): 1 to 128 characters of
// A-Za-z0-9._- become the ecid; any other value, or the header repeated, is ignored and the
// server makes up the id.
inline constexpr std::string_view kRequestIdHeader = "X-Request-Id";
inline constexpr std::size_t kMaxRequestIdLength = 128;

// Whether `id` is a request id the server adopts as its ecid.
bool ValidRequestId(std::string_view id);

// The client's certificate of mutual TLS (RFC 8705), for the token endpoint's tls_client_auth,
// self_signed_tls_client_auth and certificate-bound tokens, and for a resource checking cnf.
struct ClientCertificate {
  // The leaf certificate's DER; empty when the client presented none (or mutual TLS is off).
  std::string der;
  // Whether it chains to the server's client CA (ServerOptions::tls_client_ca_file), verified at
  // the TLS handshake or, for a forwarded one, in process. A certificate that does not chain is
  // still here (self-signed ones are the point of self_signed_tls_client_auth): only this flag
  // says it did not verify.
  bool chained = false;
  // From a trusted proxy's header (ServerOptions::client_cert_header) rather than this
  // connection's own handshake.
  bool forwarded = false;
};

struct Request {
  std::string method;  // "GET", "POST", ... exactly as sent (methods are case-sensitive)
  std::string target;  // the raw request-target
  std::string path;    // target up to the first '?', raw (not percent-decoded)
  std::string query;   // target after the first '?', raw; empty when there is none
  // Header fields in arrival order; names lower-cased, values with surrounding whitespace
  // removed. Repeated fields appear repeatedly (see HeaderCount).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;            // the whole body (already de-chunked), within the route's limit
  std::string remote_address;  // peer IP address in text form ("127.0.0.1", "::1")
  std::string
      ecid;  // the request id: the client's X-Request-Id or one made up; echoed in both headers
  // Path parameters captured by the route pattern ("{id}" -> params["id"]), percent-decoded
  // (RFC 3986: %XX only; '+' stays '+').
  std::map<std::string, std::string> params;
  bool tls = false;  // true when the request arrived over HTTPS
  ClientCertificate client_certificate;
  // Runs `work` on the server's threads after the work already queued there: a handler uses it
  // to gather what concurrent requests have to write and write it once (see Response::Later).
  // Set by the server; empty where there is no server (a handler called directly), in which
  // case the handler does the work at once.
  std::function<void(std::function<void()>)> defer;

  // The first value of header `lower_name` (which must be lower-case), or nullopt if absent.
  // The view points into `headers` and is valid while `headers` is unchanged.
  std::optional<std::string_view> Header(std::string_view lower_name) const;
  // How many times header `lower_name` occurs (a credential header sent twice is suspicious).
  std::size_t HeaderCount(std::string_view lower_name) const;
};

struct Response {
  int status = 200;  // 100..999; anything else is answered as 500 by the server
  std::string content_type = "application/json";  // empty: no Content-Type header
  // Extra header fields, sent as given. The server sets Content-Length, Connection and
  // kEcidHeader itself and drops a field here with those names, or with CR, LF or NUL in it.
  // "Cache-Control: no-store" is the handler's job where the contract asks for it.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // A response with Content-Type "application/json"; `body` must already be JSON.
  static Response Json(int status, std::string body);
  // A response with Content-Type "text/plain; charset=utf-8".
  static Response Text(int status, std::string body);

  // Appends header `name: value` and returns *this, for chaining.
  Response& AddHeader(std::string name, std::string value);

  // An answer given later, without holding the server's thread meanwhile (e.g. waiting for a
  // batched store write). The server calls `start` once with a Resume; the handler calls that
  // Resume exactly once, from any thread, with a Finish; the server runs the Finish on the
  // request's own thread and sends the Response it returns (a Finish that throws is a 500).
  using Finish = std::function<Response()>;
  using Resume = std::function<void(Finish)>;
  static Response Later(std::function<void(Resume)> start);
  // Set only by Later; every other member is then ignored.
  std::function<void(Resume)> later;
};

// Handles one request. Runs synchronously on one of the server's threads and may block (a
// database call): size ServerOptions::threads for the expected blocking. It may throw; the
// server answers 500 {"error":"server_error","ecid":...} and logs the exception.
using Handler = std::function<Response(Request&)>;

// Per-route limits, applied before the body is read.
struct RouteOptions {
  // Largest accepted body; a larger one is answered 413 without being read whole. The server's
  // ServerOptions::max_body_bytes caps this value.
  std::size_t max_body_bytes = 64 * 1024;
};

// `s` as a JSON string literal, quotes included, with the escapes RFC 8259 requires.
// A small helper for error bodies built without a JSON library.
std::string JsonQuote(std::string_view s);

}  // namespace tessera::http

#endif  // TESSERA_HTTP_REQUEST_H_
