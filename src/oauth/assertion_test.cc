// AssertionValidator, rule by rule (contract section 2, RFC 7523 section 3), over the real SQLite
// store on a FixedClock: each rule's pass and every failure reason it gives, with keys and
// certificates generated in process.
#include "oauth/assertion.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "oauth/test_domain.h"

namespace tessera::oauth {
namespace {

using jose::Json;
using testing::kNow;
using testing::TestDomain;
using testing::TestKey;

constexpr char kClient[] = "client-a";

class AssertionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d_.PutCertificate(store::CertificateKind::kClient, "own", own().cert);
    d_.PutCertificate(store::CertificateKind::kPartner, "partner", partner().cert);
    client_ = d_.AddClient(kClient, {"own"});
    d_.AddUser("alice");
    d_.AddUser("bob", /*active=*/false);
  }

  static const TestKey& own() { return TestKey::Rsa(); }
  static const TestKey& partner() { return TestKey::OtherRsa(); }
  // The attached RSA key, signing PS256.
  static TestKey Ps256() {
    TestKey k = own();
    Result<jose::Key> pinned = k.key.RestrictTo({jose::Algorithm::kPS256});
    EXPECT_TRUE(pinned.ok());
    if (pinned.ok()) k.key = *pinned;
    k.alg = jose::Algorithm::kPS256;
    return k;
  }

  Json Claims(const std::string& sub = "alice") { return d_.Claims(kClient, sub); }
  std::string Sign(const Json& claims, const Json& header = {{"kid", "own"}},
                   const TestKey& key = own()) {
    return TestDomain::Sign(claims, key, header);
  }

  AssertionResult Validate(const std::string& token,
                           AssertionKind kind = AssertionKind::kUserGrant) {
    return d_.tokens->validator().Validate(token, client_, kind);
  }
  // The rejection of `token`, which must be rejected.
  Rejection Rejected(const std::string& token, AssertionKind kind = AssertionKind::kUserGrant) {
    AssertionResult r = Validate(token, kind);
    EXPECT_TRUE(std::holds_alternative<Rejection>(r)) << token;
    return std::holds_alternative<Rejection>(r) ? std::get<Rejection>(r)
                                                : Rejection{Reason::kInternal, "accepted"};
  }
  Reason ReasonOf(const std::string& token, AssertionKind kind = AssertionKind::kUserGrant) {
    return Rejected(token, kind).reason;
  }
  // The validated assertion of `token`, which must pass.
  ValidatedAssertion Accepted(const std::string& token,
                              AssertionKind kind = AssertionKind::kUserGrant) {
    AssertionResult r = Validate(token, kind);
    if (auto* rej = std::get_if<Rejection>(&r)) {
      ADD_FAILURE() << ReasonCode(rej->reason) << ": " << rej->detail;
      return {};
    }
    return std::get<ValidatedAssertion>(r);
  }
  std::vector<RuleOutcome> Report(const std::string& token,
                                  AssertionKind kind = AssertionKind::kUserGrant) {
    std::vector<RuleOutcome> report;
    (void)d_.tokens->validator().Validate(token, client_, kind, &report, ReportDepth::kEveryRule);
    return report;
  }
  void UpdateClient() { d_.UpdateApp(client_); }

  static bool StartsWith(const std::string& s, const std::string& prefix) {
    return s.rfind(prefix, 0) == 0;
  }

  TestDomain d_;
  store::App client_;
};

TEST_F(AssertionTest, AGoodAssertionPassesEveryRuleInOrder) {
  Json c = Claims();
  const ValidatedAssertion v = Accepted(Sign(c));
  EXPECT_EQ(v.issuer, kClient);
  EXPECT_EQ(v.jti, c["jti"]);
  EXPECT_EQ(v.expires_at, kNow + 300);
  EXPECT_EQ(v.key_source, "certificate 'own' attached to client client-a");
  ASSERT_NE(v.user, nullptr);
  EXPECT_EQ(v.user->id, "u-alice");
  EXPECT_EQ(v.jws.claims, c);

  std::vector<std::pair<int, std::string>> rules;
  for (const RuleOutcome& o : Report(Sign(c))) {
    EXPECT_TRUE(o.passed()) << o.name << ": " << o.detail;
    rules.emplace_back(o.rule, o.name);
  }
  EXPECT_EQ(rules, (std::vector<std::pair<int, std::string>>{{1, "syntax"},
                                                             {2, "algorithm"},
                                                             {3, "signature"},
                                                             {4, "issuer"},
                                                             {5, "audience"},
                                                             {6, "time"},
                                                             {7, "jti"},
                                                             {8, "user"}}));
}

// ---- Rule 1: strict compact JWS of JSON objects, bounded size (RFC 7523 3 item 10).

TEST_F(AssertionTest, Rule1RefusesWhatIsNotAStrictCompactJws) {
  const std::string good = Sign(Claims());
  const std::string header = good.substr(0, good.find('.'));
  std::vector<std::string> bad = {
      "not-a-jwt",
      "a.b",
      good + ".x",                                // five segments would be JWE, four nothing
      header + "=" + good.substr(header.size()),  // padding
      "#" + good.substr(1),                       // not base64url
  };
  // Duplicate members, in the claims and in the header.
  const std::string claims = Claims().dump();
  bad.push_back(TestDomain::SignRaw(R"({"alg":"RS256","kid":"own"})",
                                    claims.substr(0, claims.size() - 1) + R"(,"sub":"bob"})",
                                    &own()));
  bad.push_back(TestDomain::SignRaw(R"({"alg":"RS256","kid":"own","kid":"own"})", claims, &own()));
  // Claims that are not an object.
  bad.push_back(TestDomain::SignRaw(R"({"alg":"RS256","kid":"own"})", R"(["alice"])", &own()));
  bad.push_back(TestDomain::SignRaw(R"({"alg":"RS256","kid":"own"})", "{", &own()));
  for (const std::string& token : bad) {
    const Rejection r = Rejected(token);
    EXPECT_EQ(r.reason, Reason::kAssertionMalformed) << token;
    EXPECT_TRUE(StartsWith(r.detail, "assertion is not a valid JWT: ")) << r.detail;
    EXPECT_FALSE(r.client_assertion);
  }
  // Report mode stops at rule 1 too: there is nothing to check the other rules on.
  const std::vector<RuleOutcome> report = Report("a.b");
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(report[0].rule, 1);
  EXPECT_EQ(report[0].reason, Reason::kAssertionMalformed);
  EXPECT_FALSE(report[0].fix.empty());
}

TEST_F(AssertionTest, Rule1BoundsTheSizeAt32KiB) {
  Json c = Claims();
  c["pad"] = std::string(20 * 1024, 'x');
  Accepted(Sign(c));
  c["pad"] = std::string(33 * 1024, 'x');  // below the JWS parser's own 64 KiB default
  EXPECT_EQ(ReasonOf(Sign(c)), Reason::kAssertionMalformed);
}

// ---- Rule 2: alg allowed per app, forbidden header members, typ (RFC 7523 3 item 9).

TEST_F(AssertionTest, Rule2RefusesHeadersTheParserForbids) {
  const std::string claims = Claims().dump();
  auto header_reason = [&](const std::string& header) {
    const std::vector<RuleOutcome> report = Report(TestDomain::SignRaw(header, claims, &own()));
    EXPECT_EQ(report.size(), 2u) << header;
    if (report.size() == 2) {
      EXPECT_EQ(report[0].rule, 1);
      EXPECT_TRUE(report[0].passed());
      EXPECT_EQ(report[1].rule, 2);
      EXPECT_EQ(report[1].name, "header");
    }
    const Rejection r = Rejected(TestDomain::SignRaw(header, claims, &own()));
    EXPECT_TRUE(StartsWith(r.detail, "assertion header rejected: ")) << r.detail;
    return r.reason;
  };
  for (const char* header : {R"({"kid":"own"})", R"({"alg":"none","kid":"own"})",
                             R"({"alg":"RS257","kid":"own"})", R"({"alg":"rs256","kid":"own"})"}) {
    EXPECT_EQ(header_reason(header), Reason::kAssertionAlgNotAllowed) << header;
  }
  const std::string jwk = R"({"kty":"RSA","n":"AQAB","e":"AQAB"})";
  for (const std::string& header : std::vector<std::string>{
           R"({"alg":"RS256","kid":"own","crit":["exp"]})",
           R"({"alg":"RS256","kid":"own","crit":["urn:example:unknown"],"urn:example:unknown":1})",
           R"({"alg":"RS256","kid":"own","b64":false,"crit":["b64"]})",
           R"({"alg":"RS256","kid":"own","jwk":)" + jwk + "}",
           R"({"alg":"RS256","kid":"own","jku":"https://attacker.example/jwks"})",
           R"({"alg":"RS256","kid":"own","x5u":"https://attacker.example/cert"})",
           R"({"alg":"RS256","kid":"own","x5c":["MIIB"]})",
           R"({"alg":"RS256","kid":"own","cty":"JWT"})",
           R"({"alg":"RS256","kid":"own","zip":"DEF"})",
           R"({"alg":"RS256","kid":"own","enc":"A128GCM"})",
           R"({"alg":"RS256","kid":7})",
       }) {
    EXPECT_EQ(header_reason(header), Reason::kAssertionHeaderRejected) << header;
  }
}

TEST_F(AssertionTest, Rule2AlgMustBeAllowedForTheApp) {
  const TestKey ec = TestKey::Ec();
  d_.PutCertificate(store::CertificateKind::kClient, "ec", ec.cert);
  client_.certificate_aliases = {"own", "ec"};
  UpdateClient();
  // Default: RS256 alone.
  Accepted(Sign(Claims()));
  const Rejection r = Rejected(Sign(Claims(), {{"kid", "ec"}}, ec));
  EXPECT_EQ(r.reason, Reason::kAssertionAlgNotAllowed);
  EXPECT_EQ(r.detail, "assertion alg ES256 is not allowed for client client-a; allowed: RS256");
  // Allowed per app.
  client_.assertion_algs = {"ES256"};
  UpdateClient();
  Accepted(Sign(Claims(), {{"kid", "ec"}}, ec));
  EXPECT_EQ(ReasonOf(Sign(Claims())), Reason::kAssertionAlgNotAllowed);
  client_.assertion_algs = {"RS256", "PS256", "ES256"};
  UpdateClient();
  Accepted(Sign(Claims()));
  Accepted(Sign(Claims(), {{"kid", "own"}}, Ps256()));
  Accepted(Sign(Claims(), {{"kid", "ec"}}, ec));
}

TEST_F(AssertionTest, Rule2NeverAllowsAnHmacAlg) {
  // Even listed for the app, HS256 is no algorithm for a certificate: keyed with the
  // certificate's public bytes it would let anyone sign (RFC 8725 2.1).
  client_.assertion_algs = {"RS256", "HS256"};
  UpdateClient();
  Result<jose::Key> secret = jose::Key::FromSecret(own().cert.der, jose::Algorithm::kHS256);
  ASSERT_TRUE(secret.ok());
  TestKey hmac{*secret, own().cert, jose::Algorithm::kHS256};
  const Rejection r = Rejected(Sign(Claims(), {{"kid", "own"}}, hmac));
  EXPECT_EQ(r.reason, Reason::kAssertionAlgNotAllowed);
  EXPECT_EQ(r.detail,
            "assertion alg HS256 is not allowed for client client-a; allowed: RS256, HS256");
}

TEST_F(AssertionTest, Rule2TypMustNameAnAssertion) {
  for (const char* typ : {"JWT", "jwt", "application/jwt", "Application/JWT"}) {
    Accepted(Sign(Claims(), {{"kid", "own"}, {"typ", typ}}));
  }
  for (const char* typ : {"at+jwt", "dpop+jwt", "client-authentication+jwt", "JOSE"}) {
    const Rejection r = Rejected(Sign(Claims(), {{"kid", "own"}, {"typ", typ}}));
    EXPECT_EQ(r.reason, Reason::kAssertionHeaderRejected) << typ;
    EXPECT_EQ(r.detail, std::string("assertion header rejected: typ '") + typ +
                            "' is not a user assertion type");
  }
  // A client assertion may say what it is.
  Json c = Claims(kClient);
  Accepted(Sign(c, {{"kid", "own"}, {"typ", "client-authentication+jwt"}}),
           AssertionKind::kClientAuthentication);
  EXPECT_EQ(ReasonOf(Sign(Claims(kClient), {{"kid", "own"}, {"typ", "at+jwt"}}),
                     AssertionKind::kClientAuthentication),
            Reason::kAssertionHeaderRejected);
}

// ---- Rule 3: the key and the signature (RFC 7523 3 item 9).

TEST_F(AssertionTest, Rule3FindsTheKeyByX5tX5tS256OrKid) {
  for (const Json& header : {Json{{"kid", "own"}}, Json{{"x5t", own().cert.x5t}},
                             Json{{"x5t#S256", own().cert.x5t_s256}}}) {
    EXPECT_EQ(Accepted(Sign(Claims(), header)).key_source,
              "certificate 'own' attached to client client-a")
        << header.dump();
  }
  // x5t first, then x5t#S256, then kid: the first present decides alone.
  Accepted(Sign(Claims(), {{"x5t", own().cert.x5t}, {"kid", "nope"}}));
  Accepted(Sign(Claims(), {{"x5t#S256", own().cert.x5t_s256}, {"kid", "nope"}}));
  const Rejection r = Rejected(Sign(Claims(), {{"x5t", partner().cert.x5t_s256}, {"kid", "own"}}));
  EXPECT_EQ(r.reason, Reason::kAssertionKeyNotFound);
  EXPECT_TRUE(StartsWith(r.detail, "assertion x5t '")) << r.detail;
  EXPECT_EQ(ReasonOf(Sign(Claims(), {{"x5t#S256", own().cert.x5t}, {"kid", "own"}})),
            Reason::kAssertionKeyNotFound);
}

TEST_F(AssertionTest, Rule3NeedsAKeyReference) {
  const Rejection r = Rejected(Sign(Claims(), Json::object()));
  EXPECT_EQ(r.reason, Reason::kAssertionNoKeyReference);
  EXPECT_EQ(r.detail, "assertion header names no key (kid, x5t or x5t#S256)");
}

TEST_F(AssertionTest, Rule3KeyNotFoundNamesWhatWasLookedFor) {
  Rejection r = Rejected(Sign(Claims(), {{"kid", "nope"}}));
  EXPECT_EQ(r.reason, Reason::kAssertionKeyNotFound);
  EXPECT_EQ(r.detail,
            "assertion kid 'nope' matches no certificate attached to client client-a (aliases: "
            "own) nor any trusted partner certificate");
  // A client assertion looks among the client's own certificates only.
  r = Rejected(Sign(Claims(kClient), {{"kid", "nope"}}), AssertionKind::kClientAuthentication);
  EXPECT_EQ(r.reason, Reason::kAssertionKeyNotFound);
  EXPECT_EQ(r.detail,
            "assertion kid 'nope' matches no certificate attached to client client-a (aliases: "
            "own)");
  EXPECT_TRUE(r.client_assertion);
  // The certificate of another app is not this app's.
  const TestKey other = TestKey::Ec("CN=other-app");
  d_.PutCertificate(store::CertificateKind::kClient, "other", other.cert);
  d_.AddClient("client-b", {"other"});
  client_.assertion_algs = {"RS256", "ES256"};
  UpdateClient();
  EXPECT_EQ(ReasonOf(Sign(Claims(), {{"kid", "other"}}, other)), Reason::kAssertionKeyNotFound);
  EXPECT_EQ(ReasonOf(Sign(Claims(), {{"x5t", other.cert.x5t}}, other)),
            Reason::kAssertionKeyNotFound);
  // An attached alias whose certificate was deleted is skipped, not an error.
  client_.certificate_aliases = {"gone", "own"};
  UpdateClient();
  Accepted(Sign(Claims()));
}

TEST_F(AssertionTest, Rule3PartnerCertificatesServeUserAssertionsOnly) {
  for (const Json& header : {Json{{"kid", "partner"}}, Json{{"x5t", partner().cert.x5t}},
                             Json{{"x5t#S256", partner().cert.x5t_s256}}}) {
    EXPECT_EQ(Accepted(Sign(Claims(), header, partner())).key_source,
              "trusted partner certificate 'partner'");
    EXPECT_EQ(
        ReasonOf(Sign(Claims(kClient), header, partner()), AssertionKind::kClientAuthentication),
        Reason::kAssertionKeyNotFound);
  }
  // The attached certificates are looked at first.
  d_.PutCertificate(store::CertificateKind::kPartner, "own-as-partner", own().cert);
  d_.directory->Invalidate();
  EXPECT_EQ(Accepted(Sign(Claims(), {{"x5t", own().cert.x5t}})).key_source,
            "certificate 'own' attached to client client-a");
}

// The certificate-expiry case of the contract, on the fixed clock (no waiting for a real
// certificate to run out).
TEST_F(AssertionTest, Rule3AnExpiredCertificateDoesNotCount) {
  const TestKey one_day =
      TestKey::Make(jose::KeyType::kEc, 256, jose::Algorithm::kES256, "CN=short", /*days=*/1);
  d_.PutCertificate(store::CertificateKind::kClient, "short", one_day.cert);
  client_.certificate_aliases = {"short", "own"};
  client_.assertion_algs = {"RS256", "ES256"};
  UpdateClient();
  const int64_t not_after = one_day.cert.not_after;
  ASSERT_EQ(not_after, kNow - 60 + 86400);

  d_.clock.Set(not_after);  // still valid at its last second
  Accepted(Sign(Claims(), {{"kid", "short"}}, one_day));
  d_.clock.Set(not_after + 1);
  const Rejection r = Rejected(Sign(Claims(), {{"kid", "short"}}, one_day));
  EXPECT_EQ(r.reason, Reason::kAssertionCertificateExpired);
  EXPECT_EQ(r.detail, "the certificate named by kid 'short' has expired");
  // On the wire, once the client is authenticated: 400 invalid_grant naming the rule.
  const WireError w = ToWireError(r);
  EXPECT_EQ(w.http_status, 400);
  EXPECT_EQ(w.error, "invalid_grant");
  EXPECT_EQ(w.description, "the certificate named by kid 'short' has expired");
  EXPECT_EQ(ReasonOf(Sign(Claims(), {{"x5t", one_day.cert.x5t}}, one_day)),
            Reason::kAssertionCertificateExpired);
  // A certificate not valid yet does not count either.
  d_.clock.Set(kNow - 61);
  EXPECT_EQ(ReasonOf(Sign(Claims(), {{"kid", "short"}}, one_day)),
            Reason::kAssertionCertificateExpired);

  // Among the partner certificates likewise, once no attached one matches.
  d_.clock.Set(not_after + 1);
  client_.certificate_aliases = {"own"};
  UpdateClient();
  d_.PutCertificate(store::CertificateKind::kPartner, "short-partner", one_day.cert);
  d_.directory->Invalidate();
  EXPECT_EQ(ReasonOf(Sign(Claims(), {{"x5t", one_day.cert.x5t}}, one_day)),
            Reason::kAssertionCertificateExpired);
  d_.clock.Set(not_after);
  EXPECT_EQ(Accepted(Sign(Claims(), {{"x5t", one_day.cert.x5t}}, one_day)).key_source,
            "trusted partner certificate 'short-partner'");
}

TEST_F(AssertionTest, Rule3AlgMustFitTheCertificatesKey) {
  // ES256 is allowed for the app, but the certificate named holds an RSA key.
  client_.assertion_algs = {"RS256", "ES256"};
  UpdateClient();
  const TestKey ec = TestKey::Ec();
  const Rejection r = Rejected(Sign(Claims(), {{"kid", "own"}}, ec));
  EXPECT_EQ(r.reason, Reason::kAssertionAlgNotAllowed);
  EXPECT_EQ(r.detail,
            "assertion alg ES256 does not fit the RSA key of certificate 'own' attached to client "
            "client-a");
  // PS256 fits an RSA key, but only once the app allows it.
  EXPECT_EQ(ReasonOf(Sign(Claims(), {{"kid", "own"}}, Ps256())), Reason::kAssertionAlgNotAllowed);
}

TEST_F(AssertionTest, Rule3SignatureMustVerify) {
  // The right kid, another key.
  Rejection r = Rejected(Sign(Claims(), {{"kid", "own"}}, partner()));
  EXPECT_EQ(r.reason, Reason::kAssertionSignatureInvalid);
  EXPECT_TRUE(
      StartsWith(r.detail,
                 "assertion signature does not verify with certificate 'own' attached to client "
                 "client-a: "))
      << r.detail;
  // Every bit of a valid signature matters.
  const std::string good = Sign(Claims());
  const std::size_t dot = good.rfind('.');
  Result<std::string> sig = jose::Base64UrlDecode(good.substr(dot + 1));
  ASSERT_TRUE(sig.ok());
  for (std::size_t i = 0; i < sig->size(); i += 37) {
    std::string flipped = *sig;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
    EXPECT_EQ(ReasonOf(good.substr(0, dot + 1) + jose::Base64UrlEncode(flipped)),
              Reason::kAssertionSignatureInvalid)
        << i;
  }
  // A changed claim breaks it too.
  Json c = Claims();
  const std::string signed_for_alice = Sign(c);
  c["sub"] = "bob";
  const std::string swapped_claims = TestDomain::Sign(c, own(), {{"kid", "own"}});
  const std::string forged =
      signed_for_alice.substr(0, signed_for_alice.find('.') + 1) +
      swapped_claims.substr(swapped_claims.find('.') + 1,
                            swapped_claims.rfind('.') - swapped_claims.find('.') - 1) +
      signed_for_alice.substr(signed_for_alice.rfind('.'));
  EXPECT_EQ(ReasonOf(forged), Reason::kAssertionSignatureInvalid);
}

// A stored certificate that no longer parses is the store failing, not the assertion: the
// answer is to retry later, and a report stops there too (nothing after rule 3 is looked up).
TEST_F(AssertionTest, Rule3StopsWhenTheStoredCertificateCannotBeRead) {
  store::CertificateRecord broken{"broken", "not DER", "x5t", "x5t-s256", kNow + 86400, kNow};
  ASSERT_TRUE(d_.store->PutCertificate(store::CertificateKind::kClient, broken).ok());
  client_.certificate_aliases = {"broken", "own"};
  UpdateClient();
  const Rejection r = Rejected(Sign(Claims()));
  EXPECT_EQ(r.reason, Reason::kStoreUnavailable);
  EXPECT_EQ(ToWireError(r).http_status, 503);
  const std::vector<RuleOutcome> report = Report(Sign(Claims()));
  ASSERT_FALSE(report.empty());
  EXPECT_EQ(report.back().rule, 3);
  EXPECT_EQ(report.back().reason, Reason::kStoreUnavailable);
}

// ---- Rule 4: iss is the client, and sub too for a client assertion (RFC 7523 3 items 1, 2).

TEST_F(AssertionTest, Rule4IssIsTheClient) {
  Json c = Claims();
  c["iss"] = "client-b";
  Rejection r = Rejected(Sign(c));
  EXPECT_EQ(r.reason, Reason::kAssertionIssuerMismatch);
  EXPECT_EQ(r.detail, "assertion iss 'client-b' is not the client id client-a");
  c.erase("iss");
  r = Rejected(Sign(c));
  EXPECT_EQ(r.reason, Reason::kAssertionIssuerMismatch);
  EXPECT_EQ(r.detail, "assertion iss missing is not the client id client-a");
  c["iss"] = 42;
  EXPECT_EQ(ReasonOf(Sign(c)), Reason::kAssertionIssuerMismatch);
  c["iss"] = "CLIENT-A";  // compared exactly
  EXPECT_EQ(ReasonOf(Sign(c)), Reason::kAssertionIssuerMismatch);
}

TEST_F(AssertionTest, Rule4ClientAssertionSubIsTheClient) {
  Accepted(Sign(Claims(kClient)), AssertionKind::kClientAuthentication);
  Rejection r = Rejected(Sign(Claims("alice")), AssertionKind::kClientAuthentication);
  EXPECT_EQ(r.reason, Reason::kAssertionSubjectMismatch);
  EXPECT_EQ(r.detail, "client assertion sub is not the client id client-a");
  EXPECT_TRUE(r.client_assertion);
  Json c = Claims(kClient);
  c.erase("sub");
  EXPECT_EQ(ReasonOf(Sign(c), AssertionKind::kClientAuthentication),
            Reason::kAssertionSubjectMismatch);
  // A client assertion names no user: there is no rule 8 for it.
  for (const RuleOutcome& o : Report(Sign(Claims(kClient)), AssertionKind::kClientAuthentication))
    EXPECT_NE(o.rule, 8);
}

// ---- Rule 5: aud (RFC 7523 3 item 3).

TEST_F(AssertionTest, Rule5AcceptsTheDefaultAudiences) {
  const std::string issuer = d_.config.issuer;
  for (const Json& aud :
       {Json(issuer), Json(issuer + "/"), Json(issuer + "/oauth2/v1/token"),
        Json("https://identity.oraclecloud.com/"), Json("https://identity.oraclecloud.com"),
        Json::array({"https://x.example", issuer})}) {
    Json c = Claims();
    c["aud"] = aud;
    Accepted(Sign(c));
  }
}

TEST_F(AssertionTest, Rule5RefusesOtherAudiences) {
  Json c = Claims();
  c["aud"] = "https://other-as.example.com/";
  const Rejection r = Rejected(Sign(c));
  EXPECT_EQ(r.reason, Reason::kAssertionAudienceRejected);
  EXPECT_TRUE(StartsWith(r.detail,
                         "assertion audience \"https://other-as.example.com/\" is not accepted; "
                         "expected one of http://127.0.0.1:8080, "))
      << r.detail;
  for (const Json& aud :
       {Json(), Json(7), Json::array({1}), Json::array(), Json("HTTPS://IDENTITY.ORACLECLOUD.COM/"),
        Json(d_.config.issuer + " ")}) {
    c["aud"] = aud;
    if (aud.is_null()) c.erase("aud");
    EXPECT_EQ(ReasonOf(Sign(c)), Reason::kAssertionAudienceRejected) << aud.dump();
  }
}

TEST(AssertionAudienceTest, ConfiguredAudiences) {
  DomainConfig config;
  config.extra_audiences = {"https://login.example.com"};
  config.accept_default_audiences = false;
  TestDomain d(config);
  d.PutCertificate(store::CertificateKind::kClient, "own", TestKey::Rsa().cert);
  const store::App app = d.AddClient(kClient, {"own"});
  d.AddUser("alice");
  auto reason = [&](const Json& aud) -> std::optional<Reason> {
    Json c = d.Claims(kClient, "alice");
    c["aud"] = aud;
    AssertionResult r = d.tokens->validator().Validate(
        TestDomain::Sign(c, TestKey::Rsa(), {{"kid", "own"}}), app, AssertionKind::kUserGrant);
    if (auto* rej = std::get_if<Rejection>(&r)) return rej->reason;
    return std::nullopt;
  };
  EXPECT_EQ(reason("https://login.example.com"), std::nullopt);
  EXPECT_EQ(reason(kOracleAudience), Reason::kAssertionAudienceRejected);
  EXPECT_EQ(reason(config.issuer), Reason::kAssertionAudienceRejected);
}

// assertion_audience = strict (RFC 10070): a client assertion's aud is the issuer alone; a grant
// assertion's the issuer and/or the token endpoint, nothing else.
TEST(AssertionAudienceTest, StrictProfile) {
  DomainConfig config;
  config.assertion_audience = AssertionAudience::kStrict;
  TestDomain d(config);
  d.PutCertificate(store::CertificateKind::kClient, "own", TestKey::Rsa().cert);
  const store::App app = d.AddClient(kClient, {"own"});
  d.AddUser("alice");
  const std::string issuer = config.issuer;
  const std::string endpoint = config.TokenEndpoint();
  auto reason = [&](const Json& aud, AssertionKind kind) -> std::optional<Reason> {
    const bool client = kind == AssertionKind::kClientAuthentication;
    Json c = d.Claims(kClient, client ? kClient : "alice");
    c["aud"] = aud;
    if (aud.is_null()) c.erase("aud");
    AssertionResult r = d.tokens->validator().Validate(
        TestDomain::Sign(c, TestKey::Rsa(), {{"kid", "own"}}), app, kind);
    if (auto* rej = std::get_if<Rejection>(&r)) return rej->reason;
    return std::nullopt;
  };
  constexpr auto kClientAuth = AssertionKind::kClientAuthentication;
  constexpr auto kGrant = AssertionKind::kUserGrant;
  constexpr auto kRefused = Reason::kAssertionAudienceRejected;
  EXPECT_EQ(reason(issuer, kClientAuth), std::nullopt);
  EXPECT_EQ(reason(Json::array({issuer}), kClientAuth), std::nullopt);
  // An extra value, even an accepted one, makes a client assertion's aud ambiguous.
  EXPECT_EQ(reason(Json::array({issuer, "https://other.example"}), kClientAuth), kRefused);
  EXPECT_EQ(reason(Json::array({issuer, issuer}), kClientAuth), kRefused);
  EXPECT_EQ(reason(endpoint, kClientAuth), kRefused);
  EXPECT_EQ(reason(issuer + "/", kClientAuth), kRefused);
  EXPECT_EQ(reason(kOracleAudience, kClientAuth), kRefused);
  EXPECT_EQ(reason(Json(), kClientAuth), kRefused);
  EXPECT_EQ(reason(Json::array(), kClientAuth), kRefused);
  EXPECT_EQ(reason(Json::array({7}), kClientAuth), kRefused);
  EXPECT_EQ(reason(issuer, kGrant), std::nullopt);
  EXPECT_EQ(reason(endpoint, kGrant), std::nullopt);
  EXPECT_EQ(reason(Json::array({issuer, endpoint}), kGrant), std::nullopt);
  EXPECT_EQ(reason(Json::array({issuer, "https://other.example"}), kGrant), kRefused);
  EXPECT_EQ(reason(kOracleAudience, kGrant), kRefused);
  EXPECT_EQ(reason(issuer + "/", kGrant), kRefused);
  EXPECT_EQ(reason(Json::array(), kGrant), kRefused);
}

// ---- Rule 6: exp, nbf, iat with the skew, and the lifetime (RFC 7523 3 items 4-6).

TEST_F(AssertionTest, Rule6ExpWithTheSkew) {
  Json c = Claims();
  c["iat"] = kNow - 400;
  c["exp"] = kNow - 29;  // expired 29 s ago: within the 30 s skew
  EXPECT_EQ(Accepted(Sign(c)).expires_at, kNow - 29);
  c["exp"] = kNow - 30;
  const Rejection r = Rejected(Sign(c));
  EXPECT_EQ(r.reason, Reason::kAssertionExpired);
  EXPECT_EQ(r.detail,
            "assertion expired at 2030-03-17T17:46:10Z; server time is 2030-03-17T17:46:40Z (skew "
            "30 s)");
  // The same assertion, a second earlier on the server's clock.
  d_.clock.Set(kNow - 1);
  Accepted(Sign(c));
}

TEST_F(AssertionTest, Rule6NbfAndIatWithTheSkew) {
  Json c = Claims();
  c["nbf"] = kNow + 30;
  Accepted(Sign(c));
  c["nbf"] = kNow + 31;
  Rejection r = Rejected(Sign(c));
  EXPECT_EQ(r.reason, Reason::kAssertionNotYetValid);
  EXPECT_TRUE(StartsWith(r.detail, "assertion not before 2030-03-17T17:47:11Z")) << r.detail;
  c.erase("nbf");
  c["iat"] = kNow + 30;
  Accepted(Sign(c));
  c["iat"] = kNow + 31;
  r = Rejected(Sign(c));
  EXPECT_EQ(r.reason, Reason::kAssertionIssuedInFuture);
  EXPECT_TRUE(StartsWith(r.detail, "assertion issued at 2030-03-17T17:47:11Z")) << r.detail;
}

TEST_F(AssertionTest, Rule6SkewIsConfigured) {
  d_.config.clock_skew = 0;
  Json c = Claims();
  c["exp"] = kNow;
  EXPECT_EQ(ReasonOf(Sign(c)), Reason::kAssertionExpired);
  c["exp"] = kNow + 1;
  Accepted(Sign(c));
  c["iat"] = kNow + 1;
  EXPECT_EQ(ReasonOf(Sign(c)), Reason::kAssertionIssuedInFuture);
}

TEST_F(AssertionTest, Rule6BoundsTheLifetime) {
  Json c = Claims();
  c["iat"] = kNow - 100;
  c["exp"] = kNow - 100 + 3600;
  Accepted(Sign(c));
  c["exp"] = kNow - 100 + 3601;
  Rejection r = Rejected(Sign(c));
  EXPECT_EQ(r.reason, Reason::kAssertionLifetimeTooLong);
  EXPECT_EQ(r.detail, "assertion exp - iat is 3601 s; at most 3600 s accepted");
  // Without iat, from now.
  c.erase("iat");
  c["exp"] = kNow + 3600;
  Accepted(Sign(c));
  c["exp"] = kNow + 3601;
  r = Rejected(Sign(c));
  EXPECT_EQ(r.reason, Reason::kAssertionLifetimeTooLong);
  EXPECT_EQ(r.detail, "assertion exp - now is 3601 s; at most 3600 s accepted");
  // Configurable.
  d_.config.max_assertion_lifetime = 7200;
  Accepted(Sign(c));
}

TEST_F(AssertionTest, Rule6TimeClaimsOfTheWrongShape) {
  struct Case {
    const char* name;
    Json exp;
    Json iat;
    const char* fix_part;
  };
  const std::vector<Case> cases = {
      {"missing exp", Json(), Json(kNow), "include exp"},
      {"exp as a string", Json(std::to_string(kNow + 300)), Json(kNow), "no quotes"},
      {"exp in milliseconds", Json((kNow + 300) * 1000), Json(kNow), "divide milliseconds"},
      {"iat in milliseconds", Json(kNow + 300), Json(kNow * 1000), "divide milliseconds"},
      {"exp before iat", Json(kNow - 10), Json(kNow), "include exp"},
  };
  for (const Case& t : cases) {
    Json c = Claims();
    c["exp"] = t.exp;
    c["iat"] = t.iat;
    if (t.exp.is_null()) c.erase("exp");
    std::vector<RuleOutcome> report = Report(Sign(c));
    bool found = false;
    for (const RuleOutcome& o : report) {
      if (o.rule != 6) continue;
      found = true;
      EXPECT_EQ(o.reason, Reason::kAssertionTimeClaimInvalid) << t.name;
      EXPECT_NE(o.fix.find(t.fix_part), std::string::npos) << t.name << ": " << o.fix;
    }
    EXPECT_TRUE(found) << t.name;
    EXPECT_EQ(ReasonOf(Sign(c)), Reason::kAssertionTimeClaimInvalid) << t.name;
  }
}

// ---- Rule 7: jti (RFC 7523 3 item 7).

TEST_F(AssertionTest, Rule7JtiRequiredUnlessWaived) {
  Json c = Claims();
  c.erase("jti");
  const Rejection r = Rejected(Sign(c));
  EXPECT_EQ(r.reason, Reason::kAssertionJtiMissing);
  EXPECT_EQ(r.detail, "assertion has no jti, which this app requires");
  client_.require_jti = false;
  UpdateClient();
  EXPECT_EQ(Accepted(Sign(c)).jti, "");
  bool waived = false;
  for (const RuleOutcome& o : Report(Sign(c)))
    if (o.rule == 7) waived = o.passed() && o.detail == "absent; waived for this app";
  EXPECT_TRUE(waived);
}

TEST_F(AssertionTest, Rule7JtiShape) {
  Json c = Claims();
  c["jti"] = std::string(256, 'j');
  EXPECT_EQ(Accepted(Sign(c)).jti, std::string(256, 'j'));
  for (const Json& jti : {Json(std::string(257, 'j')), Json(""), Json(std::string("a\nb")),
                          Json(std::string("a\0b", 3)), Json(42), Json::array({"a"})}) {
    c["jti"] = jti;
    const Rejection r = Rejected(Sign(c));
    EXPECT_EQ(r.reason, Reason::kAssertionJtiInvalid) << jti.dump();
  }
}

TEST_F(AssertionTest, Rule7ValidationNeverRecordsTheJti) {
  // Single use is the token service's atomic insert once every rule has passed (see
  // token_service_test.cc); the validator only reads.
  const Json c = Claims();
  const std::string a = Sign(c);
  Accepted(a);
  Accepted(a);
  Result<bool> used = d_.store->IsJtiUsed(kClient, c["jti"].get<std::string>());
  ASSERT_TRUE(used.ok());
  EXPECT_FALSE(*used);
}

// ---- Rule 8: the user (RFC 7523 3 item 2).

TEST_F(AssertionTest, Rule8SubOrPrnNamesAnActiveUser) {
  Json c = Claims();
  c.erase("sub");
  c["prn"] = "alice";
  EXPECT_EQ(Accepted(Sign(c)).user->user_name, "alice");
  c.erase("prn");
  Rejection r = Rejected(Sign(c));
  EXPECT_EQ(r.reason, Reason::kAssertionSubjectMissing);
  EXPECT_EQ(r.detail, "assertion names no user (sub or prn)");
  c["sub"] = "";
  EXPECT_EQ(ReasonOf(Sign(c)), Reason::kAssertionSubjectMissing);
  c["sub"] = 5;
  EXPECT_EQ(ReasonOf(Sign(c)), Reason::kAssertionSubjectMissing);
  // sub wins over prn.
  c["sub"] = "nobody";
  c["prn"] = "alice";
  r = Rejected(Sign(c));
  EXPECT_EQ(r.reason, Reason::kAssertionUserUnknown);
  EXPECT_EQ(r.detail, "assertion sub 'nobody' is not the userName of any user");
  // Compared exactly; an id or a string with control characters names nobody.
  for (const char* sub : {"Alice", "u-alice", "alice\n",
                          "ali\x01"
                          "ce"}) {
    c["sub"] = sub;
    EXPECT_EQ(ReasonOf(Sign(c)), Reason::kAssertionUserUnknown) << sub;
  }
  c["sub"] = "bob";
  r = Rejected(Sign(c));
  EXPECT_EQ(r.reason, Reason::kAssertionUserInactive);
  EXPECT_EQ(r.detail, "user 'bob' is not active");
}

// ---- Report mode.

TEST_F(AssertionTest, ReportModeRecordsEveryFailureAndRejectsWithTheFirst) {
  Json c = Claims("bob");
  c["aud"] = "https://elsewhere.example";
  c["exp"] = kNow - 100;
  c["iat"] = kNow - 200;
  c.erase("jti");
  const std::string a = Sign(c);
  std::vector<RuleOutcome> report;
  AssertionResult r = d_.tokens->validator().Validate(a, client_, AssertionKind::kUserGrant,
                                                      &report, ReportDepth::kEveryRule);
  ASSERT_TRUE(std::holds_alternative<Rejection>(r));
  EXPECT_EQ(std::get<Rejection>(r).reason, Reason::kAssertionAudienceRejected);
  std::vector<std::optional<Reason>> failed;
  for (const RuleOutcome& o : report) {
    if (o.result == RuleResult::kFail) {
      failed.push_back(o.reason);
      EXPECT_FALSE(o.fix.empty()) << o.name;
    }
  }
  EXPECT_EQ(failed, (std::vector<std::optional<Reason>>{
                        Reason::kAssertionAudienceRejected, Reason::kAssertionExpired,
                        Reason::kAssertionJtiMissing, Reason::kAssertionUserInactive}));
  // Strict mode gives the same first failure.
  EXPECT_EQ(ReasonOf(a), Reason::kAssertionAudienceRejected);
}

}  // namespace
}  // namespace tessera::oauth
