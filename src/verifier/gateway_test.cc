// The gateway's request and answer rewriting, over real loopback sockets: a JWK Set server, an
// upstream that records what reached it, and the gateway's routes on tessera's HTTP server.
#include "verifier/gateway.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/server.h"
#include "jose/json.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/keyio.h"

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

std::unique_ptr<http::Server> Serve(http::Router router) {
  auto server = std::make_unique<http::Server>(
      http::ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 2, .access_log = false},
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
    verifier::Verifier v = Must(verifier::Verifier::Create(vo));
    http::Router router;
    GatewayOptions go;
    go.upstream = Base(*upstream_) + "/base/";
    ASSERT_TRUE(AddGatewayRoutes(router, v, go, {"read"}).ok());
    gateway_ = Serve(std::move(router));
  }

  std::string Token(const std::string& scope) {
    const int64_t now = std::time(nullptr);
    Json claims = {{"iss", "iss"}, {"aud", "aud"},     {"sub", "alice"},    {"scope", scope},
                   {"iat", now},   {"exp", now + 600}, {"client_id", "app"}};
    return Must(jose::SignJwt(claims, SigningKey(), jose::Algorithm::kES256, {{"kid", "k1"}}));
  }

  std::string url(const std::string& path) { return Base(*gateway_) + path; }

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

TEST(GatewayOptionsTest, RejectsNonHttpUpstream) {
  verifier::VerifierOptions vo;
  vo.jwks_url = "http://127.0.0.1:1/jwks";
  vo.issuer = "iss";
  vo.audiences = {"aud"};
  vo.fetch_timeout_seconds = 1;
  verifier::Verifier v = Must(verifier::Verifier::Create(vo));
  http::Router router;
  EXPECT_FALSE(AddGatewayRoutes(router, v, {.upstream = "file:///etc"}, {}).ok());
}

}  // namespace
}  // namespace tessera::gateway
