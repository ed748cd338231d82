// TokenService at the token endpoint, in process over the real SQLite store on a FixedClock:
// client authentication and its failures (contract section 2), grants, scopes and token
// lifetimes (section 4), the jti recorded last and once (rule 7), and the minted token (section 3).
#include "oauth/token_service.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "jose/base64url.h"
#include "jose/json.h"
#include "oauth/test_domain.h"

namespace tessera::oauth {
namespace {

using jose::Json;
using testing::kNow;
using testing::TestDomain;
using testing::TestKey;

constexpr char kClient[] = "client-a";
constexpr char kSecret[] = "secret-client-a";  // TestDomain::AddClient's
constexpr char kAud[] = "https://oic.example.com:443";
constexpr char kValue[] = "urn:opc:resource:consumer::all";

std::string Fqs() { return std::string(kAud) + kValue; }

class TokenServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d_.PutCertificate(store::CertificateKind::kClient, "own", key().cert);
    d_.PutCertificate(store::CertificateKind::kPartner, "partner", TestKey::OtherRsa().cert);
    resource_ = d_.AddResource("r1", kAud, {kValue, "urn:opc:resource:other"});
    client_ = d_.AddClient(kClient, {"own"}, {Fqs()});
    d_.AddUser("alice");
  }

  static const TestKey& key() { return TestKey::Rsa(); }

  static ClientRequest Basic(const std::string& id, const std::string& secret,
                             std::map<std::string, std::string> form) {
    ClientRequest r;
    r.basic = ClientCredentials{id, secret};
    r.form = std::move(form);
    r.ecid = "ecid-test";
    r.remote_address = "192.0.2.1";
    return r;
  }
  static ClientRequest ClientCredentialsRequest(std::optional<std::string> scope = std::nullopt) {
    ClientRequest r = Basic(kClient, kSecret, {{"grant_type", kGrantClientCredentials}});
    if (scope) r.form["scope"] = *scope;
    return r;
  }
  std::string UserAssertion(const std::string& sub = "alice") {
    return TestDomain::Sign(d_.Claims(kClient, sub), key(), {{"kid", "own"}});
  }
  ClientRequest JwtBearerRequest(const std::string& assertion,
                                 std::optional<std::string> scope = std::nullopt) {
    ClientRequest r =
        Basic(kClient, kSecret, {{"grant_type", kGrantJwtBearer}, {"assertion", assertion}});
    if (scope) r.form["scope"] = *scope;
    return r;
  }

  // The whole token endpoint: Prepare, record the jtis, Complete.
  Outcome Token(const ClientRequest& request) {
    std::variant<PreparedToken, Outcome> prepared = d_.tokens->Prepare(request);
    if (auto* o = std::get_if<Outcome>(&prepared)) return *o;
    const PreparedToken& p = std::get<PreparedToken>(prepared);
    std::vector<std::optional<Rejection>> recorded = d_.tokens->RecordJtis({&p.jtis});
    return d_.tokens->Complete(request, p, recorded.front());
  }
  // The answer's JSON, for a request that must succeed.
  Json Issued(const ClientRequest& request) {
    Outcome o = Token(request);
    if (o.rejection) {
      ADD_FAILURE() << ReasonCode(o.rejection->reason) << ": " << o.rejection->detail;
      return Json::object();
    }
    Result<Json> body = jose::ParseStrictJson(*o.body);
    EXPECT_TRUE(body.ok());
    return body.ok() ? *body : Json::object();
  }
  // The verified claims of the access token in `body`.
  Json Claims(const Json& body) {
    Result<AccessTokenInfo> info =
        d_.tokens->VerifyAccessToken(body.value("access_token", std::string()));
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? info->claims : Json::object();
  }
  int64_t Lifetime(const ClientRequest& request) {
    const Json body = Issued(request);
    const Json claims = Claims(body);
    if (!claims.contains("exp")) return -1;
    EXPECT_EQ(claims["exp"].get<int64_t>() - claims["iat"].get<int64_t>(), body["expires_in"]);
    return body["expires_in"].get<int64_t>();
  }
  std::optional<Reason> Refusal(const ClientRequest& request) {
    Outcome o = Token(request);
    return o.rejection ? std::optional<Reason>(o.rejection->reason) : std::nullopt;
  }

  TestDomain d_;
  store::App client_;
  store::App resource_;
};

TEST_F(TokenServiceTest, ClientCredentialsToken) {
  Json body = Issued(ClientCredentialsRequest());
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(body["expires_in"], 3600);
  EXPECT_EQ(body["scope"], Fqs());  // no scope asked: the answer says what was granted
  const Json c = Claims(body);
  EXPECT_EQ(c["iss"], d_.config.issuer);
  EXPECT_EQ(c["sub"], kClient);
  EXPECT_EQ(c["sub_type"], "client");
  EXPECT_EQ(c["aud"], kAud);
  EXPECT_EQ(c["scope"], kValue);
  EXPECT_EQ(c["client_id"], kClient);
  EXPECT_EQ(c["tok_type"], "AT");
  EXPECT_EQ(c["gtp"], "cc");
  EXPECT_EQ(c["iat"], kNow);
  EXPECT_EQ(c["exp"], kNow + 3600);
  EXPECT_FALSE(c.contains("user_id"));
  // The scope asked for is the scope granted: the answer does not repeat it.
  body = Issued(ClientCredentialsRequest(Fqs()));
  EXPECT_FALSE(body.contains("scope"));
}

TEST_F(TokenServiceTest, JwtBearerTokenIsForTheUser) {
  const Json c = Claims(Issued(JwtBearerRequest(UserAssertion(), Fqs())));
  EXPECT_EQ(c["sub"], "alice");
  EXPECT_EQ(c["sub_type"], "user");
  EXPECT_EQ(c["user_id"], "u-alice");
  EXPECT_EQ(c["client_id"], kClient);
  EXPECT_EQ(c["gtp"], "jwt");
  EXPECT_EQ(c["aud"], kAud);
}

// The answer and the token's claims are written member by member (jose::JsonObjectWriter): each
// must be exactly what DumpCompact writes for the object it parses to, which holds only if
// every member is there once and in byte order.
TEST_F(TokenServiceTest, TheAnswerAndTheClaimsAreCompactJsonInByteOrder) {
  for (const ClientRequest& request :
       {ClientCredentialsRequest(), JwtBearerRequest(UserAssertion(), Fqs())}) {
    Outcome o = Token(request);
    ASSERT_FALSE(o.rejection.has_value());
    const Json body = jose::ParseStrictJson(*o.body).value();
    EXPECT_EQ(*o.body, jose::DumpCompact(body));
    const std::string token = body.at("access_token");
    const size_t dot = token.find('.');
    const std::string payload =
        jose::Base64UrlDecode(token.substr(dot + 1, token.rfind('.') - dot - 1)).value();
    EXPECT_EQ(payload, jose::DumpCompact(jose::ParseStrictJson(payload).value()));
  }
}

// Contract section 4: urn:opc:resource:expiry=N shortens a lifetime, never lengthens it.
TEST_F(TokenServiceTest, LifetimesExpiryScopeOnlyShortens) {
  const std::string fqs = Fqs();
  EXPECT_EQ(Lifetime(ClientCredentialsRequest(fqs)), 3600);
  EXPECT_EQ(Lifetime(ClientCredentialsRequest(fqs + " urn:opc:resource:expiry=300")), 300);
  EXPECT_EQ(Lifetime(ClientCredentialsRequest(fqs + " urn:opc:resource:expiry=86400")), 86400);
  // The client app's accessTokenExpiry bounds N.
  client_.access_token_expiry = 600;
  d_.UpdateApp(client_);
  EXPECT_EQ(Lifetime(ClientCredentialsRequest(fqs)), 600);
  EXPECT_EQ(Lifetime(ClientCredentialsRequest(fqs + " urn:opc:resource:expiry=86400")), 600);
  EXPECT_EQ(Lifetime(ClientCredentialsRequest(fqs + " urn:opc:resource:expiry=60")), 60);
  // So does the resource app's, whichever is lower.
  resource_.access_token_expiry = 120;
  d_.UpdateApp(resource_);
  EXPECT_EQ(Lifetime(ClientCredentialsRequest(fqs + " urn:opc:resource:expiry=300")), 120);
  EXPECT_EQ(Lifetime(JwtBearerRequest(UserAssertion(), fqs)), 120);
  // Out of range: invalid_scope.
  for (const char* n : {"59", "31556953", "5m", ""}) {
    const ClientRequest r =
        ClientCredentialsRequest(fqs + " urn:opc:resource:expiry=" + std::string(n));
    const Outcome o = Token(r);
    ASSERT_TRUE(o.rejection.has_value()) << n;
    EXPECT_EQ(o.rejection->reason, Reason::kScopeExpiryInvalid) << n;
    EXPECT_EQ(ToWireError(*o.rejection).error, "invalid_scope");
    EXPECT_EQ(ToWireError(*o.rejection).http_status, 400);
  }
}

TEST_F(TokenServiceTest, ScopesOutsideThePolicyAreInvalidScope) {
  EXPECT_EQ(Refusal(ClientCredentialsRequest(std::string(kAud) + "urn:opc:resource:other")),
            Reason::kScopeNotAllowed);
  EXPECT_EQ(Refusal(ClientCredentialsRequest("https://nowhere.example/x")),
            Reason::kScopeNotAllowed);
  EXPECT_EQ(Refusal(ClientCredentialsRequest("urn:opc:idm:__myscopes__")),
            Reason::kScopeAdminNotAllowed);
  const Outcome o = Token(JwtBearerRequest(UserAssertion(), kValue));  // not fully qualified
  ASSERT_TRUE(o.rejection.has_value());
  EXPECT_EQ(ToWireError(*o.rejection).error, "invalid_scope");
}

TEST_F(TokenServiceTest, AnInactiveResourceAppGrantsNoScope) {
  resource_.active = false;
  d_.UpdateApp(resource_);
  for (const ClientRequest& r :
       {ClientCredentialsRequest(Fqs()), JwtBearerRequest(UserAssertion(), Fqs())}) {
    const Outcome o = Token(r);
    ASSERT_TRUE(o.rejection.has_value());
    EXPECT_EQ(o.rejection->reason, Reason::kScopeResourceInactive);
    const WireError w = ToWireError(*o.rejection);
    EXPECT_EQ(w.http_status, 400);
    EXPECT_EQ(w.error, "invalid_scope");
  }
  // Reactivated, it grants again.
  resource_.active = true;
  d_.UpdateApp(resource_);
  EXPECT_EQ(Refusal(ClientCredentialsRequest(Fqs())), std::nullopt);
}

TEST_F(TokenServiceTest, ClientAuthenticationFailures) {
  store::App no_secret = d_.AddClient("client-no-secret", {"own"});
  no_secret.secret_hash.clear();
  d_.UpdateApp(no_secret);
  store::App inactive = d_.AddClient("client-off");
  inactive.active = false;
  d_.UpdateApp(inactive);

  const std::map<std::string, std::string> cc = {{"grant_type", kGrantClientCredentials}};
  auto form_post = [&](const std::string& id, const std::string& secret) {
    ClientRequest r;
    r.form = cc;
    r.form["client_id"] = id;
    r.form["client_secret"] = secret;
    return r;
  };
  struct Case {
    const char* name;
    ClientRequest request;
    Reason reason;
  };
  std::vector<Case> cases;
  cases.push_back({"unknown client", Basic("nobody", kSecret, cc), Reason::kUnknownClient});
  cases.push_back({"wrong secret", Basic(kClient, "wrong", cc), Reason::kBadClientSecret});
  cases.push_back(
      {"wrong secret, client_secret_post", form_post(kClient, "wrong"), Reason::kBadClientSecret});
  cases.push_back(
      {"inactive app", Basic("client-off", "secret-client-off", cc), Reason::kClientInactive});
  // An inactive app is told apart only after its secret matched.
  cases.push_back(
      {"inactive app, wrong secret", Basic("client-off", "wrong", cc), Reason::kBadClientSecret});
  cases.push_back({"app without a secret", Basic("client-no-secret", "anything", cc),
                   Reason::kClientAssertionNoSecretAuth});
  cases.push_back(
      {"control character in the id", Basic("client\x01", kSecret, cc), Reason::kUnknownClient});
  ClientRequest none;
  none.form = cc;
  cases.push_back({"no authentication", none, Reason::kNoClientAuthentication});
  ClientRequest two = Basic(kClient, kSecret, cc);
  two.form["client_secret"] = kSecret;
  cases.push_back({"two methods", two, Reason::kMultipleClientAuthentication});
  ClientRequest bad_header = ClientCredentialsRequest();
  bad_header.basic.reset();
  bad_header.bad_authorization = true;
  cases.push_back({"Authorization not Basic", bad_header, Reason::kBadAuthorizationHeader});
  ClientRequest mismatch = Basic(kClient, kSecret, cc);
  mismatch.form["client_id"] = "client-b";
  cases.push_back({"client_id names another client", mismatch, Reason::kClientIdMismatch});
  ClientRequest assertion_type;
  assertion_type.form = cc;
  assertion_type.form["client_assertion_type"] =
      "urn:ietf:params:oauth:client-assertion-type:saml2-bearer";
  assertion_type.form["client_assertion"] = "x";
  cases.push_back(
      {"unknown client_assertion_type", assertion_type, Reason::kUnknownClientAssertionType});

  for (const Case& t : cases) {
    const Outcome o = Token(t.request);
    ASSERT_TRUE(o.rejection.has_value()) << t.name;
    EXPECT_EQ(o.rejection->reason, t.reason) << t.name << ": " << o.rejection->detail;
    EXPECT_EQ(o.used_basic, t.request.basic.has_value()) << t.name;
    const WireError w = ToWireError(*o.rejection);
    EXPECT_EQ(w.http_status, 401) << t.name;
    EXPECT_EQ(w.error, "invalid_client") << t.name;
    EXPECT_EQ(w.description, "Client authentication failed.") << t.name;
  }
  // The right secret, both ways.
  EXPECT_EQ(Refusal(ClientCredentialsRequest()), std::nullopt);
  EXPECT_EQ(Refusal(form_post(kClient, kSecret)), std::nullopt);
}

TEST_F(TokenServiceTest, ClientAssertionAuthentication) {
  auto request = [&](const std::string& client_assertion) {
    ClientRequest r;
    r.form = {{"grant_type", kGrantClientCredentials},
              {"client_assertion_type", kClientAssertionTypeJwt},
              {"client_assertion", client_assertion}};
    return r;
  };
  auto sign = [&](const TestKey& k, const char* kid) {
    return TestDomain::Sign(d_.Claims(kClient, kClient), k, {{"kid", kid}});
  };
  EXPECT_EQ(Refusal(request(sign(key(), "own"))), std::nullopt);
  // A partner's key never authenticates a client; any failed rule is the uniform 401.
  for (const std::string& a :
       {sign(TestKey::OtherRsa(), "partner"), sign(TestKey::OtherRsa(), "own")}) {
    const Outcome o = Token(request(a));
    ASSERT_TRUE(o.rejection.has_value());
    EXPECT_TRUE(o.rejection->client_assertion);
    const WireError w = ToWireError(*o.rejection);
    EXPECT_EQ(w.http_status, 401);
    EXPECT_EQ(w.description, "Client authentication failed.");
  }
  // The client's own assertion is single use, like a user assertion.
  const std::string once = sign(key(), "own");
  EXPECT_EQ(Refusal(request(once)), std::nullopt);
  const Outcome replay = Token(request(once));
  ASSERT_TRUE(replay.rejection.has_value());
  EXPECT_EQ(replay.rejection->reason, Reason::kAssertionJtiReplayed);
  EXPECT_EQ(ToWireError(*replay.rejection).error, "invalid_client");
  // An app that is not active does not authenticate, even with a valid assertion.
  client_.active = false;
  d_.UpdateApp(client_);
  EXPECT_EQ(Refusal(request(sign(key(), "own"))), Reason::kClientInactive);
}

TEST_F(TokenServiceTest, GrantFailures) {
  struct Case {
    std::map<std::string, std::string> form;
    Reason reason;
    std::string_view error;
  };
  const std::vector<Case> cases = {
      {{}, Reason::kMissingParameter, "invalid_request"},
      {{{"grant_type", "password"}}, Reason::kUnsupportedGrantType, "unsupported_grant_type"},
      {{{"grant_type", kGrantJwtBearer}}, Reason::kMissingParameter, "invalid_request"},
  };
  for (const Case& t : cases) {
    const Outcome o = Token(Basic(kClient, kSecret, t.form));
    ASSERT_TRUE(o.rejection.has_value());
    EXPECT_EQ(o.rejection->reason, t.reason) << o.rejection->detail;
    EXPECT_EQ(ToWireError(*o.rejection).error, t.error);
    EXPECT_EQ(ToWireError(*o.rejection).http_status, 400);
  }
  client_.allowed_grants = {kGrantClientCredentials};
  d_.UpdateApp(client_);
  const Outcome o = Token(JwtBearerRequest(UserAssertion()));
  ASSERT_TRUE(o.rejection.has_value());
  EXPECT_EQ(o.rejection->reason, Reason::kGrantNotAllowed);
  EXPECT_EQ(ToWireError(*o.rejection).error, "unauthorized_client");
}

TEST_F(TokenServiceTest, AssertionRuleFailuresAreInvalidGrantNamingTheRule) {
  Json c = d_.Claims(kClient, "alice");
  c["aud"] = "https://other-as.example.com/";
  const Outcome o = Token(JwtBearerRequest(TestDomain::Sign(c, key(), {{"kid", "own"}})));
  ASSERT_TRUE(o.rejection.has_value());
  EXPECT_EQ(o.rejection->reason, Reason::kAssertionAudienceRejected);
  const WireError w = ToWireError(*o.rejection);
  EXPECT_EQ(w.http_status, 400);
  EXPECT_EQ(w.error, "invalid_grant");
  EXPECT_EQ(w.description.rfind("assertion audience \"https://other-as.example.com/\" is not "
                                "accepted; expected one of ",
                                0),
            0u)
      << w.description;
}

// Contract rule 7: a jti is accepted once, recorded only after every other check passed.
TEST_F(TokenServiceTest, AJtiIsAcceptedOnceAndOnlyWhenAllElsePassed) {
  const std::string a = UserAssertion();
  // Refused for its scope first: the jti is not burnt.
  EXPECT_EQ(Refusal(JwtBearerRequest(a, "https://nowhere.example/x")), Reason::kScopeNotAllowed);
  EXPECT_EQ(Refusal(JwtBearerRequest(a, Fqs())), std::nullopt);
  const Outcome replay = Token(JwtBearerRequest(a, Fqs()));
  ASSERT_TRUE(replay.rejection.has_value());
  EXPECT_EQ(replay.rejection->reason, Reason::kAssertionJtiReplayed);
  const WireError w = ToWireError(*replay.rejection);
  EXPECT_EQ(w.error, "invalid_grant");
  EXPECT_EQ(w.description.rfind("assertion jti was already used", 0), 0u) << w.description;

  // A rejected assertion does not burn the jti it carries.
  Json bad = d_.Claims(kClient, "alice");
  bad["jti"] = "shared-jti";
  bad["aud"] = "https://other-as.example.com/";
  EXPECT_EQ(Refusal(JwtBearerRequest(TestDomain::Sign(bad, key(), {{"kid", "own"}}))),
            Reason::kAssertionAudienceRejected);
  Json good = d_.Claims(kClient, "alice");
  good["jti"] = "shared-jti";
  EXPECT_EQ(Refusal(JwtBearerRequest(TestDomain::Sign(good, key(), {{"kid", "own"}}))),
            std::nullopt);
  // The same jti from another issuer is another jti.
  d_.PutCertificate(store::CertificateKind::kClient, "own-b", key().cert);
  d_.AddClient("client-b", {"own-b"}, {Fqs()});
  Json other = d_.Claims("client-b", "alice");
  other["jti"] = "shared-jti";
  ClientRequest r = Basic("client-b", "secret-client-b",
                          {{"grant_type", kGrantJwtBearer},
                           {"assertion", TestDomain::Sign(other, key(), {{"kid", "own-b"}})}});
  EXPECT_EQ(Refusal(r), std::nullopt);
}

// The validator's rules reach the token endpoint unchanged: the user must be active.
TEST_F(TokenServiceTest, AnInactiveUserGetsNoToken) {
  d_.AddUser("bob", /*active=*/false);
  EXPECT_EQ(Refusal(JwtBearerRequest(UserAssertion("bob"))), Reason::kAssertionUserInactive);
}

}  // namespace
}  // namespace tessera::oauth
