// The HTTP/1.1 (and HTTPS) server: Boost.Beast on one Asio io_context, one C++20 coroutine per
// connection on its own strand, handlers from a Router.
//
// Per connection: optional TLS handshake (TLS 1.2+ only), then requests in a keep-alive loop.
// Each request's header is read first, under max_header_bytes (431 past it); then the route is
// looked up and its RouteOptions::max_body_bytes (capped by ServerOptions::max_body_bytes)
// bounds the body before any of it is read: a declared Content-Length over the limit is
// answered 413 at once, a chunked body is cut off at the limit with 413. Malformed requests
// (bad request line, conflicting Content-Length, bad chunking) are answered 400, and so is
// framing RFC 9112 forbids or leaves ambiguous: an HTTP/1.1 request without Host, any request
// with two Host fields or an invalid one (3.2), Transfer-Encoding in HTTP/1.0, with
// Content-Length, or not ending in a single "chunked" (6.1, 6.3); "chunked" after another
// coding ("gzip, chunked") is 501, as no other coding is implemented. 413, 431, 400 and 501
// close the connection.
// Deadlines: the first byte of each request (of the first one, of the TLS handshake, and of
// each next keep-alive request) must come within idle_timeout; from there the header, the
// body, the TLS handshake and each write have read_timeout. A missed deadline closes the
// connection without an answer, so a slow client holds a coroutine's memory, never a thread.
// Connection caps: max_connections_per_client per peer address (IPv6: per /64) turns away
// more at once; at max_connections, the connection that has waited longest for a request is
// closed to admit the new one, and only when none is waiting is the new one turned away.
//
// Every response carries "X-Tessera-Ecid: <request id>" and "X-Request-Id: <request id>"
// (Request::ecid: the request's own valid X-Request-Id, else a random one). A handler exception
// becomes 500 {"error":"server_error","ecid":"..."} and is logged. Each request is logged on
// one spdlog line (ecid, method, route pattern, status, duration; never bodies nor
// Authorization; request values only through LogValue) and, given a Metrics, counted in
// tessera_http_requests_total{route,method, status} and timed in
// tessera_http_request_duration_seconds{route,method}.
//
// Example:
//   Router router;
//   router.Add("GET", "/health", Health);
//   Server server({.host = "127.0.0.1", .port = 8080, .stop_on_signals = true},
//                 std::move(router), &metrics);
//   if (Status s = server.Start(); !s.ok()) return Fail(s);
//   server.Wait();   // until SIGTERM/SIGINT or Stop()
//
// TLS reload: ReloadTls (called by the SIGHUP handler when stop_on_signals is set) re-reads
// the certificate chain and key files named in ServerOptions, and the client CA file when one is
// named. New handshakes use the new pair (and CA); connections already established keep the
// certificate they were accepted with. Files that fail to load change nothing.
//
// Mutual TLS (ServerOptions::tls_client_ca_file, trusted_proxies, client_cert_header): every
// Request carries the client's certificate (Request::client_certificate), from this connection's
// handshake or, on a connection from a trusted proxy, from the proxy's header only (the proxy's
// own certificate is never the client's). A malformed or repeated certificate header from a
// trusted proxy is answered 400 and the connection closed: the proxy is misconfigured, and
// serving the request as if no certificate had been presented would hide it.
//
// Thread safety: Bind and Start are called by one thread (Start synchronizes with the server's
// threads: what that thread wrote before Start, the handlers see). Stop, Wait and ReloadTls may
// be called from any thread; Stop and ReloadTls may be called from a handler or several times.
// Wait must be called by one thread at a time and not from a handler (it joins the server's
// threads).
#ifndef TESSERA_HTTP_SERVER_H_
#define TESSERA_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/metrics.h"
#include "http/router.h"
#include "tessera/status.h"

namespace tessera::http {

struct ServerOptions {
  std::string host = "127.0.0.1";  // an IP address to bind (IPv4 or IPv6)
  uint16_t port = 8080;            // 0 = pick a free port (see Server::port())
  int threads = 0;                 // threads running the io_context and handlers; 0 = cores
  // Both set: serve HTTPS only (TLS 1.2 and 1.3, forward-secret AEAD ciphers). PEM files; the
  // certificate file may hold the chain.
  std::string tls_cert_file = "";
  std::string tls_key_file = "";
  // Mutual TLS (RFC 8705). With TLS, a PEM file of CA certificates turns on client certificate
  // requests: a certificate is requested in every handshake, never required (a client without
  // one is served as before), and any chain is accepted, self-signed ones included; whether it
  // chained to these CAs is Request::client_certificate.chained. The request names no CA
  // (an empty certificate_authorities list), so that clients holding a self-signed certificate
  // offer it too. Without this file no certificate is requested: a browser reaching the server
  // is never asked to choose one. It also verifies forwarded certificates (below).
  std::string tls_client_ca_file = "";
  // A TLS-terminating proxy in front: `client_cert_header` names the header that carries the
  // client's certificate as URL-encoded PEM (nginx: proxy_set_header NAME
  // $ssl_client_escaped_cert), honoured only on connections from `trusted_proxies` (IPv4 and
  // IPv6 networks, "10.0.0.0/8", "::1/128"). From any other address the header is ignored. On
  // every request the header is removed from Request::headers, so no handler (nor a proxied
  // upstream) ever sees a client's forgery. Both or neither.
  std::vector<std::string> trusted_proxies = {};
  std::string client_cert_header = "";
  std::size_t max_header_bytes = 16 * 1024;  // request line + fields; 431 past it
  std::size_t max_body_bytes = 1024 * 1024;  // absolute cap over every route's limit; 413
  std::chrono::seconds read_timeout{30};     // for each request's header, body, TLS handshake
  // For the first byte of a request: after connecting (before the TLS handshake, with TLS)
  // and between keep-alive requests. Short, as holding a silent connection costs a client
  // nothing.
  std::chrono::seconds idle_timeout{10};
  // Open connections; past it the longest-idle connection is closed to make room, or, when
  // every connection is busy with a request, the new one is accepted and closed at once.
  std::size_t max_connections = 10000;
  // Open connections one peer address (IPv6: one /64 prefix) may hold; more are accepted and
  // closed at once, so one client cannot take every slot. 0 = no per-client cap.
  std::size_t max_connections_per_client = 256;
  // Start installs SIGINT/SIGTERM -> Stop() and SIGHUP -> ReloadTls() (its outcome logged;
  // without TLS, a line saying there is nothing to reload). SIGHUP never stops the server.
  bool stop_on_signals = false;
  // Called once, on the thread that calls Stop (or on an io thread for a signal), when the
  // server begins to stop, before it stops accepting: e.g. to tell a service manager.
  std::function<void()> on_stopping = nullptr;
  bool access_log = true;  // one info line per request via spdlog
};

class Server {
 public:
  // `metrics`, when given, must outlive the Server.
  Server(ServerOptions options, Router router, Metrics* metrics = nullptr);
  // Stops and waits.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the TLS files if set, binds and listens, without serving: port() is then known (with
  // port 0, the one the kernel chose), so what the handlers read can be completed before
  // Start makes them run on other threads. Optional: Start binds when Bind was not called.
  // Errors: kInvalidArgument for a bad host, unreadable TLS files or client CA (with the OpenSSL
  // reason), a bad trusted proxy network or header name, or only one of the two proxy options,
  // kUnavailable when the address cannot be bound (in use, no permission),
  // kFailedPrecondition when called twice or after Stop.
  Status Bind();

  // Binds (unless Bind did) and starts the threads; returns once the listener accepts.
  // Errors: those of Bind, and kFailedPrecondition when called twice.
  Status Start();

  // Re-reads tls_cert_file (the chain), tls_key_file and tls_client_ca_file (when set) and, if
  // all load and the key matches the certificate, makes them those of every TLS handshake (and
  // of forwarded certificates' verification) from now on; the TLS
  // settings (versions, ciphers, options) are those of Start. Connections already established
  // are untouched. On failure the certificate in use stays and the error is returned:
  // kInvalidArgument for unreadable or mismatched files (with the OpenSSL reason, never key
  // material), kFailedPrecondition when the server serves plain HTTP or has not started.
  // Logs one info line naming the file and the certificate subject on success; the caller
  // reports a failure.
  Status ReloadTls();

  // The bound port (useful with port 0); 0 before Start.
  uint16_t port() const;

  // Graceful stop, without blocking: stops accepting, lets requests in progress finish (their
  // responses are sent with "Connection: close"), closes connections waiting for a request.
  // Connections in the middle of reading a request end at the latest at their read deadline.
  void Stop();

  // Blocks until the server has stopped (Stop was called or a signal arrived) and every
  // connection and thread has ended. Returns at once if never started.
  void Wait();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::http

#endif  // TESSERA_HTTP_SERVER_H_
