#include "verifier/gateway.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>
#include <string_view>
#include <vector>

#include "common/http_client.h"
#include "common/log_value.h"
#include "verifier/upstream_pool.h"

namespace tessera::gateway {
namespace {

constexpr std::size_t kMaxUpstreamBody = 16 * 1024 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A field name as the gateway compares it: lower case, '_' as '-'. CGI and WSGI servers (and
// the frameworks on them) turn both "X-Tessera-Subject" and "X_Tessera_Subject" into
// HTTP_X_TESSERA_SUBJECT, so a name is dropped if either spelling is one the gateway owns.
std::string Canonical(std::string_view name) {
  std::string out = Lower(name);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

// Fields the gateway sets itself or that carry a claim about who the client is or where the
// request came from, which only the gateway may make: the identity headers (every
// X-Tessera-*), and the forwarding ones (RFC 7239 Forwarded, every X-Forwarded-*, X-Real-IP).
bool IsGatewayOwned(const std::string& canonical_name) {
  return canonical_name.rfind("x-tessera-", 0) == 0 ||
         canonical_name.rfind("x-forwarded-", 0) == 0 || canonical_name == "forwarded" ||
         canonical_name == "x-real-ip";
}

bool IsHopByHop(const std::string& lower_name) {
  static const std::set<std::string> kNames = {"connection",
                                               "keep-alive",
                                               "proxy-authenticate",
                                               "proxy-authorization",
                                               "proxy-connection",
                                               "te",
                                               "trailer",
                                               "transfer-encoding",
                                               "upgrade"};
  return kNames.count(lower_name) > 0;
}

// RFC 6750 3: error_description is %x20-21 / %x23-5B / %x5D-7E: no quote, no backslash.
std::string HeaderSafe(std::string_view s) {
  std::string out;
  for (char c : s) {
    out += (c == '"' || c == '\\' || c < 0x20 || c > 0x7e) ? '\'' : c;
  }
  return out;
}

// The answer to a refused request: the status, the challenges and a JSON body naming the
// error of the first challenge (RFC 6750 3, RFC 9449 7.1). The detail goes to the log only.
http::Response Refuse(const verifier::Admission& a) {
  const verifier::VerifyReason why = verifier::ReasonOf(a.status);
  const std::string description(verifier::ReasonText(why));
  if (a.http_status == 503) {
    return http::Response::Json(503, R"({"error":"temporarily_unavailable","error_description":)" +
                                         http::JsonQuote(description) + "}")
        .AddHeader("Retry-After", "5");
  }
  const std::string error = a.error.empty() ? "invalid_token" : a.error;
  http::Response r =
      http::Response::Json(a.http_status, R"({"error":")" + error + R"(","error_description":)" +
                                              http::JsonQuote(HeaderSafe(description)) + "}");
  // One field holding every challenge (RFC 9110 11.6.1 allows a list), so that a client which
  // reads one WWW-Authenticate field sees the Bearer error and the DPoP offer alike.
  std::string challenges;
  for (const std::string& c : a.challenges) challenges += (challenges.empty() ? "" : ", ") + c;
  if (!challenges.empty()) r.AddHeader("WWW-Authenticate", std::move(challenges));
  if (!a.dpop_nonce.empty()) r.AddHeader("DPoP-Nonce", a.dpop_nonce);
  return r;
}

// The DER of the client certificate of this request's connection (or of a trusted proxy's
// header), for certificate-bound tokens (RFC 8705 3); nullopt when there is none. Whether it
// chains to a CA does not matter here: the token names the certificate by its thumbprint.
std::optional<std::string_view> ClientCertificateDer(const http::Request& req) {
  if (req.client_certificate.der.empty()) return std::nullopt;
  return req.client_certificate.der;
}

// The answer to the client for the upstream's `answer` to a request for `url`.
http::Response Relay(Result<HttpClientAnswer> answer, const std::string& url,
                     const std::string& ecid) {
  if (!answer.ok()) {
    spdlog::warn("gateway: ecid={} upstream {} failed: {}", ecid, LogValue(url),
                 answer.status().message());
    switch (HttpClientErrorOf(answer.status())) {
      case HttpClientError::kNoHandle:
        return http::Response::Json(500, R"({"error":"server_error"})");
      case HttpClientError::kTimeout:
        return http::Response::Json(504, R"({"error":"upstream_timeout"})");
      default:
        return http::Response::Json(502, R"({"error":"bad_gateway"})");
    }
  }
  http::Response out;
  out.status = static_cast<int>(answer->status);
  out.content_type.clear();  // none unless the upstream sent one
  for (auto& [name, value] : answer->headers) {
    const std::string lower = Lower(name);
    if (IsHopByHop(lower) || lower == "content-length") continue;
    // The server writes Content-Type from its own field and drops the header from the list.
    // RFC 9110 8.3: one value; a second field is not the sender's intent to merge, so the first
    // one wins.
    if (lower == "content-type") {
      if (out.content_type.empty()) out.content_type = std::move(value);
      continue;
    }
    out.headers.emplace_back(std::move(name), std::move(value));
  }
  out.body = std::move(answer->body);
  return out;
}

// Every upstream thread busy and the queue full: the client may retry in a moment.
http::Response UpstreamBusy() {
  return http::Response::Json(
             503, R"({"error":"temporarily_unavailable",)"
                  R"("error_description":"too many requests waiting for the upstream"})")
      .AddHeader("Retry-After", "1");
}

class Proxy {
 public:
  Proxy(verifier::Verifier verifier, GatewayOptions options)
      : verifier_(std::move(verifier)),
        o_(std::move(options)),
        pool_(std::make_shared<UpstreamPool>(o_.max_upstream_requests, o_.max_queued_upstream)) {
    while (!o_.upstream.empty() && o_.upstream.back() == '/') o_.upstream.pop_back();
    while (!o_.public_url.empty() && o_.public_url.back() == '/') o_.public_url.pop_back();
  }

  http::Response Handle(http::Request& req) const {
    // Before the token: a path that would leave the upstream's base is malformed whoever sends
    // it, and refusing it first keeps it out of every later step.
    Result<std::string> path = UpstreamPath(req.path);
    if (!path.ok()) {
      spdlog::info("gateway: ecid={} {} refused: {}", req.ecid, req.method,
                   path.status().message());
      return http::Response::Json(400, R"({"error":"invalid_request","error_description":)" +
                                           http::JsonQuote(path.status().message()) + "}");
    }
    // The URL the client addressed, for the DPoP htu (RFC 9449 4.3 item 9): the configured
    // public URL, else this connection's scheme and the Host the client sent.
    std::string url;
    if (!o_.public_url.empty()) {
      url = o_.public_url + req.path;
    } else {
      const std::optional<std::string_view> host = req.Header("host");
      if (!host || host->empty() || req.HeaderCount("host") > 1) {
        return http::Response::Json(
            400,
            R"({"error":"invalid_request","error_description":"one Host header is required"})");
      }
      url = std::string(req.tls ? "https://" : "http://").append(*host).append(req.path);
    }
    verifier::ResourceRequest resource;
    resource.method = req.method;
    resource.url = url;
    // Repeated Authorization fields are combined as a list (RFC 9110 5.3), which the
    // credentials syntax does not allow: refused, whichever one the upstream would read.
    std::string authorization;
    for (const auto& [name, value] : req.headers) {
      if (name == "authorization") authorization += (authorization.empty() ? "" : ", ") + value;
      if (name == "dpop") resource.dpop_proofs.emplace_back(value);
    }
    resource.authorization = authorization;
    resource.client_certificate_der = ClientCertificateDer(req);
    verifier::Admission admission = verifier_.VerifyRequest(resource);
    if (!admission.ok()) {
      spdlog::warn("gateway: ecid={} {} {} refused: {}", req.ecid, LogValue(req.method),
                   LogValue(req.path), LogValue(admission.status.message()));
      return Refuse(admission);
    }
    return Forward(req, admission.principal, *path);
  }

 private:
  http::Response Forward(http::Request& req, const verifier::Principal& who,
                         const std::string& path) const {
    // The call and what it points into (the body) live with the job: the request's own storage
    // is the server's.
    struct Job {
      HttpClientRequest upstream;
      std::string body;
    };
    auto job = std::make_shared<Job>();
    HttpClientRequest& upstream = job->upstream;
    upstream.method = req.method;
    upstream.url = o_.upstream + path + (req.query.empty() ? std::string() : "?" + req.query);
    // Fields named by Connection are hop-by-hop too (RFC 9110 7.6.1). The request's names are
    // lower case already.
    std::set<std::string> dropped;
    for (const auto& [name, value] : req.headers) {
      if (name != "connection") continue;
      std::string_view rest = value;
      while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        std::string token(rest.substr(0, comma));
        token.erase(0, token.find_first_not_of(" \t"));
        token.erase(token.find_last_not_of(" \t") + 1);
        if (!token.empty()) dropped.insert(Canonical(token));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
    auto add = [&upstream](std::string line) { upstream.headers.push_back(std::move(line)); };
    for (const auto& [name, value] : req.headers) {
      const std::string canonical = Canonical(name);
      if (IsHopByHop(canonical) || dropped.count(canonical) > 0 || canonical == "host" ||
          canonical == "content-length" || canonical == "expect" || IsGatewayOwned(canonical)) {
        continue;
      }
      if (value.empty()) {
        add(name + ";");  // curl's syntax for a field with an empty value
      } else {
        add(std::string(name).append(": ").append(value));
      }
    }
    // Identity from the verified token only; values are header-safe by construction of JSON
    // strings minus control characters.
    add("X-Tessera-Subject: " + HeaderSafe(who.subject));
    add("X-Tessera-Scope: " + HeaderSafe(who.scope));
    if (!who.client_id.empty()) add("X-Tessera-Client-Id: " + HeaderSafe(who.client_id));
    add("X-Forwarded-For: " + req.remote_address);
    add(std::string("X-Forwarded-Proto: ") + (req.tls ? "https" : "http"));
    add("Expect:");  // no 100-continue round trip
    if (req.method != "HEAD" && (req.method != "GET" || !req.body.empty())) {
      job->body = std::move(req.body);  // the server has no use for it after the handler
      upstream.body = job->body;
    }
    upstream.timeout_seconds = o_.upstream_timeout_seconds;
    upstream.connect_timeout_seconds = std::min(o_.upstream_timeout_seconds, 10L);
    upstream.max_body_bytes = kMaxUpstreamBody;
    upstream.max_redirects = 0;  // redirects go back to the client
    // Answered later (http::Response::Later): the call runs on the pool, and the server's thread
    // is free until the answer is relayed.
    return http::Response::Later([pool = pool_, job,
                                  ecid = req.ecid](const http::Response::Resume& resume) {
      auto call = [job, ecid, resume]() -> std::function<void()> {
        // One client per pool thread: it keeps its connections, so requests reuse keep-alive
        // connections to the upstream instead of paying a TCP handshake each.
        static thread_local HttpClient client;
        auto answer = std::make_shared<Result<HttpClientAnswer>>(client.Perform(job->upstream));
        // Relayed once this thread is idle again (UpstreamPool::Call), so the client's next
        // request comes back to it and its connection.
        return [answer, job, ecid, resume] {
          resume(
              [answer, job, ecid] { return Relay(std::move(*answer), job->upstream.url, ecid); });
        };
      };
      if (!pool->Submit(std::move(call))) {
        spdlog::warn("gateway: ecid={} refused: too many requests waiting for the upstream", ecid);
        resume(UpstreamBusy);
      }
    });
  }

  verifier::Verifier verifier_;
  GatewayOptions o_;
  std::shared_ptr<UpstreamPool> pool_;
};

// Whether `piece` is "." (dots == 1) or ".." (dots == 2), with "%2e" and "%2E" as '.': RFC
// 3986 6.2.2.2, percent-encoded unreserved characters are the characters themselves.
bool IsDotSegment(std::string_view piece, int dots) {
  int seen = 0;
  while (!piece.empty()) {
    if (piece.front() == '.') {
      piece.remove_prefix(1);
    } else if (piece.size() >= 3 && piece[0] == '%' && piece[1] == '2' &&
               (piece[2] == 'e' || piece[2] == 'E')) {
      piece.remove_prefix(3);
    } else {
      return false;
    }
    if (++seen > dots) return false;
  }
  return seen == dots;
}

// Whether a segment, cut at its encoded slashes and backslashes, has a dot segment among the
// pieces: "..%2Fadmin" is harmless to a server that keeps %2F as data, a traversal to one that
// decodes it first.
bool HidesDotSegment(std::string_view segment) {
  std::size_t start = 0;
  for (std::size_t i = 0; i <= segment.size(); ++i) {
    const bool cut =
        i == segment.size() ||
        (i + 3 <= segment.size() && segment[i] == '%' &&
         ((segment[i + 1] == '2' && (segment[i + 2] == 'f' || segment[i + 2] == 'F')) ||
          (segment[i + 1] == '5' && (segment[i + 2] == 'c' || segment[i + 2] == 'C'))));
    if (!cut) continue;
    const std::string_view piece = segment.substr(start, i - start);
    if (IsDotSegment(piece, 1) || IsDotSegment(piece, 2)) return true;
    start = i + 3;
    i += 2;
  }
  return false;
}

}  // namespace

Result<std::string> UpstreamPath(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return Status::InvalidArgument("the path must start with '/'");
  }
  if (path.find('\\') != std::string_view::npos) {
    return Status::InvalidArgument("a backslash in the path");
  }
  // RFC 3986 5.2.4 remove_dot_segments over whole segments: a "." is dropped, a ".." drops
  // the segment before it, and a final dot segment leaves the path ending in '/' ("/a/b/.."
  // is "/a/"). Empty segments are segments like any other.
  std::vector<std::string_view> out;
  std::string_view rest = path.substr(1);
  while (true) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    const bool last = slash == std::string_view::npos;
    if (IsDotSegment(segment, 1) || IsDotSegment(segment, 2)) {
      if (IsDotSegment(segment, 2)) {
        if (out.empty()) return Status::InvalidArgument("the path leaves the upstream's base path");
        out.pop_back();
      }
      if (last) out.emplace_back();
    } else {
      if (HidesDotSegment(segment)) {
        return Status::InvalidArgument("a dot segment between encoded slashes in the path");
      }
      out.push_back(segment);
    }
    if (last) break;
    rest.remove_prefix(slash + 1);
  }
  std::string normal;
  normal.reserve(path.size());
  for (std::string_view segment : out) {
    normal += '/';
    normal += segment;
  }
  return normal.empty() ? std::string("/") : normal;
}

Status AddGatewayRoutes(http::Router& router, const verifier::Verifier& verifier,
                        const GatewayOptions& options) {
  if (options.upstream.rfind("http://", 0) != 0 && options.upstream.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("the upstream must be an http:// or https:// URL, not \"" +
                                   options.upstream + "\"");
  }
  if (!options.public_url.empty() && options.public_url.rfind("http://", 0) != 0 &&
      options.public_url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("the public URL must be an http:// or https:// URL, not \"" +
                                   options.public_url + "\"");
  }
  if (options.max_upstream_requests < 1) {
    return Status::InvalidArgument("at least one upstream request must be allowed in flight");
  }
  auto proxy = std::make_shared<const Proxy>(verifier, options);
  http::Handler handler = [proxy](http::Request& req) { return proxy->Handle(req); };
  const http::RouteOptions route{.max_body_bytes = options.max_body_bytes};
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    router.Add(method, "/{*path}", handler, route);
  }
  return Status::Ok();
}

}  // namespace tessera::gateway
