#include "http/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <chrono>
#include <csignal>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "common/log_value.h"
#include "common/random.h"
#include "http/client_certificate.h"
#include "http/tls_context.h"

namespace tessera::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kTuple = net::as_tuple(net::use_awaitable);

// Body limit for requests that match no route: enough for a client's stray form, small enough
// that a 404 never costs much.
constexpr std::size_t kUnmatchedBodyLimit = 64 * 1024;
// After an error answer the request may still be arriving: read and discard up to this much,
// for at most kLingerTime, so the kernel does not answer unread bytes with a reset that could
// destroy the answer before the client reads it.
constexpr std::size_t kMaxDrainBytes = 1024 * 1024;
constexpr std::chrono::seconds kLingerTime{2};
constexpr std::size_t kEcidBytes = 12;

// HTTP versions as Beast numbers them (major * 10 + minor).
constexpr unsigned kHttp10 = 10;
constexpr unsigned kHttp11 = 11;

// idle_since while the connection is busy (reading or answering a request).
constexpr int64_t kBusy = 0;
// idle_since once the listener has chosen the connection to make room for a new one.
constexpr int64_t kEvicted = -1;

// Per connection, what Stop and the listener need: since when it waits for a request (then
// cancelling its read ends it cleanly) and how to cancel. `cancel` is touched only on the
// connection's strand.
struct ConnectionState {
  net::any_io_executor executor;
  // Steady-clock ticks since the connection started waiting for a request's first byte (> 0),
  // kBusy, or kEvicted. The session sets it; the listener, at the connection cap, claims the
  // longest-waiting connection by compare-and-swap to kEvicted: whichever of the two swaps first
  // decides, so a connection that has begun a request is never evicted.
  std::atomic<int64_t> idle_since{kBusy};
  std::function<void()> cancel;
  std::string peer;  // the key counted against max_connections_per_client ("" = none)
  // The client certificate of the TLS handshake; set once after it, on the connection's strand.
  ClientCertificate tls_certificate;
};

// The key a peer's connections are counted under for max_connections_per_client: the IPv4
// address (IPv4-mapped IPv6 ones included), or the /64 prefix of an IPv6 address, since one
// IPv6 host is commonly given a whole /64 and could otherwise take a fresh address per connection.
std::string ClientKey(const net::ip::address& address) {
  if (address.is_v6()) {
    const net::ip::address_v6 v6 = address.to_v6();
    if (v6.is_v4_mapped()) return net::ip::make_address_v4(net::ip::v4_mapped, v6).to_string();
    net::ip::address_v6::bytes_type bytes = v6.to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return net::ip::address_v6(bytes).to_string() + "/64";
  }
  return address.to_string();
}

template <class Stream>
constexpr bool kIsTls = !std::is_same_v<Stream, beast::tcp_stream>;

bool IsParseError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

bool IEquals(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

// RFC 9112 3.2.2: "A server MUST accept the absolute-form in requests". Dropping the scheme and
// authority leaves the origin form that routes are written in: "http://h:8080/a?b" is "/a?b",
// and "http://h?b", whose path is empty, is "/?b" (RFC 9112 3.2.1).
std::string OriginForm(std::string target) {
  std::size_t authority = 0;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() &&
        IEquals(std::string_view(target).substr(0, scheme.size()), scheme)) {
      authority = scheme.size();
    }
  }
  if (authority == 0) return target;
  const std::size_t end = target.find_first_of("/?", authority);
  if (end == std::string::npos) return "/";
  return target[end] == '/' ? target.substr(end) : "/" + target.substr(end);
}

// The method as a metrics label: a bounded set, whatever clients send.
std::string_view MethodLabel(std::string_view method) {
  for (std::string_view m : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    if (method == m) return m;
  }
  return "OTHER";
}

// RFC 9112 3.2: Host is uri-host [":" port]; the characters of RFC 3986's reg-name, IP-literal
// and port (empty is allowed: a target without authority).
bool ValidHost(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || std::string_view("-._~%!$&'()*+,;=:[]").find(static_cast<char>(c)) !=
                                  std::string_view::npos;
  });
}

struct FramingProblem {
  int status;
  std::string_view description;
};

// The header's framing and Host checks, before any of the body is read. Every problem closes
// the connection: once the framing is in doubt, so is where the next request would begin.
//   - Host (RFC 9112 3.2): "A server MUST respond with a 400 (Bad Request) status code to any
//     HTTP/1.1 request message that lacks a Host header field and to any request message that
//     contains more than one Host header field line or a Host header field with an invalid
//     field value."
//   - Transfer-Encoding in HTTP/1.0 (RFC 9112 6.1): the message is treated "as if the framing
//     is faulty, even if a Content-Length is present": 400.
//   - Transfer-Encoding with Content-Length (RFC 9112 6.1 and 6.3): the classic smuggling
//     ambiguity; a server MAY reject it, and does: 400.
//   - chunked not the final coding, or applied twice (RFC 9112 6.1 and 7): the body length
//     cannot be determined: 400 ("MUST respond with the 400 (Bad Request) status code and then
//     close the connection").
//   - chunked preceded by another coding ("gzip, chunked"): framed reliably, but a coding this
//     server does not implement: 501 ("SHOULD respond with the 501 (Not Implemented) status
//     code"), so a client can tell "send it without gzip" from "malformed".
std::optional<FramingProblem> CheckFraming(const bhttp::request_header<>& header) {
  const std::size_t hosts = header.count(bhttp::field::host);
  if (hosts > 1) return FramingProblem{400, "more than one Host header field"};
  if (hosts == 0 && header.version() >= kHttp11) {
    return FramingProblem{400, "HTTP/1.1 request without a Host header field"};
  }
  if (hosts == 1 && !ValidHost(header[bhttp::field::host])) {
    return FramingProblem{400, "invalid Host header field"};
  }
  auto [first, last] = header.equal_range(bhttp::field::transfer_encoding);
  if (first == last) return std::nullopt;
  if (header.version() <= kHttp10) {
    return FramingProblem{400, "Transfer-Encoding in an HTTP/1.0 request"};
  }
  if (header.count(bhttp::field::content_length) != 0) {
    return FramingProblem{400, "Content-Length together with Transfer-Encoding"};
  }
  std::vector<std::string_view> codings;
  for (auto it = first; it != last; ++it) {
    std::string_view rest = it->value();
    while (true) {
      const std::size_t comma = rest.find(',');
      std::string_view coding = rest.substr(0, std::min(comma, rest.find(';')));
      while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) {
        coding.remove_prefix(1);
      }
      while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) {
        coding.remove_suffix(1);
      }
      if (!coding.empty()) codings.push_back(coding);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (codings.empty() || !IEquals(codings.back(), "chunked")) {
    return FramingProblem{400, "unsupported transfer-encoding: chunked is not the final coding"};
  }
  for (std::size_t i = 0; i + 1 < codings.size(); ++i) {
    if (IEquals(codings[i], "chunked")) {
      return FramingProblem{400, "unsupported transfer-encoding: chunked applied twice"};
    }
  }
  if (codings.size() > 1) {
    return FramingProblem{501, "unsupported transfer-encoding: only chunked is implemented"};
  }
  return std::nullopt;
}

bool SafeHeaderText(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool ServerOwnedHeader(std::string_view name) {
  return IEquals(name, "content-length") || IEquals(name, "transfer-encoding") ||
         IEquals(name, "connection") || IEquals(name, kEcidHeader) ||
         IEquals(name, kRequestIdHeader) || IEquals(name, "content-type");
}

std::string ErrorBody(std::string_view error, std::string_view description, std::string_view ecid) {
  std::string body = "{\"error\":" + JsonQuote(error);
  if (!description.empty()) body += ",\"error_description\":" + JsonQuote(description);
  body += ",\"ecid\":" + JsonQuote(ecid) + "}";
  return body;
}

// One request, read whole and routed: what the dispatch step needs.
struct RoutedRequest {
  Request request;      // all but params, which Router::Invoke moves in from the match
  Router::Match match;  // the route found, or why none was
  std::string route;    // the route's pattern, or "unmatched": the label of metrics and log
  unsigned version = kHttp11;
  bool keep_alive = false;
  Clock::time_point start;  // when the request was complete
};

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, Router router, Metrics* metrics)
      : options_(std::move(options)),
        metrics_(metrics),
        acceptor_strand_(net::make_strand(ioc_)),
        acceptor_(acceptor_strand_),
        guard_(net::make_work_guard(ioc_)),
        router_(std::move(router)) {
    if (metrics_ != nullptr) {
      metrics_->Describe("tessera_http_requests_total",
                         "HTTP requests answered, by route pattern, method and status.");
      metrics_->Describe("tessera_http_request_duration_seconds",
                         "Time from a request's complete header to its response written.");
    }
  }

  Status Bind();
  Status Start();
  void Stop();
  void Wait();
  Status ReloadTls();
  uint16_t port() const { return port_.load(); }

 private:
  net::awaitable<void> Listen();
  void AwaitSignal();
  // `tls` is the context the connection was accepted under (null for plain HTTP); the session
  // holds it for its whole life, whatever ReloadTls installs meanwhile.
  template <class Stream>
  net::awaitable<void> Session(beast::tcp_stream tcp, std::shared_ptr<ssl::context> tls,
                               std::shared_ptr<ConnectionState> state);
  // Reads and answers one request (ReadRequest, then Dispatch). Returns whether the connection
  // should carry another.
  template <class Stream>
  net::awaitable<bool> Serve(Stream& stream, ConnectionState& state, beast::flat_buffer& buffer,
                             const std::string& remote);
  // Reads one request: waits for its first byte, reads the header, checks its framing, finds
  // the route and reads the body under the route's limit. Answers what it refuses itself (400,
  // 413, 431, 501; the connection then closes). Nothing when the connection is to end: refused,
  // closed by the peer, timed out, evicted or stopping.
  template <class Stream>
  net::awaitable<std::optional<RoutedRequest>> ReadRequest(Stream& stream, ConnectionState& state,
                                                           beast::flat_buffer& buffer,
                                                           const std::string& remote);
  // The client certificate of a request (ServerOptions::client_cert_header): the connection's
  // own, or, from a trusted proxy, the forwarded one. Removes the header from the request.
  // A description of the problem when a trusted proxy's header is malformed or repeated.
  std::optional<std::string_view> TakeClientCertificate(Request& request,
                                                        const ConnectionState& state);
  // Runs the request's handler (a throw is a 500), sends the answer and records it. Returns
  // whether the connection should carry another.
  template <class Stream>
  net::awaitable<bool> Dispatch(Stream& stream, RoutedRequest routed, const std::string& remote);
  template <class Stream>
  net::awaitable<void> Close(Stream& stream, bool drain);
  // Waits under idle_timeout for the first bytes of a request (or of a TLS handshake) and
  // appends them to `buffer`; meanwhile Stop may cancel the wait and EvictOldestIdle claim the
  // connection. False when the connection is to end without an answer.
  template <class ReadStream>
  net::awaitable<bool> AwaitFirstBytes(ReadStream& stream, ConnectionState& state,
                                       beast::flat_buffer& buffer);
  // Claims the connection that has waited longest for a request and cancels its wait. False
  // when no connection is waiting.
  bool EvictOldestIdle();
  // Gives back the connection's place under max_connections_per_client, if it holds one.
  void ReleaseClientSlot(const ConnectionState& state);

  // The answer of a handler that answers later (Response::Later): waits for its Resume,
  // without holding this thread, then runs the Finish here. A throw is a 500.
  net::awaitable<Response> AwaitLater(std::function<void(Response::Resume)> start,
                                      const std::string& ecid, std::string_view route);

  // Sends `response` for a request with id `ecid`; false when the write failed. `head`: the
  // answer to a HEAD request (RFC 9110 9.3.2): the header fields of `response`, its
  // Content-Length that of its body, and no content.
  template <class Stream>
  net::awaitable<bool> Send(Stream& stream, const Response& response, const std::string& ecid,
                            unsigned version, bool keep_alive, bool head = false);

  void Record(std::string_view ecid, std::string_view method, std::string_view route, int status,
              Clock::time_point start, std::string_view remote);

  ServerOptions options_;
  Metrics* metrics_;
  net::io_context ioc_;
  net::strand<net::io_context::executor_type> acceptor_strand_;
  tcp::acceptor acceptor_;
  // The context new TLS connections are accepted under; null for plain HTTP. Replaced whole
  // by ReloadTls, never modified in place: other threads may be making SSL objects from it,
  // and OpenSSL does not make changing a context's certificate safe against that.
  std::mutex tls_mutex_;
  std::shared_ptr<ssl::context> tls_;  // guarded by tls_mutex_
  // The client CA (null without one), replaced whole by ReloadTls like tls_.
  std::shared_ptr<const ClientCa> client_ca_;  // guarded by tls_mutex_
  // Mutual TLS behind a proxy: set by Bind, read-only afterwards.
  std::vector<IpNetwork> trusted_proxies_;
  std::string client_cert_header_;  // lower-cased; empty = no forwarded certificates
  std::optional<net::signal_set> signals_;
  net::executor_work_guard<net::io_context::executor_type> guard_;

  std::atomic<uint16_t> port_{0};
  std::atomic<bool> bound_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> active_connections_{0};

  std::mutex connections_mutex_;
  uint64_t next_connection_id_ = 0;  // guarded by connections_mutex_
  std::unordered_map<uint64_t, std::shared_ptr<ConnectionState>> connections_;  // same
  std::unordered_map<std::string, std::size_t> per_client_;  // open connections by peer; same

  std::mutex threads_mutex_;
  std::vector<std::thread> threads_;  // guarded by threads_mutex_

  // Declared last, so destroyed first: a handler's own threads (a Response::Later's worker,
  // such as the gateway's upstream threads) may still be returning from their last post into
  // ioc_ when the server is destroyed, and the handler's destructor joins them while ioc_ is
  // still alive.
  Router router_;
};

Status Server::Impl::Bind() {
  if (bound_.load()) return Status::FailedPrecondition("server already bound");
  if (stopping_.load()) return Status::FailedPrecondition("server already stopped");

  if (options_.tls_cert_file.empty() != options_.tls_key_file.empty()) {
    return Status::InvalidArgument("TLS needs both a certificate file and a key file");
  }
  if (options_.trusted_proxies.empty() != options_.client_cert_header.empty()) {
    return Status::InvalidArgument(
        "a trusted proxy and the client certificate header name go together");
  }
  for (const std::string& cidr : options_.trusted_proxies) {
    TESSERA_ASSIGN_OR_RETURN(IpNetwork network, ParseIpNetwork(cidr));
    trusted_proxies_.push_back(network);
  }
  if (!options_.client_cert_header.empty()) {
    const std::string& name = options_.client_cert_header;
    // RFC 9110 5.1: a field name is a token; the ones the server frames requests by are not
    // a proxy's to reuse.
    const bool token =
        name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) ||
                 std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
        });
    if (!token || ServerOwnedHeader(name) || IEquals(name, "host") ||
        IEquals(name, "authorization")) {
      return Status::InvalidArgument("client certificate header '" + name.substr(0, 64) +
                                     "' is not a usable header name");
    }
    client_cert_header_ = name;
    for (char& c : client_cert_header_) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  std::shared_ptr<const ClientCa> client_ca;
  if (!options_.tls_client_ca_file.empty()) {
    TESSERA_ASSIGN_OR_RETURN(client_ca, ClientCa::Load(options_.tls_client_ca_file));
  }
  std::shared_ptr<ssl::context> context;
  if (!options_.tls_cert_file.empty()) {
    TESSERA_ASSIGN_OR_RETURN(
        context, MakeTlsContext(options_.tls_cert_file, options_.tls_key_file, client_ca.get()));
  }
  {
    std::lock_guard lock(tls_mutex_);
    tls_ = std::move(context);
    client_ca_ = std::move(client_ca);
  }

  beast::error_code ec;
  net::ip::address address = net::ip::make_address(options_.host, ec);
  if (ec)
    return Status::InvalidArgument("listen host '" + options_.host + "' is not an IP address");
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("cannot listen on " + options_.host + ":" +
                               std::to_string(options_.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  bound_ = true;
  return Status::Ok();
}

Status Server::Impl::Start() {
  if (started_.exchange(true)) return Status::FailedPrecondition("server already started");
  if (stopping_.load()) return Status::FailedPrecondition("server already stopped");
  if (!bound_.load()) TESSERA_RETURN_IF_ERROR(Bind());
  const bool tls = !options_.tls_cert_file.empty();

  if (options_.stop_on_signals) {
    // SIGHUP is caught even without TLS: its default action would kill the server.
    signals_.emplace(acceptor_strand_, SIGINT, SIGTERM, SIGHUP);
    AwaitSignal();
  }

  net::co_spawn(acceptor_strand_, Listen(), [](const std::exception_ptr& e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("http: listener failed: {}", ex.what());
    }
  });

  int n = options_.threads > 0
              ? options_.threads
              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::lock_guard lock(threads_mutex_);
  for (int i = 0; i < n; ++i) {
    threads_.emplace_back([this] {
      // A handler's exception is caught in the session; anything reaching here is a bug in
      // the server itself. Keep the thread serving rather than lose capacity.
      for (;;) {
        try {
          ioc_.run();
          return;
        } catch (const std::exception& ex) {
          spdlog::error("http: io thread caught: {}", ex.what());
        }
      }
    });
  }
  spdlog::info("http: listening on {}:{} ({}, {} threads)", options_.host, port_.load(),
               tls ? "https" : "http", n);
  return Status::Ok();
}

// On the acceptor strand, like Stop's cancel of signals_: a wait is re-armed only while not
// stopping, so a SIGHUP completing just before Stop cannot leave a wait that keeps the
// io_context (and so Wait) running.
void Server::Impl::AwaitSignal() {
  signals_->async_wait([this](const beast::error_code& error, int signal) {
    if (error) return;
    if (signal != SIGHUP) {
      spdlog::info("http: signal {} received, stopping", signal);
      Stop();
      return;
    }
    if (options_.tls_cert_file.empty()) {
      spdlog::info("http: SIGHUP received; no TLS certificate configured, nothing to reload");
    } else if (Status s = ReloadTls(); !s.ok()) {
      spdlog::error(
          "http: SIGHUP received; TLS reload failed, still serving the previous "
          "certificate: {}",
          s.message());
    }
    if (!stopping_.load()) AwaitSignal();
  });
}

Status Server::Impl::ReloadTls() {
  if (options_.tls_cert_file.empty()) {
    return Status::FailedPrecondition("no TLS certificate configured, nothing to reload");
  }
  {
    std::lock_guard lock(tls_mutex_);
    if (tls_ == nullptr) return Status::FailedPrecondition("server not started");
  }
  // Built aside and swapped in whole: handshakes in progress on other threads keep reading
  // the old context, and a pair that fails to load never becomes visible.
  std::shared_ptr<const ClientCa> client_ca;
  if (!options_.tls_client_ca_file.empty()) {
    TESSERA_ASSIGN_OR_RETURN(client_ca, ClientCa::Load(options_.tls_client_ca_file));
  }
  TESSERA_ASSIGN_OR_RETURN(
      std::shared_ptr<ssl::context> fresh,
      MakeTlsContext(options_.tls_cert_file, options_.tls_key_file, client_ca.get()));
  const std::string subject = CertificateSubject(*fresh);
  {
    std::lock_guard lock(tls_mutex_);
    tls_ = std::move(fresh);
    client_ca_ = std::move(client_ca);
  }
  spdlog::info("http: TLS certificate reloaded from {} (subject {})", options_.tls_cert_file,
               subject);
  return Status::Ok();
}

void Server::Impl::Stop() {
  if (stopping_.exchange(true)) return;
  if (options_.on_stopping) options_.on_stopping();
  net::post(acceptor_strand_, [this] {
    beast::error_code ec;
    acceptor_.close(ec);
    if (signals_) signals_->cancel(ec);
  });
  {
    std::lock_guard lock(connections_mutex_);
    for (auto& [id, state] : connections_) {
      // On the connection's strand, so `idle_since` is read in order with the session's own
      // steps: either the session is waiting (cancel it) or it will see stopping_ before waiting.
      // Captured by copy under its own name: clang before 16 cannot capture a structured binding.
      net::post(state->executor, [state = state] {
        if (state->idle_since.load() > 0 && state->cancel) state->cancel();
      });
    }
  }
  // Without the guard, run() returns in every thread once the last connection has ended.
  net::post(acceptor_strand_, [this] { guard_.reset(); });
}

void Server::Impl::Wait() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(threads_mutex_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
}

net::awaitable<void> Server::Impl::Listen() {
  net::steady_timer backoff(acceptor_strand_);
  while (!stopping_.load()) {
    auto [ec, accepted] = co_await acceptor_.async_accept(net::make_strand(ioc_), kTuple);
    if (ec) {
      if (stopping_.load() || ec == net::error::operation_aborted) co_return;
      // Out of descriptors and the like: pause rather than spin.
      spdlog::warn("http: accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(kTuple);
      continue;
    }
    auto state = std::make_shared<ConnectionState>();
    // The per-client cap first: a client over its cap must not make the global cap evict
    // another client's connection for a connection that is then refused anyway.
    if (options_.max_connections_per_client > 0) {
      beast::error_code peer_ec;
      const std::string peer = ClientKey(accepted.remote_endpoint(peer_ec).address());
      std::lock_guard lock(connections_mutex_);
      std::size_t& open = per_client_[peer];
      if (peer_ec || open >= options_.max_connections_per_client) {
        if (open == 0) per_client_.erase(peer);
        beast::error_code ignored;
        accepted.close(ignored);
        continue;
      }
      ++open;
      state->peer = peer;
    }
    // At the global cap, a connection waiting for a request makes room: silent connections
    // cannot lock out clients that have a request to send. The evicted one may still be
    // closing while the new one starts, so the count may pass the cap by the evictions under
    // way, each a connection that is ending.
    if (active_connections_.load() >= options_.max_connections && !EvictOldestIdle()) {
      ReleaseClientSlot(*state);
      beast::error_code ignored;
      accepted.close(ignored);
      continue;
    }
    tcp::socket socket(std::move(accepted));
    socket.set_option(tcp::no_delay(true), ec);
    state->executor = socket.get_executor();
    auto on_done = [](const std::exception_ptr& e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("http: connection failed: {}", ex.what());
      }
    };
    ++active_connections_;
    beast::tcp_stream stream(std::move(socket));
    std::shared_ptr<ssl::context> tls;
    {
      std::lock_guard lock(tls_mutex_);
      tls = tls_;
    }
    if (tls) {
      net::co_spawn(
          state->executor,
          Session<beast::ssl_stream<beast::tcp_stream>>(std::move(stream), std::move(tls), state),
          on_done);
    } else {
      net::co_spawn(state->executor, Session<beast::tcp_stream>(std::move(stream), nullptr, state),
                    on_done);
    }
  }
}

template <class Stream>
net::awaitable<void> Server::Impl::Session(beast::tcp_stream tcp, std::shared_ptr<ssl::context> tls,
                                           std::shared_ptr<ConnectionState> state) {
  // A local of the coroutine, so it is destroyed before the parameter `tls`: the SSL object
  // never outlives the context it was made from (OpenSSL's reference count would keep the
  // SSL_CTX alive anyway; this keeps the ssl::context itself alive too).
  Stream stream = [&]() -> Stream {
    if constexpr (kIsTls<Stream>) {
      return Stream(std::move(tcp), *tls);
    } else {
      (void)tls;
      return std::move(tcp);
    }
  }();
  uint64_t id;
  {
    std::lock_guard lock(connections_mutex_);
    id = next_connection_id_++;
    connections_.emplace(id, state);
  }
  auto& lowest = beast::get_lowest_layer(stream);
  state->cancel = [&lowest] { lowest.cancel(); };
  // Registered before this check, so a Stop that ran earlier is seen here and a later one
  // finds this connection in the table.
  bool run = !stopping_.load();

  beast::error_code ec;
  std::string remote = lowest.socket().remote_endpoint(ec).address().to_string();
  if (ec) run = false;

  if constexpr (kIsTls<Stream>) {
    // The ClientHello's first bytes come under idle_timeout like a request's, and the
    // connection is evictable meanwhile; the rest of the handshake has read_timeout.
    beast::flat_buffer hello;
    if (run) run = co_await AwaitFirstBytes(lowest, *state, hello);
    if (run) {
      lowest.expires_after(options_.read_timeout);
      auto [hs_ec, used] =
          co_await stream.async_handshake(ssl::stream_base::server, hello.data(), kTuple);
      (void)used;
      if (hs_ec) {
        spdlog::debug("http: TLS handshake with {} failed: {}", remote, hs_ec.message());
        run = false;
      } else {
        state->tls_certificate = PeerCertificate(stream.native_handle());
      }
    }
  }

  if (run) {
    beast::flat_buffer buffer;
    while (co_await Serve(stream, *state, buffer, remote)) {
    }
  }

  state->cancel = nullptr;
  {
    std::lock_guard lock(connections_mutex_);
    connections_.erase(id);
  }
  ReleaseClientSlot(*state);
  lowest.close();
  --active_connections_;
}

template <class ReadStream>
net::awaitable<bool> Server::Impl::AwaitFirstBytes(ReadStream& stream, ConnectionState& state,
                                                   beast::flat_buffer& buffer) {
  auto& lowest = beast::get_lowest_layer(stream);
  // Never kBusy nor kEvicted, whatever the clock's epoch.
  state.idle_since.store(std::max<int64_t>(1, Clock::now().time_since_epoch().count()));
  lowest.expires_after(options_.idle_timeout);
  auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kTuple);
  // Bytes that arrive after the listener claimed the connection are not served: the listener
  // has already counted the connection as gone.
  const bool evicted = state.idle_since.exchange(kBusy) == kEvicted;
  if (ec || evicted) co_return false;  // closed, timed out, cancelled: nothing to answer
  buffer.commit(n);
  co_return true;
}

bool Server::Impl::EvictOldestIdle() {
  std::lock_guard lock(connections_mutex_);
  // A candidate that begins a request meanwhile wins the swap; then the next oldest is tried.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::shared_ptr<ConnectionState> oldest;
    int64_t since = 0;
    for (const auto& [id, state] : connections_) {
      const int64_t t = state->idle_since.load();
      if (t > 0 && (oldest == nullptr || t < since)) {
        oldest = state;
        since = t;
      }
    }
    if (oldest == nullptr) return false;
    if (oldest->idle_since.compare_exchange_strong(since, kEvicted)) {
      const net::any_io_executor executor = oldest->executor;
      net::post(executor, [state = std::move(oldest)] {
        if (state->cancel) state->cancel();
      });
      return true;
    }
  }
  return false;
}

void Server::Impl::ReleaseClientSlot(const ConnectionState& state) {
  if (state.peer.empty()) return;
  std::lock_guard lock(connections_mutex_);
  auto it = per_client_.find(state.peer);
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

template <class Stream>
net::awaitable<void> Server::Impl::Close(Stream& stream, bool drain) {
  auto& lowest = beast::get_lowest_layer(stream);
  beast::error_code ec;
  if constexpr (kIsTls<Stream>) {
    // close_notify tells the client the answer is complete (no truncation attack).
    lowest.expires_after(kLingerTime);
    co_await stream.async_shutdown(kTuple);
    (void)drain;
  } else {
    lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (drain) {
      lowest.expires_after(std::min<Clock::duration>(kLingerTime, options_.read_timeout));
      char scratch[4096];
      std::size_t drained = 0;
      while (drained < kMaxDrainBytes) {
        auto [read_ec, n] = co_await lowest.async_read_some(net::buffer(scratch), kTuple);
        if (read_ec) break;
        drained += n;
      }
    }
  }
  lowest.close();
}

net::awaitable<Response> Server::Impl::AwaitLater(std::function<void(Response::Resume)> start,
                                                  const std::string& ecid, std::string_view route) {
  try {
    Response::Finish finish =
        co_await net::async_initiate<decltype(net::use_awaitable), void(Response::Finish)>(
            [&start](auto handler) {
              // A Resume is a copyable std::function; the completion handler is move-only.
              auto shared = std::make_shared<decltype(handler)>(std::move(handler));
              start([shared](Response::Finish f) {
                // Back to this connection's strand, whichever thread resumes.
                const auto executor = net::get_associated_executor(*shared);
                net::post(executor, [shared, f = std::move(f)]() mutable {
                  std::move (*shared)(std::move(f));
                });
              });
            },
            net::use_awaitable);
    co_return finish();
  } catch (const std::exception& ex) {
    spdlog::error("http: ecid={} route={} handler threw: {}", ecid, route, LogValue(ex.what()));
  } catch (...) {
    spdlog::error("http: ecid={} route={} handler threw a non-exception", ecid, route);
  }
  co_return Response::Json(500, ErrorBody("server_error", "", ecid));
}

template <class Stream>
net::awaitable<bool> Server::Impl::Send(Stream& stream, const Response& response,
                                        const std::string& ecid, unsigned version, bool keep_alive,
                                        bool head) {
  bhttp::response<bhttp::string_body> res;
  res.version(version);
  int status = response.status;
  if (status < 200 || status > 999) {
    spdlog::error("http: ecid={} handler returned invalid status {}", ecid, status);
    status = 500;
  }
  res.result(static_cast<unsigned>(status));
  if (!response.content_type.empty() && SafeHeaderText(response.content_type)) {
    res.set(bhttp::field::content_type, response.content_type);
  }
  for (const auto& [name, value] : response.headers) {
    // A proxied answer may carry the upstream's request id: ours replaces it without a warning.
    if (IEquals(name, kRequestIdHeader) || IEquals(name, kEcidHeader)) continue;
    if (name.empty() || !SafeHeaderText(name) || !SafeHeaderText(value) ||
        name.find_first_of(": \t") != std::string::npos || ServerOwnedHeader(name)) {
      spdlog::warn("http: ecid={} dropped response header {}", ecid, LogValue(name, 64));
      continue;
    }
    res.insert(name, value);
  }
  res.set(kEcidHeader, ecid);
  res.set(kRequestIdHeader, ecid);
  res.keep_alive(keep_alive);
  if (head && status != 204 && status != 304) {
    // RFC 9110 8.6: a Content-Length in the answer to HEAD must be the length a GET would get.
    res.content_length(response.body.size());
  } else {
    if (status != 204 && status != 304) res.body() = response.body;
    res.prepare_payload();
  }
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(options_.read_timeout);
  auto [ec, n] = co_await bhttp::async_write(stream, res, kTuple);
  co_return !ec;
}

void Server::Impl::Record(std::string_view ecid, std::string_view method, std::string_view route,
                          int status, Clock::time_point start, std::string_view remote) {
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (metrics_ != nullptr) {
    std::string_view m = MethodLabel(method);
    metrics_->Increment("tessera_http_requests_total", {{"route", std::string(route)},
                                                        {"method", std::string(m)},
                                                        {"status", std::to_string(status)}});
    metrics_->Observe("tessera_http_request_duration_seconds",
                      {{"route", std::string(route)}, {"method", std::string(m)}}, seconds);
  }
  if (options_.access_log) {
    spdlog::info("http ecid={} method={} route={} status={} duration_ms={:.3f} remote={}", ecid,
                 LogValue(method, 16), route, status, seconds * 1000, remote);
  }
}

template <class Stream>
net::awaitable<bool> Server::Impl::Serve(Stream& stream, ConnectionState& state,
                                         beast::flat_buffer& buffer, const std::string& remote) {
  std::optional<RoutedRequest> routed = co_await ReadRequest(stream, state, buffer, remote);
  if (!routed) co_return false;
  co_return co_await Dispatch(stream, std::move(*routed), remote);
}

template <class Stream>
net::awaitable<std::optional<RoutedRequest>> Server::Impl::ReadRequest(Stream& stream,
                                                                       ConnectionState& state,
                                                                       beast::flat_buffer& buffer,
                                                                       const std::string& remote) {
  auto& lowest = beast::get_lowest_layer(stream);
  if (stopping_.load()) co_return std::nullopt;

  // Wait for the first byte separately, under idle_timeout (for the first request as for the
  // next ones): a silent connection is dropped soon, and afterwards the whole header must
  // arrive within read_timeout.
  if (buffer.size() == 0 && !co_await AwaitFirstBytes(stream, state, buffer)) {
    co_return std::nullopt;
  }

  // Until the header is read (a request too malformed to have one keeps this id).
  std::string ecid = RandomToken(kEcidBytes);
  // Answers a refused request and closes the connection.
  auto fail = [&](int status, std::string_view error, std::string_view description,
                  std::string_view method, std::string_view route) -> net::awaitable<void> {
    Clock::time_point start = Clock::now();
    Response r = Response::Json(status, ErrorBody(error, description, ecid));
    co_await Send(stream, r, ecid, kHttp11, /*keep_alive=*/false);
    Record(ecid, method, route, status, start, remote);
    co_await Close(stream, /*drain=*/true);
  };

  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(
      static_cast<std::uint32_t>(std::min<std::size_t>(options_.max_header_bytes, UINT32_MAX)));
  // No body limit yet: Beast would otherwise judge a declared Content-Length while parsing
  // the header, before the route (and so the right limit) is known.
  parser.body_limit(boost::none);
  lowest.expires_after(options_.read_timeout);
  {
    auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
    if (ec == bhttp::error::header_limit) {
      co_await fail(431, "invalid_request", "request header fields too large", "-", "-");
      co_return std::nullopt;
    }
    if (IsParseError(ec)) {
      co_await fail(400, "invalid_request", "malformed HTTP request", "-", "-");
      co_return std::nullopt;
    }
    if (ec) co_return std::nullopt;  // timeout (the socket is closed), reset, or end of stream
  }

  const auto& header = parser.get();
  // Contract section 8: a well-formed X-Request-Id (sent once) becomes the request's ecid, so the
  // caller's id appears in our log and answers; anything else is ignored.
  if (header.count(kRequestIdHeader) == 1) {
    if (std::string_view id = header[kRequestIdHeader]; ValidRequestId(id)) ecid = std::string(id);
  }
  std::string method(header.method_string());
  std::string target = OriginForm(std::string(header.target()));

  // Beast frames a request whose Transfer-Encoding does not end in chunked as bodiless, which
  // would let the body pass for a second request; the rest it accepts too leniently as well.
  if (std::optional<FramingProblem> problem = CheckFraming(header)) {
    co_await fail(problem->status, "invalid_request", problem->description, method, "-");
    co_return std::nullopt;
  }

  std::size_t qmark = target.find('?');
  std::string path = target.substr(0, qmark);
  Router::Match match = router_.Find(method, path);
  const bool found = match.kind == Router::Match::Kind::kFound;
  std::string route = found ? match.pattern : "unmatched";
  std::size_t limit =
      std::min(found ? match.options.max_body_bytes : kUnmatchedBodyLimit, options_.max_body_bytes);

  if (auto length = parser.content_length(); length && *length > limit) {
    co_await fail(413, "invalid_request", "request body too large", method, route);
    co_return std::nullopt;
  }

  if (!parser.is_done()) {
    if (auto expect = header.find(bhttp::field::expect);
        expect != header.end() && IEquals(expect->value(), "100-continue")) {
      bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, header.version()};
      lowest.expires_after(options_.read_timeout);
      auto [ec, n] = co_await bhttp::async_write(stream, go_on, kTuple);
      if (ec) co_return std::nullopt;
    }
    parser.body_limit(limit);
    lowest.expires_after(options_.read_timeout);
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
    if (ec == bhttp::error::body_limit) {
      co_await fail(413, "invalid_request", "request body too large", method, route);
      co_return std::nullopt;
    }
    if (IsParseError(ec)) {
      co_await fail(400, "invalid_request", "malformed HTTP request body", method, route);
      co_return std::nullopt;
    }
    if (ec) co_return std::nullopt;
  }

  RoutedRequest routed;
  routed.start = Clock::now();
  bhttp::request<bhttp::string_body> message = parser.release();
  routed.keep_alive = message.keep_alive();
  routed.version = message.version();
  routed.match = std::move(match);
  routed.route = std::move(route);

  Request& request = routed.request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.path = std::move(path);
  if (qmark != std::string::npos) request.query = request.target.substr(qmark + 1);
  request.headers.reserve(std::distance(message.begin(), message.end()));
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.remote_address = remote;
  request.ecid = std::move(ecid);
  request.tls = kIsTls<Stream>;
  if (std::optional<std::string_view> problem = TakeClientCertificate(request, state)) {
    co_await fail(400, "invalid_request", *problem, request.method, routed.route);
    co_return std::nullopt;
  }
  co_return routed;
}

std::optional<std::string_view> Server::Impl::TakeClientCertificate(Request& request,
                                                                    const ConnectionState& state) {
  request.client_certificate = state.tls_certificate;
  if (client_cert_header_.empty()) return std::nullopt;
  // Another spelling ("X_SSL_Client_Cert", read as the header by CGI-style upstreams that map
  // '_' to '-') is dropped too, and never counts: a proxy overwrites only its own spelling, so
  // that one could come from the client, with anybody's (public) certificate in it.
  auto same_name = [this](std::string_view name) {
    return name.size() == client_cert_header_.size() &&
           std::equal(name.begin(), name.end(), client_cert_header_.begin(),
                      [](char a, char b) { return (a == '_' ? '-' : a) == (b == '_' ? '-' : b); });
  };
  std::vector<std::string> values;
  bool other_spelling = false;
  std::erase_if(request.headers, [&](std::pair<std::string, std::string>& field) {
    if (!same_name(field.first)) return false;
    if (field.first == client_cert_header_) {
      values.push_back(std::move(field.second));
    } else {
      other_spelling = true;
    }
    return true;
  });
  if (other_spelling) {
    spdlog::warn("http: ecid={} dropped a client certificate header spelled otherwise from {}",
                 request.ecid, request.remote_address);
  }
  if (!InAnyNetwork(trusted_proxies_, request.remote_address)) {
    // Never trusted: the connection's own certificate stays the client's.
    if (!values.empty()) {
      spdlog::warn(
          "http: ecid={} ignored the client certificate header from {}, not a trusted "
          "proxy",
          request.ecid, request.remote_address);
    }
    return std::nullopt;
  }
  // From the proxy, the connection's certificate is the proxy's own, never the client's.
  request.client_certificate = {};
  if (values.empty()) return std::nullopt;
  if (values.size() > 1) return "client certificate header repeated";
  Result<std::string> der = DecodeForwardedCertificate(values.front());
  if (!der.ok()) {
    if (der.status().code() == StatusCode::kNotFound) return std::nullopt;  // none presented
    spdlog::warn("http: ecid={} trusted proxy {} sent a malformed client certificate: {}",
                 request.ecid, request.remote_address, der.status().message());
    return "malformed client certificate header";
  }
  std::shared_ptr<const ClientCa> client_ca;
  {
    std::lock_guard lock(tls_mutex_);
    client_ca = client_ca_;
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  request.client_certificate.chained = client_ca != nullptr && client_ca->Chains(*der, {}, now);
  request.client_certificate.der = std::move(der).value();
  request.client_certificate.forwarded = true;
  return std::nullopt;
}

template <class Stream>
net::awaitable<bool> Server::Impl::Dispatch(Stream& stream, RoutedRequest routed,
                                            const std::string& remote) {
  Request& request = routed.request;
  const std::string& ecid = request.ecid;
  const std::string& route = routed.route;

  // Work a handler defers runs after what this thread already has queued: the requests read
  // meanwhile are handled first (and can join, for instance, one batched store write).
  request.defer = [this](std::function<void()> work) { net::post(ioc_, std::move(work)); };

  Response response;
  try {
    response = router_.Invoke(std::move(routed.match), request);
  } catch (const std::exception& ex) {
    spdlog::error("http: ecid={} route={} handler threw: {}", ecid, route, LogValue(ex.what()));
    response = Response::Json(500, ErrorBody("server_error", "", ecid));
  } catch (...) {
    spdlog::error("http: ecid={} route={} handler threw a non-exception", ecid, route);
    response = Response::Json(500, ErrorBody("server_error", "", ecid));
  }

  if (response.later) response = co_await AwaitLater(std::move(response.later), ecid, route);

  const bool again = routed.keep_alive && !stopping_.load();
  bool written =
      co_await Send(stream, response, ecid, routed.version, again, request.method == "HEAD");
  Record(ecid, request.method, route, response.status, routed.start, remote);
  if (!written) co_return false;
  if (!again) {
    co_await Close(stream, /*drain=*/false);
    co_return false;
  }
  co_return true;
}

Server::Server(ServerOptions options, Router router, Metrics* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router), metrics)) {}

Server::~Server() {
  // Stop and Wait throw only when the process cannot go on (an on_stopping hook that throws, a
  // thread that cannot be joined), and the threads would outlive impl_: terminate, as an
  // exception leaving the destructor would (the handler still reports the exception).
  try {
    Stop();
    Wait();
  } catch (...) {
    std::terminate();
  }
}

Status Server::Bind() { return impl_->Bind(); }
Status Server::Start() { return impl_->Start(); }
Status Server::ReloadTls() { return impl_->ReloadTls(); }
uint16_t Server::port() const { return impl_->port(); }
void Server::Stop() { impl_->Stop(); }
void Server::Wait() { impl_->Wait(); }

}  // namespace tessera::http
