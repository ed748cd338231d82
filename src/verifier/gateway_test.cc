// The gateway's request and answer rewriting, over real loopback sockets: a JWK Set server, an
// upstream that records what reached it, and the gateway's routes on tessera's HTTP server.
#include "verifier/gateway.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/server.h"
#include "jose/json.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/keyio.h"
#include "tessera/client.h"

namespace tessera::gateway {
namespace {

using jose::Json;

template <typename T>
T Must(Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

const jose::Key& SigningKey() {
  static const jose::Key k = Must(jose::GenerateKey(jose::KeyType::kEc, 256));
  return k;
}

std::unique_ptr<http::Server> Serve(http::Router router, int threads = 2) {
  auto server = std::make_unique<http::Server>(
      http::ServerOptions{.host = "127.0.0.1", .port = 0, .threads = threads, .access_log = false},
      std::move(router));
  EXPECT_TRUE(server->Start().ok());
  return server;
}

std::string Base(const http::Server& s) { return "http://127.0.0.1:" + std::to_string(s.port()); }

struct Answer {
  long status = 0;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

size_t Collect(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t CollectHeader(char* data, size_t size, size_t count, void* user) {
  std::string line(data, size * count);
  const std::size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of("\r\n ") + 1);
    static_cast<Answer*>(user)->headers.emplace(name, value);
  }
  return size * count;
}

Answer Send(const std::string& url, const std::string& method,
            const std::vector<std::string>& headers, const std::string& body = "") {
  Answer a;
  CURL* c = curl_easy_init();
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);  // send "/../" and "/./" as written
  if (method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &a.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &CollectHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &a);
  EXPECT_EQ(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
  return a;
}

// An upstream on a raw socket: it keeps each request's header block exactly as it arrived
// (names in the sender's spelling, underscores and all, as a CGI or WSGI server would read
// them) and answers 200 "ok", closing the connection after it or, with `keep_alive`, keeping
// it for the next request. Counts the connections it accepted. Serves until destroyed.
class RawUpstream {
 public:
  explicit RawUpstream(bool keep_alive = false) : keep_alive_(keep_alive) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 64), 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~RawUpstream() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> heads() {
    std::lock_guard lock(mu_);
    return heads_;
  }
  int accepted() const { return accepted_; }

 private:
  // One loop over the listening socket and every open connection (requests without a body).
  void Run() {
    std::map<int, std::string> open;  // connection -> bytes read and not yet answered
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (const auto& [c, data] : open) fds.push_back({c, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if ((fds[0].revents & POLLIN) != 0) {
        if (const int c = ::accept(fd_, nullptr, nullptr); c >= 0) {
          open[c];
          ++accepted_;
        }
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        const int c = fds[i].fd;
        char buf[4096];
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        std::string& data = open[c];
        if (n > 0) data.append(buf, static_cast<std::size_t>(n));
        const std::size_t end = data.find("\r\n\r\n");
        if (n <= 0 || end == std::string::npos) {
          if (n <= 0) {
            ::close(c);
            open.erase(c);
          }
          continue;
        }
        {
          std::lock_guard lock(mu_);
          heads_.push_back(data.substr(0, end));
        }
        data.erase(0, end + 4);
        const std::string answer = std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n") +
                                   (keep_alive_ ? "" : "Connection: close\r\n") + "\r\nok";
        ::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
        if (!keep_alive_) {
          ::close(c);
          open.erase(c);
        }
      }
    }
    for (const auto& [c, data] : open) ::close(c);
  }

  const bool keep_alive_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<std::string> heads_;
  std::thread thread_;
};

// The header lines of a raw header block, as (name as sent, value), request line left out.
std::vector<std::pair<std::string, std::string>> Fields(const std::string& head) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t pos = head.find("\r\n");
  while (pos != std::string::npos) {
    const std::size_t next = head.find("\r\n", pos + 2);
    const std::string line =
        head.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      out.emplace_back(line.substr(0, colon), value);
    }
    pos = next;
  }
  return out;
}

// A header name as CGI/WSGI servers see it: case-blind, '_' and '-' alike.
std::string Cgi(std::string name) {
  for (char& c : name) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return name;
}

TEST(UpstreamPathTest, RemovesDotSegmentsAndRefusesLeavingTheBase) {
  const std::pair<std::string, std::string> kept[] = {
      {"/", "/"},
      {"/a/b", "/a/b"},
      {"/a//b/", "/a//b/"},
      {"/a%2Fb/c%2f", "/a%2Fb/c%2f"},
      {"/a/./b/../c", "/a/c"},
      {"/a/b/..", "/a/"},
      {"/a/.", "/a/"},
      {"/a/%2e/b/%2E%2e/c", "/a/c"},
      {"/a/.%2E/b", "/b"},
      {"/a//../b", "/a/b"},
      {"/..a/b..", "/..a/b.."},
      {"/a/...", "/a/..."},
      {"/a%2F.b", "/a%2F.b"},
  };
  for (const auto& [in, out] : kept) {
    Result<std::string> r = UpstreamPath(in);
    ASSERT_TRUE(r.ok()) << in << ": " << r.status().ToString();
    EXPECT_EQ(*r, out) << in;
  }
  for (const char* refused :
       {"/..", "/../internal", "/a/../../internal", "/%2e%2e/internal", "/%2E%2E/internal",
        "/.%2e/internal", "/%2E./internal", "/a/%2e%2e/%2e%2e", "/..%2Finternal",
        "/a/..%2f..%2finternal", "/a%2F..%2Fb", "/..%5Cinternal", "/a%5c.%5cb", "/a\\..\\b",
        "/a\\b", "a/b", ""}) {
    EXPECT_FALSE(UpstreamPath(refused).ok()) << refused;
  }
}

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string jwks = jose::DumpCompact(
        {{"keys", {Must(jose::PublicJwk(Must(SigningKey().PublicKey()), "k1"))}}});
    http::Router jwks_router;
    jwks_router.Add("GET", "/jwks",
                    [jwks](http::Request&) { return http::Response::Json(200, jwks); });
    jwks_server_ = Serve(std::move(jwks_router));

    http::Router upstream_router;
    auto record = [this](http::Request& req) {
      std::lock_guard lock(mu_);
      seen_ = req;
      http::Response r = http::Response::Text(299, "from upstream");
      r.AddHeader("X-Upstream", "yes").AddHeader("Keep-Alive", "timeout=5");
      return r;
    };
    for (const char* m : {"GET", "POST", "PUT", "HEAD"}) {
      upstream_router.Add(m, "/base/a/b", record);
    }
    upstream_router.Add("GET", "/base/{*rest}", record);
    upstream_ = Serve(std::move(upstream_router));

    verifier::VerifierOptions vo;
    vo.jwks_url = Base(*jwks_server_) + "/jwks";
    vo.issuer = "iss";
    vo.audiences = {"aud"};
    vo.required_scopes = {"read"};
    verifier_ = Must(verifier::Verifier::Create(vo));
    gateway_ = Gateway(Base(*upstream_) + "/base/");
  }

  std::unique_ptr<http::Server> Gateway(const std::string& upstream,
                                        const std::string& public_url = "") {
    http::Router router;
    GatewayOptions go;
    go.upstream = upstream;
    go.public_url = public_url;
    EXPECT_TRUE(AddGatewayRoutes(router, *verifier_, go).ok());
    return Serve(std::move(router));
  }

  std::string Token(const std::string& scope, const Json& cnf = nullptr) {
    const int64_t now = std::time(nullptr);
    Json claims = {{"iss", "iss"}, {"aud", "aud"},     {"sub", "alice"},    {"scope", scope},
                   {"iat", now},   {"exp", now + 600}, {"client_id", "app"}};
    if (!cnf.is_null()) claims["cnf"] = cnf;
    return Must(jose::SignJwt(claims, SigningKey(), jose::Algorithm::kES256, {{"kid", "k1"}}));
  }

  std::string url(const std::string& path) { return Base(*gateway_) + path; }

  std::optional<verifier::Verifier> verifier_;
  std::mutex mu_;
  std::optional<http::Request> seen_;
  std::unique_ptr<http::Server> jwks_server_, upstream_, gateway_;
};

TEST_F(GatewayTest, ForwardsWithIdentityAndWithoutForgedOrHopByHopHeaders) {
  Answer a = Send(url("/a/b?q=1&r=%20"), "POST",
                  {"Authorization: Bearer " + Token("read write"), "X-Tessera-Subject: mallory",
                   "X-TESSERA-SCOPE: everything", "X-Tessera-Client-Id: evil",
                   "Connection: keep-alive, X-Secret-Hop", "X-Secret-Hop: 1", "TE: trailers",
                   "X-Custom: kept", "Content-Type: application/json"},
                  R"({"k":1})");
  EXPECT_EQ(a.status, 299);
  EXPECT_EQ(a.body, "from upstream");
  EXPECT_EQ(a.headers.count("x-upstream"), 1u);
  // The upstream's Content-Type comes back, once.
  ASSERT_EQ(a.headers.count("content-type"), 1u);
  EXPECT_EQ(a.headers.find("content-type")->second, "text/plain; charset=utf-8");
  EXPECT_EQ(a.headers.count("keep-alive"), 0u);  // hop-by-hop, not passed back
  std::lock_guard lock(mu_);
  ASSERT_TRUE(seen_.has_value());
  const http::Request& r = *seen_;
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/base/a/b");
  EXPECT_EQ(r.query, "q=1&r=%20");
  EXPECT_EQ(r.body, R"({"k":1})");
  EXPECT_EQ(r.HeaderCount("x-tessera-subject"), 1u);
  EXPECT_EQ(r.Header("x-tessera-subject"), "alice");
  EXPECT_EQ(r.HeaderCount("x-tessera-scope"), 1u);
  EXPECT_EQ(r.Header("x-tessera-scope"), "read write");
  EXPECT_EQ(r.Header("x-tessera-client-id"), "app");
  EXPECT_EQ(r.HeaderCount("x-tessera-client-id"), 1u);
  EXPECT_EQ(r.HeaderCount("x-secret-hop"), 0u);
  EXPECT_EQ(r.HeaderCount("te"), 0u);
  EXPECT_EQ(r.Header("x-custom"), "kept");
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("x-forwarded-for"), "127.0.0.1");
  EXPECT_TRUE(r.Header("authorization").has_value());  // kept, documented
}

TEST_F(GatewayTest, AnyPathIsForwardedAsItCame) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "/s" + std::to_string(i);
  for (const std::string& path : {std::string("/a/"), std::string("/a//b%2Fc/"), deep}) {
    Answer a = Send(url(path), "GET", {"Authorization: Bearer " + Token("read")});
    EXPECT_EQ(a.status, 299) << path;
    std::lock_guard lock(mu_);
    ASSERT_TRUE(seen_.has_value());
    EXPECT_EQ(seen_->path, "/base" + path);
    seen_.reset();
  }
}

// The identity and forwarding headers reach the upstream once each, set by the gateway, whatever
// spelling a client used for its own: a CGI/WSGI upstream reads X_Tessera_Subject as
// X-Tessera-Subject, and would have seen the forged one first.
TEST_F(GatewayTest, SpoofedIdentityAndForwardingHeadersInAnySpellingAreDropped) {
  RawUpstream raw;
  std::unique_ptr<http::Server> gateway = Gateway(raw.url() + "/api");
  Answer a = Send(
      Base(*gateway) + "/a?x=1", "GET",
      {"X_Tessera_Subject: mallory", "x_tessera_scope: admin", "X-Tessera_Client-Id: evil",
       "X_TESSERA_SUBJECT: mallory", "Forwarded: for=6.6.6.6;proto=https",
       "X_Forwarded_For: 6.6.6.6", "X-Forwarded-Host: evil.example", "x-forwarded_proto: https",
       "X-Real-IP: 6.6.6.6", "X_Real_Ip: 6.6.6.6", "Connection: X_Hop", "X-Hop: 1", "Host_: kept",
       "X_Custom_Kept: yes", "Authorization: Bearer " + Token("read")});
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "ok");
  const std::vector<std::string> heads = raw.heads();
  ASSERT_EQ(heads.size(), 1u);
  const std::string& head = heads[0];
  EXPECT_EQ(head.rfind("GET /api/a?x=1 HTTP/1.1\r\n", 0), 0u) << head;
  for (const char* forged : {"mallory", "admin", "evil", "6.6.6.6", "https"}) {
    EXPECT_EQ(head.find(forged), std::string::npos) << forged << " reached the upstream:\n" << head;
  }
  std::multimap<std::string, std::string> seen;  // by CGI name
  for (const auto& [name, value] : Fields(head)) seen.emplace(Cgi(name), value);
  auto only = [&](const std::string& name) -> std::string {
    EXPECT_EQ(seen.count(name), 1u) << name << " in\n" << head;
    auto it = seen.find(name);
    return it == seen.end() ? "" : it->second;
  };
  EXPECT_EQ(only("x-tessera-subject"), "alice");
  EXPECT_EQ(only("x-tessera-scope"), "read");
  EXPECT_EQ(only("x-tessera-client-id"), "app");
  EXPECT_EQ(only("x-forwarded-for"), "127.0.0.1");
  EXPECT_EQ(only("x-forwarded-proto"), "http");
  for (const char* absent : {"forwarded", "x-forwarded-host", "x-real-ip", "x-hop"}) {
    EXPECT_EQ(seen.count(absent), 0u) << absent << " in\n" << head;
  }
  EXPECT_NE(head.find("\r\nx_custom_kept: yes"), std::string::npos) << head;  // underscores kept
  EXPECT_NE(head.find("\r\nhost_: kept"), std::string::npos) << head;         // not Host
}

// RFC 3986 5.2.4 dot segments are resolved before the request goes upstream, and none, in any
// encoding, may climb out of the upstream URL's path ("/base" here): 400, nothing forwarded.
TEST_F(GatewayTest, PathsLeavingTheUpstreamBaseAre400) {
  const std::string bearer = "Authorization: Bearer " + Token("read");
  for (const char* path :
       {"/../internal", "/a/../../internal", "/%2e%2e/internal", "/%2E%2E/internal",
        "/.%2E/internal", "/a/%2e%2e/%2E%2e/internal", "/..%2Finternal", "/a/..%2f..%2finternal",
        "/..%5Cinternal", "/a\\..\\..\\internal"}) {
    Answer a = Send(url(path), "GET", {bearer});
    EXPECT_EQ(a.status, 400) << path;
    EXPECT_NE(a.body.find("\"invalid_request\""), std::string::npos) << a.body;
  }
  Answer unauthenticated = Send(url("/../internal"), "GET", {});
  EXPECT_EQ(unauthenticated.status, 400);
  {
    std::lock_guard lock(mu_);
    EXPECT_FALSE(seen_.has_value()) << seen_->path;
  }
  // Within the base, dot segments are resolved as RFC 3986 says and the request forwarded.
  for (const char* path : {"/a/x/../b", "/a/%2e/b", "/x/%2E%2e/a/./b"}) {
    Answer a = Send(url(path), "GET", {bearer});
    EXPECT_EQ(a.status, 299) << path;
    std::lock_guard lock(mu_);
    ASSERT_TRUE(seen_.has_value()) << path;
    EXPECT_EQ(seen_->path, "/base/a/b") << path;
    seen_.reset();
  }
}

TEST_F(GatewayTest, RefusalsFollowRfc6750) {
  Answer none = Send(url("/a/b"), "GET", {});
  EXPECT_EQ(none.status, 401);
  EXPECT_NE(none.headers.find("www-authenticate")->second.find("error=\"invalid_token\""),
            std::string::npos);
  Answer bad = Send(url("/a/b"), "GET", {"Authorization: Bearer " + Token("read") + "x"});
  EXPECT_EQ(bad.status, 401);
  EXPECT_NE(bad.headers.find("www-authenticate")->second.find("error_description="),
            std::string::npos);
  Answer scope = Send(url("/a/b"), "GET", {"Authorization: Bearer " + Token("write")});
  EXPECT_EQ(scope.status, 403);
  const std::string challenge = scope.headers.find("www-authenticate")->second;
  EXPECT_NE(challenge.find("error=\"insufficient_scope\""), std::string::npos);
  EXPECT_NE(challenge.find("scope=\"read\""), std::string::npos);
  Answer twice =
      Send(url("/a/b"), "GET",
           {"Authorization: Bearer " + Token("read"), "Authorization: Bearer " + Token("read")});
  EXPECT_EQ(twice.status, 401);
  std::lock_guard lock(mu_);
  EXPECT_FALSE(seen_.has_value());  // nothing refused reached the upstream
}

TEST_F(GatewayTest, HeadAndDeadUpstream) {
  Answer head = Send(url("/a/b"), "HEAD", {"Authorization: Bearer " + Token("read")});
  EXPECT_EQ(head.status, 299);
  {
    std::lock_guard lock(mu_);
    ASSERT_TRUE(seen_.has_value());
    EXPECT_EQ(seen_->method, "HEAD");
  }
  upstream_->Stop();
  upstream_->Wait();
  Answer dead = Send(url("/a/b"), "GET", {"Authorization: Bearer " + Token("read")});
  EXPECT_EQ(dead.status, 502);
}

// The upstream call runs on the gateway's upstream threads: while one is held by a slow
// upstream, the server's only thread still answers others; beyond the upstream threads and the
// queue, 503 with Retry-After.
TEST_F(GatewayTest, SlowUpstreamHoldsNoServerThread) {
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  bool release = false;
  http::Router slow_router;
  slow_router.Add("GET", "/held", [&](http::Request&) {
    std::unique_lock lock(mu);
    ++arrived;
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(20), [&] { return release; });
    return http::Response::Text(200, "released");
  });
  std::unique_ptr<http::Server> slow = Serve(std::move(slow_router));
  http::Router router;
  GatewayOptions go;
  go.upstream = Base(*slow);
  go.max_upstream_requests = 1;
  go.max_queued_upstream = 0;
  ASSERT_TRUE(AddGatewayRoutes(router, *verifier_, go).ok());
  std::unique_ptr<http::Server> gateway = Serve(std::move(router), /*threads=*/1);
  const std::string held = Base(*gateway) + "/held";
  const std::string auth = "Authorization: Bearer " + Token("read");

  Answer first;
  std::thread client([&] { first = Send(held, "GET", {auth}); });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return arrived == 1; }));
  }
  EXPECT_EQ(Send(held, "GET", {}).status, 401);  // the server's one thread is free
  Answer busy = Send(held, "GET", {auth});
  EXPECT_EQ(busy.status, 503);
  EXPECT_NE(busy.body.find("temporarily_unavailable"), std::string::npos);
  ASSERT_EQ(busy.headers.count("retry-after"), 1u);
  EXPECT_EQ(busy.headers.find("retry-after")->second, "1");
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  client.join();
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "released");
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(arrived, 1);  // the refused one never went upstream
  }
  // The upstream thread is free again once it is back from relaying the first answer.
  long status = 0;
  for (int i = 0; i < 200 && status != 200; ++i) {
    status = Send(held, "GET", {auth}).status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(status, 200);
}

// Calls go to the upstream thread that was idle last, so sequential requests keep to one
// thread and its keep-alive connection instead of walking through all of them (64 by default,
// each with connections of its own).
TEST_F(GatewayTest, SequentialRequestsReuseOneUpstreamConnection) {
  RawUpstream raw(/*keep_alive=*/true);
  std::unique_ptr<http::Server> gateway = Gateway(raw.url());
  const std::string auth = "Authorization: Bearer " + Token("read");
  constexpr int kRequests = 20;
  for (int i = 0; i < kRequests; ++i) {
    Answer a = Send(Base(*gateway) + "/seq", "GET", {auth});
    ASSERT_EQ(a.status, 200);
  }
  EXPECT_EQ(raw.heads().size(), static_cast<std::size_t>(kRequests));
  // One connection: the thread is back on the idle list before the answer is relayed, so the
  // next request finds it however the threads are scheduled (one more allowed, should the
  // connection be closed and opened again).
  EXPECT_LE(raw.accepted(), 2) << "connections opened for " << kRequests << " requests";
}

TEST(GatewayOptionsTest, RejectsNonHttpUpstream) {
  verifier::VerifierOptions vo;
  vo.jwks_url = "http://127.0.0.1:1/jwks";
  vo.issuer = "iss";
  vo.audiences = {"aud"};
  vo.fetch_timeout_seconds = 1;
  verifier::Verifier v = Must(verifier::Verifier::Create(vo));
  http::Router router;
  EXPECT_FALSE(AddGatewayRoutes(router, v, {.upstream = "file:///etc"}).ok());
  EXPECT_FALSE(
      AddGatewayRoutes(router, v, {.upstream = "http://127.0.0.1:1", .max_upstream_requests = 0})
          .ok());
}

// A DPoP-bound token goes upstream only with a proof for the URL the client addressed: by
// default this connection's scheme and Host, or the configured public URL.
TEST_F(GatewayTest, DpopBoundTokenNeedsAProofForTheAddressedUrl) {
  const client::DpopKey key = Must(client::DpopKey::Generate("ES256"));
  const std::string token = Token("read", {{"jkt", key.Thumbprint()}});
  auto proof = [&](const std::string& target) {
    return "DPoP: " + Must(client::MakeDpopProof(key, "GET", target, token, "",
                                                 static_cast<int64_t>(std::time(nullptr))));
  };
  const std::string direct = url("/a/b");
  EXPECT_EQ(Send(direct, "GET", {"Authorization: Bearer " + token}).status, 401);
  Answer a = Send(direct + "?q=1", "GET", {"Authorization: DPoP " + token, proof(direct)});
  EXPECT_EQ(a.status, 299);
  a = Send(direct, "GET", {"Authorization: DPoP " + token, proof(url("/a/c"))});
  EXPECT_EQ(a.status, 401);
  EXPECT_NE(a.body.find("invalid_dpop_proof"), std::string::npos);
  EXPECT_NE(a.headers.find("www-authenticate")->second.find("DPoP realm=\"tessera\""),
            std::string::npos);

  // Behind a proxy the public URL is what the client addressed; a proof for the gateway's own
  // address is then refused.
  std::unique_ptr<http::Server> public_gateway =
      Gateway(Base(*upstream_) + "/base/", "https://api.example.com/");
  const std::string local = Base(*public_gateway) + "/a/b";
  EXPECT_EQ(Send(local, "GET", {"Authorization: DPoP " + token, proof(local)}).status, 401);
  EXPECT_EQ(
      Send(local, "GET", {"Authorization: DPoP " + token, proof("https://api.example.com/a/b")})
          .status,
      299);
  http::Router router;
  EXPECT_FALSE(AddGatewayRoutes(router, *verifier_,
                                {.upstream = "http://127.0.0.1:1", .public_url = "ftp://x"})
                   .ok());
}

}  // namespace
}  // namespace tessera::gateway
