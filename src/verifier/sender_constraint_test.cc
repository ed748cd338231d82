#include "verifier/sender_constraint.h"

#include <gtest/gtest.h>

#include "jose/keyio.h"
#include "oauth/dpop_nonce.h"
#include "oauth/dpop_test_examples.h"
#include "tessera/client.h"

namespace tessera::verifier {
namespace {

constexpr int64_t kNow = 1'800'000'000;
constexpr std::string_view kToken = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";
constexpr std::string_view kUrl = "https://api.example.com/orders";

Credentials Dpop(std::string_view token = kToken) { return {AuthScheme::kDpop, token}; }
Credentials Bearer(std::string_view token = kToken) { return {AuthScheme::kBearer, token}; }

TEST(ParseAuthorizationTest, SchemesAndTokens) {
  struct Case {
    const char* header;
    AuthScheme scheme;
    const char* token;
  };
  for (const Case& c : {
           Case{"Bearer abc.def-_~+/", AuthScheme::kBearer, "abc.def-_~+/"},
           Case{"bearer  abc==  ", AuthScheme::kBearer, "abc=="},
           Case{"DPoP abc", AuthScheme::kDpop, "abc"},
           Case{"dpop abc", AuthScheme::kDpop, "abc"},
           Case{"DPOP abc", AuthScheme::kDpop, "abc"},
           Case{"Basic dXNlcjpwYXNz", AuthScheme::kOther, ""},
           Case{"Negotiate", AuthScheme::kOther, ""},
           Case{"", AuthScheme::kNone, ""},
           Case{"Bearer", AuthScheme::kNone, ""},
           Case{"DPoP ", AuthScheme::kNone, ""},
           Case{"DPoP a=b", AuthScheme::kNone, ""},
           Case{"Bearer a b", AuthScheme::kNone, ""},
           Case{"Bearer a,b", AuthScheme::kNone, ""},
           Case{" Bearer abc", AuthScheme::kNone, ""},
       }) {
    const Credentials got = ParseAuthorization(c.header);
    EXPECT_EQ(got.scheme, c.scheme) << c.header;
    EXPECT_EQ(got.token, c.token) << c.header;
  }
}

TEST(ConfirmationTest, FromClaims) {
  Confirmation none = ConfirmationFromClaims(R"({"sub":"alice"})").value();
  EXPECT_FALSE(none.bound());
  Confirmation jkt = ConfirmationFromClaims(R"({"cnf":{"jkt":"abc"}})").value();
  EXPECT_EQ(jkt.jkt, "abc");
  EXPECT_TRUE(jkt.x5t_s256.empty());
  EXPECT_TRUE(jkt.bound());
  Confirmation both = ConfirmationFromClaims(R"({"cnf":{"jkt":"a","x5t#S256":"b"}})").value();
  EXPECT_EQ(both.jkt, "a");
  EXPECT_EQ(both.x5t_s256, "b");
  for (const char* bad :
       {R"({"cnf":"abc"})", R"({"cnf":{"jkt":5}})", R"({"cnf":{"jkt":""}})",
        R"({"cnf":{"x5t#S256":null}})", R"({"cnf":{"jwk":{"kty":"EC"}}})",
        R"({"cnf":{"kid":"k1"}})", R"({"cnf":{}, "cnf":{}})", R"([1])", "not json"}) {
    Result<Confirmation> c = ConfirmationFromClaims(bad);
    EXPECT_EQ(SenderErrorOf(c.status()), SenderError::kBadConfirmation) << bad;
  }
}

TEST(SenderErrorTest, EveryTextIsHeaderSafe) {
  for (int i = 0; i <= static_cast<int>(SenderError::kCertificateMismatch); ++i) {
    const std::string_view t = SenderErrorText(static_cast<SenderError>(i));
    EXPECT_FALSE(t.empty()) << i;
    EXPECT_EQ(t.find_first_of("\"\\"), std::string_view::npos) << i;
  }
  for (int i = 0; i <= static_cast<int>(oauth::DpopError::kReplayCacheFull); ++i) {
    EXPECT_EQ(oauth::DpopErrorText(static_cast<oauth::DpopError>(i)).find_first_of("\"\\"),
              std::string_view::npos)
        << i;
  }
}

class SenderConstraintTest : public ::testing::Test {
 protected:
  SenderConstraintTest()
      : key_(client::DpopKey::Generate("ES256").value()),
        other_key_(client::DpopKey::Generate("EdDSA").value()) {}

  SenderConstraint Make(SenderConstraintOptions options = {}) {
    return SenderConstraint::Create(std::move(options), replay_, clock_).value();
  }
  std::string Proof(const client::DpopKey& key, std::string_view method = "GET",
                    std::string_view url = kUrl, std::string_view token = kToken,
                    std::string_view nonce = {}) {
    return client::MakeDpopProof(key, method, url, token, nonce, clock_.NowSeconds()).value();
  }
  Confirmation BoundTo(const client::DpopKey& key) {
    Confirmation c;
    c.jkt = key.Thumbprint();
    return c;
  }

  FixedClock clock_{kNow};
  oauth::InMemoryProofReplayCache replay_;
  client::DpopKey key_;
  client::DpopKey other_key_;
};

TEST_F(SenderConstraintTest, UnboundTokenAsBearerNeedsNothingMore) {
  SenderConstraint sc = Make();
  const SenderDecision d = sc.Check({}, Bearer(), {.method = "GET", .url = kUrl});
  EXPECT_TRUE(d.ok());
  EXPECT_EQ(d.http_status, 200);
  EXPECT_TRUE(d.challenges.empty());
}

// Round trip: a proof made by the client library, accepted once for the token bound to its key.
TEST_F(SenderConstraintTest, DpopBoundTokenWithAValidProof) {
  SenderConstraint sc = Make();
  const std::string url = std::string(kUrl) + "?page=2";  // the query is not compared
  const std::string proof = Proof(key_, "GET", url);
  const ProtectedRequest request{.dpop_proofs = {proof}, .method = "GET", .url = url};
  EXPECT_TRUE(sc.Check(BoundTo(key_), Dpop(), request).ok());
  // RFC 9449 11.1: the same proof again is a replay.
  SenderDecision again = sc.Check(BoundTo(key_), Dpop(), request);
  EXPECT_EQ(again.error, SenderError::kProofReplayed);
  EXPECT_EQ(again.dpop_error, oauth::DpopError::kReplayed);
  EXPECT_EQ(again.http_status, 401);
  ASSERT_EQ(again.challenges.size(), 1u);
  EXPECT_EQ(again.challenges[0],
            R"(DPoP realm="tessera", error="invalid_dpop_proof", )"
            R"(error_description="DPoP proof already used", algs="RS256 PS256 ES256 EdDSA")");
  // A fresh proof works.
  const std::string next = Proof(key_);
  EXPECT_TRUE(
      sc.Check(BoundTo(key_), Dpop(), {.dpop_proofs = {next}, .method = "GET", .url = kUrl}).ok());
}

// RFC 9449 7.1: the published request to a resource, admitted once, refused as Bearer.
TEST(SenderConstraintExampleTest, Rfc9449ResourceRequest) {
  namespace ex = oauth::testing;
  FixedClock clock(ex::kResourceIat);
  oauth::InMemoryProofReplayCache replay;
  SenderConstraint sc = SenderConstraint::Create({}, replay, clock).value();
  const std::string authorization = "DPoP " + std::string(ex::kAccessToken);
  const Credentials creds = ParseAuthorization(authorization);
  ASSERT_EQ(creds.scheme, AuthScheme::kDpop);
  const Confirmation cnf = ConfirmationFromClaims(R"({"sub":"someone@example.com","cnf":{"jkt":")" +
                                                  std::string(ex::kJkt) + R"("}})")
                               .value();
  const ProtectedRequest request{
      .dpop_proofs = {ex::kResourceProof}, .method = "GET", .url = ex::kResourceUrl};
  const SenderDecision first = sc.Check(cnf, creds, request);
  EXPECT_TRUE(first.ok()) << first.detail;
  EXPECT_EQ(sc.Check(cnf, creds, request).error, SenderError::kProofReplayed);
  EXPECT_EQ(
      sc.Check(cnf, ParseAuthorization("Bearer " + std::string(ex::kAccessToken)), request).error,
      SenderError::kBoundTokenAsBearer);
}

TEST_F(SenderConstraintTest, DpopBoundTokenAsBearerIsADowngrade) {
  SenderConstraint sc = Make();
  const std::string proof = Proof(key_);
  const SenderDecision d =
      sc.Check(BoundTo(key_), Bearer(), {.dpop_proofs = {proof}, .method = "GET", .url = kUrl});
  EXPECT_EQ(d.error, SenderError::kBoundTokenAsBearer);
  EXPECT_EQ(d.http_status, 401);
  ASSERT_EQ(d.challenges.size(), 2u);
  EXPECT_EQ(d.challenges[0],
            R"(Bearer realm="tessera", error="invalid_token", error_description="the access )"
            R"(token is DPoP-bound: present it with the DPoP scheme and a proof")");
  EXPECT_EQ(d.challenges[1], R"(DPoP realm="tessera", algs="RS256 PS256 ES256 EdDSA")");
}

TEST_F(SenderConstraintTest, UnboundTokenUnderDpopIsRefused) {
  SenderConstraint sc = Make();
  const std::string proof = Proof(key_);
  const SenderDecision d =
      sc.Check({}, Dpop(), {.dpop_proofs = {proof}, .method = "GET", .url = kUrl});
  EXPECT_EQ(d.error, SenderError::kUnboundTokenAsDpop);
  ASSERT_EQ(d.challenges.size(), 1u);
  EXPECT_EQ(d.challenges[0].rfind(R"(DPoP realm="tessera", error="invalid_token", )", 0), 0u)
      << d.challenges[0];
}

TEST_F(SenderConstraintTest, ProofOfAnotherKeyOrRequestOrToken) {
  SenderConstraint sc = Make();
  auto check = [&](const std::string& proof, std::string_view method = "GET",
                   std::string_view url = kUrl) {
    return sc.Check(BoundTo(key_), Dpop(), {.dpop_proofs = {proof}, .method = method, .url = url});
  };
  // RFC 9449 4.3 item 12: a valid proof, but of another key than the token's.
  SenderDecision d = check(Proof(other_key_));
  EXPECT_EQ(d.error, SenderError::kProofKeyMismatch);
  EXPECT_EQ(d.challenges[0],
            R"(DPoP realm="tessera", error="invalid_dpop_proof", error_description="the DPoP )"
            R"(proof key is not the key the access token is bound to", )"
            R"(algs="RS256 PS256 ES256 EdDSA")");
  // The proof was made for another token (ath), method, URL; or is missing.
  d = check(Proof(key_, "GET", kUrl, "another-token"));
  EXPECT_EQ(d.error, SenderError::kProofInvalid);
  EXPECT_EQ(d.dpop_error, oauth::DpopError::kAthMismatch);
  d = check(Proof(key_, "GET", kUrl, ""));
  EXPECT_EQ(d.dpop_error, oauth::DpopError::kAthMissing);
  d = check(Proof(key_, "POST"));
  EXPECT_EQ(d.dpop_error, oauth::DpopError::kHtmMismatch);
  d = check(Proof(key_, "GET", "https://api.example.com/admin"));
  EXPECT_EQ(d.dpop_error, oauth::DpopError::kHtuMismatch);
  d = sc.Check(BoundTo(key_), Dpop(), {.method = "GET", .url = kUrl});
  EXPECT_EQ(d.error, SenderError::kProofInvalid);
  EXPECT_EQ(d.dpop_error, oauth::DpopError::kProofMissing);
  EXPECT_EQ(d.challenges[0],
            R"(DPoP realm="tessera", error="invalid_dpop_proof", )"
            R"(error_description="DPoP proof missing", algs="RS256 PS256 ES256 EdDSA")");
  // Refused proofs do not spend their jti: the right one still passes.
  const std::string good = Proof(key_);
  EXPECT_TRUE(check(good).ok());
  // An old proof.
  const std::string old = Proof(key_);
  clock_.Advance(61);
  EXPECT_EQ(check(old).dpop_error, oauth::DpopError::kIatTooOld);
}

TEST_F(SenderConstraintTest, NonceRequiredAnswersUseDpopNonceWithANonce) {
  oauth::DpopNonces nonces = oauth::DpopNonces::Create(std::string(32, 'n'), clock_).value();
  SenderConstraintOptions options;
  options.dpop.nonces = &nonces;
  options.dpop.algorithms = {jose::Algorithm::kES256};
  options.realm = "orders";
  SenderConstraint sc = Make(options);
  SenderDecision d =
      sc.Check(BoundTo(key_), Dpop(), {.dpop_proofs = {Proof(key_)}, .method = "GET", .url = kUrl});
  EXPECT_EQ(d.error, SenderError::kNonceRequired);
  EXPECT_EQ(d.dpop_error, oauth::DpopError::kNonceMissing);
  EXPECT_EQ(d.challenges[0], R"(DPoP realm="orders", error="use_dpop_nonce", )"
                             R"(error_description="DPoP proof nonce required", algs="ES256")");
  ASSERT_FALSE(d.dpop_nonce.empty());
  EXPECT_TRUE(nonces.Accepts(d.dpop_nonce));
  // The client retries with the nonce it was given.
  const std::string retry = Proof(key_, "GET", kUrl, kToken, d.dpop_nonce);
  EXPECT_TRUE(
      sc.Check(BoundTo(key_), Dpop(), {.dpop_proofs = {retry}, .method = "GET", .url = kUrl}).ok());
}

TEST_F(SenderConstraintTest, FullReplayCacheIs503) {
  oauth::InMemoryProofReplayCache tiny(1);
  SenderConstraint sc = SenderConstraint::Create({}, tiny, clock_).value();
  EXPECT_TRUE(
      sc.Check(BoundTo(key_), Dpop(), {.dpop_proofs = {Proof(key_)}, .method = "GET", .url = kUrl})
          .ok());
  const SenderDecision d =
      sc.Check(BoundTo(key_), Dpop(), {.dpop_proofs = {Proof(key_)}, .method = "GET", .url = kUrl});
  EXPECT_EQ(d.error, SenderError::kReplayCacheFull);
  EXPECT_EQ(d.http_status, 503);
  EXPECT_TRUE(d.challenges.empty());
}

TEST_F(SenderConstraintTest, CertificateBoundToken) {
  SenderConstraint sc = Make();
  const jose::Key cert_key = jose::GenerateKey(jose::KeyType::kEc, 256).value();
  const jose::Certificate cert =
      jose::MakeSelfSignedCertificate(cert_key, "CN=client", 1, kNow).value();
  const jose::Certificate other =
      jose::MakeSelfSignedCertificate(cert_key, "CN=other", 1, kNow).value();
  Confirmation cnf;
  cnf.x5t_s256 = cert.x5t_s256;

  EXPECT_TRUE(
      sc.Check(cnf, Bearer(), {.method = "GET", .url = kUrl, .client_certificate_der = cert.der})
          .ok());
  SenderDecision d = sc.Check(cnf, Bearer(), {.method = "GET", .url = kUrl});
  EXPECT_EQ(d.error, SenderError::kCertificateMissing);
  EXPECT_EQ(d.challenges[0],
            R"(Bearer realm="tessera", error="invalid_token", error_description="the access token )"
            R"(is bound to a client certificate and none was presented")");
  d = sc.Check(cnf, Bearer(), {.method = "GET", .url = kUrl, .client_certificate_der = other.der});
  EXPECT_EQ(d.error, SenderError::kCertificateMismatch);

  // Bound to both: the certificate and the proof are each required.
  cnf.jkt = key_.Thumbprint();
  d = sc.Check(cnf, Dpop(),
               {.dpop_proofs = {Proof(key_)},
                .method = "GET",
                .url = kUrl,
                .client_certificate_der = other.der});
  EXPECT_EQ(d.error, SenderError::kCertificateMismatch);
  EXPECT_EQ(d.challenges[0].rfind(R"(DPoP realm="tessera", error="invalid_token", )", 0), 0u);
  EXPECT_EQ(
      sc.Check(cnf, Dpop(), {.method = "GET", .url = kUrl, .client_certificate_der = cert.der})
          .dpop_error,
      oauth::DpopError::kProofMissing);
  EXPECT_TRUE(sc.Check(cnf, Dpop(),
                       {.dpop_proofs = {Proof(key_)},
                        .method = "GET",
                        .url = kUrl,
                        .client_certificate_der = cert.der})
                  .ok());
}

TEST_F(SenderConstraintTest, NoOrOtherCredentialsGetPlainChallenges) {
  SenderConstraint sc = Make();
  for (const Credentials& c : {Credentials{}, Credentials{AuthScheme::kOther, {}}}) {
    const SenderDecision d = sc.Check({}, c, {.method = "GET", .url = kUrl});
    EXPECT_EQ(d.error, c.scheme == AuthScheme::kNone ? SenderError::kNoCredentials
                                                     : SenderError::kUnsupportedScheme);
    EXPECT_EQ(d.http_status, 401);
    EXPECT_EQ(d.challenges, (std::vector<std::string>{
                                R"(Bearer realm="tessera")",
                                R"(DPoP realm="tessera", algs="RS256 PS256 ES256 EdDSA")"}));
  }
  SenderConstraintOptions bad;
  bad.realm = "a\"b";
  EXPECT_FALSE(SenderConstraint::Create(bad, replay_, clock_).ok());
  bad = {};
  bad.dpop.algorithms = {jose::Algorithm::kHS256};
  EXPECT_FALSE(SenderConstraint::Create(bad, replay_, clock_).ok());
}

}  // namespace
}  // namespace tessera::verifier
