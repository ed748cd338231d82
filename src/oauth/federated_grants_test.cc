// The token endpoint's federation (contract section 10), in process over the real SQLite store on
// a FixedClock: outside tokens as jwt-bearer assertions, RFC 8693 subject tokens and client
// assertions, against trusts stored as the admin API stores them and keys served from a JWK Set
// of keys generated here (or, for an outage, fetched from a closed loopback port).
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "federation/issuer_keys.h"
#include "federation/trust_json.h"
#include "oauth/assertion_checks.h"
#include "oauth/federation_trusts.h"
#include "oauth/test_domain.h"

namespace tessera::oauth {
namespace {

using jose::Json;
using testing::kNow;
using testing::TestDomain;
using testing::TestKey;

constexpr char kClient[] = "client-a";
constexpr char kSecret[] = "secret-client-a";  // TestDomain::AddClient's
constexpr char kIssuer[] = "https://ci.example.test";
constexpr char kOutsideAud[] = "https://idm.example.test";
constexpr char kAud[] = "https://oic.example.com:443";
constexpr char kValue[] = "urn:opc:resource:consumer::all";
constexpr char kOther[] = "urn:opc:resource:other";
constexpr char kTokenExchange[] = "urn:ietf:params:oauth:grant-type:token-exchange";
constexpr char kJwtType[] = "urn:ietf:params:oauth:token-type:jwt";

std::string Fqs(const char* value = kValue) { return std::string(kAud) + value; }

// The issuer's keys: an RSA key published under kid "ci-1", and one it never published.
const TestKey& IssuerKey() { return TestKey::Rsa(); }
const TestKey& StrangerKey() { return TestKey::OtherRsa(); }

std::string Jwks() {
  Json set = {{"keys", Json::array()}};
  set["keys"].push_back(jose::PublicJwk(IssuerKey().key.PublicKey().value(), "ci-1").value());
  return jose::DumpCompact(set);
}

class FederatedGrantsTest : public ::testing::Test {
 protected:
  FederatedGrantsTest()
      : trusts_(*d_.store, d_.clock, d_.config.cache_ttl_seconds, d_.directory.get()),
        keys_(federation::KeySet::FromJwks(Jwks()).value(), d_.clock) {}

  void SetUp() override {
    d_.AddResource("r1", kAud, {kValue, kOther});
    store::App app = d_.AddClient(kClient, {}, {Fqs(), Fqs(kOther)});
    app.allowed_grants.push_back(kTokenExchange);
    d_.UpdateApp(app);
    d_.AddClient("client-b");
    d_.AddUser("alice");
    d_.AddUser("bob", /*active=*/false);
    d_.AddUser("deployer");
    d_.tokens->set_federation(&trusts_, &keys_);
  }

  // A trust for kIssuer that kClient may present, mapping "sub" to userName.
  static federation::Trust UserTrust(const std::string& name = "ci") {
    federation::Trust t;
    t.name = name;
    t.issuer = kIssuer;
    t.active = true;
    t.public_key_endpoint = "https://ci.example.test/jwks";
    t.audiences = {kOutsideAud};
    t.oauth_clients = {kClient};
    return t;
  }
  // Stores `t` as the admin API does: the record, and the document in the wire form.
  federation::Trust Store(federation::Trust t) {
    t.id = "trust-" + t.name;
    store::FederationTrustRecord r;
    r.id = t.id;
    r.name = t.name;
    r.issuer = t.issuer;
    r.active = t.active;
    r.document = federation::TrustToDocument(t);
    r.created_at = r.updated_at = kNow + static_cast<int64_t>(++stored_);
    EXPECT_TRUE(d_.store->CreateFederationTrust(r).ok()) << t.name;
    d_.directory->Invalidate();  // as the admin API does after every write
    return t;
  }

  Json OutsideClaims(const std::string& sub = "alice") {
    return {{"iss", kIssuer},     {"sub", sub},
            {"aud", kOutsideAud}, {"iat", kNow - 10},
            {"exp", kNow + 600},  {"repository", "acme/deploy"},
            {"azp", "k8s"},       {"jti", "o-" + std::to_string(++jti_)}};
  }
  static std::string Outside(const Json& claims, const TestKey& k = IssuerKey(),
                             const std::string& kid = "ci-1") {
    return TestDomain::Sign(claims, k, {{"kid", kid}});
  }

  static ClientRequest Request(std::map<std::string, std::string> form,
                               const std::string& client = kClient) {
    ClientRequest r;
    r.basic = ClientCredentials{client, "secret-" + client};
    r.form = std::move(form);
    r.ecid = "ecid-test";
    r.remote_address = "192.0.2.1";
    return r;
  }
  static ClientRequest JwtBearer(const std::string& assertion,
                                 std::optional<std::string> scope = std::nullopt) {
    ClientRequest r = Request({{"grant_type", kGrantJwtBearer}, {"assertion", assertion}});
    if (scope) r.form["scope"] = *scope;
    return r;
  }
  static ClientRequest Exchange(const std::string& subject_token,
                                const std::map<std::string, std::string>& extra = {}) {
    ClientRequest r = Request({{"grant_type", kTokenExchange},
                               {"subject_token", subject_token},
                               {"subject_token_type", kJwtType}});
    for (auto& [k, v] : extra) r.form[k] = v;
    return r;
  }

  Outcome Token(const ClientRequest& request) {
    std::variant<PreparedToken, Outcome> prepared = d_.tokens->Prepare(request);
    if (auto* o = std::get_if<Outcome>(&prepared)) return *o;
    const PreparedToken& p = std::get<PreparedToken>(prepared);
    std::vector<std::optional<Rejection>> recorded = d_.tokens->RecordJtis({&p.jtis});
    return d_.tokens->Complete(request, p, recorded.front());
  }
  Json Issued(const ClientRequest& request) {
    Outcome o = Token(request);
    if (o.rejection) {
      ADD_FAILURE() << ReasonCode(o.rejection->reason) << ": " << o.rejection->detail;
      return Json::object();
    }
    return jose::ParseStrictJson(*o.body).value();
  }
  Json Claims(const Json& body) {
    Result<AccessTokenInfo> info =
        d_.tokens->VerifyAccessToken(body.value("access_token", std::string()));
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? info->claims : Json::object();
  }
  Rejection Refused(const ClientRequest& request) {
    Outcome o = Token(request);
    EXPECT_TRUE(o.rejection.has_value()) << (o.body ? *o.body : "");
    return o.rejection ? *o.rejection : Rejection{Reason::kInternal, "issued"};
  }
  std::vector<store::AuditEvent> Audit() {
    d_.audit->Flush();
    store::AuditFilter filter;
    filter.limit = 100;
    return d_.store->ListAudit(filter).value();
  }

  TestDomain d_;
  FederationTrusts trusts_;
  federation::FixedKeySource keys_;
  int stored_ = 0;
  int jti_ = 0;
};

TEST_F(FederatedGrantsTest, JwtBearerWithAnOutsideTokenIssuesForTheMappedUser) {
  const federation::Trust t = Store(UserTrust());
  const Json body = Issued(JwtBearer(Outside(OutsideClaims())));
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_FALSE(body.contains("issued_token_type"));  // RFC 8693's, not jwt-bearer's
  const Json c = Claims(body);
  EXPECT_EQ(c["sub"], "alice");
  EXPECT_EQ(c["user_id"], "u-alice");
  EXPECT_EQ(c["sub_type"], "user");
  EXPECT_EQ(c["client_id"], kClient);
  EXPECT_FALSE(c.contains("act"));
  // The outside token lives 600 s: the issued token not longer (IssuedExpiry).
  EXPECT_EQ(body["expires_in"], 600);
  EXPECT_EQ(c["exp"], kNow + 600);
  // The audit trail names the trust and the outside subject.
  const std::vector<store::AuditEvent> events = Audit();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().outcome, "issued");
  EXPECT_NE(events.front().reason.find("trust 'ci' (" + t.id + ")"), std::string::npos)
      << events.front().reason;
  EXPECT_NE(events.front().reason.find("outside subject 'alice'"), std::string::npos);
}

TEST_F(FederatedGrantsTest, AnIssuerOfNoTrustGoesThroughTheAssertionRules) {
  Store(UserTrust());
  d_.PutCertificate(store::CertificateKind::kClient, "own", IssuerKey().cert);
  store::App app = d_.store->FindAppByClientId(kClient).value();
  app.certificate_aliases = {"own"};
  d_.UpdateApp(app);
  // The client's own assertion (iss = the client id): the assertion rules, unchanged.
  const Json own = Claims(Issued(
      JwtBearer(TestDomain::Sign(d_.Claims(kClient, "alice"), IssuerKey(), {{"kid", "own"}}))));
  EXPECT_EQ(own["sub"], "alice");
  EXPECT_EQ(own["gtp"], "jwt");
  // An iss no trust names: judged by the assertion rules (kid "ci-1" is no attached certificate).
  Json claims = OutsideClaims();
  claims["iss"] = "https://elsewhere.example.test";
  const Rejection r = Refused(JwtBearer(Outside(claims)));
  EXPECT_EQ(r.reason, Reason::kAssertionKeyNotFound) << r.detail;
}

TEST_F(FederatedGrantsTest, TrustsAreCachedWithinTheBoundAndFollowThisNodesWrites) {
  Result<std::shared_ptr<const FederationTrusts::TrustList>> none = trusts_.ForIssuer(kIssuer);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE((*none)->empty());
  // Written behind the cache's back (another node): not seen within the bound...
  federation::Trust t = UserTrust();
  store::FederationTrustRecord r{"trust-x", t.name, t.issuer, true, federation::TrustToDocument(t),
                                 kNow,      kNow};
  ASSERT_TRUE(d_.store->CreateFederationTrust(r).ok());
  EXPECT_TRUE((*trusts_.ForIssuer(kIssuer))->empty());
  // ...and seen past it.
  d_.clock.Advance(d_.config.cache_ttl_seconds);
  ASSERT_EQ((*trusts_.ForIssuer(kIssuer))->size(), 1u);
  EXPECT_EQ((*trusts_.ForIssuer(kIssuer))->front().id, "trust-x");
  // A write through this node's admin API invalidates the Directory: seen at once.
  r.active = false;
  ASSERT_TRUE(d_.store->UpdateFederationTrust(r).ok());
  EXPECT_TRUE((*trusts_.ForIssuer(kIssuer))->front().active);
  d_.directory->Invalidate();
  EXPECT_FALSE((*trusts_.ForIssuer(kIssuer))->front().active);
}

TEST_F(FederatedGrantsTest, AnyTrustIsCachedWithinTheBoundAndFollowsThisNodesWrites) {
  ASSERT_TRUE(trusts_.AnyTrust().ok());
  EXPECT_FALSE(*trusts_.AnyTrust());
  // Created behind the cache's back (another node): not seen within the bound, so an outside
  // token is judged by the assertion rules until then...
  federation::Trust t = UserTrust();
  store::FederationTrustRecord r{"trust-x", t.name, t.issuer, true, federation::TrustToDocument(t),
                                 kNow,      kNow};
  ASSERT_TRUE(d_.store->CreateFederationTrust(r).ok());
  EXPECT_FALSE(*trusts_.AnyTrust());
  EXPECT_EQ(Refused(JwtBearer(Outside(OutsideClaims()))).reason, Reason::kAssertionKeyNotFound);
  // ...and by the trust past it.
  d_.clock.Advance(d_.config.cache_ttl_seconds);
  EXPECT_TRUE(*trusts_.AnyTrust());
  EXPECT_EQ(Claims(Issued(JwtBearer(Outside(OutsideClaims()))))["sub"], "alice");
  // Deleted through this node's admin API (which invalidates the Directory): seen at once.
  ASSERT_TRUE(d_.store->DeleteFederationTrust("trust-x").ok());
  EXPECT_TRUE(*trusts_.AnyTrust());
  d_.directory->Invalidate();
  EXPECT_FALSE(*trusts_.AnyTrust());
  // With no caching, the store is not asked: ForIssuer alone decides.
  FederationTrusts uncached(*d_.store, d_.clock, 0, d_.directory.get());
  EXPECT_TRUE(*uncached.AnyTrust());
}

TEST_F(FederatedGrantsTest, RefusalsNameTheRule) {
  federation::Trust t = UserTrust();
  t.conditions = {{.claim = "repository", .in = {"acme/deploy"}}};
  Store(t);
  struct Case {
    const char* what;
    std::string token;
    Reason reason;
    const char* phrase;
  };
  Json hs = OutsideClaims();
  Json wrong_aud = OutsideClaims();
  wrong_aud["aud"] = "https://other.example.test";
  // Claim type confusion: the condition compares text; an object holding the value is no match.
  Json object_repo = OutsideClaims();
  object_repo["repository"] = Json{{"name", "acme/deploy"}};
  Json array_obj = OutsideClaims();
  array_obj["repository"] = Json::array({Json{{"name", "acme/deploy"}}});
  Json no_repo = OutsideClaims();
  no_repo.erase("repository");
  Json unknown_user = OutsideClaims("nobody");
  Json inactive_user = OutsideClaims("bob");
  Json too_long = OutsideClaims();
  too_long["iat"] = kNow - 10;
  too_long["exp"] = kNow + 2 * 86400;
  const std::string hmac =
      TestDomain::SignRaw(R"({"alg":"HS256","kid":"ci-1"})", jose::DumpCompact(hs), nullptr);
  const std::vector<Case> cases = {
      {"alg confusion", hmac, Reason::kAssertionAlgNotAllowed, ""},
      {"kid not in the JWKS", Outside(OutsideClaims(), IssuerKey(), "ci-2"),
       Reason::kFederatedTokenRejected, "not one of the issuer's keys"},
      {"signed by another key", Outside(OutsideClaims(), StrangerKey()),
       Reason::kFederatedTokenRejected, "signature"},
      {"audience", Outside(wrong_aud), Reason::kFederatedTokenRejected, "aud"},
      {"condition object", Outside(object_repo), Reason::kFederatedTokenRejected, "repository"},
      {"condition array of objects", Outside(array_obj), Reason::kFederatedTokenRejected,
       "repository"},
      {"condition claim missing", Outside(no_repo), Reason::kFederatedTokenRejected, "repository"},
      {"lifetime", Outside(too_long), Reason::kFederatedTokenRejected, ""},
      {"unknown user", Outside(unknown_user), Reason::kFederatedUserUnknown, "no user"},
      {"inactive user", Outside(inactive_user), Reason::kFederatedUserInactive, "not active"},
  };
  for (const Case& c : cases) {
    const Rejection r = Refused(JwtBearer(c.token));
    if (std::string(c.what) == "alg confusion") {
      // An HMAC token is refused before any trust is chosen (PeekIssuer's form rules): it goes
      // on through the assertion rules, which refuse the algorithm.
      EXPECT_EQ(r.reason, c.reason) << c.what << ": " << r.detail;
      continue;
    }
    EXPECT_EQ(r.reason, c.reason) << c.what << ": " << r.detail;
    EXPECT_NE(r.detail.find(c.phrase), std::string::npos) << c.what << ": " << r.detail;
    EXPECT_EQ(ToWireError(r).error, "invalid_grant") << c.what;
  }
}

TEST_F(FederatedGrantsTest, TheClientMustBeAmongOauthClientsAndTheTrustActive) {
  Store(UserTrust());
  ClientRequest other = JwtBearer(Outside(OutsideClaims()));
  other.basic = ClientCredentials{"client-b", "secret-client-b"};
  const Rejection r = Refused(other);
  EXPECT_EQ(r.reason, Reason::kFederatedTokenRejected);
  EXPECT_EQ(r.detail.rfind(
                federation::RefusalMessage(federation::FederationReason::kClientNotAuthorized), 0),
            0u)
      << r.detail;

  federation::Trust inactive = UserTrust("ci-off");
  inactive.issuer = "https://off.example.test";
  inactive.active = false;
  Store(inactive);
  Json c = OutsideClaims();
  c["iss"] = inactive.issuer;
  const Rejection off = Refused(JwtBearer(Outside(c)));
  EXPECT_EQ(off.reason, Reason::kFederatedTokenRejected);
  EXPECT_EQ(
      off.detail.rfind(federation::RefusalMessage(federation::FederationReason::kTrustInactive), 0),
      0u)
      << off.detail;
}

TEST_F(FederatedGrantsTest, RequiredJtiIsSingleUseAndReuseUntilExpIsNot) {
  Store(UserTrust());
  const std::string token = Outside(OutsideClaims());
  Issued(JwtBearer(token));
  const Rejection replay = Refused(JwtBearer(token));
  EXPECT_EQ(replay.reason, Reason::kAssertionJtiReplayed);
  // A refused request burns nothing: a fresh token refused for its scope leaves its jti usable.
  const std::string fresh = Outside(OutsideClaims());
  EXPECT_EQ(Refused(JwtBearer(fresh, "urn:opc:resource:nope")).reason, Reason::kScopeNotAllowed);
  Issued(JwtBearer(fresh));

  federation::Trust k8s = UserTrust("k8s");
  k8s.issuer = "https://k8s.example.test";
  k8s.jti = federation::JtiPolicy::kReuseUntilExp;
  Store(k8s);
  Json c = OutsideClaims();
  c["iss"] = k8s.issuer;
  c.erase("jti");
  const std::string reusable = Outside(c);
  Issued(JwtBearer(reusable));
  Issued(JwtBearer(reusable));
}

TEST_F(FederatedGrantsTest, ImpersonationMakesTheServiceUserTheSubjectWithAct) {
  federation::Trust t = UserTrust();
  t.allow_impersonation = true;
  t.impersonation_service_users = {
      {.rule = R"(repository eq "acme/deploy")", .value = "u-deployer"}};
  Store(t);
  Json c = Claims(Issued(JwtBearer(Outside(OutsideClaims()))));
  EXPECT_EQ(c["sub"], "deployer");
  EXPECT_EQ(c["user_id"], "u-deployer");
  EXPECT_EQ(c["act"], (Json{{"sub", "alice"}, {"iss", kIssuer}}));
  // The rule misses: the ordinary mapping, no act.
  Json other = OutsideClaims();
  other["repository"] = "acme/other";
  c = Claims(Issued(JwtBearer(Outside(other))));
  EXPECT_EQ(c["sub"], "alice");
  EXPECT_FALSE(c.contains("act"));
}

TEST_F(FederatedGrantsTest, LifetimeCapAndScopeCeiling) {
  federation::Trust t = UserTrust();
  t.max_token_lifetime = 120;
  t.allowed_scopes = {Fqs()};
  Store(t);
  Json body = Issued(JwtBearer(Outside(OutsideClaims())));
  EXPECT_EQ(body["expires_in"], 120);
  // No scope asked: the app's scopes within the ceiling.
  EXPECT_EQ(body["scope"], Fqs());
  const Rejection r = Refused(JwtBearer(Outside(OutsideClaims()), Fqs(kOther)));
  EXPECT_EQ(r.reason, Reason::kFederatedScopeOutsideCeiling);
  EXPECT_EQ(ToWireError(r).error, "invalid_scope");
  // An outside token about to expire caps the issued one below the trust's maximum.
  Json c = OutsideClaims();
  c["exp"] = kNow + 45;
  EXPECT_EQ(Issued(JwtBearer(Outside(c)))["expires_in"], 45);
}

TEST_F(FederatedGrantsTest, MappingByEmailAndById) {
  store::User carol;
  carol.id = "u-carol";
  carol.user_name = "carol";
  carol.emails = {"carol@acme.test"};
  carol.created_at = carol.updated_at = kNow;
  ASSERT_TRUE(d_.store->CreateUser(carol).ok());
  federation::Trust by_email = UserTrust();
  by_email.subject_claim_name = "email";
  by_email.subject_mapping_attribute = federation::SubjectMappingAttribute::kEmail;
  Store(by_email);
  Json c = OutsideClaims();
  c["email"] = "carol@acme.test";
  EXPECT_EQ(Claims(Issued(JwtBearer(Outside(c))))["sub"], "carol");
  c = OutsideClaims();
  c["email"] = "CAROL@acme.test";
  EXPECT_EQ(Refused(JwtBearer(Outside(c))).reason, Reason::kFederatedUserUnknown);

  federation::Trust by_id = UserTrust("by-id");
  by_id.issuer = "https://ids.example.test";
  by_id.subject_mapping_attribute = federation::SubjectMappingAttribute::kId;
  Store(by_id);
  c = OutsideClaims("u-carol");
  c["iss"] = by_id.issuer;
  EXPECT_EQ(Claims(Issued(JwtBearer(Outside(c))))["sub"], "carol");
}

TEST_F(FederatedGrantsTest, TokenExchange) {
  Store(UserTrust());
  const Json body = Issued(Exchange(Outside(OutsideClaims())));
  EXPECT_EQ(body["issued_token_type"], "urn:ietf:params:oauth:token-type:access_token");
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(Claims(body)["sub"], "alice");
  EXPECT_EQ(Claims(body)["gtp"], "te");

  // resource/audience limit the token to that audience's scopes, or are invalid_target.
  Json limited = Issued(Exchange(Outside(OutsideClaims()), {{"audience", kAud}}));
  EXPECT_EQ(Claims(limited)["aud"], kAud);
  Rejection r = Refused(Exchange(Outside(OutsideClaims()), {{"resource", "https://x.test"}}));
  EXPECT_EQ(r.reason, Reason::kTargetInvalid);
  EXPECT_EQ(ToWireError(r).error, "invalid_target");

  r = Refused(Exchange(Outside(OutsideClaims()),
                       {{"subject_token_type", "urn:ietf:params:oauth:token-type:saml2"}}));
  EXPECT_EQ(r.reason, Reason::kTokenTypeUnsupported);
  EXPECT_EQ(ToWireError(r).error, "invalid_request");
  r = Refused(Exchange(Outside(OutsideClaims()),
                       {{"requested_token_type", "urn:ietf:params:oauth:token-type:id_token"}}));
  EXPECT_EQ(r.reason, Reason::kTokenTypeUnsupported);
  EXPECT_TRUE(
      Issued(Exchange(Outside(OutsideClaims()),
                      {{"requested_token_type", "urn:ietf:params:oauth:token-type:access_token"}}))
          .contains("access_token"));
  ClientRequest no_type = Exchange(Outside(OutsideClaims()));
  no_type.form.erase("subject_token_type");
  EXPECT_EQ(Refused(no_type).reason, Reason::kMissingParameter);
  // A subject_token of no trust's issuer is refused (no fall-through for token exchange).
  Json stranger = OutsideClaims();
  stranger["iss"] = "https://elsewhere.example.test";
  r = Refused(Exchange(Outside(stranger)));
  EXPECT_EQ(r.reason, Reason::kFederatedTokenRejected);
  EXPECT_NE(r.detail.find("not the issuer of any federation trust"), std::string::npos);
  // The grant must be among the app's allowedGrants.
  federation::Trust b = UserTrust("b");
  b.issuer = "https://b.example.test";
  b.oauth_clients = {"client-b"};
  Store(b);
  Json for_b = OutsideClaims();
  for_b["iss"] = b.issuer;
  ClientRequest by_b = Exchange(Outside(for_b));
  by_b.basic = ClientCredentials{"client-b", "secret-client-b"};
  EXPECT_EQ(Refused(by_b).reason, Reason::kGrantNotAllowed);
}

// AssertionChecks (and `tessera doctor`, which prints its rules) on outside tokens: the trust that
// judged the token, each condition, the mapping and the jti policy.
TEST_F(FederatedGrantsTest, AssertionChecksExplainOutsideTokens) {
  federation::Trust t = UserTrust();
  t.conditions = {{.claim = "repository", .in = {"acme/deploy"}},
                  {.claim = "ref", .like = "refs/heads/*"}};
  t = Store(t);
  AssertionCheckService checks(*d_.store, *d_.directory, *d_.tokens, d_.config, d_.clock);
  auto rule = [](const Json& report, const std::string& name) -> Json {
    for (const Json& r : report["rules"]) {
      if (r["name"] == name) return r;
    }
    return Json();
  };
  Json claims = OutsideClaims();
  claims["ref"] = "refs/heads/main";
  Json report = checks.Run({Outside(claims), kClient, std::nullopt});
  EXPECT_TRUE(report["passed"]) << report.dump();
  EXPECT_EQ(report["trust"], (Json{{"id", t.id}, {"name", "ci"}}));
  EXPECT_EQ(rule(report, "condition on claim 'repository'")["result"], "pass");
  EXPECT_EQ(rule(report, "condition on claim 'ref'")["result"], "pass");
  EXPECT_NE(rule(report, "mapping")["detail"].get<std::string>().find("user 'alice'"),
            std::string::npos);
  EXPECT_NE(rule(report, "jti")["detail"].get<std::string>().find("required"), std::string::npos);
  // The assertion rules of section 2 are not what judged it.
  EXPECT_TRUE(rule(report, "signature").is_null());

  // Each condition's own result, once the signature verified.
  claims["repository"] = "acme/other";
  claims.erase("ref");
  report = checks.Run({Outside(claims), kClient, std::nullopt});
  EXPECT_FALSE(report["passed"]);
  EXPECT_EQ(rule(report, "condition on claim 'repository'")["result"], "fail");
  EXPECT_EQ(
      rule(report, "condition on claim 'ref'")["detail"],
      federation::RefusalMessage(federation::FederationReason::kConditionClaimMissing, "ref"));

  // An unverified signature: for a client diagnosing itself, nothing after it is looked at.
  report = checks.Run({Outside(OutsideClaims(), StrangerKey()), kClient, std::nullopt},
                      ReportDepth::kUntilSignatureFails);
  EXPECT_EQ(rule(report, "outside token signature")["result"], "fail");
  EXPECT_EQ(rule(report, "condition on claim 'repository'")["result"], "not_checked");
  EXPECT_TRUE(rule(report, "mapping").is_null());

  // A client the trust does not list: the trust rule says so.
  report = checks.Run({Outside(OutsideClaims()), "client-b", std::nullopt});
  EXPECT_EQ(rule(report, "trust")["result"], "fail");
  EXPECT_NE(rule(report, "trust")["fix"].get<std::string>().find("oauthClients"),
            std::string::npos);
  // A used outside token is told as such, and nothing is consumed by the check.
  Json fresh = OutsideClaims();
  fresh["ref"] = "refs/heads/main";
  const std::string once = Outside(fresh);
  EXPECT_TRUE(checks.Run({once, kClient, std::nullopt})["passed"]);
  Issued(JwtBearer(once));
  EXPECT_EQ(rule(checks.Run({once, kClient, std::nullopt}), "jti")["reason"],
            "assertion_jti_replayed");
}

class FederatedClientAuthTest : public FederatedGrantsTest {
 protected:
  void SetUpTrust() {
    federation::Trust t = UserTrust("workloads");
    t.subject_type = federation::SubjectType::kApp;
    t.oauth_clients = {};
    t.client_claim_name = "azp";
    t.client_claim_values = {kClient};
    Store(t);
  }
  static ClientRequest Assertion(const std::string& token) {
    ClientRequest r;
    r.form = {{"grant_type", kGrantClientCredentials},
              {"client_assertion_type", kClientAssertionTypeJwt},
              {"client_assertion", token}};
    r.ecid = "ecid-test";
    r.remote_address = "192.0.2.1";
    return r;
  }
  Json WorkloadClaims(const std::string& azp = kClient) {
    Json c = OutsideClaims("system:serviceaccount:ci:deployer");
    c["azp"] = azp;
    return c;
  }
};

TEST_F(FederatedClientAuthTest, AnAppTrustAuthenticatesTheClientItsClaimNames) {
  SetUpTrust();
  const std::string token = Outside(WorkloadClaims());
  const Json c = Claims(Issued(Assertion(token)));
  EXPECT_EQ(c["sub"], kClient);
  EXPECT_EQ(c["client_id"], kClient);
  // Single use, as any client assertion under jti "required".
  const Rejection replay = Refused(Assertion(token));
  EXPECT_EQ(replay.reason, Reason::kAssertionJtiReplayed);
  EXPECT_EQ(ToWireError(replay).error, "invalid_client");
  // A client claim outside clientClaimValues: the uniform client-authentication failure.
  const Rejection r = Refused(Assertion(Outside(WorkloadClaims("client-b"))));
  EXPECT_EQ(r.reason, Reason::kFederatedTokenRejected);
  EXPECT_TRUE(r.client_assertion);
  EXPECT_EQ(ToWireError(r).error, "invalid_client");
  EXPECT_EQ(ToWireError(r).description, "Client authentication failed.");
  // client_id naming another client.
  ClientRequest mismatch = Assertion(Outside(WorkloadClaims()));
  mismatch.form["client_id"] = "client-b";
  EXPECT_EQ(Refused(mismatch).reason, Reason::kClientIdMismatch);
  // A User trust never authenticates a client, nor an App trust's token serve a grant.
  EXPECT_EQ(Refused(JwtBearer(Outside(WorkloadClaims()))).reason, Reason::kFederatedTokenRejected);
}

TEST(FederatedStrictAudienceTest, AnOutsideClientAssertionNamesTheIssuerAlone) {
  DomainConfig config;
  config.assertion_audience = AssertionAudience::kStrict;
  TestDomain d(config);
  FederationTrusts trusts(*d.store, d.clock, config.cache_ttl_seconds);
  federation::FixedKeySource keys(federation::KeySet::FromJwks(Jwks()).value(), d.clock);
  d.tokens->set_federation(&trusts, &keys);
  d.AddClient(kClient);
  federation::Trust t;
  t.id = "trust-w";
  t.name = "w";
  t.issuer = kIssuer;
  t.active = true;
  t.public_key_endpoint = "https://ci.example.test/jwks";
  t.audiences = {config.issuer, kOutsideAud};
  t.subject_type = federation::SubjectType::kApp;
  t.client_claim_name = "azp";
  t.client_claim_values = {kClient};
  store::FederationTrustRecord rec{t.id, t.name, t.issuer, true, federation::TrustToDocument(t),
                                   kNow, kNow};
  ASSERT_TRUE(d.store->CreateFederationTrust(rec).ok());
  auto attempt = [&](const Json& aud) {
    Json c = {{"iss", kIssuer},
              {"sub", "w"},
              {"aud", aud},
              {"iat", kNow},
              {"exp", kNow + 60},
              {"azp", kClient},
              {"jti", "s-" + aud.dump()}};
    ClientRequest r;
    r.form = {{"grant_type", kGrantClientCredentials},
              {"client_assertion_type", kClientAssertionTypeJwt},
              {"client_assertion", TestDomain::Sign(c, IssuerKey(), {{"kid", "ci-1"}})}};
    return std::holds_alternative<AuthenticatedClient>(d.tokens->Authenticate(r));
  };
  EXPECT_TRUE(attempt(Json(config.issuer)));
  EXPECT_TRUE(attempt(Json::array({config.issuer})));
  // The trust accepts kOutsideAud; the strict profile does not, nor an extra value.
  EXPECT_FALSE(attempt(Json(kOutsideAud)));
  EXPECT_FALSE(attempt(Json::array({config.issuer, kOutsideAud})));
}

TEST(FederatedKeysTest, NoKeyToVerifyWithIs503NeverAToken) {
  TestDomain d;
  FederationTrusts trusts(*d.store, d.clock, d.config.cache_ttl_seconds);
  federation::HttpKeyFetcher fetcher;
  federation::IssuerKeys keys(fetcher, d.clock);
  d.tokens->set_federation(&trusts, &keys);
  d.AddClient(kClient);
  d.AddUser("alice");
  federation::Trust t;
  t.id = "trust-down";
  t.name = "down";
  t.issuer = kIssuer;
  t.active = true;
  t.public_key_endpoint = "http://127.0.0.1:1/jwks";  // nothing listens on port 1
  t.audiences = {kOutsideAud};
  t.oauth_clients = {kClient};
  store::FederationTrustRecord rec{t.id, t.name, t.issuer, true, federation::TrustToDocument(t),
                                   kNow, kNow};
  ASSERT_TRUE(d.store->CreateFederationTrust(rec).ok());
  const Json c = {{"iss", kIssuer}, {"sub", "alice"},   {"aud", kOutsideAud},
                  {"iat", kNow},    {"exp", kNow + 60}, {"jti", "k-1"}};
  ClientRequest r;
  r.basic = ClientCredentials{kClient, kSecret};
  r.form = {{"grant_type", kGrantJwtBearer},
            {"assertion", TestDomain::Sign(c, IssuerKey(), {{"kid", "ci-1"}})}};
  std::variant<PreparedToken, Outcome> prepared = d.tokens->Prepare(r);
  ASSERT_TRUE(std::holds_alternative<Outcome>(prepared));
  const Outcome& o = std::get<Outcome>(prepared);
  ASSERT_TRUE(o.rejection.has_value());
  EXPECT_FALSE(o.body.has_value());
  EXPECT_EQ(o.rejection->reason, Reason::kFederatedKeysUnavailable);
  const WireError w = ToWireError(*o.rejection);
  EXPECT_EQ(w.http_status, 503);
  EXPECT_EQ(w.error, "temporarily_unavailable");
}

}  // namespace
}  // namespace tessera::oauth
