// Trust validation (each field's rule, passing and failing) and the risky-settings warnings.
#include "federation/trust.h"

#include <gtest/gtest.h>

#include "jose/keyio.h"

namespace tessera::federation {
namespace {

Trust Valid() {
  Trust t;
  t.name = "github-deploy";
  t.issuer = "https://token.actions.githubusercontent.com";
  t.active = true;
  t.audiences = {"https://idm.example.test"};
  t.conditions = {{.claim = "repository", .in = {"acme/deploy"}}};
  t.oauth_clients = {"ci-client"};
  return t;
}

// Expects `t` to be refused with a message starting with `field`.
void ExpectRefused(const Trust& t, std::string_view field) {
  Status s = ValidateTrust(t);
  ASSERT_FALSE(s.ok()) << "expected a refusal of " << field;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind(std::string(field) + ":", 0), 0u) << s.message();
}

TEST(TrustTest, AValidTrustPasses) { EXPECT_TRUE(ValidateTrust(Valid()).ok()); }

TEST(TrustTest, NameTypeIssuer) {
  Trust t = Valid();
  t.name = "";
  ExpectRefused(t, "name");
  t = Valid();
  t.type = "SAML";
  ExpectRefused(t, "type");
  t = Valid();
  t.issuer = "";
  ExpectRefused(t, "issuer");
  t.issuer = "https://idp.example.test/ space";
  ExpectRefused(t, "issuer");
}

TEST(TrustTest, KeyEndpointIsHttpsExceptOnLoopback) {
  Trust t = Valid();
  for (const char* ok : {"https://idp.example.test/jwks", "https://idp.example.test:8443/k?x=1",
                         "http://127.0.0.1:8080/jwks", "http://127.1.2.3/jwks",
                         "http://localhost/jwks", "http://LOCALHOST:1/jwks", "http://[::1]:80/k"}) {
    t.public_key_endpoint = ok;
    EXPECT_TRUE(ValidateTrust(t).ok()) << ok << ": " << ValidateTrust(t).message();
  }
  for (const char* bad :
       {"http://idp.example.test/jwks", "http://10.0.0.1/jwks", "http://128.0.0.1/jwks",
        "http://127.0.0.1.evil.test/jwks", "http://0177.0.0.1/jwks", "http://127.0.0.01/jwks",
        "http://localhost.evil.test/jwks", "http://[::2]/jwks", "ftp://idp.example.test/jwks",
        "file:///etc/passwd", "idp.example.test/jwks", "https://user:pw@idp.example.test/jwks",
        "https://idp.example.test/jwks#frag", "https:///jwks", "https://idp.example.test:99999/",
        "https://idp.example.test:x/", "https://idp .example.test/"}) {
    t.public_key_endpoint = bad;
    ExpectRefused(t, "publicKeyEndpoint");
  }
}

TEST(TrustTest, LoopbackUrls) {
  EXPECT_TRUE(IsLoopbackUrl("http://127.0.0.1:8080/jwks"));
  EXPECT_TRUE(IsLoopbackUrl("https://localhost/jwks"));
  EXPECT_TRUE(IsLoopbackUrl("http://[::1]/jwks"));
  EXPECT_FALSE(IsLoopbackUrl("https://idp.example.test/jwks"));
  EXPECT_FALSE(IsLoopbackUrl("http://10.0.0.1/jwks"));  // not a key URL at all
  EXPECT_FALSE(IsLoopbackUrl("https://127.0.0.1.evil.test/jwks"));
}

TEST(TrustTest, CertificateOrEndpointOrDiscovery) {
  const jose::Key key = jose::GenerateKey(jose::KeyType::kEc, 256).value();
  const jose::Certificate cert =
      jose::MakeSelfSignedCertificate(key, "CN=issuer", 30, 1'800'000'000).value();
  Trust t = Valid();
  t.public_certificate = jose::CertificateToPem(cert);
  EXPECT_TRUE(ValidateTrust(t).ok()) << ValidateTrust(t).message();
  t.public_key_endpoint = "https://idp.example.test/jwks";
  ExpectRefused(t, "publicKeyEndpoint");  // both
  t.public_key_endpoint.clear();
  t.public_certificate = "-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----\n";
  ExpectRefused(t, "publicCertificate");
  // Neither: discovery from the issuer, which must then be an https URL.
  t = Valid();
  EXPECT_TRUE(ValidateTrust(t).ok());
  t.issuer = "kubernetes/serviceaccount";
  ExpectRefused(t, "publicKeyEndpoint");
  t.public_key_endpoint = "https://k8s.example.test/openid/v1/jwks";
  EXPECT_TRUE(ValidateTrust(t).ok());
}

TEST(TrustTest, SubjectAndClientClaims) {
  Trust t = Valid();
  t.subject_claim_name = "a..b";
  ExpectRefused(t, "subjectClaimName");
  t = Valid();
  t.client_claim_values = {"x"};
  ExpectRefused(t, "clientClaimValues");
  t.client_claim_name = "azp";
  EXPECT_TRUE(ValidateTrust(t).ok());
  t.client_claim_values.clear();
  ExpectRefused(t, "clientClaimValues");
  t.client_claim_values = {""};
  ExpectRefused(t, "clientClaimValues");
  t = Valid();
  t.subject_type = SubjectType::kApp;
  ExpectRefused(t, "clientClaimName");
  t.client_claim_name = "kubernetes.io.serviceaccount.name";
  t.client_claim_values = {"deployer"};
  t.oauth_clients.clear();  // not needed: the token names the app
  EXPECT_TRUE(ValidateTrust(t).ok()) << ValidateTrust(t).message();
  t = Valid();
  t.oauth_clients.clear();
  ExpectRefused(t, "oauthClients");
  t.oauth_clients = {"has space"};
  ExpectRefused(t, "oauthClients");
}

TEST(TrustTest, Impersonation) {
  Trust t = Valid();
  t.impersonation_service_users = {{.rule = R"(sub eq "x")", .value = "user-id-1"}};
  ExpectRefused(t, "impersonationServiceUsers");  // not allowed
  t.allow_impersonation = true;
  EXPECT_TRUE(ValidateTrust(t).ok());
  t.impersonation_service_users[0].rule = "sub = x";
  ExpectRefused(t, "impersonationServiceUsers[0].rule");
  t.impersonation_service_users[0].rule = R"(sub eq "x")";
  t.impersonation_service_users[0].value = "";
  ExpectRefused(t, "impersonationServiceUsers[0].value");
  t.impersonation_service_users.clear();
  ExpectRefused(t, "impersonationServiceUsers");
  t.impersonation_service_users = {{.rule = R"(sub eq "x")", .value = "u"}};
  t.subject_type = SubjectType::kApp;
  t.client_claim_name = "azp";
  t.client_claim_values = {"c"};
  ExpectRefused(t, "allowImpersonation");
}

TEST(TrustTest, NumbersAndLists) {
  Trust t = Valid();
  t.clock_skew_seconds = -1;
  ExpectRefused(t, "clockSkewSeconds");
  t.clock_skew_seconds = kMaxClockSkewSeconds + 1;
  ExpectRefused(t, "clockSkewSeconds");
  t.clock_skew_seconds = kMaxClockSkewSeconds;
  EXPECT_TRUE(ValidateTrust(t).ok());
  t = Valid();
  t.audiences.clear();
  ExpectRefused(t, "audiences");
  t.audiences = {""};
  ExpectRefused(t, "audiences");
  t.audiences = std::vector<std::string>(kMaxTrustListEntries + 1, "a");
  ExpectRefused(t, "audiences");
  t = Valid();
  t.conditions = {{.claim = "repository"}};
  ExpectRefused(t, "conditions[0]");
  t = Valid();
  t.allowed_scopes = {"https://api.example.test urn:x"};
  ExpectRefused(t, "allowedScopes");
  t.allowed_scopes = {"https://api.example.testurn:opc:resource:consumer::all"};
  EXPECT_TRUE(ValidateTrust(t).ok());
  t.max_token_lifetime = kMinTokenLifetimeSeconds - 1;
  ExpectRefused(t, "maxTokenLifetime");
  t.max_token_lifetime = kMaxTokenLifetimeSeconds + 1;
  ExpectRefused(t, "maxTokenLifetime");
  t.max_token_lifetime = 3600;
  EXPECT_TRUE(ValidateTrust(t).ok());
}

TEST(TrustTest, WireNamesRoundTrip) {
  for (auto a : {SubjectMappingAttribute::kUserName, SubjectMappingAttribute::kEmail,
                 SubjectMappingAttribute::kId}) {
    EXPECT_EQ(SubjectMappingAttributeFromName(SubjectMappingAttributeName(a)), a);
  }
  for (auto s : {SubjectType::kUser, SubjectType::kApp}) {
    EXPECT_EQ(SubjectTypeFromName(SubjectTypeName(s)), s);
  }
  for (auto p : {JtiPolicy::kRequired, JtiPolicy::kReuseUntilExp}) {
    EXPECT_EQ(JtiPolicyFromName(JtiPolicyName(p)), p);
  }
  EXPECT_FALSE(SubjectMappingAttributeFromName("username").has_value());
  EXPECT_FALSE(SubjectTypeFromName("user").has_value());
  EXPECT_FALSE(JtiPolicyFromName("reuse").has_value());
}

TEST(TrustWarningsTest, ASafeTrustHasNone) { EXPECT_TRUE(TrustWarnings(Valid()).empty()); }

TEST(TrustWarningsTest, SharedIssuerWithoutConditions) {
  Trust t = Valid();
  t.conditions.clear();
  std::vector<std::string> w = TrustWarnings(t);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].rfind("conditions:", 0), 0u);
  t.issuer = "https://gitlab.com/";  // trailing slash: the same issuer
  EXPECT_EQ(TrustWarnings(t).size(), 1u);
  // A client-claim restriction narrows a shared issuer too.
  t.client_claim_name = "azp";
  t.client_claim_values = {"my-app"};
  EXPECT_TRUE(TrustWarnings(t).empty());
  // A private issuer without conditions is its own tenant.
  t = Valid();
  t.conditions.clear();
  t.issuer = "https://idp.acme.test";
  EXPECT_TRUE(TrustWarnings(t).empty());
}

TEST(TrustWarningsTest, LongLifetimeAndJtiReuse) {
  Trust t = Valid();
  t.max_token_lifetime = kLongTokenLifetimeSeconds;
  EXPECT_TRUE(TrustWarnings(t).empty());
  t.max_token_lifetime = kLongTokenLifetimeSeconds + 1;
  ASSERT_EQ(TrustWarnings(t).size(), 1u);
  EXPECT_EQ(TrustWarnings(t)[0].rfind("maxTokenLifetime:", 0), 0u);
  t.jti = JtiPolicy::kReuseUntilExp;
  ASSERT_EQ(TrustWarnings(t).size(), 2u);
  EXPECT_EQ(TrustWarnings(t)[1].rfind("jti:", 0), 0u);
}

}  // namespace
}  // namespace tessera::federation
