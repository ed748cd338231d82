// IssuerKeys against a real HTTP server on loopback that plays an outside issuer: a JWK Set the
// test rotates, Cache-Control, outages, a redirect, an oversized answer and OpenID Connect
// discovery, fetched through the production HttpKeyFetcher; time from a FixedClock.
#include "federation/issuer_keys.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <memory>
#include <mutex>
#include <thread>

#include "http/server.h"
#include "jose/json.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/keyio.h"

namespace tessera::federation {
namespace {

using jose::Algorithm;
using jose::Json;
using R = FederationReason;

constexpr int64_t kNow = 1'800'000'000;

struct SigningKey {
  jose::Key key;
  std::string kid;
  Algorithm alg;
};

const SigningKey& KeyA() {
  static const SigningKey k{jose::GenerateKey(jose::KeyType::kRsa, 2048).value(), "a",
                            Algorithm::kRS256};
  return k;
}
const SigningKey& KeyB() {
  static const SigningKey k{jose::GenerateKey(jose::KeyType::kEc, 256).value(), "b",
                            Algorithm::kES256};
  return k;
}

// An outside issuer: /jwks, /.well-known/openid-configuration, /moved (302 to /jwks), /big.
class IssuerServer {
 public:
  IssuerServer() {
    http::Router router;
    router.Add("GET", "/jwks", [this](http::Request&) {
      ++jwks_fetches;
      std::lock_guard lock(mu_);
      if (down_) return http::Response::Json(503, R"({"error":"down"})");
      http::Response r = http::Response::Json(200, body_);
      if (!cache_control_.empty()) r.AddHeader("Cache-Control", cache_control_);
      return r;
    });
    router.Add("GET", "/.well-known/openid-configuration", [this](http::Request&) {
      ++discovery_fetches;
      std::lock_guard lock(mu_);
      return http::Response::Json(
          200,
          jose::DumpCompact(Json{{"issuer", discovery_issuer_.empty() ? base() : discovery_issuer_},
                                 {"jwks_uri", jwks_uri_.empty() ? url() : jwks_uri_}}));
    });
    router.Add("GET", "/moved", [this](http::Request&) {
      http::Response r = http::Response::Json(302, "{}");
      r.AddHeader("Location", url());
      return r;
    });
    router.Add("GET", "/big", [](http::Request&) {
      return http::Response::Json(200,
                                  R"({"keys":[],"pad":")" + std::string(300 * 1024, 'x') + "\"}");
    });
    server_ = std::make_unique<http::Server>(
        http::ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 2, .access_log = false},
        std::move(router));
    EXPECT_TRUE(server_->Start().ok());
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  std::string url() const { return base() + "/jwks"; }
  void Publish(const std::vector<const SigningKey*>& keys, std::string cache_control = "") {
    Json set = {{"keys", Json::array()}};
    for (const SigningKey* k : keys) {
      set["keys"].push_back(jose::PublicJwk(k->key.PublicKey().value(), k->kid).value());
    }
    std::lock_guard lock(mu_);
    body_ = jose::DumpCompact(set);
    cache_control_ = std::move(cache_control);
  }
  void SetDown(bool down) {
    std::lock_guard lock(mu_);
    down_ = down;
  }
  void SetDiscovery(std::string issuer, std::string jwks_uri) {
    std::lock_guard lock(mu_);
    discovery_issuer_ = std::move(issuer);
    jwks_uri_ = std::move(jwks_uri);
  }
  std::atomic<int> jwks_fetches{0};
  std::atomic<int> discovery_fetches{0};

 private:
  std::mutex mu_;
  std::string body_ = R"({"keys":[]})";
  std::string cache_control_;
  std::string discovery_issuer_;
  std::string jwks_uri_;
  bool down_ = false;
  std::unique_ptr<http::Server> server_;
};

class IssuerKeysTest : public ::testing::Test {
 protected:
  IssuerKeysTest() : keys_(fetcher_, clock_) {
    server_.Publish({&KeyA()}, "max-age=300");
    trust_.name = "outside";
    trust_.issuer = server_.base();
    trust_.public_key_endpoint = server_.url();
  }
  R Why(const Result<jose::Key>& r) {
    EXPECT_FALSE(r.ok());
    return FederationReasonOf(r.status());
  }

  IssuerServer server_;
  HttpKeyFetcher fetcher_;
  FixedClock clock_{kNow};
  IssuerKeys keys_;
  Trust trust_;
};

TEST_F(IssuerKeysTest, RotationAnUnknownKidRefetchesAtMostOncePerInterval) {
  ASSERT_TRUE(keys_.Find(trust_, "a").ok());
  EXPECT_EQ(server_.jwks_fetches, 1);
  ASSERT_TRUE(keys_.Find(trust_, "a").ok());
  EXPECT_EQ(server_.jwks_fetches, 1);  // cached
  // The issuer rotates to B; a token naming B refetches at once... after the interval.
  server_.Publish({&KeyB()}, "max-age=300");
  clock_.Advance(30);
  Result<jose::Key> b = keys_.Find(trust_, "b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->type(), jose::KeyType::kEc);
  EXPECT_EQ(server_.jwks_fetches, 2);
  EXPECT_EQ(Why(keys_.Find(trust_, "a")), R::kKeyNotFound);  // rotated out; rate-limited
  EXPECT_EQ(Why(keys_.Find(trust_, "made-up")), R::kKeyNotFound);
  EXPECT_EQ(server_.jwks_fetches, 2);
  clock_.Advance(30);
  EXPECT_EQ(Why(keys_.Find(trust_, "made-up")), R::kKeyNotFound);
  EXPECT_EQ(server_.jwks_fetches, 3);
  EXPECT_EQ(keys_.Stats(trust_).fetches, 3u);
  EXPECT_EQ(keys_.Stats(trust_).keys, 1u);
}

TEST_F(IssuerKeysTest, ConcurrentUnknownKidsShareOneFetch) {
  ASSERT_TRUE(keys_.Find(trust_, "a").ok());
  clock_.Advance(31);
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::atomic<int> not_found{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      Result<jose::Key> r = keys_.Find(trust_, "unknown-" + std::to_string(i));
      if (FederationReasonOf(r.status()) == R::kKeyNotFound) ++not_found;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(not_found, kThreads);
  EXPECT_EQ(server_.jwks_fetches, 2);  // the first fetch and one refetch, whatever the threads
}

TEST_F(IssuerKeysTest, CacheControlIsHonouredWithinBounds) {
  server_.Publish({&KeyA()}, "public, max-age=120");
  ASSERT_TRUE(keys_.Find(trust_, "a").ok());
  clock_.Advance(119);
  ASSERT_TRUE(keys_.Find(trust_, "a").ok());
  EXPECT_EQ(server_.jwks_fetches, 1);
  clock_.Advance(1);
  ASSERT_TRUE(keys_.Find(trust_, "a").ok());
  EXPECT_EQ(server_.jwks_fetches, 2);
  // max-age=5 and no-store are raised to min_cache_seconds (60).
  server_.Publish({&KeyA()}, "no-store");
  clock_.Advance(120);
  ASSERT_TRUE(keys_.Find(trust_, "a").ok());
  EXPECT_EQ(server_.jwks_fetches, 3);
  clock_.Advance(59);
  ASSERT_TRUE(keys_.Find(trust_, "a").ok());
  EXPECT_EQ(server_.jwks_fetches, 3);
  clock_.Advance(1);
  ASSERT_TRUE(keys_.Find(trust_, "a").ok());
  EXPECT_EQ(server_.jwks_fetches, 4);
}

TEST_F(IssuerKeysTest, IssuerDownStaleKeysServeUntilTheBoundThenUnavailable) {
  ASSERT_TRUE(keys_.Find(trust_, "a").ok());  // fresh until kNow + 300
  server_.SetDown(true);
  clock_.Set(kNow + 301);
  EXPECT_TRUE(keys_.Find(trust_, "a").ok());  // refresh failed; the stale set still serves
  EXPECT_EQ(server_.jwks_fetches, 2);
  EXPECT_EQ(keys_.Stats(trust_).failures, 1u);
  clock_.Set(kNow + 300 + 3600 - 1);
  EXPECT_TRUE(keys_.Find(trust_, "a").ok());
  clock_.Set(kNow + 300 + 3600);
  Result<jose::Key> gone = keys_.Find(trust_, "a");
  EXPECT_EQ(Why(gone), R::kKeysUnavailable);
  EXPECT_EQ(gone.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(gone.status().message().find("503"), std::string::npos) << gone.status().message();
  // The issuer comes back: the next fetch (after the interval) restores the keys.
  server_.SetDown(false);
  clock_.Advance(30);
  EXPECT_TRUE(keys_.Find(trust_, "a").ok());
}

TEST_F(IssuerKeysTest, NoCachedKeyAndIssuerDownIsUnavailableAndRateLimited) {
  server_.SetDown(true);
  EXPECT_EQ(Why(keys_.Find(trust_, "a")), R::kKeysUnavailable);
  EXPECT_EQ(Why(keys_.Find(trust_, "a")), R::kKeysUnavailable);
  EXPECT_EQ(server_.jwks_fetches, 1);  // the second lookup did not fetch again
  clock_.Advance(30);
  server_.SetDown(false);
  EXPECT_TRUE(keys_.Find(trust_, "a").ok());
  EXPECT_EQ(server_.jwks_fetches, 2);
}

TEST_F(IssuerKeysTest, RedirectsAreNotFollowed) {
  trust_.public_key_endpoint = server_.base() + "/moved";
  Result<jose::Key> r = keys_.Find(trust_, "a");
  EXPECT_EQ(Why(r), R::kKeysUnavailable);
  EXPECT_NE(r.status().message().find("302"), std::string::npos) << r.status().message();
  EXPECT_EQ(server_.jwks_fetches, 0);
}

TEST_F(IssuerKeysTest, OversizedAnswersAreRefused) {
  trust_.public_key_endpoint = server_.base() + "/big";
  Result<jose::Key> r = keys_.Find(trust_, "a");
  EXPECT_EQ(Why(r), R::kKeysUnavailable);
  EXPECT_NE(r.status().message().find("larger than"), std::string::npos) << r.status().message();
}

TEST_F(IssuerKeysTest, DiscoveryFindsTheJwksUri) {
  trust_.public_key_endpoint.clear();
  ASSERT_TRUE(ValidateTrust([&] {
                Trust t = trust_;
                t.audiences = {"x"};
                t.oauth_clients = {"c"};
                return t;
              }())
                  .ok());
  Result<jose::Key> r = keys_.Find(trust_, "a");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(server_.discovery_fetches, 1);
  EXPECT_EQ(server_.jwks_fetches, 1);
}

TEST_F(IssuerKeysTest, DiscoveryMustNameTheSameIssuerAndASafeJwksUri) {
  trust_.public_key_endpoint.clear();
  server_.SetDiscovery("https://someone-else.test", "");
  Result<jose::Key> r = keys_.Find(trust_, "a");
  EXPECT_EQ(Why(r), R::kKeysUnavailable);
  EXPECT_NE(r.status().message().find("\"issuer\""), std::string::npos) << r.status().message();
  EXPECT_EQ(server_.jwks_fetches, 0);

  IssuerKeys fresh(fetcher_, clock_);
  server_.SetDiscovery("", "http://keys.example.test/jwks");  // cleartext, not loopback
  r = fresh.Find(trust_, "a");
  EXPECT_EQ(Why(r), R::kKeysUnavailable);
  EXPECT_NE(r.status().message().find("https://"), std::string::npos) << r.status().message();
}

TEST_F(IssuerKeysTest, InlineCertificateNeedsNoNetwork) {
  const jose::Certificate cert =
      jose::MakeSelfSignedCertificate(KeyB().key, "CN=outside", 10, kNow - 10).value();
  trust_.public_key_endpoint.clear();
  trust_.public_certificate = jose::CertificateToPem(cert);
  Result<jose::Key> r = keys_.Find(trust_, std::nullopt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(keys_.Find(trust_, "whatever").ok());
  EXPECT_EQ(server_.jwks_fetches + server_.discovery_fetches, 0);
  clock_.Advance(86400 * 11);
  EXPECT_EQ(Why(keys_.Find(trust_, std::nullopt)), R::kCertificateExpired);
}

TEST_F(IssuerKeysTest, ChangingTheEndpointNeverServesTheOldKeys) {
  ASSERT_TRUE(keys_.Find(trust_, "a").ok());
  trust_.public_key_endpoint = server_.base() + "/moved";
  EXPECT_EQ(Why(keys_.Find(trust_, "a")), R::kKeysUnavailable);
}

TEST_F(IssuerKeysTest, RefreshBypassesTheRateLimit) {
  ASSERT_TRUE(keys_.Find(trust_, "a").ok());
  EXPECT_TRUE(keys_.Refresh(trust_).ok());
  EXPECT_TRUE(keys_.Refresh(trust_).ok());
  EXPECT_EQ(server_.jwks_fetches, 3);
  server_.SetDown(true);
  EXPECT_EQ(FederationReasonOf(keys_.Refresh(trust_)), R::kKeysUnavailable);
  EXPECT_TRUE(keys_.Find(trust_, "a").ok());  // the cached set is kept
}

TEST_F(IssuerKeysTest, EndToEndAnOutsideTokenVerifiesWithTheIssuersRotatedKey) {
  trust_.active = true;
  trust_.audiences = {"https://idm.example.test"};
  trust_.oauth_clients = {"client-1"};
  ASSERT_TRUE(ValidateTrust(trust_).ok());
  const Json claims = {
      {"iss", server_.base()}, {"sub", "alice"},    {"aud", "https://idm.example.test"},
      {"iat", kNow},           {"exp", kNow + 300}, {"jti", "j-1"}};
  auto token = [&](const SigningKey& k) {
    return jose::SignJwt(claims, k.key, k.alg, {{"kid", k.kid}}).value();
  };
  Result<FederatedIdentity> who = ValidateOutsideToken(token(KeyA()), trust_, keys_, clock_,
                                                       {.presenting_client_id = "client-1"});
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->mapping_value, "alice");
  server_.Publish({&KeyA(), &KeyB()}, "max-age=300");
  clock_.Advance(30);
  who = ValidateOutsideToken(token(KeyB()), trust_, keys_, clock_,
                             {.presenting_client_id = "client-1"});
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->key_id, "b");
  server_.SetDown(true);
  IssuerKeys cold(fetcher_, clock_);
  who = ValidateOutsideToken(token(KeyA()), trust_, cold, clock_,
                             {.presenting_client_id = "client-1"});
  EXPECT_EQ(FederationReasonOf(who.status()), R::kKeysUnavailable);
}

TEST_F(IssuerKeysTest, TheNumberOfCachedSourcesIsBounded) {
  IssuerKeys small(fetcher_, clock_, {.max_sources = 2});
  std::vector<Trust> trusts(3, trust_);
  for (int i = 0; i < 3; ++i) {
    trusts[i].public_key_endpoint = server_.url() + "?n=" + std::to_string(i);
    ASSERT_TRUE(small.Find(trusts[i], "a").ok());
    clock_.Advance(1);
  }
  EXPECT_EQ(small.Stats(trusts[0]).fetches, 0u);  // the least recently used went
  EXPECT_EQ(small.Stats(trusts[1]).fetches, 1u);
  EXPECT_EQ(small.Stats(trusts[2]).fetches, 1u);
  ASSERT_TRUE(small.Find(trusts[0], "a").ok());  // fetched again on its next use
  EXPECT_EQ(server_.jwks_fetches, 4);
}

TEST(KeySetTest, RefusesEmptyAndUnhygienicSets) {
  EXPECT_FALSE(KeySet::FromJwks(R"({"keys":[]})").ok());
  EXPECT_FALSE(KeySet::FromJwks("not json").ok());
  EXPECT_FALSE(
      KeySet::FromJwks(
          R"({"keys":[{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","alg":"HS256"}]})")
          .ok());
  Json a = jose::PublicJwk(KeyA().key.PublicKey().value(), "same").value();
  Json b = jose::PublicJwk(KeyB().key.PublicKey().value(), "same").value();
  EXPECT_FALSE(KeySet::FromJwks(jose::DumpCompact(Json{{"keys", {a, b}}})).ok());  // dup kid
  b["kid"] = "other";
  EXPECT_FALSE(KeySet::FromJwks(jose::DumpCompact(Json{{"keys", {a, b}}}), 1).ok());  // max_keys
  EXPECT_TRUE(KeySet::FromJwks(jose::DumpCompact(Json{{"keys", {a, b}}})).ok());
}

TEST(KeyFetcherTest, ProductionFetcherRefusesRedirectsAndOversize) {
  IssuerServer server;
  server.Publish({&KeyA()}, "max-age=42");
  HttpKeyFetcher fetcher;
  Result<FetchedDocument> ok = fetcher.Get(server.url(), 64 * 1024, 5);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->max_age, 42);
  EXPECT_FALSE(fetcher.Get(server.base() + "/moved", 64 * 1024, 5).ok());
  Result<FetchedDocument> big = fetcher.Get(server.base() + "/big", 64 * 1024, 5);
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace tessera::federation
