// HttpClient against a scripted HTTP/1.1 server on a loopback socket: what is sent, what comes
// back, and every bound (scheme, redirects, body and header size, time).
#include "common/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tessera {
namespace {

struct Received {
  std::string method;
  std::string target;
  std::vector<std::string> header_lines;  // "Name: value" as sent
  std::string body;

  bool HasLine(const std::string& line) const {
    for (const std::string& l : header_lines) {
      if (l == line) return true;
    }
    return false;
  }
  bool HasField(const std::string& lower_name) const {
    for (const std::string& l : header_lines) {
      std::string name = l.substr(0, l.find(':'));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name == lower_name) return true;
    }
    return false;
  }
};

// Answers each request (keep-alive, several per connection) with what `respond` returns for
// it: the raw bytes of an HTTP/1.1 answer.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<std::string(const Received&)> respond)
      : respond_(std::move(respond)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listener_, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Received> Requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int Connections() const { return connections_; }

 private:
  bool WaitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) return true;
    }
    return false;
  }

  void Run() {
    while (WaitReadable(listener_)) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      Serve(fd);
      ::close(fd);
    }
  }

  // One connection, request after request, until the peer closes it.
  void Serve(int fd) {
    std::string in;
    for (;;) {
      std::size_t end;
      while ((end = in.find("\r\n\r\n")) == std::string::npos) {
        if (!Read(fd, in)) return;
      }
      Received r;
      const std::string head = in.substr(0, end);
      in.erase(0, end + 4);
      std::size_t pos = head.find("\r\n");
      const std::string request_line = head.substr(0, pos);
      r.method = request_line.substr(0, request_line.find(' '));
      r.target =
          request_line.substr(r.method.size() + 1, request_line.rfind(' ') - r.method.size() - 1);
      std::size_t content_length = 0;
      while (pos != std::string::npos) {
        const std::size_t next = head.find("\r\n", pos + 2);
        const std::string line =
            head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        r.header_lines.push_back(line);
        if (line.rfind("Content-Length: ", 0) == 0) content_length = std::stoul(line.substr(16));
        pos = next;
      }
      while (in.size() < content_length) {
        if (!Read(fd, in)) return;
      }
      r.body = in.substr(0, content_length);
      in.erase(0, content_length);
      {
        std::lock_guard lock(mu_);
        requests_.push_back(r);
      }
      const std::string out = respond_(r);
      std::size_t sent = 0;
      while (sent < out.size()) {
        const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return;
        sent += static_cast<std::size_t>(n);
      }
    }
  }

  bool Read(int fd, std::string& in) {
    if (!WaitReadable(fd)) return false;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  std::function<std::string(const Received&)> respond_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<Received> requests_;
  std::thread thread_;
};

std::string Answer(int status, const std::string& body, const std::string& extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" +
         body;
}

Result<HttpClientAnswer> Get(const std::string& url, long max_redirects = 0,
                             std::size_t max_body_bytes = 1 << 20) {
  HttpClientRequest r;
  r.url = url;
  r.max_redirects = max_redirects;
  r.max_body_bytes = max_body_bytes;
  HttpClient client;
  return client.Perform(r);
}

TEST(HttpClientTest, ReturnsStatusFieldsAndBody) {
  ScriptedServer server([](const Received&) {
    return Answer(200, "hello",
                  "Cache-Control: max-age=5\r\nX-One:  padded\r\ncache-control: public\r\n");
  });
  Result<HttpClientAnswer> a = Get(server.Url("/ok"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(a->body, "hello");
  EXPECT_EQ(a->Header("CACHE-CONTROL"), "max-age=5, public");  // RFC 9110 5.3: one list
  EXPECT_EQ(a->Header("x-one"), "padded");
  EXPECT_EQ(a->Header("x-none"), std::nullopt);
  EXPECT_EQ(server.Requests().at(0).target, "/ok");
}

TEST(HttpClientTest, AnErrorStatusIsAnAnswer) {
  ScriptedServer server([](const Received&) { return Answer(503, "busy"); });
  Result<HttpClientAnswer> a = Get(server.Url("/"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->status, 503);
  EXPECT_EQ(a->body, "busy");
}

TEST(HttpClientTest, RedirectsAreAnswersUnlessAllowed) {
  ScriptedServer server([](const Received& r) {
    if (r.target == "/moved") return Answer(302, "", "Location: /final\r\nX-Hop: 1\r\n");
    return Answer(200, "final", "X-Final: 1\r\n");
  });
  Result<HttpClientAnswer> a = Get(server.Url("/moved"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->status, 302);
  EXPECT_EQ(a->Header("location"), "/final");
  EXPECT_EQ(server.Requests().size(), 1u);

  a = Get(server.Url("/moved"), 3);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(a->body, "final");
  EXPECT_EQ(a->Header("x-final"), "1");
  EXPECT_EQ(a->Header("x-hop"), std::nullopt);  // the redirect's fields are not the answer's
}

TEST(HttpClientTest, RedirectsAreBounded) {
  ScriptedServer server([](const Received&) { return Answer(302, "", "Location: /again\r\n"); });
  Result<HttpClientAnswer> a = Get(server.Url("/loop"), 2);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(HttpClientErrorOf(a.status()), HttpClientError::kTransport);
  EXPECT_EQ(server.Requests().size(), 3u);
}

TEST(HttpClientTest, OnlyHttpSchemesEvenByRedirect) {
  for (const char* url : {"file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x", ""}) {
    Result<HttpClientAnswer> a = Get(url);
    ASSERT_FALSE(a.ok()) << url;
    EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_EQ(HttpClientErrorOf(a.status()), HttpClientError::kBadUrl) << url;
  }
  ScriptedServer server(
      [](const Received&) { return Answer(302, "", "Location: file:///etc/passwd\r\n"); });
  Result<HttpClientAnswer> a = Get(server.Url("/"), 3);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(HttpClientErrorOf(a.status()), HttpClientError::kTransport);
}

TEST(HttpClientTest, BodyIsBounded) {
  ScriptedServer server([](const Received& r) {
    if (r.target == "/chunked") {
      // No Content-Length: the bound applies while the body is read.
      std::string chunk(40, 'x');
      return "HTTP/1.1 200 X\r\nTransfer-Encoding: chunked\r\n\r\n28\r\n" + chunk + "\r\n28\r\n" +
             chunk + "\r\n0\r\n\r\n";
    }
    return Answer(200, std::string(r.target == "/exact" ? 50 : 51, 'x'));
  });
  Result<HttpClientAnswer> a = Get(server.Url("/exact"), 0, 50);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->body.size(), 50u);
  for (const char* path : {"/over", "/chunked"}) {
    a = Get(server.Url(path), 0, 50);
    ASSERT_FALSE(a.ok()) << path;
    EXPECT_EQ(a.status().code(), StatusCode::kResourceExhausted) << path;
    EXPECT_EQ(HttpClientErrorOf(a.status()), HttpClientError::kTooLarge) << path;
    EXPECT_EQ(a.status().message(), "answer larger than 50 bytes") << path;
  }
}

TEST(HttpClientTest, HeadIsNotRefusedForTheBodyItDoesNotGet) {
  ScriptedServer server([](const Received&) {
    return std::string("HTTP/1.1 200 X\r\nContent-Length: 100000\r\n\r\n");
  });
  HttpClientRequest r;
  r.method = "HEAD";
  r.url = server.Url("/big");
  r.max_body_bytes = 10;
  HttpClient client;
  Result<HttpClientAnswer> a = client.Perform(r);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(a->body, "");
  EXPECT_EQ(server.Requests().at(0).method, "HEAD");
}

TEST(HttpClientTest, HeaderFieldsAreBounded) {
  ScriptedServer server([](const Received&) {
    std::string fields;
    const std::string value(1000, 'v');
    for (int i = 0; fields.size() <= kMaxHeaderBytes; ++i) {
      fields += "X-F" + std::to_string(i) + ": " + value + "\r\n";
    }
    return Answer(200, "", fields);
  });
  Result<HttpClientAnswer> a = Get(server.Url("/"));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(HttpClientErrorOf(a.status()), HttpClientError::kTooLarge);
  EXPECT_EQ(a.status().message(),
            "header fields larger than " + std::to_string(kMaxHeaderBytes) + " bytes");
}

TEST(HttpClientTest, TimeIsBounded) {
  ScriptedServer server([](const Received&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    return Answer(200, "late");
  });
  HttpClientRequest r;
  r.url = server.Url("/slow");
  r.timeout_seconds = 1;
  HttpClient client;
  const auto start = std::chrono::steady_clock::now();
  Result<HttpClientAnswer> a = client.Perform(r);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(HttpClientErrorOf(a.status()), HttpClientError::kTimeout);
  EXPECT_LT(took, std::chrono::milliseconds(1900));
}

TEST(HttpClientTest, RefusedConnectionIsTransportError) {
  int port;
  {
    ScriptedServer closed([](const Received&) { return Answer(200, ""); });
    port = std::stoi(closed.Url("").substr(17));
  }
  Result<HttpClientAnswer> a = Get("http://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(HttpClientErrorOf(a.status()), HttpClientError::kTransport);
  EXPECT_FALSE(a.status().message().empty());
}

TEST(HttpClientTest, SendsMethodFieldsAndBody) {
  ScriptedServer server([](const Received&) { return Answer(204, ""); });
  HttpClient client;
  auto send = [&](const std::string& method, std::optional<std::string_view> body) {
    HttpClientRequest r;
    r.method = method;
    r.url = server.Url("/m");
    r.headers = {"X-Named: value", "X-Empty;", "Expect:"};
    r.body = body;
    r.user_agent = "tessera-test";
    Result<HttpClientAnswer> a = client.Perform(r);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return server.Requests().back();
  };
  Received r = send("POST", "a=b&c=d");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.body, "a=b&c=d");
  EXPECT_TRUE(r.HasLine("Content-Length: 7"));
  EXPECT_TRUE(r.HasLine("X-Named: value"));
  EXPECT_TRUE(r.HasLine("X-Empty:"));
  EXPECT_TRUE(r.HasLine("User-Agent: tessera-test"));
  EXPECT_FALSE(r.HasField("expect"));
  EXPECT_FALSE(r.HasField("accept-encoding"));

  r = send("DELETE", std::nullopt);
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_FALSE(r.HasField("content-length"));

  r = send("PUT", "");  // a present empty body is sent as one
  EXPECT_EQ(r.method, "PUT");
  EXPECT_TRUE(r.HasLine("Content-Length: 0"));

  r = send("GET", "q");
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.body, "q");

  r = send("GET", std::nullopt);
  EXPECT_EQ(r.method, "GET");
  EXPECT_FALSE(r.HasField("content-length"));
}

TEST(HttpClientTest, BodyComesAsSent) {
  ScriptedServer server(
      [](const Received&) { return Answer(200, "not really gzip", "Content-Encoding: gzip\r\n"); });
  Result<HttpClientAnswer> a = Get(server.Url("/"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->body, "not really gzip");
}

TEST(HttpClientTest, AClientReusesItsConnection) {
  ScriptedServer server([](const Received&) { return Answer(200, "x"); });
  HttpClient client;
  HttpClientRequest r;
  r.url = server.Url("/");
  for (int i = 0; i < 3; ++i) {
    Result<HttpClientAnswer> a = client.Perform(r);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
  }
  EXPECT_EQ(server.Requests().size(), 3u);
  EXPECT_EQ(server.Connections(), 1);
}

TEST(HttpClientTest, ParsesHttpDates) {
  // RFC 9110 5.6.7: the preferred form and both obsolete ones.
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), 784111777);
  EXPECT_EQ(ParseHttpDate("soon"), std::nullopt);
  EXPECT_EQ(ParseHttpDate(""), std::nullopt);
}

}  // namespace
}  // namespace tessera
