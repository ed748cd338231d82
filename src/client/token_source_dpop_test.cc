// TokenSource with a DPoP key and a TLS client certificate, against a token endpoint on loopback
// that checks each proof with the server's own validator (oauth/dpop.h) and server nonces.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "http/server.h"
#include "jose/json.h"
#include "jose/jws.h"
#include "oauth/dpop.h"
#include "oauth/dpop_nonce.h"
#include "tessera/client.h"
#include "tessera/clock.h"

namespace tessera::client {
namespace {

constexpr int64_t kNow = 1'800'000'000;

// A token endpoint that requires one valid DPoP proof for POST to its URL and binds the token
// to the proof's key; with `nonces`, also a current nonce (answered 400 use_dpop_nonce with a
// DPoP-Nonce header otherwise, RFC 9449 8).
class DpopTokenEndpoint {
 public:
  explicit DpopTokenEndpoint(const Clock& clock, bool nonces) : clock_(clock) {
    if (nonces) {
      nonces_ = std::make_unique<oauth::DpopNonces>(
          oauth::DpopNonces::Create(std::string(32, 'k'), clock_).value());
    }
    http::Router router;
    router.Add("POST", "/oauth2/v1/token", [this](http::Request& req) { return Handle(req); });
    server_ = std::make_unique<http::Server>(
        http::ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 2, .access_log = false},
        std::move(router));
    EXPECT_TRUE(server_->Start().ok());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  std::string token_url() const { return url() + "/oauth2/v1/token"; }
  std::string Issue() const { return nonces_->Issue(); }

  std::atomic<int> requests{0};
  std::atomic<bool> refuse_every_nonce{false};  // a broken server: use_dpop_nonce always
  std::atomic<int> fail_first{0};               // answer 503 to this many requests first

  std::vector<std::string> jtis() {
    std::lock_guard lock(mu_);
    return jtis_;
  }
  std::vector<std::string> jkts() {
    std::lock_guard lock(mu_);
    return jkts_;
  }

 private:
  http::Response Handle(http::Request& req) {
    const int n = ++requests;
    if (n <= fail_first) return http::Response::Json(503, R"({"error":"temporarily_unavailable"})");
    std::vector<std::string_view> proofs;
    for (const auto& [name, value] : req.headers) {
      if (name == "dpop") proofs.emplace_back(value);
    }
    oauth::DpopOptions options;
    options.nonces = nonces_.get();
    const oauth::DpopValidator validator = oauth::DpopValidator::Create(options, clock_).value();
    Result<oauth::DpopProof> proof =
        validator.Validate({.proofs = proofs, .method = req.method, .url = token_url()});
    if (refuse_every_nonce ||
        (!proof.ok() && oauth::DpopErrorWantsNonce(oauth::DpopErrorOf(proof.status())))) {
      return http::Response::Json(400, R"({"error":"use_dpop_nonce"})")
          .AddHeader("DPoP-Nonce", nonces_->Issue());
    }
    if (!proof.ok()) {
      return http::Response::Json(400, R"({"error":"invalid_dpop_proof","error_description":)" +
                                           http::JsonQuote(proof.status().message()) + "}");
    }
    {
      std::lock_guard lock(mu_);
      jtis_.push_back(proof->jti);
      jkts_.push_back(proof->jkt);
    }
    jose::Json answer = {{"access_token", "dpop-token-" + std::to_string(n)},
                         {"token_type", "DPoP"},
                         {"expires_in", 3600}};
    return http::Response::Json(200, answer.dump());
  }

  const Clock& clock_;
  std::unique_ptr<oauth::DpopNonces> nonces_;
  std::unique_ptr<http::Server> server_;
  std::mutex mu_;
  std::vector<std::string> jtis_;
  std::vector<std::string> jkts_;
};

TokenSourceOptions Options(const DpopTokenEndpoint& as, const Clock& clock, const DpopKey& key) {
  TokenSourceOptions o;
  o.base_url = as.url();
  o.client_id = "client";
  o.client_secret = "secret";
  o.clock = &clock;
  o.dpop_key = key;
  o.retry.initial_backoff = std::chrono::milliseconds(1);
  o.retry.max_backoff = std::chrono::milliseconds(2);
  return o;
}

TEST(TokenSourceDpopTest, EveryTokenRequestCarriesAProofOfTheKey) {
  FixedClock clock(kNow);
  DpopTokenEndpoint as(clock, /*nonces=*/false);
  const DpopKey key = DpopKey::Generate("ES256").value();
  TokenSource source = TokenSource::Create(Options(as, clock, key)).value();
  Result<Token> token = source.ClientToken("scope");
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->token_type, "DPoP");
  EXPECT_EQ(as.requests, 1);
  ASSERT_EQ(as.jkts().size(), 1u);
  EXPECT_EQ(as.jkts()[0], key.Thumbprint());
  // From the cache: no request, no proof.
  EXPECT_EQ(source.ClientToken("scope")->access_token, token->access_token);
  EXPECT_EQ(as.requests, 1);
  // Without a key, no proof: this endpoint refuses.
  TokenSourceOptions bare = Options(as, clock, key);
  bare.dpop_key.reset();
  TokenError error;
  EXPECT_FALSE(TokenSource::Create(bare)->ClientToken("scope", &error).ok());
  EXPECT_EQ(error.error, "invalid_dpop_proof");
}

TEST(TokenSourceDpopTest, RetriesCarryFreshProofs) {
  FixedClock clock(kNow);
  DpopTokenEndpoint as(clock, /*nonces=*/false);
  as.fail_first = 2;
  const DpopKey key = DpopKey::Generate("EdDSA").value();
  TokenSource source = TokenSource::Create(Options(as, clock, key)).value();
  ASSERT_TRUE(source.ClientToken("").ok());
  EXPECT_EQ(as.requests, 3);
  EXPECT_EQ(as.jtis().size(), 1u);  // only the third reached the proof check...
  // ...so check the jti of each request by another round: all distinct.
  source.Invalidate("", "");
  ASSERT_TRUE(source.ClientToken("").ok());
  const std::vector<std::string> jtis = as.jtis();
  EXPECT_EQ(std::set<std::string>(jtis.begin(), jtis.end()).size(), jtis.size());
}

TEST(TokenSourceDpopTest, UseDpopNonceIsAnsweredOnceAndTheNonceRemembered) {
  FixedClock clock(kNow);
  DpopTokenEndpoint as(clock, /*nonces=*/true);
  const DpopKey key = DpopKey::Generate("ES256").value();
  TokenSource source = TokenSource::Create(Options(as, clock, key)).value();
  EXPECT_EQ(source.DpopNonce(), "");
  TokenError error;
  Result<Token> token = source.ClientToken("", &error);
  ASSERT_TRUE(token.ok()) << error.ToString();
  EXPECT_EQ(token->token_type, "DPoP");
  EXPECT_EQ(as.requests, 2);  // the first without a nonce, the second with the server's
  EXPECT_EQ(source.RequestCount(), 2u);
  EXPECT_EQ(source.DpopNonce(), as.Issue());
  // The next token request carries the remembered nonce at once.
  source.Invalidate("", "");
  ASSERT_TRUE(source.ClientToken("").ok());
  EXPECT_EQ(as.requests, 3);
  // Ten minutes on, the nonce is stale: one more round trip for a new one.
  clock.Advance(600);
  source.Invalidate("", "");
  ASSERT_TRUE(source.ClientToken("").ok());
  EXPECT_EQ(as.requests, 5);
  EXPECT_EQ(source.DpopNonce(), as.Issue());
}

TEST(TokenSourceDpopTest, AServerRefusingItsOwnNonceIsAskedOnceMore) {
  FixedClock clock(kNow);
  DpopTokenEndpoint as(clock, /*nonces=*/true);
  as.refuse_every_nonce = true;
  const DpopKey key = DpopKey::Generate("ES256").value();
  TokenSource source = TokenSource::Create(Options(as, clock, key)).value();
  TokenError error;
  Result<Token> token = source.ClientToken("", &error);
  EXPECT_FALSE(token.ok());
  EXPECT_EQ(as.requests, 2);
  EXPECT_EQ(error.kind, TokenError::Kind::kOAuth);
  EXPECT_EQ(error.error, "use_dpop_nonce");
}

TEST(TokenSourceDpopTest, AuthorizeMakesAResourceProofForTheToken) {
  FixedClock clock(kNow);
  DpopTokenEndpoint as(clock, /*nonces=*/false);
  const DpopKey key = DpopKey::Generate("ES256").value();
  TokenSource source = TokenSource::Create(Options(as, clock, key)).value();
  const Token token = source.ClientToken("").value();
  const std::string url = "https://api.example.com/orders?id=7";
  Result<AuthorizationHeaders> h = source.Authorize(token, "GET", url, "n-1");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->authorization, "DPoP " + token.access_token);
  // The resource side's validator accepts it for this request and this token (ath), and for
  // no other method, URL or token.
  const oauth::DpopValidator validator = oauth::DpopValidator::Create({}, clock).value();
  const std::vector<std::string_view> proofs = {h->dpop};
  Result<oauth::DpopProof> proof = validator.Validate(
      {.proofs = proofs, .method = "GET", .url = url, .access_token = token.access_token});
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  EXPECT_EQ(proof->jkt, key.Thumbprint());
  EXPECT_FALSE(
      validator
          .Validate(
              {.proofs = proofs, .method = "POST", .url = url, .access_token = token.access_token})
          .ok());
  EXPECT_FALSE(validator
                   .Validate({.proofs = proofs,
                              .method = "GET",
                              .url = "https://api.example.com/other",
                              .access_token = token.access_token})
                   .ok());
  EXPECT_EQ(
      oauth::DpopErrorOf(
          validator.Validate({.proofs = proofs, .method = "GET", .url = url, .access_token = "x"})
              .status()),
      oauth::DpopError::kAthMismatch);
  const std::pair<jose::Json, jose::Json> decoded = jose::DecodeUnverified(h->dpop).value();
  EXPECT_EQ(decoded.second.at("nonce"), "n-1");
}

TEST(TokenSourceDpopTest, AuthorizationHeadersFollowTheTokenType) {
  const DpopKey key = DpopKey::Generate("ES256").value();
  Token bearer;
  bearer.access_token = "t1";
  bearer.token_type = "Bearer";
  Result<AuthorizationHeaders> h =
      MakeAuthorizationHeaders(bearer, &key, "GET", "https://api.example.com/", "", kNow);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->authorization, "Bearer t1");
  EXPECT_EQ(h->dpop, "");
  Token dpop = bearer;
  dpop.token_type = "dpop";  // RFC 9449 5: compared case-insensitively
  h = MakeAuthorizationHeaders(dpop, &key, "GET", "https://api.example.com/", "", kNow);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->authorization, "DPoP t1");
  EXPECT_FALSE(h->dpop.empty());
  // A DPoP token is useless without its key: refused rather than sent as Bearer.
  EXPECT_EQ(MakeAuthorizationHeaders(dpop, nullptr, "GET", "https://api.example.com/", "", kNow)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(MakeAuthorizationHeaders(dpop, &key, "GET", "not a url", "", kNow).ok());
}

TEST(TokenSourceDpopTest, TlsClientCertificateNeedsItsKeyAndReadableFiles) {
  FixedClock clock(kNow);
  TokenSourceOptions o;
  o.base_url = "https://127.0.0.1:1";
  o.client_id = "client";
  o.client_secret = "secret";
  o.clock = &clock;
  const std::string cert = ::testing::TempDir() + "/client_cert.pem";
  std::ofstream(cert) << "not checked here\n";
  o.tls_client_cert_file = cert;
  EXPECT_EQ(TokenSource::Create(o).status().code(), StatusCode::kInvalidArgument);
  o.tls_client_key_file = ::testing::TempDir() + "/no_such_key.pem";
  EXPECT_EQ(TokenSource::Create(o).status().code(), StatusCode::kInvalidArgument);
  o.tls_client_key_file = cert;
  EXPECT_TRUE(TokenSource::Create(o).ok());
}

}  // namespace
}  // namespace tessera::client
