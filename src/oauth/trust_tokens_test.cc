// TrustTokenService in process over the real SQLite store on a FixedClock: HS256 and RS256
// issuers with their algorithm pinned, one answer for every unverified token, the lifetime bound
// and the skew, the principal an active user, and the trust tokens Tessera mints itself.
#include "oauth/trust_tokens.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jose/base64url.h"
#include "oauth/test_domain.h"

namespace tessera::oauth {
namespace {

using jose::Json;
using testing::kNow;
using testing::TestDomain;
using testing::TestKey;

constexpr char kHsIssuer[] = "https://fusion.example.com";
constexpr char kRsIssuer[] = "https://erp.example.com";
constexpr char kSharedSecret[] = "0123456789abcdef0123456789abcdef";  // 32 bytes

class TrustTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    trust_ = std::make_unique<TrustTokenService>(*d_.store, *d_.directory, *d_.keys, *d_.tokens,
                                                 *d_.audit, d_.config, d_.clock);
    d_.AddUser("alice");
    d_.AddUser("bob", /*active=*/false);
    ASSERT_TRUE(
        trust_->PutIssuer("admin", "ecid", {{"issuer", kHsIssuer}, {"sharedSecret", kSharedSecret}})
            .ok());
    ASSERT_TRUE(trust_
                    ->PutIssuer("admin", "ecid",
                                {{"issuer", kRsIssuer},
                                 {"certAlias", "erp"},
                                 {"x509Base64Certificate", jose::Base64Encode(rsa().cert.der)}})
                    .ok());
  }

  static const TestKey& rsa() { return TestKey::Rsa(); }
  static TestKey Hmac(std::string_view secret) {
    Result<jose::Key> k = jose::Key::FromSecret(secret, jose::Algorithm::kHS256);
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return {k.ok() ? *k : jose::Key(), {}, jose::Algorithm::kHS256};
  }

  // Claims valid now: iss, prn and sub alice, iat now, exp now + 300.
  Json Claims(const std::string& iss, const std::string& prn = "alice") {
    const int64_t now = d_.clock.NowSeconds();
    return {{"iss", iss}, {"prn", prn}, {"sub", prn}, {"iat", now}, {"exp", now + 300}};
  }
  std::string Hs(const Json& claims) { return TestDomain::Sign(claims, Hmac(kSharedSecret)); }
  std::string Rs(const Json& claims) { return TestDomain::Sign(claims, rsa()); }

  // The refusal's message (empty when the token is valid), and the precise detail.
  std::string Refusal(const std::string& token, std::string* detail = nullptr) {
    Result<Json> r = trust_->Validate(token, detail);
    if (r.ok()) return "";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    return r.status().message();
  }
  void ExpectValid(const std::string& token) {
    Result<Json> r = trust_->Validate(token);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  }

  ClientRequest MintRequest(const std::string& client_id, const std::string& sub) {
    ClientRequest r;
    r.basic = ClientCredentials{client_id, "secret-" + client_id};
    r.form = {{"sub", sub}};
    return r;
  }
  store::App AddMinter(const std::string& client_id) {
    store::App app = d_.AddClient(client_id);
    app.allowed_operations = {"trustToken"};
    d_.UpdateApp(app);
    return app;
  }
  // A trust token minted here for `sub`, or "" when refused.
  std::string Minted(const std::string& client_id, const std::string& sub) {
    Outcome o = trust_->Mint(MintRequest(client_id, sub));
    if (o.rejection) {
      ADD_FAILURE() << ReasonCode(o.rejection->reason) << ": " << o.rejection->detail;
      return "";
    }
    Result<Json> body = jose::ParseStrictJson(*o.body);
    EXPECT_TRUE(body.ok());
    return body.ok() ? (*body)["access_token"].get<std::string>() : "";
  }

  TestDomain d_;
  std::unique_ptr<TrustTokenService> trust_;
};

TEST_F(TrustTokensTest, Hs256AndRs256IssuersVerify) {
  Result<Json> hs = trust_->Validate(Hs(Claims(kHsIssuer)));
  ASSERT_TRUE(hs.ok()) << hs.status().ToString();
  EXPECT_EQ((*hs)["prn"], "alice");
  ExpectValid(Rs(Claims(kRsIssuer)));
}

// RFC 8725 3.1: the issuer's key decides the algorithm, never the header.
TEST_F(TrustTokensTest, EachIssuerIsPinnedToItsAlgorithm) {
  // HS256 keyed with the RS256 issuer's certificate, in the forms an attacker may find it.
  for (const std::string& secret : {rsa().cert.der, jose::CertificateToPem(rsa().cert),
                                    jose::PublicKeyToPem(rsa().cert.public_key).value()}) {
    std::string detail;
    EXPECT_EQ(Refusal(TestDomain::Sign(Claims(kRsIssuer), Hmac(secret)), &detail),
              kUnverifiedToken);
    EXPECT_NE(detail.find("issuer 'https://erp.example.com': "), std::string::npos) << detail;
  }
  // RS256 for the shared-secret issuer.
  EXPECT_EQ(Refusal(Rs(Claims(kHsIssuer))), kUnverifiedToken);
  // PS256 with the RS256 issuer's own key.
  TestKey ps = rsa();
  ps.key = *rsa().key.RestrictTo({jose::Algorithm::kPS256});
  ps.alg = jose::Algorithm::kPS256;
  EXPECT_EQ(Refusal(TestDomain::Sign(Claims(kRsIssuer), ps)), kUnverifiedToken);
}

// tokeninfo is open to anyone: it must not tell which issuers are registered.
TEST_F(TrustTokensTest, UnknownIssuerAndBadSignatureGetTheSameAnswer) {
  std::string unknown_detail, forged_detail, flipped_detail, wrong_key_detail;
  EXPECT_EQ(Refusal(Hs(Claims("https://nobody.example.com")), &unknown_detail), kUnverifiedToken);
  EXPECT_EQ(
      Refusal(TestDomain::Sign(Claims(kHsIssuer), Hmac(std::string(32, 'x'))), &forged_detail),
      kUnverifiedToken);
  std::string flipped = Rs(Claims(kRsIssuer));
  flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Refusal(flipped, &flipped_detail), kUnverifiedToken);
  EXPECT_EQ(Refusal(TestDomain::Sign(Claims(kRsIssuer), TestKey::OtherRsa()), &wrong_key_detail),
            kUnverifiedToken);
  // The log gets the precise reason.
  EXPECT_EQ(unknown_detail, "unknown issuer 'https://nobody.example.com'");
  EXPECT_NE(forged_detail.find("issuer 'https://fusion.example.com': "), std::string::npos);
  EXPECT_NE(flipped_detail.find("issuer 'https://erp.example.com': "), std::string::npos);
  EXPECT_NE(wrong_key_detail.find("issuer 'https://erp.example.com': "), std::string::npos);
  // An issuer that is no identifier is unknown too.
  EXPECT_EQ(Refusal(Hs(Claims("https://fusion.example.com\n"))), kUnverifiedToken);
}

TEST_F(TrustTokensTest, AnExpiredIssuerCertificateGetsTheSameAnswer) {
  d_.clock.Set(rsa().cert.not_after + 1);
  std::string detail;
  EXPECT_EQ(Refusal(Rs(Claims(kRsIssuer)), &detail), kUnverifiedToken);
  EXPECT_EQ(detail, "the certificate of issuer 'https://erp.example.com' has expired");
  d_.clock.Set(rsa().cert.not_after);
  ExpectValid(Rs(Claims(kRsIssuer)));
}

TEST_F(TrustTokensTest, LifetimeIsBounded) {
  Json c = Claims(kHsIssuer);
  c["exp"] = kNow + d_.config.max_assertion_lifetime;
  ExpectValid(Hs(c));
  c["exp"] = kNow + d_.config.max_assertion_lifetime + 1;
  EXPECT_NE(Refusal(Hs(c)).find("exp - iat is 3601 s; at most 3600 s accepted"), std::string::npos)
      << Refusal(Hs(c));
  // Issued long ago, still unexpired: bounded the same way.
  c["iat"] = kNow - 86400;
  c["exp"] = kNow + 60;
  EXPECT_NE(Refusal(Hs(c)).find("at most 3600 s accepted"), std::string::npos);
}

TEST_F(TrustTokensTest, TimesWithTheSkew) {
  Json c = Claims(kHsIssuer);
  c["iat"] = kNow - 300;
  c["exp"] = kNow - 29;
  ExpectValid(Hs(c));
  c["exp"] = kNow - 30;
  EXPECT_NE(Refusal(Hs(c)).find("expired at "), std::string::npos) << Refusal(Hs(c));
  c = Claims(kHsIssuer);
  c["iat"] = kNow + 30;
  ExpectValid(Hs(c));
  c["iat"] = kNow + 31;
  EXPECT_NE(Refusal(Hs(c)).find("issued at"), std::string::npos);
  c = Claims(kHsIssuer);
  c["nbf"] = kNow + 31;
  EXPECT_NE(Refusal(Hs(c)).find("not before"), std::string::npos);
  c = Claims(kHsIssuer);
  c.erase("iat");
  EXPECT_EQ(Refusal(Hs(c)), "token has no iat");
  c = Claims(kHsIssuer);
  c.erase("exp");
  EXPECT_NE(Refusal(Hs(c)), "");
}

TEST_F(TrustTokensTest, ThePrincipalIsAnActiveUser) {
  Json c = Claims(kHsIssuer, "nobody");
  EXPECT_EQ(Refusal(Hs(c)), "the token's principal 'nobody' is not a user of this domain");
  c = Claims(kHsIssuer, "bob");
  EXPECT_EQ(Refusal(Hs(c)), "the token's principal 'bob' is not an active user");
  // prn names the principal; sub only when prn is absent.
  c = Claims(kHsIssuer, "alice");
  c["sub"] = "nobody";
  ExpectValid(Hs(c));
  c["prn"] = "nobody";
  c["sub"] = "alice";
  EXPECT_NE(Refusal(Hs(c)), "");
  c.erase("prn");
  ExpectValid(Hs(c));
  c.erase("sub");
  EXPECT_EQ(Refusal(Hs(c)), "token names no principal (prn or sub)");
  c["prn"] = "alice\x01";
  EXPECT_NE(Refusal(Hs(c)), "");
}

TEST_F(TrustTokensTest, MintedHereVerifyWhileTheirPrincipalsLive) {
  store::App minter = AddMinter("minter");
  const std::string token = Minted("minter", "alice");
  ASSERT_FALSE(token.empty());
  Result<Json> claims = trust_->Validate(token);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ((*claims)["tok_type"], "TT");
  EXPECT_EQ((*claims)["exp"].get<int64_t>() - (*claims)["iat"].get<int64_t>(),
            d_.config.trust_token_lifetime);
  // An access token of this domain is no trust token.
  d_.AddClient("cc-client");
  ClientRequest r;
  r.basic = ClientCredentials{"cc-client", "secret-cc-client"};
  r.form = {{"grant_type", kGrantClientCredentials}};
  auto prepared = d_.tokens->Prepare(r);
  ASSERT_TRUE(std::holds_alternative<PreparedToken>(prepared));
  Outcome access = d_.tokens->Complete(r, std::get<PreparedToken>(prepared), std::nullopt);
  ASSERT_TRUE(access.body.has_value());
  const std::string at =
      jose::ParseStrictJson(*access.body).value()["access_token"].get<std::string>();
  EXPECT_EQ(Refusal(at), "not a trust token (tok_type is not TT)");
  // The minting app deactivated: its tokens stop.
  minter.active = false;
  d_.UpdateApp(minter);
  EXPECT_EQ(Refusal(token), "client minter is not active");
  minter.active = true;
  d_.UpdateApp(minter);
  ExpectValid(token);
  // Its user deactivated: likewise.
  Result<store::User> alice = d_.store->FindUserByName("alice");
  ASSERT_TRUE(alice.ok());
  alice->active = false;
  ASSERT_TRUE(d_.store->UpdateUser(*alice).ok());
  d_.directory->Invalidate();
  EXPECT_EQ(Refusal(token), "user 'alice' is not active");
  // Past trust_token_lifetime (plus the skew): expired.
  alice->active = true;
  ASSERT_TRUE(d_.store->UpdateUser(*alice).ok());
  d_.directory->Invalidate();
  d_.clock.Advance(d_.config.trust_token_lifetime + d_.config.clock_skew);
  EXPECT_NE(Refusal(token).find("expired at "), std::string::npos) << Refusal(token);
}

TEST_F(TrustTokensTest, MintRefusals) {
  AddMinter("minter");
  d_.AddClient("plain");
  struct Case {
    ClientRequest request;
    Reason reason;
  };
  ClientRequest no_sub = MintRequest("minter", "");
  no_sub.form.clear();
  const std::vector<Case> cases = {
      {MintRequest("plain", "alice"), Reason::kGrantNotAllowed},
      {MintRequest("minter", "nobody"), Reason::kAssertionUserUnknown},
      {MintRequest("minter", "bob"), Reason::kAssertionUserInactive},
      {MintRequest("minter", "ali\nce"), Reason::kAssertionUserUnknown},
      {no_sub, Reason::kMissingParameter},
  };
  for (const Case& t : cases) {
    Outcome o = trust_->Mint(t.request);
    ASSERT_TRUE(o.rejection.has_value());
    EXPECT_EQ(o.rejection->reason, t.reason) << o.rejection->detail;
  }
  ClientRequest wrong = MintRequest("minter", "alice");
  wrong.basic->client_secret = "wrong";
  Outcome o = trust_->Mint(wrong);
  ASSERT_TRUE(o.rejection.has_value());
  EXPECT_EQ(ToWireError(*o.rejection).http_status, 401);
}

TEST_F(TrustTokensTest, IssuerRegistrationRules) {
  auto put = [&](const Json& body) { return trust_->PutIssuer("admin", "ecid", body).status(); };
  EXPECT_EQ(
      put({{"issuer", "https://short.example"}, {"sharedSecret", std::string(31, 's')}}).code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(put({{"issuer", d_.config.issuer}, {"sharedSecret", kSharedSecret}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(put({{"issuer", kHsIssuer}, {"sharedSecret", kSharedSecret}}).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(put({{"issuer", "https://both.example"},
                 {"sharedSecret", kSharedSecret},
                 {"certAlias", "x"},
                 {"x509Base64Certificate", jose::Base64Encode(rsa().cert.der)}})
                .code(),
            StatusCode::kInvalidArgument);
  const TestKey ec = TestKey::Ec();
  EXPECT_EQ(put({{"issuer", "https://ec.example"},
                 {"certAlias", "ec"},
                 {"x509Base64Certificate", jose::Base64Encode(ec.cert.der)}})
                .code(),
            StatusCode::kInvalidArgument);
  d_.clock.Set(rsa().cert.not_after + 1);
  EXPECT_EQ(put({{"issuer", "https://late.example"},
                 {"certAlias", "late"},
                 {"x509Base64Certificate", jose::Base64Encode(rsa().cert.der)}})
                .code(),
            StatusCode::kInvalidArgument);
  // Shared secrets are never listed.
  Result<Json> list = trust_->ListIssuers();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->dump().find(kSharedSecret), std::string::npos);
}

}  // namespace
}  // namespace tessera::oauth
