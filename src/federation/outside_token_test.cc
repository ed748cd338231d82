// Outside-token validation: every rule of outside_token.h passing and failing, on a FixedClock,
// with RSA and EC keys generated here and served by a KeySet parsed from their JWK Set.
#include "federation/outside_token.h"

#include <gtest/gtest.h>

#include <set>

#include "federation/issuer_keys.h"
#include "jose/base64url.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/keyio.h"

namespace tessera::federation {
namespace {

using jose::Algorithm;
using jose::Json;
using R = FederationReason;

constexpr int64_t kNow = 1'800'000'000;
constexpr char kIssuer[] = "https://ci.example.test";
constexpr char kAudience[] = "https://idm.example.test";

struct SigningKey {
  jose::Key key;
  std::string kid;
  Algorithm alg;
};

const SigningKey& Rsa() {
  static const SigningKey k{jose::GenerateKey(jose::KeyType::kRsa, 2048).value(), "rsa-1",
                            Algorithm::kRS256};
  return k;
}
const SigningKey& Ec() {
  static const SigningKey k{jose::GenerateKey(jose::KeyType::kEc, 256).value(), "ec-1",
                            Algorithm::kES256};
  return k;
}
// Not published by the issuer.
const SigningKey& Stranger() {
  static const SigningKey k{jose::GenerateKey(jose::KeyType::kRsa, 2048).value(), "rsa-1",
                            Algorithm::kRS256};
  return k;
}

std::string JwksOf(const std::vector<const SigningKey*>& keys) {
  Json set = {{"keys", Json::array()}};
  for (const SigningKey* k : keys) {
    set["keys"].push_back(jose::PublicJwk(k->key.PublicKey().value(), k->kid).value());
  }
  return jose::DumpCompact(set);
}

Json Claims() {
  return {{"iss", kIssuer},
          {"sub", "repo:acme/deploy:ref:refs/heads/main"},
          {"aud", kAudience},
          {"repository", "acme/deploy"},
          {"ref", "refs/heads/main"},
          {"azp", "ci-app"},
          {"email", "deploy@acme.test"},
          {"iat", kNow - 10},
          {"exp", kNow + 600},
          {"jti", "jti-1"}};
}

std::string Sign(const Json& claims, const SigningKey& k = Rsa(), Json header = Json::object()) {
  if (!header.contains("kid")) header["kid"] = k.kid;
  if (header["kid"].is_null()) header.erase("kid");
  return jose::SignJwt(claims, k.key, k.alg, header).value();
}

std::string B64(const Json& j) { return jose::Base64UrlEncode(jose::DumpCompact(j)); }

class OutsideTokenTest : public ::testing::Test {
 protected:
  OutsideTokenTest() : keys_(KeySet::FromJwks(JwksOf({&Rsa(), &Ec()})).value(), clock_) {
    trust_.id = "trust-1";
    trust_.name = "ci";
    trust_.issuer = kIssuer;
    trust_.active = true;
    trust_.audiences = {kAudience};
    trust_.conditions = {{.claim = "repository", .in = {"acme/deploy"}},
                         {.claim = "ref", .like = "refs/heads/*"}};
    trust_.oauth_clients = {"client-1"};
    EXPECT_TRUE(ValidateTrust(trust_).ok());
  }

  Result<FederatedIdentity> Validate(const std::string& token,
                                     std::string presenting = "client-1") {
    return ValidateOutsideToken(token, trust_, keys_, clock_,
                                {.presenting_client_id = std::move(presenting)});
  }
  // The reason a refused token carries; fails the test if it was accepted.
  R Why(const std::string& token, std::string presenting = "client-1") {
    Result<FederatedIdentity> r = Validate(token, std::move(presenting));
    EXPECT_FALSE(r.ok()) << "accepted";
    return r.ok() ? R::kOk : FederationReasonOf(r.status());
  }
  std::string Message(const std::string& token) { return Validate(token).status().message(); }

  FixedClock clock_{kNow};
  FixedKeySource keys_;
  Trust trust_;
};

TEST_F(OutsideTokenTest, AcceptsAValidRsaTokenWithEverythingTheGrantNeeds) {
  Result<FederatedIdentity> r = Validate(Sign(Claims()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->trust_id, "trust-1");
  EXPECT_EQ(r->trust_name, "ci");
  EXPECT_EQ(r->issuer, kIssuer);
  EXPECT_EQ(r->key_id, "rsa-1");
  EXPECT_EQ(r->outside_subject, "repo:acme/deploy:ref:refs/heads/main");
  EXPECT_EQ(r->subject_type, SubjectType::kUser);
  EXPECT_EQ(r->mapping_attribute, SubjectMappingAttribute::kUserName);
  EXPECT_EQ(r->mapping_value, "repo:acme/deploy:ref:refs/heads/main");
  EXPECT_FALSE(r->impersonating);
  EXPECT_EQ(r->outside_expires_at, kNow + 600);
  EXPECT_EQ(r->expires_at_cap, kNow + 600);
  EXPECT_EQ(r->jti, "jti-1");
  EXPECT_TRUE(r->MustConsumeJti());
  EXPECT_EQ(r->replay_until, kNow + 600 + 30);
  EXPECT_FALSE(r->client_claim_value.has_value());
}

TEST_F(OutsideTokenTest, AcceptsAnEcToken) {
  Result<FederatedIdentity> r = Validate(Sign(Claims(), Ec()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->key_id, "ec-1");
}

TEST_F(OutsideTokenTest, TrustMustBeActive) {
  trust_.active = false;
  EXPECT_EQ(Why(Sign(Claims())), R::kTrustInactive);
}

TEST_F(OutsideTokenTest, PresentingClientMustBeInOauthClients) {
  EXPECT_EQ(Why(Sign(Claims()), "client-2"), R::kClientNotAuthorized);
  EXPECT_EQ(Why(Sign(Claims()), ""), R::kClientNotAuthorized);
}

TEST_F(OutsideTokenTest, FormRules) {
  const std::string good = Sign(Claims());
  EXPECT_EQ(Why(std::string(20000, 'a')), R::kTooLarge);
  EXPECT_EQ(Why("abc.def"), R::kMalformed);
  EXPECT_EQ(Why(good.substr(0, good.rfind('.'))), R::kMalformed);
  EXPECT_EQ(Why(good + "="), R::kMalformed);  // not strict base64url
  EXPECT_EQ(Why(good + ".x.y"), R::kMalformed);
  // Key-carrying and unknown critical headers (RFC 8725 3.10, RFC 7515 4.1.11).
  EXPECT_EQ(Why(Sign(Claims(), Rsa(), {{"jku", "https://attacker.test/jwks"}})),
            R::kHeaderRejected);
  EXPECT_EQ(Why(Sign(Claims(), Rsa(), {{"x5u", "https://attacker.test/c"}})), R::kHeaderRejected);
  EXPECT_EQ(Why(Sign(Claims(), Rsa(), {{"x5c", Json::array({"MIIB"})}})), R::kHeaderRejected);
  EXPECT_EQ(Why(Sign(Claims(), Rsa(), {{"jwk", Json::parse(JwksOf({&Rsa()}))["keys"][0]}})),
            R::kHeaderRejected);
  EXPECT_EQ(Why(Sign(Claims(), Rsa(), {{"crit", {"exp"}}, {"exp", 1}})), R::kHeaderRejected);
}

TEST_F(OutsideTokenTest, AlgorithmNoneAndHmacAreNeverAccepted) {
  const std::string payload = B64(Claims());
  EXPECT_EQ(Why(B64({{"alg", "none"}, {"kid", "rsa-1"}}) + "." + payload + ".AAAA"),
            R::kAlgorithmRejected);
  EXPECT_EQ(Why(B64({{"alg", "nOnE"}}) + "." + payload + ".AAAA"), R::kAlgorithmRejected);
  // RS256 -> HS256 confusion: an HMAC keyed with the public key's bytes (RFC 8725 2.1).
  const std::string pem = jose::PublicKeyToPem(Rsa().key).value();
  const jose::Key hmac = jose::Key::FromSecret(pem, Algorithm::kHS256).value();
  const std::string forged =
      jose::SignJwt(Claims(), hmac, Algorithm::kHS256, {{"kid", "rsa-1"}}).value();
  EXPECT_EQ(Why(forged), R::kAlgorithmRejected);
}

TEST_F(OutsideTokenTest, TypeMustBeATokenType) {
  for (const char* ok : {"JWT", "jwt", "application/jwt", "JOSE", "at+jwt", "application/at+JWT"}) {
    EXPECT_TRUE(Validate(Sign(Claims(), Rsa(), {{"typ", ok}})).ok()) << ok;
  }
  for (const char* bad : {"dpop+jwt", "client-authentication+jwt", "logout+jwt", "secevent+jwt",
                          "token-introspection+jwt", "JWS", ""}) {
    EXPECT_EQ(Why(Sign(Claims(), Rsa(), {{"typ", bad}})), R::kTypeRejected) << bad;
  }
}

TEST_F(OutsideTokenTest, IssuerMustBeTheTrustsExactly) {
  Json c = Claims();
  c.erase("iss");
  EXPECT_EQ(Why(Sign(c)), R::kIssuerMissing);
  c["iss"] = 7;
  EXPECT_EQ(Why(Sign(c)), R::kIssuerMissing);
  for (const char* other : {"https://ci.example.test/", "HTTPS://CI.EXAMPLE.TEST",
                            "https://ci.example.test.evil.test", "https://ci.example.tes"}) {
    c["iss"] = other;
    EXPECT_EQ(Why(Sign(c)), R::kIssuerMismatch) << other;
  }
  c["iss"] = "https://evil.test";
  EXPECT_EQ(Message(Sign(c)).find("evil"), std::string::npos);  // unverified: not echoed
}

TEST_F(OutsideTokenTest, KeyRules) {
  EXPECT_EQ(Why(Sign(Claims(), Rsa(), {{"kid", "rotated-away"}})), R::kKeyNotFound);
  EXPECT_EQ(Why(Sign(Claims(), Rsa(), {{"kid", nullptr}})), R::kNoKeyId);  // two keys
  // The same kid, another key: the signature fails, no other key is tried.
  EXPECT_EQ(Why(Sign(Claims(), Stranger())), R::kSignatureInvalid);
  // RS256 key, PS256 token: the key's pinned algorithm decides (RFC 8725 3.1).
  const SigningKey ps{Rsa().key.RestrictTo({Algorithm::kPS256}).value(), "rsa-1",
                      Algorithm::kPS256};
  EXPECT_EQ(Why(Sign(Claims(), ps)), R::kAlgorithmNotAllowed);
  // An EC token claiming the RSA kid.
  EXPECT_EQ(Why(Sign(Claims(), Ec(), {{"kid", "rsa-1"}})), R::kAlgorithmNotAllowed);
  // A flipped signature bit.
  std::string token = Sign(Claims());
  const std::size_t dot = token.rfind('.');
  token[dot + 5] = token[dot + 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Why(token), R::kSignatureInvalid);
}

TEST_F(OutsideTokenTest, ASingleKeySetServesATokenWithoutKid) {
  FixedKeySource one(KeySet::FromJwks(JwksOf({&Rsa()})).value(), clock_);
  Result<FederatedIdentity> r =
      ValidateOutsideToken(Sign(Claims(), Rsa(), {{"kid", nullptr}}), trust_, one, clock_,
                           {.presenting_client_id = "client-1"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->key_id, "");
}

TEST_F(OutsideTokenTest, TimeRulesUseTheTrustsSkew) {
  trust_.clock_skew_seconds = 60;
  Json c = Claims();
  c.erase("exp");
  EXPECT_EQ(Why(Sign(c)), R::kExpirationMissing);
  c["exp"] = std::to_string(kNow + 600);
  EXPECT_EQ(Why(Sign(c)), R::kTimeClaimInvalid);
  c["exp"] = (kNow + 600) * 1000;  // milliseconds
  EXPECT_EQ(Why(Sign(c)), R::kTimeClaimInvalid);
  c["exp"] = kNow - 60;  // now >= exp + skew
  EXPECT_EQ(Why(Sign(c)), R::kExpired);
  c["iat"] = kNow - 100;
  c["exp"] = kNow - 59;  // accepted by the skew, but nothing is left to issue
  EXPECT_EQ(Why(Sign(c)), R::kNoLifetimeLeft);
  c["exp"] = kNow + 1;
  EXPECT_TRUE(Validate(Sign(c)).ok());
  c = Claims();
  c["nbf"] = kNow + 61;
  EXPECT_EQ(Why(Sign(c)), R::kNotYetValid);
  c["nbf"] = kNow + 60;
  EXPECT_TRUE(Validate(Sign(c)).ok());
  c = Claims();
  c["iat"] = kNow + 61;
  EXPECT_EQ(Why(Sign(c)), R::kIssuedInFuture);
  c["iat"] = kNow + 60;
  EXPECT_TRUE(Validate(Sign(c)).ok());
  c = Claims();
  c["nbf"] = kNow + 700;  // after exp
  c["iat"] = kNow - 10;
  clock_.Set(kNow + 650);
  c["exp"] = kNow + 690;
  EXPECT_EQ(Why(Sign(c)), R::kTimesInconsistent);
  clock_.Set(kNow);
}

TEST_F(OutsideTokenTest, OutsideLifetimeIsBounded) {
  Json c = Claims();
  c["iat"] = kNow;
  c["exp"] = kNow + 86400 + 1;
  EXPECT_EQ(Why(Sign(c)), R::kLifetimeTooLong);
  c["exp"] = kNow + 86400;
  EXPECT_TRUE(Validate(Sign(c)).ok());
  Result<FederatedIdentity> r = ValidateOutsideToken(
      Sign(c), trust_, keys_, clock_,
      {.presenting_client_id = "client-1", .max_outside_lifetime_seconds = 3600});
  EXPECT_EQ(FederationReasonOf(r.status()), R::kLifetimeTooLong);
}

TEST_F(OutsideTokenTest, AudienceMustIntersectTheTrusts) {
  Json c = Claims();
  c.erase("aud");
  EXPECT_EQ(Why(Sign(c)), R::kAudienceMissing);
  c["aud"] = "https://other.example.test";
  EXPECT_EQ(Why(Sign(c)), R::kAudienceMismatch);
  c["aud"] = std::string(kAudience) + "/";
  EXPECT_EQ(Why(Sign(c)), R::kAudienceMismatch);
  c["aud"] = Json::array();
  EXPECT_EQ(Why(Sign(c)), R::kAudienceMismatch);
  c["aud"] = {"https://other.example.test", kAudience};
  EXPECT_TRUE(Validate(Sign(c)).ok());
  c["aud"] = 5;
  EXPECT_EQ(Why(Sign(c)), R::kAudienceMismatch);
}

TEST_F(OutsideTokenTest, ConditionsMustAllHoldAndTheRefusalNamesTheClaim) {
  Json c = Claims();
  c["repository"] = "acme/other";
  EXPECT_EQ(Why(Sign(c)), R::kConditionNotSatisfied);
  EXPECT_EQ(Message(Sign(c)), "condition on claim 'repository' not satisfied");
  c = Claims();
  c["ref"] = "refs/tags/v1";
  EXPECT_EQ(Why(Sign(c)), R::kConditionNotSatisfied);
  EXPECT_NE(Message(Sign(c)).find("'ref'"), std::string::npos);
  c.erase("ref");
  EXPECT_EQ(Why(Sign(c)), R::kConditionClaimMissing);
  EXPECT_EQ(Message(Sign(c)), "condition on claim 'ref' not satisfied: the claim is missing");
}

TEST_F(OutsideTokenTest, ClientClaim) {
  trust_.client_claim_name = "azp";
  trust_.client_claim_values = {"other-app", "ci-app"};
  Result<FederatedIdentity> r = Validate(Sign(Claims()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->client_claim_value, "ci-app");
  trust_.client_claim_values = {"other-app"};
  EXPECT_EQ(Why(Sign(Claims())), R::kClientNotAllowed);
  EXPECT_EQ(Message(Sign(Claims())), "client claim 'azp' holds a value not in clientClaimValues");
  Json c = Claims();
  c.erase("azp");
  EXPECT_EQ(Why(Sign(c)), R::kClientClaimMissing);
  c["azp"] = Json::array({"other-app"});
  EXPECT_EQ(Why(Sign(c)), R::kClientClaimMissing);
}

TEST_F(OutsideTokenTest, SubjectClaimAndMappingAttribute) {
  trust_.subject_claim_name = "email";
  trust_.subject_mapping_attribute = SubjectMappingAttribute::kEmail;
  Result<FederatedIdentity> r = Validate(Sign(Claims()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->mapping_attribute, SubjectMappingAttribute::kEmail);
  EXPECT_EQ(r->mapping_value, "deploy@acme.test");
  Json c = Claims();
  c.erase("email");
  EXPECT_EQ(Why(Sign(c)), R::kSubjectMissing);
  EXPECT_EQ(Message(Sign(c)), "subject claim 'email' is missing, empty or not a string");
  c["email"] = "";
  EXPECT_EQ(Why(Sign(c)), R::kSubjectMissing);
  c["email"] = 12;
  EXPECT_EQ(Why(Sign(c)), R::kSubjectMissing);
  c["email"] = std::string(kMaxSubjectBytes + 1, 'a');
  EXPECT_EQ(Why(Sign(c)), R::kSubjectMissing);
}

TEST_F(OutsideTokenTest, ImpersonationFirstMatchingRuleWins) {
  trust_.allow_impersonation = true;
  trust_.impersonation_service_users = {
      {.rule = R"(repository eq "acme/other")", .value = "svc-other"},
      {.rule = R"(repository eq "acme/deploy" and ref eq "refs/heads/main")",
       .value = "svc-deploy"},
      {.rule = R"(repository eq "acme/deploy")", .value = "svc-any"}};
  ASSERT_TRUE(ValidateTrust(trust_).ok());
  Result<FederatedIdentity> r = Validate(Sign(Claims()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->impersonating);
  EXPECT_EQ(r->impersonation_rule, 1u);
  EXPECT_EQ(r->mapping_attribute, SubjectMappingAttribute::kId);
  EXPECT_EQ(r->mapping_value, "svc-deploy");
  EXPECT_EQ(r->act_subject, "repo:acme/deploy:ref:refs/heads/main");
  EXPECT_EQ(r->act_issuer, kIssuer);
  // No rule matches: the ordinary mapping, no act.
  trust_.impersonation_service_users = {
      {.rule = R"(repository eq "acme/other")", .value = "svc-other"}};
  r = Validate(Sign(Claims()));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->impersonating);
  EXPECT_EQ(r->mapping_attribute, SubjectMappingAttribute::kUserName);
  EXPECT_EQ(r->mapping_value, "repo:acme/deploy:ref:refs/heads/main");
  EXPECT_TRUE(r->act_subject.empty());
  // Rules are ignored unless impersonation is allowed.
  trust_.allow_impersonation = false;
  trust_.impersonation_service_users = {
      {.rule = R"(repository eq "acme/deploy")", .value = "svc-any"}};
  r = Validate(Sign(Claims()));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->impersonating);
}

TEST_F(OutsideTokenTest, JtiPolicy) {
  Json c = Claims();
  c.erase("jti");
  EXPECT_EQ(Why(Sign(c)), R::kJtiMissing);
  trust_.jti = JtiPolicy::kReuseUntilExp;
  Result<FederatedIdentity> r = Validate(Sign(c));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->jti.has_value());
  EXPECT_FALSE(r->MustConsumeJti());
  EXPECT_EQ(r->jti_policy, JtiPolicy::kReuseUntilExp);
  for (const Json& bad : {Json(5), Json(""), Json(std::string(kMaxJtiBytes + 1, 'j'))}) {
    c["jti"] = bad;
    EXPECT_EQ(Why(Sign(c)), R::kJtiInvalid) << bad.dump().substr(0, 20);
  }
  c["jti"] = std::string(kMaxJtiBytes, 'j');
  EXPECT_TRUE(Validate(Sign(c)).ok());
}

TEST_F(OutsideTokenTest, LifetimeCapNeverPassesTheOutsideExp) {
  Result<FederatedIdentity> r = Validate(Sign(Claims()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(IssuedExpiry(*r, kNow, 3600), kNow + 600);  // outside exp wins
  EXPECT_EQ(IssuedExpiry(*r, kNow, 300), kNow + 300);   // the request wins
  trust_.max_token_lifetime = 120;
  r = Validate(Sign(Claims()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->expires_at_cap, kNow + 120);
  EXPECT_EQ(r->outside_expires_at, kNow + 600);
  EXPECT_EQ(IssuedExpiry(*r, kNow, 3600), kNow + 120);
  trust_.max_token_lifetime = 86400 * 30;  // longer than the outside token: still capped by it
  r = Validate(Sign(Claims()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(IssuedExpiry(*r, kNow, 86400), kNow + 600);
}

TEST_F(OutsideTokenTest, AppTrustMapsTheClientClaimToAClient) {
  trust_.subject_type = SubjectType::kApp;
  trust_.client_claim_name = "azp";
  trust_.client_claim_values = {"ci-app"};
  trust_.oauth_clients.clear();
  ASSERT_TRUE(ValidateTrust(trust_).ok());
  Result<FederatedIdentity> r = Validate(Sign(Claims()), "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->subject_type, SubjectType::kApp);
  EXPECT_EQ(r->mapping_attribute, SubjectMappingAttribute::kId);
  EXPECT_EQ(r->mapping_value, "ci-app");
  // Never the subject of a grant that an authenticated app presents.
  EXPECT_EQ(Why(Sign(Claims()), "client-1"), R::kClientNotAuthorized);
}

TEST_F(OutsideTokenTest, InlineCertificateAndItsValidity) {
  const jose::Certificate cert =
      jose::MakeSelfSignedCertificate(Ec().key, "CN=ci", 10, kNow - 86400).value();
  trust_.public_certificate = jose::CertificateToPem(cert);
  FixedKeySource certs(KeySet::FromCertificate(trust_.public_certificate).value(), clock_);
  auto run = [&] {
    return ValidateOutsideToken(Sign(Claims(), Ec(), {{"kid", "any"}}), trust_, certs, clock_,
                                {.presenting_client_id = "client-1"});
  };
  EXPECT_TRUE(run().ok()) << run().status().ToString();
  clock_.Set(kNow + 86400 * 10);
  EXPECT_EQ(FederationReasonOf(run().status()), R::kCertificateExpired);
}

TEST_F(OutsideTokenTest, PeekIssuerReadsTheUnverifiedIssuerAfterTheFormRules) {
  EXPECT_EQ(PeekIssuer(Sign(Claims())).value(), kIssuer);
  EXPECT_EQ(FederationReasonOf(PeekIssuer("a.b").status()), R::kMalformed);
  EXPECT_EQ(FederationReasonOf(
                PeekIssuer(Sign(Claims(), Rsa(), {{"jku", "https://attacker.test"}})).status()),
            R::kHeaderRejected);
  Json c = Claims();
  c.erase("iss");
  EXPECT_EQ(FederationReasonOf(PeekIssuer(Sign(c)).status()), R::kIssuerMissing);
}

TEST(SubjectTokenTypeTest, TheThreeJwtTypesOfRfc8693) {
  EXPECT_EQ(SubjectTokenTypeFromUrn("urn:ietf:params:oauth:token-type:jwt"),
            SubjectTokenType::kJwt);
  EXPECT_EQ(SubjectTokenTypeFromUrn("urn:ietf:params:oauth:token-type:id_token"),
            SubjectTokenType::kIdToken);
  EXPECT_EQ(SubjectTokenTypeFromUrn("urn:ietf:params:oauth:token-type:access_token"),
            SubjectTokenType::kAccessToken);
  for (const char* other :
       {"urn:ietf:params:oauth:token-type:saml2", "urn:ietf:params:oauth:token-type:refresh_token",
        "urn:ietf:params:oauth:token-type:JWT", ""}) {
    EXPECT_FALSE(SubjectTokenTypeFromUrn(other).has_value()) << other;
  }
}

TEST(ScopeCeilingTest, AllowedScopesBoundTheRequest) {
  Trust t;
  t.name = "ci";
  EXPECT_TRUE(CheckScopeCeiling(t, {"https://api.testurn:a"}).ok());  // no ceiling
  t.allowed_scopes = {"https://api.testurn:a", "https://api.testurn:b"};
  EXPECT_TRUE(CheckScopeCeiling(t, {"https://api.testurn:b"}).ok());
  Status s = CheckScopeCeiling(t, {"https://api.testurn:a", "https://api.testurn:c"});
  EXPECT_EQ(FederationReasonOf(s), R::kScopeOutsideCeiling);
  EXPECT_NE(s.message().find("https://api.testurn:c"), std::string::npos);
  EXPECT_EQ(WithinScopeCeiling(t, {"https://api.testurn:c", "https://api.testurn:b"}),
            std::vector<std::string>{"https://api.testurn:b"});
  t.allowed_scopes.clear();
  EXPECT_EQ(WithinScopeCeiling(t, {"x", "y"}), (std::vector<std::string>{"x", "y"}));
}

TEST(ReasonTest, EveryReasonHasItsOwnCodeAndText) {
  std::set<std::string_view> codes, texts;
  const int last = static_cast<int>(R::kScopeOutsideCeiling);
  for (int i = 0; i <= last; ++i) {
    const auto r = static_cast<R>(i);
    EXPECT_TRUE(codes.insert(ReasonCode(r)).second) << ReasonCode(r);
    EXPECT_TRUE(texts.insert(ReasonText(r)).second) << ReasonText(r);
    EXPECT_FALSE(RefusalMessage(r).empty());
  }
  EXPECT_EQ(Refuse(R::kKeysUnavailable).code(), StatusCode::kUnavailable);
  EXPECT_EQ(Refuse(R::kExpired).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RefusalMessage(R::kConditionNotSatisfied, "repository"),
            "condition on claim 'repository' not satisfied");
  EXPECT_EQ(RefusalMessage(R::kAudienceMismatch, "aud", "x"),
            "the outside token's audience is not one of the trust's audiences (claim 'aud'): x");
}

}  // namespace
}  // namespace tessera::federation
