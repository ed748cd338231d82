#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <latch>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace tessera::http {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

struct ParsedResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// A blocking loopback client on a POSIX socket; every read has a 5 s timeout, so no test can
// hang on a server that fails to answer.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { ::close(fd_); }

  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads one response (Content-Length framed, as the server always sends). Status 0 when the
  // connection closed or timed out first. `head`: the answer to a HEAD request, which has no
  // content whatever its Content-Length says.
  ParsedResponse Read(bool head_request = false) {
    ParsedResponse r;
    std::size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return r;
    }
    std::string head = pending_.substr(0, end);
    pending_.erase(0, end + 4);
    std::size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.size() < 12) return r;
    r.status = std::atoi(status_line.substr(9, 3).c_str());
    std::size_t pos = line_end;
    while (pos != std::string::npos && pos < head.size()) {
      std::size_t next = head.find("\r\n", pos + 2);
      std::string line =
          head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      std::size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::size_t v = line.find_first_not_of(' ', colon + 1);
        r.headers[name] = v == std::string::npos ? "" : line.substr(v);
      }
      pos = next;
    }
    if (r.status / 100 == 1 || head_request) return r;  // interim or HEAD: no body
    std::size_t length =
        r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    while (pending_.size() < length) {
      if (!Fill()) {
        r.status = 0;
        return r;
      }
    }
    r.body = pending_.substr(0, length);
    pending_.erase(0, length);
    return r;
  }

  // True when the server closes the connection (EOF or reset) before the 5 s read timeout.
  bool WaitForClose() {
    char buf[4096];
    for (int i = 0; i < 1000; ++i) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
    return false;
  }

 private:
  bool Fill() {
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

std::string Get(std::string_view path, std::string_view extra = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\n" + std::string(extra) +
         "\r\n";
}

// The test's hold on the /slow route (one /slow request per test): the handler counts
// `entered` down as it starts, then holds its request until the test calls Release (at most
// 5 s, so that a failed test cannot hold the server's threads).
struct SlowGate {
  std::latch entered{1};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  void Release() { release.set_value(); }
};

// With `slow`, the routes include /slow.
Router TestRouter(SlowGate* slow = nullptr) {
  Router router;
  router.Add("GET", "/hello", [](Request& r) {
    std::string body = "hello " + r.query + " " + std::string(r.Header("x-name").value_or("-")) +
                       " " + r.remote_address;
    return Response::Text(200, body).AddHeader("Cache-Control", "no-store");
  });
  router.Add("GET", "/users/{id}", [](Request& r) { return Response::Text(200, r.params["id"]); });
  router.Add("HEAD", "/users/{id}", [](Request& r) { return Response::Text(200, r.params["id"]); });
  router.Add("POST", "/small", [](Request& r) { return Response::Text(200, "got " + r.body); },
             {.max_body_bytes = 100});
  router.Add("GET", "/throw", [](Request&) -> Response { throw std::runtime_error("boom"); });
  if (slow != nullptr) {
    router.Add("GET", "/slow", [slow](Request&) {
      slow->entered.count_down();
      slow->released.wait_for(5s);
      return Response::Text(200, "slow done");
    });
  }
  router.Add("GET", "/cert", [](Request& r) {
    return Response::Text(
        200, std::to_string(r.HeaderCount("x-client-cert") + r.HeaderCount("x_client_cert") +
                            r.HeaderCount("x-client_cert")) +
                 " " + std::to_string(r.client_certificate.der.size()) + " " +
                 (r.client_certificate.forwarded ? "forwarded" : "own"));
  });
  router.Add("GET", "/bad-header", [](Request&) {
    return Response::Text(200, "ok").AddHeader("X-Evil", "a\r\nInjected: 1");
  });
  return router;
}

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.access_log = false;
    server_ = std::make_unique<Server>(options, TestRouter(&slow_), &metrics_);
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NE(server_->port(), 0);
  }
  void TearDown() override {
    if (server_) {
      server_->Stop();
      server_->Wait();
    }
  }

  SlowGate slow_;  // declared before server_: the handlers refer to it until the server ends
  Metrics metrics_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Get("/hello?a=1", "X-Name: first\r\n")));
  ParsedResponse r1 = c.Read();
  EXPECT_EQ(r1.status, 200);
  EXPECT_EQ(r1.body, "hello a=1 first 127.0.0.1");
  EXPECT_EQ(r1.headers["cache-control"], "no-store");
  EXPECT_EQ(r1.headers["content-type"], "text/plain; charset=utf-8");
  ASSERT_TRUE(c.Send(Get("/users/a%20b")));
  ParsedResponse r2 = c.Read();
  EXPECT_EQ(r2.status, 200);
  EXPECT_EQ(r2.body, "a b");
  ASSERT_FALSE(r1.headers["x-tessera-ecid"].empty());
  EXPECT_NE(r1.headers["x-tessera-ecid"], r2.headers["x-tessera-ecid"]);

  // The server records a request just after writing its response: allow it a moment.
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text = metrics_.Render();
    if (text.find("route=\"/users/{id}\",status=") != std::string::npos) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(
      text.find("tessera_http_requests_total{method=\"GET\",route=\"/hello\",status=\"200\"} 1"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("tessera_http_requests_total{method=\"GET\",route=\"/users/{id}\","
                      "status=\"200\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("tessera_http_request_duration_seconds_count{method=\"GET\",route=\"/hello\"} 1"),
      std::string::npos)
      << text;
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send(Get("/users/1") + Get("/users/2")));
  EXPECT_EQ(c.Read().body, "1");
  EXPECT_EQ(c.Read().body, "2");
}

// RFC 9110 9.3.2 and 8.6: a HEAD answer has the Content-Length a GET would get and no content,
// so the next answer on the connection starts right after its header.
TEST_F(ServerTest, HeadAnswersTheLengthWithoutTheContent) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send("HEAD /users/12345 HTTP/1.1\r\nHost: localhost\r\n\r\n" + Get("/users/2")));
  ParsedResponse head = c.Read(/*head_request=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["content-length"], "5");
  EXPECT_EQ(head.headers["content-type"], "text/plain; charset=utf-8");
  ParsedResponse next = c.Read();
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, "2");
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send(Get("/users/1", "Connection: close\r\n")));
  ParsedResponse r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_TRUE(c.WaitForClose());
}

TEST_F(ServerTest, AbsoluteFormTargetsAreServed) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send(Get("http://localhost:8080/users/7")));
  EXPECT_EQ(c.Read().body, "7");
  ASSERT_TRUE(c.Send(Get("HTTPS://example.com/hello?x=1", "X-Name: abs\r\n")));
  EXPECT_EQ(c.Read().body, "hello x=1 abs 127.0.0.1");
  ASSERT_TRUE(c.Send(Get("http://localhost?x=1")));  // empty path: "/", which no route has
  EXPECT_EQ(c.Read().status, 404);
  ASSERT_TRUE(c.Send(Get("ftp://localhost/hello")));
  EXPECT_EQ(c.Read().status, 404);
}

TEST_F(ServerTest, UnknownPathIs404AndWrongMethodIs405) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send(Get("/nope")));
  ParsedResponse r = c.Read();
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_NE(r.body.find("\"ecid\":\"" + r.headers["x-tessera-ecid"] + "\""), std::string::npos);
  ASSERT_TRUE(c.Send("DELETE /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  ParsedResponse m = c.Read();
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.headers["allow"], "GET");
  bool counted = false;
  for (int i = 0; i < 100 && !counted; ++i) {
    counted = metrics_.Render().find("route=\"unmatched\",status=\"404\"") != std::string::npos;
    if (!counted) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(counted);
}

TEST_F(ServerTest, BodiesFixedAndChunked) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde"));
  EXPECT_EQ(c.Read().body, "got abcde");
  ASSERT_TRUE(
      c.Send("POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  EXPECT_EQ(c.Read().body, "got abcde");
}

TEST_F(ServerTest, ExpectContinueGetsInterimResponse) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send(
      "POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(c.Read().status, 100);
  ASSERT_TRUE(c.Send("xyz"));
  EXPECT_EQ(c.Read().body, "got xyz");
}

TEST_F(ServerTest, OversizedDeclaredBodyIs413AtOnce) {
  StartServer({.read_timeout = 5s});
  Client c(server_->port());
  auto start = SteadyClock::now();
  // 10 MB declared, a little sent: the answer must not wait for the rest (or the timeout).
  ASSERT_TRUE(c.Send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" +
                     std::string(1000, 'a')));
  ParsedResponse r = c.Read();
  auto elapsed = SteadyClock::now() - start;
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_LT(elapsed, 1s);
  std::printf("413 answered after %.3f ms\n",
              std::chrono::duration<double, std::milli>(elapsed).count());
  EXPECT_TRUE(c.WaitForClose());
}

TEST_F(ServerTest, OversizedChunkedBodyIs413) {
  StartServer({.read_timeout = 5s});
  Client c(server_->port());
  auto start = SteadyClock::now();
  ASSERT_TRUE(
      c.Send("POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "c8\r\n" +
             std::string(200, 'a') + "\r\n"));  // 200 > 100, never finished
  ParsedResponse r = c.Read();
  EXPECT_EQ(r.status, 413);
  EXPECT_LT(SteadyClock::now() - start, 1s);
}

TEST_F(ServerTest, ServerCapBeatsRouteLimit) {
  StartServer({.max_body_bytes = 4});
  Client c(server_->port());
  ASSERT_TRUE(c.Send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde"));
  EXPECT_EQ(c.Read().status, 413);
}

TEST_F(ServerTest, OversizedHeaderIs431) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send(Get("/hello", "X-Big: " + std::string(20 * 1024, 'b') + "\r\n")));
  ParsedResponse r = c.Read();
  EXPECT_EQ(r.status, 431);
  EXPECT_FALSE(r.headers["x-tessera-ecid"].empty());
  EXPECT_TRUE(c.WaitForClose());
}

TEST_F(ServerTest, GarbageRequestLineIs400) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send("GARBAGE\r\n\r\n"));
  ParsedResponse r = c.Read();
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("invalid_request"), std::string::npos);
  EXPECT_TRUE(c.WaitForClose());
}

TEST_F(ServerTest, ConflictingContentLengthIs400) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send(
      "POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde"));
  EXPECT_EQ(c.Read().status, 400);
  EXPECT_TRUE(c.WaitForClose());
}

TEST_F(ServerTest, ContentLengthWithChunkedIs400) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(
      c.Send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
             "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
  EXPECT_EQ(c.Read().status, 400);
}

TEST_F(ServerTest, UnknownTransferEncodingIs400) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send("POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc"));
  EXPECT_EQ(c.Read().status, 400);
}

TEST_F(ServerTest, ContentLengthWithTransferEncodingIs400AndClosed) {
  StartServer();
  for (const std::string& fields :
       std::vector<std::string>{"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
                                "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"}) {
    Client c(server_->port());
    ASSERT_TRUE(c.Send("POST /small HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n0\r\n\r\n"));
    ParsedResponse r = c.Read();
    EXPECT_EQ(r.status, 400) << fields;
    EXPECT_EQ(r.headers["connection"], "close") << fields;
    EXPECT_TRUE(c.WaitForClose()) << fields;
  }
}

// RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing, whatever else the request says;
// the body must not be taken as chunked nor the connection kept for a next request.
TEST_F(ServerTest, Http10WithTransferEncodingIs400AndClosed) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(
      c.Send("POST /small HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n"
             "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" +
             Get("/users/smuggled")));
  ParsedResponse r = c.Read();
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("HTTP/1.0"), std::string::npos) << r.body;
  EXPECT_TRUE(c.WaitForClose());
}

// Only chunked is implemented: a coding before it is 501 (framed, not understood); chunked not
// last, or twice, cannot be framed: 400. Each closes the connection.
TEST_F(ServerTest, TransferCodingsOtherThanOneChunkedAreRefusedAndClosed) {
  StartServer();
  const std::pair<std::string, int> cases[] = {
      {"gzip, chunked", 501},     {"gzip\r\nTransfer-Encoding: chunked", 501},
      {"chunked, gzip", 400},     {"chunked, chunked", 400},
      {"chunked;x=1, gzip", 400}, {"gzip", 400}};
  for (const auto& [coding, status] : cases) {
    Client c(server_->port());
    ASSERT_TRUE(c.Send("POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding +
                       "\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
    ParsedResponse r = c.Read();
    EXPECT_EQ(r.status, status) << coding;
    EXPECT_EQ(r.headers["connection"], "close") << coding;
    EXPECT_TRUE(c.WaitForClose()) << coding;
  }
  Client ok(server_->port());  // chunked alone, any case, still works
  ASSERT_TRUE(
      ok.Send("POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
              "3\r\nabc\r\n0\r\n\r\n"));
  EXPECT_EQ(ok.Read().body, "got abc");
}

// RFC 9112 3.2: 400 for an HTTP/1.1 request without Host, and for any request with two Host
// fields or an invalid one. HTTP/1.0 may leave Host out.
TEST_F(ServerTest, MissingRepeatedOrInvalidHostIs400AndClosed) {
  StartServer();
  for (const char* request :
       {"GET /users/1 HTTP/1.1\r\n\r\n", "GET /users/1 HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        "GET /users/1 HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET /users/1 HTTP/1.1\r\nHost: a/b@c\r\n\r\n"}) {
    Client c(server_->port());
    ASSERT_TRUE(c.Send(request));
    ParsedResponse r = c.Read();
    EXPECT_EQ(r.status, 400) << request;
    EXPECT_TRUE(c.WaitForClose()) << request;
  }
  Client old(server_->port());
  ASSERT_TRUE(old.Send("GET /users/1 HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(old.Read().status, 200);
  Client v6(server_->port());
  ASSERT_TRUE(v6.Send("GET /users/1 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"));
  EXPECT_EQ(v6.Read().status, 200);
}

TEST_F(ServerTest, BadChunkIs400) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(
      c.Send("POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "zz\r\nabc\r\n0\r\n\r\n"));
  EXPECT_EQ(c.Read().status, 400);
}

TEST_F(ServerTest, ReadTimeoutClosesHalfSentRequest) {
  StartServer({.read_timeout = 1s, .idle_timeout = 1s});
  Client c(server_->port());
  auto start = SteadyClock::now();
  ASSERT_TRUE(c.Send("GET /hello HTTP/1.1\r\nHost: x\r\n"));  // never finished
  EXPECT_TRUE(c.WaitForClose());
  auto elapsed = SteadyClock::now() - start;
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 3s);
}

TEST_F(ServerTest, SlowlorisCannotExtendTheHeaderDeadline) {
  StartServer({.read_timeout = 1s, .idle_timeout = 1s});
  Client c(server_->port());
  auto start = SteadyClock::now();
  ASSERT_TRUE(c.Send("GET /hello HTTP/1.1\r\n"));
  // One header byte every 200 ms: each read succeeds, but the header as a whole is late.
  bool closed = false;
  for (int i = 0; i < 25 && !closed; ++i) {
    std::this_thread::sleep_for(200ms);
    closed = !c.Send("X");
  }
  EXPECT_TRUE(closed || c.WaitForClose());
  EXPECT_LT(SteadyClock::now() - start, 3s);
}

// The first byte of a request has idle_timeout, shorter than read_timeout: for a connection
// that never sends anything, and between keep-alive requests.
TEST_F(ServerTest, IdleTimeoutClosesSilentConnections) {
  StartServer({.read_timeout = 10s, .idle_timeout = 1s});
  auto start = SteadyClock::now();
  Client silent(server_->port());
  Client kept(server_->port());
  ASSERT_TRUE(kept.Send(Get("/users/1")));
  ASSERT_EQ(kept.Read().status, 200);
  EXPECT_TRUE(silent.WaitForClose());
  EXPECT_TRUE(kept.WaitForClose());
  auto elapsed = SteadyClock::now() - start;
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 3s);
}

TEST_F(ServerTest, DefaultsCapConnectionsPerClientAndFirstByteWait) {
  const ServerOptions defaults;
  EXPECT_EQ(defaults.max_connections_per_client, 256u);
  EXPECT_EQ(defaults.idle_timeout, 10s);
  EXPECT_LT(defaults.idle_timeout, defaults.read_timeout);
}

TEST_F(ServerTest, HandlerExceptionIs500AndServerLives) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send(Get("/throw")));
  ParsedResponse r = c.Read();
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body,
            "{\"error\":\"server_error\",\"ecid\":\"" + r.headers["x-tessera-ecid"] + "\"}");
  ASSERT_TRUE(c.Send(Get("/users/ok")));
  EXPECT_EQ(c.Read().body, "ok");
}

TEST_F(ServerTest, UnsafeResponseHeaderIsDropped) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send(Get("/bad-header")));
  ParsedResponse r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.count("x-evil"), 0u);
  EXPECT_EQ(r.headers.count("injected"), 0u);
}

TEST_F(ServerTest, StopClosesIdleConnectionsAndReturns) {
  StartServer();
  Client busy(server_->port());
  ASSERT_TRUE(busy.Send(Get("/users/1")));
  ASSERT_EQ(busy.Read().status, 200);  // now idle on keep-alive
  Client silent(server_->port());      // connected, never sends
  ASSERT_TRUE(silent.connected());
  std::this_thread::sleep_for(50ms);
  auto start = SteadyClock::now();
  server_->Stop();
  auto done = std::async(std::launch::async, [this] { server_->Wait(); });
  ASSERT_EQ(done.wait_for(5s), std::future_status::ready);
  EXPECT_LT(SteadyClock::now() - start, 2s);
  EXPECT_TRUE(busy.WaitForClose());
  EXPECT_TRUE(silent.WaitForClose());
  Client late(server_->port());
  EXPECT_FALSE(late.connected());
}

TEST_F(ServerTest, StopLetsInFlightRequestFinish) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send(Get("/slow")));
  slow_.entered.wait();  // the request is in its handler
  server_->Stop();
  slow_.Release();
  ParsedResponse r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "slow done");
  EXPECT_EQ(r.headers["connection"], "close");
  server_->Wait();
}

// At the cap with every connection busy with a request, a new connection is turned away.
TEST_F(ServerTest, ConnectionLimitIsEnforced) {
  StartServer({.max_connections = 1});
  Client first(server_->port());
  ASSERT_TRUE(first.Send(Get("/slow")));
  slow_.entered.wait();  // the only connection is busy with a request
  Client second(server_->port());
  EXPECT_TRUE(second.WaitForClose());
  slow_.Release();
  EXPECT_EQ(first.Read().body, "slow done");
  ASSERT_TRUE(first.Send(Get("/users/2")));
  EXPECT_EQ(first.Read().body, "2");
}

// At the cap, the connection that has waited longest for a request is closed to admit the new
// one: silent connections cannot lock out clients with a request to send.
TEST_F(ServerTest, ConnectionLimitEvictsTheLongestIdleConnection) {
  StartServer({.max_connections = 2});
  Client oldest(server_->port());  // connected, never sends
  ASSERT_TRUE(oldest.connected());
  std::this_thread::sleep_for(50ms);
  Client kept(server_->port());  // served, then idle on keep-alive: idle for a shorter time
  ASSERT_TRUE(kept.Send(Get("/users/1")));
  ASSERT_EQ(kept.Read().status, 200);
  // The server turns to waiting for the next request just after its answer is written.
  std::this_thread::sleep_for(50ms);
  Client fresh(server_->port());
  ASSERT_TRUE(fresh.Send(Get("/users/3")));
  EXPECT_EQ(fresh.Read().body, "3");
  EXPECT_TRUE(oldest.WaitForClose());
  std::this_thread::sleep_for(50ms);
  // Now `kept` is the longest idle: the next newcomer takes its place, `fresh` stays.
  Client next(server_->port());
  ASSERT_TRUE(next.Send(Get("/users/4")));
  EXPECT_EQ(next.Read().body, "4");
  EXPECT_TRUE(kept.WaitForClose());
  ASSERT_TRUE(fresh.Send(Get("/users/5")));
  EXPECT_EQ(fresh.Read().body, "5");
}

TEST_F(ServerTest, PerClientConnectionCapIsEnforcedAndReleased) {
  StartServer({.max_connections_per_client = 2});
  auto first = std::make_unique<Client>(server_->port());
  Client second(server_->port());
  ASSERT_TRUE(first->Send(Get("/users/1")));
  ASSERT_EQ(first->Read().status, 200);
  ASSERT_TRUE(second.Send(Get("/users/2")));
  ASSERT_EQ(second.Read().status, 200);
  {
    Client third(server_->port());  // a third from the same address is turned away
    EXPECT_TRUE(third.WaitForClose());
  }
  first.reset();  // closing one frees its slot
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    Client again(server_->port());
    if (again.Send(Get("/users/3"))) served = again.Read().status == 200;
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
}

TEST(ServerStartTest, ReportsBindFailureAndBadTlsFiles) {
  Server first({.host = "127.0.0.1", .port = 0, .threads = 1}, TestRouter());
  ASSERT_TRUE(first.Start().ok());
  Server clash({.host = "127.0.0.1", .port = first.port(), .threads = 1}, TestRouter());
  Status s = clash.Start();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  Server bad_host({.host = "not-an-ip", .port = 0}, TestRouter());
  EXPECT_EQ(bad_host.Start().code(), StatusCode::kInvalidArgument);
  Server bad_tls({.host = "127.0.0.1",
                  .port = 0,
                  .tls_cert_file = "/nonexistent/cert.pem",
                  .tls_key_file = "/nonexistent/key.pem"},
                 TestRouter());
  EXPECT_EQ(bad_tls.Start().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(first.Start().code(), StatusCode::kFailedPrecondition);
}

// Bind makes the port known before any request is served; Start then serves on it.
TEST(ServerStartTest, BindBeforeStart) {
  Server server({.host = "127.0.0.1", .port = 0, .threads = 1, .access_log = false}, TestRouter());
  ASSERT_TRUE(server.Bind().ok());
  const uint16_t port = server.port();
  ASSERT_NE(port, 0);
  EXPECT_EQ(server.Bind().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(server.Start().ok());
  EXPECT_EQ(server.port(), port);
  Client c(port);
  ASSERT_TRUE(c.Send(Get("/users/7")));
  EXPECT_EQ(c.Read().body, "7");
  EXPECT_EQ(server.Start().code(), StatusCode::kFailedPrecondition);
}

TEST(ServerStartTest, ReloadTlsWithoutTlsIsAPreconditionFailure) {
  Server plain({.host = "127.0.0.1", .port = 0, .threads = 1}, TestRouter());
  ASSERT_TRUE(plain.Start().ok());
  EXPECT_EQ(plain.ReloadTls().code(), StatusCode::kFailedPrecondition);
  Client c(plain.port());
  ASSERT_TRUE(c.Send(Get("/users/1")));
  EXPECT_EQ(c.Read().status, 200);
}

// HTTPS, checked with the openssl command-line client.
class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tessera-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(MakePair("localhost", dir_ / "cert.pem", dir_ / "key.pem")) << "openssl CLI needed";
    server_ = std::make_unique<Server>(ServerOptions{.host = "127.0.0.1",
                                                     .port = 0,
                                                     .threads = 2,
                                                     .tls_cert_file = (dir_ / "cert.pem").string(),
                                                     .tls_key_file = (dir_ / "key.pem").string(),
                                                     .read_timeout = 5s,
                                                     .idle_timeout = 1s,
                                                     .access_log = false},
                                       TestRouter());
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A self-signed P-256 certificate for CN=`cn` and its key, written to `cert` and `key`.
  static bool MakePair(const std::string& cn, const std::filesystem::path& cert,
                       const std::filesystem::path& key) {
    std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
        " -keyout " +
        key.string() + " -out " + cert.string() + " -days 1 -subj /CN=" + cn + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
  }

  static void WriteFile(const std::filesystem::path& path, const std::string& text) {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(text.c_str(), f);
    std::fclose(f);
  }

  // Runs s_client with `flags`, sending one GET; returns everything it printed.
  std::string SClient(const std::string& flags) {
    std::string cmd =
        "printf 'GET /users/tls HTTP/1.1\\r\\nHost: localhost\\r\\n"
        "Connection: close\\r\\n\\r\\n' | timeout 10 openssl s_client -connect "
        "127.0.0.1:" +
        std::to_string(server_->port()) + " -servername localhost -ign_eof " + flags + " 2>&1";
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Server> server_;
};

TEST_F(TlsServerTest, Tls12AndTls13Served) {
  std::string v12 = SClient("-tls1_2");
  EXPECT_NE(v12.find("Protocol  : TLSv1.2"), std::string::npos) << v12;
  EXPECT_NE(v12.find("HTTP/1.1 200 OK"), std::string::npos) << v12;
  EXPECT_NE(v12.find("\r\n\r\ntls"), std::string::npos) << v12;
  std::string v13 = SClient("-tls1_3");
  EXPECT_NE(v13.find("TLSv1.3"), std::string::npos) << v13;
  EXPECT_NE(v13.find("HTTP/1.1 200 OK"), std::string::npos) << v13;
}

TEST_F(TlsServerTest, Tls11Refused) {
  // SECLEVEL=0 lets this client offer TLS 1.1 at all; the refusal must then come from the
  // server, as a protocol_version alert, not from the client's own policy.
  std::string v11 = SClient("-tls1_1 -cipher DEFAULT@SECLEVEL=0");
  EXPECT_EQ(v11.find("HTTP/1.1 200"), std::string::npos) << v11;
  EXPECT_NE(v11.find("alert protocol version"), std::string::npos) << v11;
}

TEST_F(TlsServerTest, WeakTls12CipherRefused) {
  std::string cbc = SClient("-tls1_2 -cipher AES128-SHA@SECLEVEL=0");
  EXPECT_EQ(cbc.find("HTTP/1.1 200"), std::string::npos) << cbc;
  EXPECT_NE(cbc.find("handshake failure"), std::string::npos) << cbc;
}

TEST_F(TlsServerTest, PlainHttpOnTlsPortGetsNoAnswer) {
  Client c(server_->port());
  ASSERT_TRUE(c.Send(Get("/users/1")));
  EXPECT_EQ(c.Read().status, 0);
}

// A connection that never starts its TLS handshake is closed at idle_timeout (1 s here), not
// at read_timeout (5 s).
TEST_F(TlsServerTest, SilentConnectionIsClosedAtIdleTimeout) {
  auto start = SteadyClock::now();
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_LT(SteadyClock::now() - start, 3s);
}

TEST_F(TlsServerTest, ReloadTlsServesTheNewCertificate) {
  std::string before = SClient("-tls1_3");
  EXPECT_NE(before.find("CN = localhost"), std::string::npos) << before;
  ASSERT_TRUE(MakePair("reloaded", dir_ / "cert.pem", dir_ / "key.pem"));
  Status s = server_->ReloadTls();
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string v13 = SClient("-tls1_3");
  EXPECT_NE(v13.find("CN = reloaded"), std::string::npos) << v13;
  EXPECT_NE(v13.find("HTTP/1.1 200 OK"), std::string::npos) << v13;
  // The reloaded context keeps the TLS settings of the first one.
  std::string v12 = SClient("-tls1_2");
  EXPECT_NE(v12.find("HTTP/1.1 200 OK"), std::string::npos) << v12;
  std::string v11 = SClient("-tls1_1 -cipher DEFAULT@SECLEVEL=0");
  EXPECT_NE(v11.find("alert protocol version"), std::string::npos) << v11;
  std::string cbc = SClient("-tls1_2 -cipher AES128-SHA@SECLEVEL=0");
  EXPECT_EQ(cbc.find("HTTP/1.1 200"), std::string::npos) << cbc;
}

TEST_F(TlsServerTest, FailedReloadKeepsTheCertificateInUse) {
  // A key that does not match the certificate.
  ASSERT_TRUE(MakePair("other", dir_ / "other-cert.pem", dir_ / "key.pem"));
  Status mismatch = server_->ReloadTls();
  EXPECT_EQ(mismatch.code(), StatusCode::kInvalidArgument) << mismatch.ToString();
  EXPECT_NE(mismatch.message().find("does not match"), std::string::npos) << mismatch.ToString();
  // Not PEM at all; the message names the file, never its contents.
  WriteFile(dir_ / "key.pem", "not a key 0123456789\n");
  Status garbage = server_->ReloadTls();
  EXPECT_EQ(garbage.code(), StatusCode::kInvalidArgument) << garbage.ToString();
  EXPECT_EQ(garbage.message().find("0123456789"), std::string::npos) << garbage.ToString();
  // A missing certificate file.
  std::filesystem::remove(dir_ / "cert.pem");
  EXPECT_EQ(server_->ReloadTls().code(), StatusCode::kInvalidArgument);

  std::string out = SClient("-tls1_3");
  EXPECT_NE(out.find("CN = localhost"), std::string::npos) << out;
  EXPECT_NE(out.find("HTTP/1.1 200 OK"), std::string::npos) << out;
}

// Contract section 8: a valid X-Request-Id is the request's ecid, echoed in both id headers and
// in error bodies; an invalid one is replaced by a fresh id.
TEST_F(ServerTest, RequestIdBecomesTheEcid) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Get("/users/a", "X-Request-Id: abc.DEF_1-2\r\n")));
  ParsedResponse r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["x-request-id"], "abc.DEF_1-2");
  EXPECT_EQ(r.headers["x-tessera-ecid"], "abc.DEF_1-2");
  ASSERT_TRUE(c.Send(Get("/throw", "X-Request-Id: boom-1\r\n")));
  r = c.Read();
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "{\"error\":\"server_error\",\"ecid\":\"boom-1\"}");
  for (const std::string& bad :
       std::vector<std::string>{"a b", "semi;colon", std::string(129, 'x')}) {
    ASSERT_TRUE(c.Send(Get("/users/a", "X-Request-Id: " + bad + "\r\n")));
    r = c.Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.headers["x-request-id"], bad);
    EXPECT_TRUE(ValidRequestId(r.headers["x-request-id"])) << r.headers["x-request-id"];
    EXPECT_EQ(r.headers["x-request-id"], r.headers["x-tessera-ecid"]);
  }
  EXPECT_TRUE(ValidRequestId(std::string(128, 'x')));
  EXPECT_FALSE(ValidRequestId(""));
}

// A forged certificate header from an address that is not a trusted proxy is ignored, and no
// handler ever sees it, in any spelling of the name.
TEST_F(ServerTest, ClientCertificateHeaderFromAnUntrustedAddressIsDropped) {
  StartServer({.trusted_proxies = {"127.0.0.2/32"}, .client_cert_header = "X-Client-Cert"});
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Get("/cert", "X-Client-Cert: %ZZ\r\nx-client-CERT: two\r\n")));
  ParsedResponse r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "0 0 own");
}

// Another spelling of the name is dropped even from the trusted proxy, and never read: the
// proxy overwrites only its own spelling.
TEST_F(ServerTest, ClientCertificateHeaderInAnotherSpellingIsDroppedAndNeverRead) {
  StartServer({.trusted_proxies = {"127.0.0.1"}, .client_cert_header = "X-Client-Cert"});
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  // Malformed under the real name it would be a 400: under another it is not even looked at.
  ASSERT_TRUE(c.Send(Get("/cert", "X_Client_Cert: %ZZ\r\nx-client_cert: %ZZ\r\n")));
  ParsedResponse r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "0 0 own");
}

// From a trusted proxy: an empty value is "no certificate"; a malformed or repeated one is the
// proxy's misconfiguration, answered 400 and closed.
TEST_F(ServerTest, ClientCertificateHeaderFromATrustedProxy) {
  StartServer(
      {.trusted_proxies = {"10.0.0.0/8", "127.0.0.1"}, .client_cert_header = "X-Client-Cert"});
  {
    Client c(server_->port());
    ASSERT_TRUE(c.Send(Get("/cert", "X-Client-Cert: \r\n")));
    ParsedResponse r = c.Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "0 0 own");
  }
  for (const char* fields :
       {"X-Client-Cert: %ZZ\r\n", "X-Client-Cert: -----BEGIN%20CERTIFICATE-----\r\n",
        "X-Client-Cert: a\r\nX-Client-Cert: b\r\n"}) {
    Client c(server_->port());
    ASSERT_TRUE(c.Send(Get("/cert", fields)));
    ParsedResponse r = c.Read();
    EXPECT_EQ(r.status, 400) << fields;
    EXPECT_NE(r.body.find("client certificate header"), std::string::npos) << r.body;
    EXPECT_EQ(c.Read().status, 0) << fields;  // closed
  }
}

TEST(ServerOptionsTest, MutualTlsOptionsAreCheckedAtBind) {
  auto bind = [](ServerOptions o) {
    o.port = 0;
    Server server(o, Router{});
    return server.Bind();
  };
  EXPECT_EQ(bind({.trusted_proxies = {"127.0.0.1"}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bind({.client_cert_header = "X-Client-Cert"}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bind({.trusted_proxies = {"10.0.0.1/8"}, .client_cert_header = "X-Client-Cert"}).code(),
            StatusCode::kInvalidArgument);
  for (const char* name : {"Content-Length", "Host", "Authorization", "bad name", "a:b"}) {
    EXPECT_EQ(bind({.trusted_proxies = {"127.0.0.1"}, .client_cert_header = name}).code(),
              StatusCode::kInvalidArgument)
        << name;
  }
  EXPECT_EQ(bind({.tls_client_ca_file = "/nonexistent/ca.pem"}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      bind({.trusted_proxies = {"::1/128"}, .client_cert_header = "X-SSL-Client-Cert"}).ok());
}

}  // namespace
}  // namespace tessera::http
