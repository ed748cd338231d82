// TokenSource and AssertionSigner against a real token endpoint on loopback (tessera's HTTP
// server with a handler that checks the request as Tessera would and counts it).
#include "tessera/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "http/form.h"
#include "http/server.h"
#include "jose/json.h"
#include "jose/jws.h"
#include "jose/keyio.h"

namespace tessera::client {
namespace {

using jose::Json;
using namespace std::chrono_literals;

constexpr int64_t kStart = 1'800'000'000;

template <typename T>
T Must(Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

const jose::Key& UserKey() {
  static const jose::Key k = Must(jose::GenerateKey(jose::KeyType::kRsa, 2048));
  return k;
}

// A token endpoint. By default it checks Basic credentials client:secret and answers a token
// numbered by the request; `script` may answer otherwise.
class TokenEndpoint {
 public:
  using Script = std::function<std::optional<http::Response>(int n, http::Request&)>;
  explicit TokenEndpoint(int64_t expires_in = 3600) : expires_in_(expires_in) {
    http::Router router;
    router.Add("POST", "/oauth2/v1/token", [this](http::Request& req) { return Handle(req); });
    server_ = std::make_unique<http::Server>(
        http::ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 4, .access_log = false},
        std::move(router));
    EXPECT_TRUE(server_->Start().ok());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  void SetScript(Script s) {
    std::lock_guard lock(mu_);
    script_ = std::move(s);
  }
  std::map<std::string, std::string> LastForm() {
    std::lock_guard lock(mu_);
    return last_form_;
  }
  std::atomic<int> requests{0};
  std::chrono::milliseconds delay{0};

 private:
  http::Response Handle(http::Request& req) {
    const int n = ++requests;
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    Script script;
    {
      std::lock_guard lock(mu_);
      script = script_;
    }
    if (script) {
      if (std::optional<http::Response> r = script(n, req)) return *r;
    }
    Result<std::map<std::string, std::string>> form = http::ParseForm(req.body);
    if (!form.ok()) return http::Response::Json(400, R"({"error":"invalid_request"})");
    {
      std::lock_guard lock(mu_);
      last_form_ = *form;
    }
    if (form->count("client_assertion") == 0) {
      auto auth = req.Header("authorization");
      Result<http::BasicCredentials> basic =
          auth ? http::ParseBasicAuthorization(*auth) : Status::NotFound("no Basic");
      if (!basic.ok() || basic->client_id != "client" || basic->client_secret != "s3cret/+:") {
        return http::Response::Json(
            401,
            R"({"error":"invalid_client","error_description":"Client authentication failed.","ecid":"E1"})");
      }
    }
    if (form->at("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      Result<jose::Jws> jws = jose::ParseJwt(form->at("assertion"));
      if (!jws.ok() || !jose::Verify(*jws, Must(UserKey().PublicKey())).ok() ||
          jws->kid != "assert" || jws->claims.at("iss") != "client") {
        return http::Response::Json(
            400,
            R"({"error":"invalid_grant","error_description":"assertion signature does not verify"})");
      }
      std::lock_guard lock(mu_);
      jtis_.insert(jws->claims.at("jti").get<std::string>());
    }
    Json answer = {{"access_token", "token-" + std::to_string(n)},
                   {"token_type", "Bearer"},
                   {"expires_in", expires_in_}};
    return http::Response::Json(200, answer.dump()).AddHeader("Cache-Control", "no-store");
  }

 public:
  std::size_t DistinctJtis() {
    std::lock_guard lock(mu_);
    return jtis_.size();
  }

 private:
  int64_t expires_in_;
  std::mutex mu_;
  Script script_;
  std::map<std::string, std::string> last_form_;
  std::set<std::string> jtis_;
  std::unique_ptr<http::Server> server_;
};

TokenSourceOptions Options(const TokenEndpoint& ep, const Clock* clock) {
  TokenSourceOptions o;
  o.base_url = ep.url();
  o.client_id = "client";
  o.client_secret = "s3cret/+:";
  o.clock = clock;
  o.retry.initial_backoff = 20ms;
  o.retry.max_backoff = 200ms;
  return o;
}

AssertionSigner UserSigner(const Clock* clock) {
  SignerOptions so;
  so.kid = "assert";
  so.clock = clock;
  return Must(AssertionSigner::FromPem(Must(jose::PrivateKeyToPem(UserKey())), so));
}

TEST(TokenSourceTest, CachesPerSubjectAndScopeAndRenewsAt80Percent) {
  TokenEndpoint ep(3600);
  FixedClock clock(kStart);
  TokenSource ts = Must(TokenSource::Create(Options(ep, &clock)));
  EXPECT_EQ(Must(ts.ClientToken("a")).access_token, "token-1");
  EXPECT_EQ(Must(ts.ClientToken("a")).access_token, "token-1");
  EXPECT_EQ(Must(ts.ClientToken("b")).access_token, "token-2");  // another scope
  EXPECT_EQ(ep.requests.load(), 2);
  clock.Set(kStart + 2879);  // 80% of 3600 s is 2880 s
  EXPECT_EQ(Must(ts.ClientToken("a")).access_token, "token-1");
  clock.Set(kStart + 2880);
  Token renewed = Must(ts.ClientToken("a"));
  EXPECT_EQ(renewed.access_token, "token-3");
  EXPECT_EQ(renewed.expires_at, kStart + 2880 + 3600);
  EXPECT_EQ(ep.requests.load(), 3);
  ts.Invalidate("", "a");
  EXPECT_EQ(Must(ts.ClientToken("a")).access_token, "token-4");
}

TEST(TokenSourceTest, ShortTokensRenewSixtySecondsBeforeOrAtHalfLife) {
  {
    TokenEndpoint ep(200);  // 80% = 160 s, 60 s before = 140 s: the earlier wins
    FixedClock clock(kStart);
    TokenSource ts = Must(TokenSource::Create(Options(ep, &clock)));
    (void)Must(ts.ClientToken(""));
    clock.Set(kStart + 139);
    (void)Must(ts.ClientToken(""));
    EXPECT_EQ(ep.requests.load(), 1);
    clock.Set(kStart + 140);
    (void)Must(ts.ClientToken(""));
    EXPECT_EQ(ep.requests.load(), 2);
  }
  {
    TokenEndpoint ep(60);  // 60 s before expiry is issuance: renew at half-life instead
    FixedClock clock(kStart);
    TokenSource ts = Must(TokenSource::Create(Options(ep, &clock)));
    (void)Must(ts.ClientToken(""));
    clock.Set(kStart + 29);
    (void)Must(ts.ClientToken(""));
    EXPECT_EQ(ep.requests.load(), 1);
    clock.Set(kStart + 30);
    (void)Must(ts.ClientToken(""));
    EXPECT_EQ(ep.requests.load(), 2);
  }
}

TEST(TokenSourceTest, ThirtyTwoThreadsAtOnceMakeOneRequest) {
  TokenEndpoint ep;
  ep.delay = 300ms;  // long enough that every thread asks while the request is out
  TokenSource ts = Must(TokenSource::Create(Options(ep, nullptr)));
  constexpr int kThreads = 32;
  std::latch start(kThreads);
  std::vector<std::string> got(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      Result<Token> t = ts.ClientToken("scope-x");
      got[i] = t.ok() ? t->access_token : t.status().ToString();
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ep.requests.load(), 1);
  EXPECT_EQ(ts.RequestCount(), 1u);
  for (const std::string& g : got) EXPECT_EQ(g, "token-1");
}

TEST(TokenSourceTest, WaitersShareTheErrorOfTheSingleRequest) {
  TokenEndpoint ep;
  ep.delay = 200ms;
  ep.SetScript([](int, http::Request&) -> std::optional<http::Response> {
    return http::Response::Json(400, R"({"error":"invalid_scope","error_description":"no"})");
  });
  TokenSource ts = Must(TokenSource::Create(Options(ep, nullptr)));
  std::latch start(8);
  std::atomic<int> scope_errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      TokenError e;
      if (!ts.ClientToken("bad", &e).ok() && e.error == "invalid_scope") ++scope_errors;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(scope_errors.load(), 8);
  EXPECT_EQ(ep.requests.load(), 1);
}

TEST(TokenSourceTest, RetriesServerErrorsWithBackoff) {
  TokenEndpoint ep;
  ep.SetScript([](int n, http::Request&) -> std::optional<http::Response> {
    if (n <= 2) return http::Response::Json(503, R"({"error":"temporarily_unavailable"})");
    return std::nullopt;
  });
  TokenSource ts = Must(TokenSource::Create(Options(ep, nullptr)));
  const auto t0 = std::chrono::steady_clock::now();
  Token t = Must(ts.ClientToken(""));
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(t.access_token, "token-3");
  EXPECT_EQ(ep.requests.load(), 3);
  EXPECT_EQ(ts.RequestCount(), 3u);
  EXPECT_GE(elapsed, 10ms + 20ms);  // waits in [10, 20] then [20, 40] ms
  EXPECT_LT(elapsed, 2s);
}

TEST(TokenSourceTest, GivesUpAfterMaxAttempts) {
  TokenEndpoint ep;
  ep.SetScript([](int, http::Request&) -> std::optional<http::Response> {
    return http::Response::Json(500, R"({"error":"server_error","error_description":"db down"})");
  });
  TokenSource ts = Must(TokenSource::Create(Options(ep, nullptr)));
  TokenError e;
  Result<Token> r = ts.ClientToken("", &e);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(e.kind, TokenError::Kind::kServer);
  EXPECT_EQ(e.http_status, 500);
  EXPECT_EQ(e.attempts, 4);
  EXPECT_EQ(e.error_description, "db down");
  EXPECT_EQ(ep.requests.load(), 4);
}

TEST(TokenSourceTest, HonoursRetryAfter) {
  TokenEndpoint ep;
  ep.SetScript([](int n, http::Request&) -> std::optional<http::Response> {
    if (n == 1) {
      return http::Response::Json(429, R"({"error":"slow_down"})").AddHeader("Retry-After", "1");
    }
    return std::nullopt;
  });
  TokenSource ts = Must(TokenSource::Create(Options(ep, nullptr)));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(Must(ts.ClientToken("")).access_token, "token-2");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1s);
}

TEST(TokenSourceTest, RetryAfterBeyondTheBoundEndsRetries) {
  TokenEndpoint ep;
  ep.SetScript([](int, http::Request&) -> std::optional<http::Response> {
    return http::Response::Json(503, "{}").AddHeader("Retry-After", "3600");
  });
  TokenSource ts = Must(TokenSource::Create(Options(ep, nullptr)));
  TokenError e;
  EXPECT_FALSE(ts.ClientToken("", &e).ok());
  EXPECT_EQ(ep.requests.load(), 1);
  EXPECT_EQ(e.kind, TokenError::Kind::kServer);
}

TEST(TokenSourceTest, NetworkErrorsAreRetriedThenReported) {
  // A port that was just free: connection refused.
  uint16_t port;
  {
    TokenEndpoint ep;
    port = static_cast<uint16_t>(std::stoi(ep.url().substr(ep.url().rfind(':') + 1)));
  }
  TokenSourceOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port);
  o.client_id = "client";
  o.client_secret = "x";
  o.retry.initial_backoff = 10ms;
  o.retry.max_backoff = 20ms;
  TokenSource ts = Must(TokenSource::Create(o));
  TokenError e;
  EXPECT_FALSE(ts.ClientToken("", &e).ok());
  EXPECT_EQ(e.kind, TokenError::Kind::kTransport);
  EXPECT_EQ(e.attempts, 4);
  EXPECT_EQ(ts.RequestCount(), 4u);
}

TEST(TokenSourceTest, ClientErrorsCarryTheServersErrorAndAreNotRetried) {
  TokenEndpoint ep;
  TokenSourceOptions o = Options(ep, nullptr);
  o.client_secret = "wrong";
  TokenSource ts = Must(TokenSource::Create(o));
  TokenError e;
  Result<Token> r = ts.ClientToken("", &e);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(e.kind, TokenError::Kind::kOAuth);
  EXPECT_EQ(e.http_status, 401);
  EXPECT_EQ(e.error, "invalid_client");
  EXPECT_EQ(e.error_description, "Client authentication failed.");
  EXPECT_EQ(e.ecid, "E1");
  EXPECT_EQ(e.ToString(), "invalid_client: Client authentication failed. (ecid E1)");
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(ep.requests.load(), 1);
}

TEST(TokenSourceTest, UserTokensSignAFreshAssertionPerRequest) {
  TokenEndpoint ep;
  FixedClock clock(kStart);
  TokenSourceOptions o = Options(ep, &clock);
  o.user_signer = UserSigner(&clock);
  TokenSource ts = Must(TokenSource::Create(o));
  EXPECT_EQ(Must(ts.UserToken("alice", "s")).access_token, "token-1");
  EXPECT_EQ(Must(ts.UserToken("alice", "s")).access_token, "token-1");
  EXPECT_EQ(Must(ts.UserToken("bob", "s")).access_token, "token-2");
  EXPECT_EQ(ep.LastForm().at("scope"), "s");
  EXPECT_EQ(ep.DistinctJtis(), 2u);
  // The assertion's claims, as RFC 7523 3 asks.
  Result<jose::Jws> jws = jose::ParseJwt(ep.LastForm().at("assertion"));
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->claims.at("sub"), "bob");
  EXPECT_EQ(jws->claims.at("aud"), "https://identity.oraclecloud.com/");
  EXPECT_EQ(jws->claims.at("iat"), kStart);
  EXPECT_EQ(jws->claims.at("exp"), kStart + 300);
  EXPECT_EQ(jws->header.at("alg"), "RS256");
  // No user signer: an error, no request.
  TokenSource no_signer = Must(TokenSource::Create(Options(ep, &clock)));
  TokenError e;
  EXPECT_FALSE(no_signer.UserToken("alice", "s", &e).ok());
  EXPECT_EQ(e.kind, TokenError::Kind::kInvalidRequest);
  EXPECT_EQ(ep.requests.load(), 2);
}

TEST(TokenSourceTest, PrivateKeyJwtClientAuthentication) {
  TokenEndpoint ep;
  TokenSourceOptions o = Options(ep, nullptr);
  o.client_secret.clear();
  o.client_signer = UserSigner(nullptr);
  TokenSource ts = Must(TokenSource::Create(o));
  EXPECT_EQ(Must(ts.ClientToken("")).access_token, "token-1");
  const auto form = ep.LastForm();
  EXPECT_EQ(form.at("client_id"), "client");
  EXPECT_EQ(form.at("client_assertion_type"),
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  Result<jose::Jws> jws = jose::ParseJwt(form.at("client_assertion"));
  ASSERT_TRUE(jws.ok());
  EXPECT_TRUE(jose::Verify(*jws, Must(UserKey().PublicKey())).ok());
  EXPECT_EQ(jws->claims.at("iss"), "client");
  EXPECT_EQ(jws->claims.at("sub"), "client");
}

TEST(TokenSourceTest, RejectsBadOptions) {
  TokenSourceOptions o;
  o.base_url = "ftp://x";
  o.client_id = "c";
  o.client_secret = "s";
  EXPECT_FALSE(TokenSource::Create(o).ok());
  o.base_url = "http://127.0.0.1:1";
  o.client_secret.clear();
  EXPECT_FALSE(TokenSource::Create(o).ok());  // no client authentication
  o.client_secret = "s";
  o.client_signer = UserSigner(nullptr);
  EXPECT_FALSE(TokenSource::Create(o).ok());  // two
}

TEST(AssertionSignerTest, KidX5tAndPkcs12) {
  FixedClock clock(kStart);
  const jose::Key& key = UserKey();
  const jose::Certificate cert =
      Must(jose::MakeSelfSignedCertificate(key, "CN=assert", 30, kStart));
  const std::string p12 = Must(jose::MakePkcs12(key, cert, "assert", "pw"));
  SignerOptions so;
  so.use_x5t = true;
  so.clock = &clock;
  AssertionSigner s = Must(AssertionSigner::FromPkcs12(p12, "pw", so));
  jose::Jws a = Must(jose::ParseJwt(Must(s.Sign("client", "alice"))));
  EXPECT_EQ(a.x5t, cert.x5t);
  EXPECT_FALSE(a.kid.has_value());
  EXPECT_NE(Must(s.Sign("client", "alice")), Must(s.Sign("client", "alice")));  // new jti
  EXPECT_FALSE(AssertionSigner::FromPkcs12(p12, "wrong", so).ok());
  so.use_x5t = false;
  EXPECT_FALSE(AssertionSigner::FromPkcs12(p12, "pw", so).ok());  // neither kid nor x5t
  so.kid = "assert";
  so.alg = "PS256";
  jose::Jws ps = Must(jose::ParseJwt(
      Must(Must(AssertionSigner::FromPkcs12(p12, "pw", so)).Sign("client", "alice"))));
  EXPECT_EQ(ps.alg, jose::Algorithm::kPS256);
  so.alg = "ES256";
  EXPECT_FALSE(AssertionSigner::FromPkcs12(p12, "pw", so).ok());
  so.alg = "HS256";
  EXPECT_FALSE(AssertionSigner::FromPkcs12(p12, "pw", so).ok());
  // A certificate of another key is refused.
  so.alg.clear();
  so.use_x5t = true;
  const jose::Key other = Must(jose::GenerateKey(jose::KeyType::kEc, 256));
  const jose::Certificate other_cert =
      Must(jose::MakeSelfSignedCertificate(other, "CN=other", 30, kStart));
  EXPECT_FALSE(AssertionSigner::FromPem(Must(jose::PrivateKeyToPem(key)), so, "",
                                        jose::CertificateToPem(other_cert))
                   .ok());
}

}  // namespace
}  // namespace tessera::client
