// Verifier tests against a real HTTP server on loopback that publishes a JWK Set the test
// controls (rotation, Cache-Control, outages) and counts the fetches.
#include "tessera/verifier.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "http/server.h"
#include "jose/base64url.h"
#include "jose/json.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/keyio.h"
#include "tessera/client.h"

namespace tessera::verifier {
namespace {

using jose::Algorithm;
using jose::Json;

constexpr int64_t kNow = 1'800'000'000;
constexpr char kIssuer[] = "https://idm.example.test";
constexpr char kAudience[] = "https://api.example.test:443";

template <typename T>
T Must(Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

struct SigningKey {
  jose::Key key;  // private
  std::string kid;
  Algorithm alg;
};

// A JWK Set server: GET /jwks answers the current set with the current Cache-Control.
class JwksServer {
 public:
  JwksServer() {
    http::Router router;
    router.Add("GET", "/jwks", [this](http::Request&) {
      ++fetches;
      std::lock_guard lock(mu_);
      if (down_) return http::Response::Json(503, R"({"error":"down"})");
      http::Response r = http::Response::Json(200, body_);
      if (!cache_control_.empty()) r.AddHeader("Cache-Control", cache_control_);
      return r;
    });
    server_ = std::make_unique<http::Server>(
        http::ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 2, .access_log = false},
        std::move(router));
    EXPECT_TRUE(server_->Start().ok());
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/jwks";
  }
  void Publish(const std::vector<const SigningKey*>& keys, std::string cache_control = "") {
    Json set = {{"keys", Json::array()}};
    for (const SigningKey* k : keys) {
      Json jwk = Must(jose::PublicJwk(Must(k->key.PublicKey()), k->kid));
      set["keys"].push_back(jwk);
    }
    std::lock_guard lock(mu_);
    body_ = jose::DumpCompact(set);
    cache_control_ = std::move(cache_control);
  }
  void SetDown(bool down) {
    std::lock_guard lock(mu_);
    down_ = down;
  }
  std::atomic<int> fetches{0};

 private:
  std::mutex mu_;
  std::string body_ = R"({"keys":[]})";
  std::string cache_control_;
  bool down_ = false;
  std::unique_ptr<http::Server> server_;
};

const SigningKey& RsaKey(int which) {
  static const SigningKey a{Must(jose::GenerateKey(jose::KeyType::kRsa, 2048)), "rsa-a",
                            Algorithm::kRS256};
  static const SigningKey b{Must(jose::GenerateKey(jose::KeyType::kRsa, 2048)), "rsa-b",
                            Algorithm::kRS256};
  return which == 0 ? a : b;
}

const SigningKey& EcKey() {
  static const SigningKey k{Must(jose::GenerateKey(jose::KeyType::kEc, 256)), "ec-a",
                            Algorithm::kES256};
  return k;
}

Json GoodClaims() {
  return {
      {"iss", kIssuer},          {"sub", "alice"},
      {"aud", kAudience},        {"scope", "urn:opc:resource:consumer::all urn:opc:resource:read"},
      {"client_id", "client-1"}, {"iat", kNow - 10},
      {"exp", kNow + 3600},      {"jti", "j-1"}};
}

std::string Sign(const SigningKey& k, const Json& claims, Json header = Json::object()) {
  if (!header.contains("kid")) header["kid"] = k.kid;
  header["typ"] = "JWT";
  return Must(jose::SignJwt(claims, k.key, k.alg, header));
}

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.Publish({&RsaKey(0), &EcKey()}); }

  Verifier Make(std::vector<std::string> scopes = {}, int64_t refetch_interval = 30) {
    VerifierOptions o;
    o.jwks_url = server_.url();
    o.issuer = kIssuer;
    o.audiences = {kAudience};
    o.required_scopes = std::move(scopes);
    o.refetch_interval_seconds = refetch_interval;
    o.clock = &clock_;
    return Must(Verifier::Create(o));
  }

  static VerifyReason Why(const Result<Principal>& r) {
    EXPECT_FALSE(r.ok());
    return ReasonOf(r.status());
  }

  FixedClock clock_{kNow};
  JwksServer server_;
};

TEST_F(VerifierTest, AcceptsValidRs256AndEs256Tokens) {
  Verifier v = Make({"urn:opc:resource:consumer::all"});
  for (const SigningKey* k : {&RsaKey(0), &EcKey()}) {
    Result<Principal> p = v.Verify(Sign(*k, GoodClaims()));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->subject, "alice");
    EXPECT_EQ(p->issuer, kIssuer);
    EXPECT_EQ(p->client_id, "client-1");
    EXPECT_EQ(p->scopes, (std::vector<std::string>{"urn:opc:resource:consumer::all",
                                                   "urn:opc:resource:read"}));
    EXPECT_EQ(p->audiences, std::vector<std::string>{kAudience});
    EXPECT_EQ(p->expires_at, kNow + 3600);
    EXPECT_EQ(p->key_id, k->kid);
    EXPECT_EQ(Json::parse(p->claims_json), GoodClaims());
  }
  EXPECT_EQ(server_.fetches.load(), 1);  // the set was fetched once, at Create
}

TEST_F(VerifierTest, AudienceMayBeAnArray) {
  Verifier v = Make();
  Json claims = GoodClaims();
  claims["aud"] = {"https://other.example.test", kAudience};
  ASSERT_TRUE(v.Verify(Sign(RsaKey(0), claims)).ok());
  claims["aud"] = {"https://other.example.test"};
  EXPECT_EQ(Why(v.Verify(Sign(RsaKey(0), claims))), VerifyReason::kAudienceMismatch);
  claims.erase("aud");
  EXPECT_EQ(Why(v.Verify(Sign(RsaKey(0), claims))), VerifyReason::kAudienceMissing);
}

TEST_F(VerifierTest, RejectsTamperedTokens) {
  Verifier v = Make();
  const std::string token = Sign(RsaKey(0), GoodClaims());
  const std::size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  // Claims swapped for other claims, signature kept.
  Json forged = GoodClaims();
  forged["sub"] = "admin";
  const std::string swapped = token.substr(0, dot1 + 1) +
                              jose::Base64UrlEncode(jose::DumpCompact(forged)) + token.substr(dot2);
  EXPECT_EQ(Why(v.Verify(swapped)), VerifyReason::kSignatureInvalid);
  // Every 7th signature character changed to another base64url character.
  for (std::size_t i = dot2 + 1; i + 1 < token.size(); i += 7) {
    std::string t = token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(Why(v.Verify(t)), VerifyReason::kSignatureInvalid) << "at " << i;
  }
  EXPECT_EQ(Why(v.Verify("not.a.jwt")), VerifyReason::kMalformed);
  EXPECT_EQ(Why(v.Verify(token.substr(0, dot2))), VerifyReason::kMalformed);
  EXPECT_EQ(Why(v.Verify(std::string(20000, 'a'))), VerifyReason::kTooLarge);
}

TEST_F(VerifierTest, TimeRulesWithSkew) {
  Verifier v = Make();
  const std::string token = Sign(RsaKey(0), GoodClaims());
  clock_.Set(kNow + 3600 + 29);  // within the 30 s skew
  EXPECT_TRUE(v.Verify(token).ok());
  clock_.Set(kNow + 3600 + 30);
  EXPECT_EQ(Why(v.Verify(token)), VerifyReason::kExpired);
  clock_.Set(kNow);
  Json claims = GoodClaims();
  claims.erase("exp");
  EXPECT_EQ(Why(v.Verify(Sign(RsaKey(0), claims))), VerifyReason::kExpired);
  claims = GoodClaims();
  claims["nbf"] = kNow + 100;
  EXPECT_EQ(Why(v.Verify(Sign(RsaKey(0), claims))), VerifyReason::kNotYetValid);
  claims = GoodClaims();
  claims["iat"] = kNow + 100;
  EXPECT_EQ(Why(v.Verify(Sign(RsaKey(0), claims))), VerifyReason::kIssuedInFuture);
  claims = GoodClaims();
  claims["exp"] = std::to_string(kNow + 3600);
  EXPECT_EQ(Why(v.Verify(Sign(RsaKey(0), claims))), VerifyReason::kBadTimeClaim);
}

TEST_F(VerifierTest, IssuerSubjectAndScope) {
  Verifier v = Make({"urn:opc:resource:read"});
  Json claims = GoodClaims();
  claims["iss"] = std::string(kIssuer) + "/";
  EXPECT_EQ(Why(v.Verify(Sign(RsaKey(0), claims))), VerifyReason::kIssuerMismatch);
  claims.erase("iss");
  EXPECT_EQ(Why(v.Verify(Sign(RsaKey(0), claims))), VerifyReason::kIssuerMissing);
  claims = GoodClaims();
  claims["sub"] = "";
  EXPECT_EQ(Why(v.Verify(Sign(RsaKey(0), claims))), VerifyReason::kSubjectMissing);
  claims = GoodClaims();
  claims["scope"] = "urn:opc:resource:consumer::all urn:opc:resource:reader";
  Result<Principal> r = v.Verify(Sign(RsaKey(0), claims));
  EXPECT_EQ(Why(r), VerifyReason::kInsufficientScope);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  claims.erase("scope");
  EXPECT_EQ(Why(v.Verify(Sign(RsaKey(0), claims))), VerifyReason::kInsufficientScope);
  claims["scope"] = Json::array({"urn:opc:resource:read"});
  EXPECT_EQ(Why(v.Verify(Sign(RsaKey(0), claims))), VerifyReason::kBadScopeClaim);
}

// RFC 8725 2.1 / docs/security.md: an HMAC token keyed with the RSA public key's bytes.
TEST_F(VerifierTest, AlgorithmComesFromTheKeyNotTheToken) {
  Verifier v = Make();
  const std::string pem = Must(jose::PublicKeyToPem(Must(RsaKey(0).key.PublicKey())));
  const std::string jwk_text =
      jose::DumpCompact(Must(jose::PublicJwk(Must(RsaKey(0).key.PublicKey()), RsaKey(0).kid)));
  for (const std::string& secret : {pem, jwk_text}) {
    SigningKey hmac{Must(jose::Key::FromSecret(secret, Algorithm::kHS256)), RsaKey(0).kid,
                    Algorithm::kHS256};
    EXPECT_EQ(Why(v.Verify(Sign(hmac, GoodClaims()))), VerifyReason::kAlgorithmNotAllowed);
  }
  // PS256 with the RSA key the set pins to RS256: the right key, a signature that verifies
  // under PS256, and still refused.
  SigningKey ps{Must(RsaKey(0).key.RestrictTo({Algorithm::kPS256})), RsaKey(0).kid,
                Algorithm::kPS256};
  EXPECT_EQ(Why(v.Verify(Sign(ps, GoodClaims()))), VerifyReason::kAlgorithmNotAllowed);
  // alg none and key-carrying headers never reach key lookup.
  const std::string none = jose::Base64UrlEncode(R"({"alg":"none","kid":"rsa-a"})") + "." +
                           jose::Base64UrlEncode(jose::DumpCompact(GoodClaims())) + ".";
  EXPECT_NE(Why(v.Verify(none)), VerifyReason::kOk);
  EXPECT_EQ(Why(v.Verify(Sign(RsaKey(0), GoodClaims(), {{"jku", "https://evil.test/jwks"}}))),
            VerifyReason::kUnsupportedHeader);
}

TEST_F(VerifierTest, UnknownKidRefetchesAfterRotation) {
  Verifier v = Make({}, /*refetch_interval=*/30);
  const std::string new_token = Sign(RsaKey(1), GoodClaims());
  EXPECT_EQ(Why(v.Verify(new_token)), VerifyReason::kUnknownKey);  // within the interval
  EXPECT_EQ(server_.fetches.load(), 1);
  server_.Publish({&RsaKey(0), &RsaKey(1)});  // rotation: old key stays published
  clock_.Advance(30);
  Result<Principal> p = v.Verify(new_token);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->key_id, "rsa-b");
  EXPECT_EQ(server_.fetches.load(), 2);
  EXPECT_TRUE(v.Verify(Sign(RsaKey(0), GoodClaims())).ok());  // the retired key still works
  EXPECT_EQ(server_.fetches.load(), 2);
}

TEST_F(VerifierTest, UnknownKidRefetchIsRateLimited) {
  Verifier v = Make({}, /*refetch_interval=*/30);
  clock_.Advance(30);
  for (int i = 0; i < 50; ++i) {
    Json header = {{"kid", "made-up-" + std::to_string(i)}};
    EXPECT_EQ(Why(v.Verify(Sign(RsaKey(0), GoodClaims(), header))), VerifyReason::kUnknownKey);
  }
  EXPECT_EQ(server_.fetches.load(), 2);  // Create + one refetch for 50 unknown kids
  clock_.Advance(29);
  EXPECT_EQ(Why(v.Verify(Sign(RsaKey(0), GoodClaims(), {{"kid", "x"}}))),
            VerifyReason::kUnknownKey);
  EXPECT_EQ(server_.fetches.load(), 2);
  clock_.Advance(1);
  EXPECT_EQ(Why(v.Verify(Sign(RsaKey(0), GoodClaims(), {{"kid", "y"}}))),
            VerifyReason::kUnknownKey);
  EXPECT_EQ(server_.fetches.load(), 3);
}

// Sixteen threads meet a rotated-in kid at once: one fetch, and every thread verifies.
TEST_F(VerifierTest, ConcurrentUnknownKidsShareOneFetch) {
  Verifier v = Make({}, /*refetch_interval=*/30);
  server_.Publish({&RsaKey(0), &RsaKey(1)});
  clock_.Advance(30);
  const std::string token = Sign(RsaKey(1), GoodClaims());
  constexpr int kThreads = 16;
  std::latch start(kThreads);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      if (v.Verify(token).ok()) ++ok;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(server_.fetches.load(), 2);
}

TEST_F(VerifierTest, HonoursCacheControlMaxAgeWithinBounds) {
  server_.Publish({&RsaKey(0)}, "public, max-age=120");
  Verifier v = Make({}, /*refetch_interval=*/1);
  const std::string token = Sign(RsaKey(0), GoodClaims());
  clock_.Advance(119);
  ASSERT_TRUE(v.Verify(token).ok());
  EXPECT_EQ(server_.fetches.load(), 1);
  clock_.Advance(1);  // the set is 120 s old: refreshed by this verify
  ASSERT_TRUE(v.Verify(token).ok());
  EXPECT_EQ(server_.fetches.load(), 2);
  // max-age=0 is raised to min_cache_seconds (30), so a set is not fetched per request.
  server_.Publish({&RsaKey(0)}, "no-cache");
  clock_.Advance(120);
  ASSERT_TRUE(v.Verify(token).ok());
  EXPECT_EQ(server_.fetches.load(), 3);
  clock_.Advance(29);
  ASSERT_TRUE(v.Verify(token).ok());
  EXPECT_EQ(server_.fetches.load(), 3);
}

TEST_F(VerifierTest, KeySetOutageAtStartThenRecovery) {
  server_.SetDown(true);
  Verifier v = Make({}, /*refetch_interval=*/10);
  const std::string token = Sign(RsaKey(0), GoodClaims());
  Result<Principal> r = v.Verify(token);
  EXPECT_EQ(Why(r), VerifyReason::kKeySetUnavailable);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  server_.SetDown(false);
  clock_.Advance(10);
  EXPECT_TRUE(v.Verify(token).ok());
  // A later outage keeps the cached keys in use.
  server_.SetDown(true);
  clock_.Advance(1000);
  EXPECT_TRUE(v.Verify(token).ok());
  EXPECT_EQ(v.Stats().fetch_failures, 2u);
}

TEST_F(VerifierTest, AuthorizationHeader) {
  Verifier v = Make();
  const std::string token = Sign(RsaKey(0), GoodClaims());
  EXPECT_TRUE(v.VerifyAuthorization("Bearer " + token).ok());
  EXPECT_TRUE(v.VerifyAuthorization("bearer  " + token).ok());
  EXPECT_EQ(Why(v.VerifyAuthorization("")), VerifyReason::kMissingToken);
  EXPECT_EQ(Why(v.VerifyAuthorization("Basic " + token)), VerifyReason::kNotBearer);
  EXPECT_EQ(Why(v.VerifyAuthorization("Bearer")), VerifyReason::kNotBearer);
  EXPECT_EQ(Why(v.VerifyAuthorization("Bearer   ")), VerifyReason::kNotBearer);
}

TEST(VerifierOptionsTest, RejectsBadOptions) {
  VerifierOptions o;
  o.jwks_url = "file:///etc/passwd";
  o.issuer = kIssuer;
  o.audiences = {kAudience};
  EXPECT_FALSE(Verifier::Create(o).ok());
  o.jwks_url = "http://127.0.0.1:1/jwks";
  o.audiences = {};
  EXPECT_FALSE(Verifier::Create(o).ok());
  o.audiences = {kAudience};
  o.required_scopes = {"a b"};
  EXPECT_FALSE(Verifier::Create(o).ok());
}

TEST(VerifyReasonTest, EveryReasonHasItsOwnText) {
  std::set<std::string_view> texts;
  for (int i = 0; i <= static_cast<int>(VerifyReason::kInsufficientScope); ++i) {
    std::string_view t = ReasonText(static_cast<VerifyReason>(i));
    EXPECT_FALSE(t.empty());
    EXPECT_TRUE(texts.insert(t).second) << t;
  }
}

// VerifyRequest: the sender constraint of RFC 9449 (DPoP) and RFC 8705 (certificates), and no
// other entry point admitting a bound token.
class VerifyRequestTest : public VerifierTest {
 protected:
  static constexpr char kUrl[] = "https://api.example.test/orders?id=7";
  static std::string Proof(const client::DpopKey& key, std::string_view method,
                           std::string_view url, std::string_view token, int64_t now = kNow) {
    return Must(client::MakeDpopProof(key, method, url, token, "", now));
  }
  Admission Call(Verifier& v, std::string authorization, std::vector<std::string> proofs = {},
                 std::string_view method = "GET", std::string_view url = kUrl,
                 std::optional<std::string_view> cert = std::nullopt) {
    proofs_ = std::move(proofs);
    authorization_ = std::move(authorization);
    ResourceRequest r;
    r.method = method;
    r.url = url;
    r.authorization = authorization_;
    for (const std::string& p : proofs_) r.dpop_proofs.emplace_back(p);
    r.client_certificate_der = cert;
    return v.VerifyRequest(r);
  }
  std::vector<std::string> proofs_;
  std::string authorization_;
};

TEST_F(VerifyRequestTest, UnboundTokenAsBearer) {
  Verifier v = Make();
  const std::string token = Sign(RsaKey(0), GoodClaims());
  Admission a = Call(v, "Bearer " + token);
  ASSERT_TRUE(a.ok()) << a.status.ToString();
  EXPECT_EQ(a.principal.subject, "alice");
  // ...but not under DPoP: there is no key to match a proof's.
  const client::DpopKey key = Must(client::DpopKey::Generate("ES256"));
  a = Call(v, "DPoP " + token, {Proof(key, "GET", kUrl, token)});
  EXPECT_EQ(ReasonOf(a.status), VerifyReason::kUnboundTokenAsDpop);
  EXPECT_EQ(a.http_status, 401);
  ASSERT_EQ(a.challenges.size(), 1u);
  EXPECT_EQ(a.challenges[0].rfind("DPoP realm=\"tessera\", error=\"invalid_token\"", 0), 0u);
}

TEST_F(VerifyRequestTest, DpopBoundToken) {
  Verifier v = Make();
  const client::DpopKey key = Must(client::DpopKey::Generate("ES256"));
  const client::DpopKey other = Must(client::DpopKey::Generate("ES256"));
  Json claims = GoodClaims();
  claims["cnf"] = {{"jkt", key.Thumbprint()}};
  const std::string token = Sign(RsaKey(0), claims);

  // The entry points that see only the token refuse it.
  EXPECT_EQ(Why(v.Verify(token)), VerifyReason::kSenderConstrained);
  EXPECT_EQ(Why(v.VerifyAuthorization("Bearer " + token)), VerifyReason::kSenderConstrained);

  // RFC 9449 7.2: no downgrade to Bearer, with or without a proof.
  Admission a = Call(v, "Bearer " + token, {Proof(key, "GET", kUrl, token)});
  EXPECT_EQ(ReasonOf(a.status), VerifyReason::kBoundTokenAsBearer);
  EXPECT_EQ(a.error, "invalid_token");
  ASSERT_EQ(a.challenges.size(), 2u);
  EXPECT_EQ(a.challenges[0].rfind("Bearer realm=\"tessera\", error=\"invalid_token\"", 0), 0u);
  EXPECT_EQ(a.challenges[1], "DPoP realm=\"tessera\", algs=\"RS256 PS256 ES256 EdDSA\"");

  // No proof, two proofs, a proof without ath, for another method or URL, by another key.
  EXPECT_EQ(ReasonOf(Call(v, "DPoP " + token).status), VerifyReason::kDpopProofInvalid);
  EXPECT_EQ(ReasonOf(Call(v, "DPoP " + token,
                          {Proof(key, "GET", kUrl, token), Proof(key, "GET", kUrl, token)})
                         .status),
            VerifyReason::kDpopProofInvalid);
  a = Call(v, "DPoP " + token, {Proof(key, "GET", kUrl, "")});
  EXPECT_EQ(ReasonOf(a.status), VerifyReason::kDpopProofInvalid);
  EXPECT_EQ(a.error, "invalid_dpop_proof");
  ASSERT_EQ(a.challenges.size(), 1u);
  EXPECT_EQ(a.challenges[0].rfind("DPoP realm=\"tessera\", error=\"invalid_dpop_proof\"", 0), 0u);
  EXPECT_NE(a.challenges[0].find("algs=\"RS256 PS256 ES256 EdDSA\""), std::string::npos);
  EXPECT_EQ(ReasonOf(Call(v, "DPoP " + token, {Proof(key, "POST", kUrl, token)}).status),
            VerifyReason::kDpopProofInvalid);
  EXPECT_EQ(ReasonOf(Call(v, "DPoP " + token,
                          {Proof(key, "GET", "https://api.example.test/other", token)})
                         .status),
            VerifyReason::kDpopProofInvalid);
  EXPECT_EQ(ReasonOf(Call(v, "DPoP " + token, {Proof(other, "GET", kUrl, token)}).status),
            VerifyReason::kDpopKeyMismatch);
  // A stale proof.
  EXPECT_EQ(ReasonOf(Call(v, "DPoP " + token, {Proof(key, "GET", kUrl, token, kNow - 120)}).status),
            VerifyReason::kDpopProofInvalid);

  // The right proof is admitted once; the same proof again is a replay.
  const std::string proof = Proof(key, "GET", kUrl, token);
  a = Call(v, "dpop " + token, {proof});  // the scheme is case-insensitive
  ASSERT_TRUE(a.ok()) << a.status.ToString();
  EXPECT_EQ(a.principal.subject, "alice");
  EXPECT_EQ(a.error, "");
  a = Call(v, "DPoP " + token, {proof});
  EXPECT_EQ(ReasonOf(a.status), VerifyReason::kDpopProofReplayed);
  EXPECT_EQ(a.http_status, 401);
  // A fresh proof of the same request is fine.
  EXPECT_TRUE(Call(v, "DPoP " + token, {Proof(key, "GET", kUrl, token)}).ok());
}

TEST_F(VerifyRequestTest, CertificateBoundToken) {
  Verifier v = Make();
  const jose::Key k1 = Must(jose::GenerateKey(jose::KeyType::kEc, 256));
  const jose::Key k2 = Must(jose::GenerateKey(jose::KeyType::kEc, 256));
  const jose::Certificate c1 = Must(jose::MakeSelfSignedCertificate(k1, "CN=one", 1, kNow));
  const jose::Certificate c2 = Must(jose::MakeSelfSignedCertificate(k2, "CN=two", 1, kNow));
  Json claims = GoodClaims();
  claims["cnf"] = {{"x5t#S256", c1.x5t_s256}};
  const std::string token = Sign(RsaKey(0), claims);
  EXPECT_EQ(Why(v.VerifyAuthorization("Bearer " + token)), VerifyReason::kSenderConstrained);
  EXPECT_EQ(ReasonOf(Call(v, "Bearer " + token).status), VerifyReason::kCertificateMissing);
  Admission a = Call(v, "Bearer " + token, {}, "GET", kUrl, c2.der);
  EXPECT_EQ(ReasonOf(a.status), VerifyReason::kCertificateMismatch);
  EXPECT_EQ(a.challenges[0].rfind("Bearer realm=\"tessera\", error=\"invalid_token\"", 0), 0u);
  EXPECT_TRUE(Call(v, "Bearer " + token, {}, "GET", kUrl, c1.der).ok());
}

TEST_F(VerifyRequestTest, UnknownConfirmationAndTokenErrors) {
  Verifier v = Make({"urn:opc:resource:write"});
  Json claims = GoodClaims();
  claims["cnf"] = {{"kid", "k"}};  // RFC 7800 3.4: a method this library does not check
  const std::string token = Sign(RsaKey(0), claims);
  EXPECT_EQ(Why(v.Verify(token)), VerifyReason::kInsufficientScope);
  Verifier open = Make();
  EXPECT_EQ(Why(open.Verify(token)), VerifyReason::kSenderConstrained);
  EXPECT_EQ(ReasonOf(Call(open, "Bearer " + token).status), VerifyReason::kBadConfirmation);
  // Token errors keep their reason and challenge; a missing scope is 403.
  Admission a = Call(v, "Bearer " + Sign(RsaKey(0), GoodClaims()));
  EXPECT_EQ(a.http_status, 403);
  EXPECT_EQ(a.error, "insufficient_scope");
  EXPECT_NE(a.challenges[0].find("error=\"insufficient_scope\""), std::string::npos);
  EXPECT_NE(a.challenges[0].find("scope=\"urn:opc:resource:write\""), std::string::npos);
  a = Call(open, "");
  EXPECT_EQ(ReasonOf(a.status), VerifyReason::kMissingToken);
  EXPECT_EQ(a.http_status, 401);
  EXPECT_EQ(a.challenges.size(), 2u);
  EXPECT_EQ(ReasonOf(Call(open, "Basic YTpi").status), VerifyReason::kNotBearer);
  EXPECT_EQ(ReasonOf(Call(open, "Bearer x.y.z").status), VerifyReason::kMalformed);
  // Bad DPoP options are refused at Create.
  VerifierOptions o;
  o.jwks_url = server_.url();
  o.issuer = kIssuer;
  o.audiences = {kAudience};
  o.dpop_algorithms = {"HS256"};
  EXPECT_FALSE(Verifier::Create(o).ok());
  o.dpop_algorithms = {"nope"};
  EXPECT_FALSE(Verifier::Create(o).ok());
}

}  // namespace
}  // namespace tessera::verifier
