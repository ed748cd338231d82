// Client authentication over the real SQLite store: which certificates may verify a client
// assertion (contract section 2 rule 3), client certificates (RFC 8705), how deep AssertionChecks
// reports for a client checking itself, and request-rate limits that nobody can spend for another
// client.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/rate_limiter.h"
#include "jose/jws.h"
#include "jose/keyio.h"
#include "oauth/assertion.h"
#include "oauth/assertion_checks.h"
#include "oauth/audit.h"
#include "oauth/directory.h"
#include "oauth/secrets.h"
#include "oauth/signing_keys.h"
#include "oauth/token_service.h"
#include "store/sqlite/sqlite_store.h"
#include "tessera/clock.h"

namespace tessera::oauth {
namespace {

namespace fs = std::filesystem;
using jose::Json;

constexpr int64_t kNow = 1'900'000'000;

struct KeyPair {
  jose::Key key;
  jose::Certificate cert;
};

KeyPair MakeKeyPair(const char* subject) {
  Result<jose::Key> key = jose::GenerateKey(jose::KeyType::kEc, 256);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  Result<jose::Certificate> cert = jose::MakeSelfSignedCertificate(*key, subject, 30, kNow - 60);
  EXPECT_TRUE(cert.ok()) << cert.status().ToString();
  return {*key, *cert};
}

class ClientAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tessera-client-auth-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto opened = store::SqliteStore::Open(dir_ + "/tessera.db", {});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    directory_ = std::make_unique<Directory>(*store_, clock_, 5);
    keys_ = std::make_unique<SigningKeys>(*store_, clock_, SigningKeyOptions{});
    ASSERT_TRUE(keys_->EnsureActiveKey().ok());
    audit_ = std::make_unique<AuditLog>(*store_);
    failures_ = std::make_unique<RateLimiter>(clock_, 1, 3);
    per_client_ = std::make_unique<RateLimiter>(clock_, 1, 2);
    tokens_ = std::make_unique<TokenService>(*store_, *directory_, *keys_, *audit_, config_, clock_,
                                             ClientAuthLimits{failures_.get(), per_client_.get()});
    checks_ = std::make_unique<AssertionCheckService>(*store_, *directory_, *tokens_, config_,
                                                      clock_, AssertionCheckLimits{1, 4, 1, 2});

    own_ = MakeKeyPair("CN=own");
    partner_ = MakeKeyPair("CN=partner");
    Put(store::CertificateKind::kClient, "own", own_.cert);
    Put(store::CertificateKind::kPartner, "partner", partner_.cert);
    client_ = AddApp("client-a", "secret-a", {"own"}, false);
    AddApp("admin", "secret-admin", {}, true);
    store::User alice;
    alice.id = "u-alice";
    alice.user_name = "alice";
    alice.active = true;
    ASSERT_TRUE(store_->CreateUser(alice).ok());
    store::User bob = alice;
    bob.id = "u-bob";
    bob.user_name = "bob";
    bob.active = false;
    ASSERT_TRUE(store_->CreateUser(bob).ok());
  }
  void TearDown() override {
    checks_.reset();
    tokens_.reset();
    audit_.reset();
    keys_.reset();
    directory_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  void Put(store::CertificateKind kind, const std::string& alias, const jose::Certificate& cert) {
    store::CertificateRecord rec{alias, cert.der, cert.x5t, cert.x5t_s256, cert.not_after, kNow};
    ASSERT_TRUE(store_->PutCertificate(kind, rec).ok());
  }

  store::App AddApp(const std::string& client_id, const std::string& secret,
                    std::vector<std::string> certs, bool admin) {
    store::App a;
    a.id = "id-" + client_id;
    a.client_id = client_id;
    a.display_name = client_id;
    a.active = true;
    a.is_admin = admin;
    a.secret_hash = HashSecret(secret).value();
    a.allowed_grants = {kGrantClientCredentials, kGrantJwtBearer};
    a.certificate_aliases = std::move(certs);
    a.assertion_algs = {"ES256"};
    EXPECT_TRUE(store_->CreateApp(a).ok());
    return a;
  }

  // An ES256 assertion iss = `iss`, sub = `sub`, naming its key by `header`.
  static std::string Sign(const jose::Key& key, const std::string& iss, const std::string& sub,
                          const Json& header) {
    Json claims = {
        {"iss", iss},  {"sub", sub},        {"aud", kOracleAudience},
        {"iat", kNow}, {"exp", kNow + 300}, {"jti", "jti-" + iss + "-" + sub + header.dump()}};
    Result<std::string> jwt = jose::SignJwt(claims, key, jose::Algorithm::kES256, header);
    EXPECT_TRUE(jwt.ok()) << jwt.status().ToString();
    return *jwt;
  }

  std::vector<Json> Headers(const std::string& alias, const jose::Certificate& cert) {
    return {Json{{"kid", alias}}, Json{{"x5t", cert.x5t}}, Json{{"x5t#S256", cert.x5t_s256}}};
  }

  static std::optional<Reason> RejectedFor(const AssertionResult& r) {
    if (auto* rej = std::get_if<Rejection>(&r)) return rej->reason;
    return std::nullopt;
  }

  static ClientRequest Basic(const std::string& id, const std::string& secret,
                             const std::string& address) {
    ClientRequest r;
    r.basic = ClientCredentials{id, secret};
    r.form = {{"grant_type", kGrantClientCredentials}};
    r.remote_address = address;
    return r;
  }

  static std::optional<Reason> Refusal(const std::variant<PreparedToken, Outcome>& prepared) {
    if (auto* o = std::get_if<Outcome>(&prepared); o && o->rejection) return o->rejection->reason;
    return std::nullopt;
  }

  std::string dir_;
  FixedClock clock_{kNow};
  DomainConfig config_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<Directory> directory_;
  std::unique_ptr<SigningKeys> keys_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<RateLimiter> failures_, per_client_;
  std::unique_ptr<TokenService> tokens_;
  std::unique_ptr<AssertionCheckService> checks_;
  KeyPair own_, partner_;
  store::App client_;
};

// Contract section 2 rule 3: a partner certificate verifies user assertions only.
TEST_F(ClientAuthTest, PartnerCertificateNeverVerifiesAClientAssertion) {
  Result<store::App> admin = store_->FindAppByClientId("admin");
  ASSERT_TRUE(admin.ok());
  for (const Json& header : Headers("partner", partner_.cert)) {
    for (const store::App* app : {&client_, &*admin}) {
      const std::string ca = Sign(partner_.key, app->client_id, app->client_id, header);
      EXPECT_EQ(RejectedFor(
                    tokens_->validator().Validate(ca, *app, AssertionKind::kClientAuthentication)),
                Reason::kAssertionKeyNotFound)
          << header.dump() << " for " << app->client_id;
    }
    // The same key still vouches for a user.
    const std::string ua = Sign(partner_.key, client_.client_id, "alice", header);
    EXPECT_EQ(RejectedFor(tokens_->validator().Validate(ua, client_, AssertionKind::kUserGrant)),
              std::nullopt)
        << header.dump();
  }
}

TEST_F(ClientAuthTest, AttachedCertificateVerifiesBothKinds) {
  for (const Json& header : Headers("own", own_.cert)) {
    const std::string ca = Sign(own_.key, client_.client_id, client_.client_id, header);
    EXPECT_EQ(RejectedFor(
                  tokens_->validator().Validate(ca, client_, AssertionKind::kClientAuthentication)),
              std::nullopt);
    const std::string ua = Sign(own_.key, client_.client_id, "alice", header);
    EXPECT_EQ(RejectedFor(tokens_->validator().Validate(ua, client_, AssertionKind::kUserGrant)),
              std::nullopt);
  }
}

TEST_F(ClientAuthTest, PartnerCertificateDoesNotAuthenticateAtTheTokenEndpoint) {
  ClientRequest req;
  req.form = {{"grant_type", kGrantClientCredentials},
              {"client_assertion_type", kClientAssertionTypeJwt},
              {"client_assertion", Sign(partner_.key, "admin", "admin", {{"kid", "partner"}})}};
  req.remote_address = "192.0.2.1";
  auto auth = tokens_->Authenticate(req);
  ASSERT_TRUE(std::holds_alternative<Rejection>(auth));
  EXPECT_TRUE(std::get<Rejection>(auth).client_assertion);
  EXPECT_EQ(ToWireError(std::get<Rejection>(auth)).description, "Client authentication failed.");
}

// A report for a client stops at an unverified signature: whether alice exists, or bob is
// active, is not told to whoever can write a JWT.
TEST_F(ClientAuthTest, ClientReportStopsAtAnUnverifiedSignature) {
  const KeyPair stranger = MakeKeyPair("CN=stranger");
  std::vector<std::vector<RuleOutcome>> reports;
  for (const char* sub : {"alice", "nobody", "bob"}) {
    std::vector<RuleOutcome> report;
    const std::string forged = Sign(stranger.key, client_.client_id, sub, {{"kid", "own"}});
    auto r = tokens_->validator().Validate(forged, client_, AssertionKind::kUserGrant, &report,
                                           ReportDepth::kUntilSignatureFails);
    EXPECT_EQ(RejectedFor(r), Reason::kAssertionSignatureInvalid);
    std::vector<std::string> not_checked;
    for (const RuleOutcome& o : report) {
      if (o.result == RuleResult::kNotChecked) {
        not_checked.push_back(o.name);
        EXPECT_FALSE(o.reason.has_value());
        EXPECT_FALSE(o.passed());
      }
    }
    EXPECT_EQ(not_checked, (std::vector<std::string>{"issuer", "audience", "time", "jti", "user"}));
    reports.push_back(report);
  }
  for (size_t i = 1; i < reports.size(); ++i) {
    ASSERT_EQ(reports[i].size(), reports[0].size());
    for (size_t k = 0; k < reports[0].size(); ++k) {
      EXPECT_EQ(reports[i][k].detail, reports[0][k].detail);
      EXPECT_EQ(reports[i][k].result, reports[0][k].result);
    }
  }
  // An administrator's report evaluates the user rule anyway.
  std::vector<RuleOutcome> full;
  (void)tokens_->validator().Validate(
      Sign(stranger.key, client_.client_id, "bob", {{"kid", "own"}}), client_,
      AssertionKind::kUserGrant, &full, ReportDepth::kEveryRule);
  bool user_failed = false;
  for (const RuleOutcome& o : full) {
    EXPECT_NE(o.result, RuleResult::kNotChecked);
    if (o.rule == 8) user_failed = o.reason == Reason::kAssertionUserInactive;
  }
  EXPECT_TRUE(user_failed);
}

TEST_F(ClientAuthTest, CheckReportMarksScopeNotCheckedAndNamesResults) {
  const KeyPair stranger = MakeKeyPair("CN=stranger");
  Json report = checks_->Run(
      {Sign(stranger.key, client_.client_id, "alice", {{"kid", "own"}}), "client-a", {}},
      ReportDepth::kUntilSignatureFails);
  EXPECT_FALSE(report["passed"].get<bool>());
  const Json& last = report["rules"].back();
  EXPECT_EQ(last["rule"], 9);
  EXPECT_EQ(last["result"], "not_checked");
  EXPECT_FALSE(last.contains("reason"));
  EXPECT_FALSE(last.contains("fix"));
  // A good assertion passes every rule, each "pass".
  report =
      checks_->Run({Sign(own_.key, client_.client_id, "alice", {{"kid", "own"}}), "client-a", {}},
                   ReportDepth::kUntilSignatureFails);
  EXPECT_TRUE(report["passed"].get<bool>()) << report.dump();
  for (const Json& r : report["rules"]) EXPECT_EQ(r["result"], "pass") << r.dump();
}

// The rule an audited refusal names (AssertionRuleOf, the console's link into the Lab) is the
// rule the AssertionChecks report fails for the same assertion.
TEST_F(ClientAuthTest, AnAuditedRefusalNamesTheRuleTheCheckFails) {
  const KeyPair stranger = MakeKeyPair("CN=stranger");
  int n = 0;
  auto sign = [&](const jose::Key& key, Json claims, const Json& header) {
    if (!claims.contains("jti")) claims["jti"] = "rule-" + std::to_string(++n);
    Result<std::string> jwt = jose::SignJwt(claims, key, jose::Algorithm::kES256, header);
    EXPECT_TRUE(jwt.ok()) << jwt.status().ToString();
    return *jwt;
  };
  const Json good = {{"iss", client_.client_id},
                     {"sub", "alice"},
                     {"aud", kOracleAudience},
                     {"iat", kNow},
                     {"exp", kNow + 300}};
  auto with = [&](const char* claim, Json value) {
    Json c = good;
    c[claim] = std::move(value);
    return c;
  };
  const std::vector<std::pair<std::string, std::optional<std::string>>> cases = {
      {sign(own_.key, with("aud", "https://elsewhere.example/"), {{"kid", "own"}}), std::nullopt},
      {sign(own_.key, with("exp", kNow - 100), {{"kid", "own"}}), std::nullopt},
      {sign(own_.key, good, {{"kid", "nobody"}}), std::nullopt},
      {sign(stranger.key, good, {{"kid", "own"}}), std::nullopt},
      {sign(own_.key, with("sub", "bob"), {{"kid", "own"}}), std::nullopt},
      {sign(own_.key, with("jti", 7), {{"kid", "own"}}), std::nullopt},
      {sign(own_.key, good, {{"kid", "own"}}), std::string("https://nowhere.example/x")},
  };
  std::map<std::string, int> reported;  // reason code -> the rule the report failed
  int address = 0;
  for (const auto& [assertion, scope] : cases) {
    const Json report = checks_->Run({assertion, client_.client_id, scope});
    for (const Json& r : report["rules"]) {
      if (r["result"] == "fail") reported[r["reason"].get<std::string>()] = r["rule"].get<int>();
    }
    ClientRequest req = Basic("client-a", "secret-a", "192.0.2." + std::to_string(++address));
    req.form = {{"grant_type", kGrantJwtBearer}, {"assertion", assertion}};
    if (scope) req.form["scope"] = *scope;
    EXPECT_TRUE(Refusal(tokens_->Prepare(req)).has_value()) << report.dump();
    clock_.Advance(5);  // past the per-client request budget
  }
  audit_->Flush();
  store::AuditFilter rejected;
  rejected.outcome = "rejected";
  Result<std::vector<store::AuditEvent>> events = store_->ListAudit(rejected);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), cases.size());
  std::set<int> rules;
  for (const store::AuditEvent& e : *events) {
    const std::string code(AuditReasonCode(e.reason));
    ASSERT_TRUE(reported.contains(code)) << e.reason;
    EXPECT_EQ(AssertionRuleOf(e), reported[code]) << e.reason;
    if (auto rule = AssertionRuleOf(e)) rules.insert(*rule);
  }
  EXPECT_EQ(rules, (std::set<int>{3, 5, 6, 7, 8, 9}));
}

TEST_F(ClientAuthTest, CheckAdmitsOnlyAnActiveClientWithItsSecret) {
  auto reason = [&](const ClientCredentials& c) -> std::optional<Reason> {
    auto r = checks_->AdmitClient(c);
    if (auto* rej = std::get_if<Rejection>(&r)) return rej->reason;
    return std::nullopt;
  };
  EXPECT_EQ(reason({"client-a", "secret-a"}), std::nullopt);
  EXPECT_EQ(reason({"client-a", "wrong"}), Reason::kBadClientSecret);
  EXPECT_EQ(reason({"nobody", "secret-a"}), Reason::kUnknownClient);
  store::App inactive = AddApp("client-off", "secret-off", {}, false);
  inactive.active = false;
  ASSERT_TRUE(store_->UpdateApp(inactive).ok());
  EXPECT_EQ(reason({"client-off", "secret-off"}), Reason::kClientInactive);
  // All of them the one uniform answer on the wire.
  for (Reason r : {Reason::kBadClientSecret, Reason::kUnknownClient, Reason::kClientInactive}) {
    const WireError w = ToWireError({r, "x"});
    EXPECT_EQ(w.http_status, 401);
    EXPECT_EQ(w.description, "Client authentication failed.");
  }
}

TEST_F(ClientAuthTest, CheckBudgetsPerClientAndPerAddress) {
  // Wrong secrets never spend the client's budget (2)...
  for (int i = 0; i < 10; ++i) (void)checks_->AdmitClient({"client-a", "wrong"});
  EXPECT_TRUE(std::holds_alternative<std::shared_ptr<const store::App>>(
      checks_->AdmitClient({"client-a", "secret-a"})));
  EXPECT_TRUE(std::holds_alternative<std::shared_ptr<const store::App>>(
      checks_->AdmitClient({"client-a", "secret-a"})));
  auto spent = checks_->AdmitClient({"client-a", "secret-a"});
  ASSERT_TRUE(std::holds_alternative<Rejection>(spent));
  EXPECT_EQ(std::get<Rejection>(spent).reason, Reason::kRateLimited);
  EXPECT_GE(std::get<Rejection>(spent).retry_after, 1);
  EXPECT_EQ(ToWireError(std::get<Rejection>(spent)).http_status, 429);
  // ... and every request counts against its address (4).
  for (int i = 0; i < 4; ++i) EXPECT_EQ(checks_->AdmitAddress("192.0.2.7"), std::nullopt);
  std::optional<Rejection> limited = checks_->AdmitAddress("192.0.2.7");
  ASSERT_TRUE(limited.has_value());
  EXPECT_EQ(limited->reason, Reason::kRateLimited);
  EXPECT_EQ(checks_->AdmitAddress("192.0.2.8"), std::nullopt);
  clock_.Advance(5);
  EXPECT_EQ(checks_->AdmitAddress("192.0.2.7"), std::nullopt);
}

// A flood of wrong secrets naming a client spends the flooding address's budget, never the
// client's: the client, from its own address, still gets its tokens.
TEST_F(ClientAuthTest, WrongSecretFloodDoesNotLockOutTheClient) {
  std::vector<std::optional<Reason>> flood;
  flood.reserve(6);
  for (int i = 0; i < 6; ++i)
    flood.push_back(Refusal(tokens_->Prepare(Basic("admin", "wrong", "192.0.2.66"))));
  EXPECT_EQ(flood.front(), Reason::kBadClientSecret);
  EXPECT_EQ(flood.back(), Reason::kRateLimited);  // the address is refused after 3 failures
  // The right secret from the flooding address is not even tried for now...
  EXPECT_EQ(Refusal(tokens_->Prepare(Basic("admin", "secret-admin", "192.0.2.66"))),
            Reason::kRateLimited);
  // ... while the administrator elsewhere is served, up to its own budget (2).
  EXPECT_EQ(Refusal(tokens_->Prepare(Basic("admin", "secret-admin", "192.0.2.1"))), std::nullopt);
  EXPECT_EQ(Refusal(tokens_->Prepare(Basic("admin", "secret-admin", "192.0.2.1"))), std::nullopt);
  EXPECT_EQ(Refusal(tokens_->Prepare(Basic("admin", "secret-admin", "192.0.2.1"))),
            Reason::kRateLimited);
  // Successes do not count as failures of their address.
  EXPECT_EQ(Refusal(tokens_->Prepare(Basic("client-a", "secret-a", "192.0.2.1"))), std::nullopt);
  clock_.Advance(10);
  EXPECT_EQ(Refusal(tokens_->Prepare(Basic("admin", "secret-admin", "192.0.2.66"))), std::nullopt);
}

TEST_F(ClientAuthTest, FailedClientAssertionsCountAgainstTheAddress) {
  ClientRequest req;
  req.form = {{"grant_type", kGrantClientCredentials},
              {"client_assertion_type", kClientAssertionTypeJwt},
              {"client_assertion", Sign(partner_.key, "admin", "admin", {{"kid", "partner"}})}};
  req.remote_address = "192.0.2.9";
  for (int i = 0; i < 3; ++i) EXPECT_NE(Refusal(tokens_->Prepare(req)), Reason::kRateLimited);
  EXPECT_EQ(Refusal(tokens_->Prepare(req)), Reason::kRateLimited);
  // Introspection shares the address's failure budget.
  ClientRequest introspect = Basic("client-a", "secret-a", "192.0.2.9");
  introspect.form = {{"token", "x"}};
  Outcome o = tokens_->Introspect(introspect);
  ASSERT_TRUE(o.rejection.has_value());
  EXPECT_EQ(o.rejection->reason, Reason::kRateLimited);
}

// RFC 8705 2: a client_id with a certificate and no other credential.
ClientRequest ByCertificate(const std::string& client_id, const std::string& der, bool chained,
                            const std::string& address) {
  ClientRequest r;
  r.form = {{"grant_type", kGrantClientCredentials}, {"client_id", client_id}};
  r.client_certificate_der = der;
  r.client_certificate_chained = chained;
  r.remote_address = address;
  return r;
}

std::optional<Reason> AuthRefusal(const std::variant<AuthenticatedClient, Rejection>& auth) {
  if (auto* r = std::get_if<Rejection>(&auth)) return r->reason;
  return std::nullopt;
}

TEST_F(ClientAuthTest, SelfSignedTlsClientAuthIsAnAttachedCertificate) {
  // RFC 8705 2.2: own_ is attached to client-a; whether it chains does not matter.
  EXPECT_EQ(AuthRefusal(tokens_->Authenticate(
                ByCertificate("client-a", own_.cert.der, false, "192.0.2.20"))),
            std::nullopt);
  // A certificate attached to nobody, or only trusted as a partner's, is no credential.
  const KeyPair stranger = MakeKeyPair("CN=own");
  EXPECT_EQ(AuthRefusal(tokens_->Authenticate(
                ByCertificate("client-a", stranger.cert.der, false, "192.0.2.21"))),
            Reason::kClientCertificateMismatch);
  EXPECT_EQ(AuthRefusal(tokens_->Authenticate(
                ByCertificate("client-a", partner_.cert.der, true, "192.0.2.22"))),
            Reason::kClientCertificateMismatch);
  // Another client's certificate authenticates that client only.
  EXPECT_EQ(AuthRefusal(
                tokens_->Authenticate(ByCertificate("admin", own_.cert.der, false, "192.0.2.23"))),
            Reason::kClientCertificateMismatch);
  // No certificate: a client_id alone authenticates nobody.
  EXPECT_EQ(AuthRefusal(tokens_->Authenticate(ByCertificate("client-a", "", false, "192.0.2.24"))),
            Reason::kNoClientAuthentication);
  EXPECT_EQ(
      AuthRefusal(tokens_->Authenticate(ByCertificate("", own_.cert.der, false, "192.0.2.25"))),
      Reason::kMissingParameter);
  // Next to a secret, the certificate is no second method: the secret decides.
  ClientRequest both = Basic("client-a", "wrong", "192.0.2.26");
  both.client_certificate_der = own_.cert.der;
  EXPECT_EQ(AuthRefusal(tokens_->Authenticate(both)), Reason::kBadClientSecret);
  // Every refusal is the uniform invalid_client.
  const WireError w = ToWireError({Reason::kClientCertificateMismatch, "x"});
  EXPECT_EQ(w.http_status, 401);
  EXPECT_EQ(w.error, "invalid_client");
  EXPECT_EQ(w.description, "Client authentication failed.");
  // An attached certificate that has expired counts no more than for an assertion.
  clock_.Advance(31 * 86400);
  EXPECT_EQ(AuthRefusal(tokens_->Authenticate(
                ByCertificate("client-a", own_.cert.der, false, "192.0.2.27"))),
            Reason::kClientCertificateMismatch);
}

TEST_F(ClientAuthTest, TlsClientAuthNeedsTheSubjectAndTheClientCa) {
  store::App dn = AddApp("dn-client", "secret-dn", {}, false);
  dn.tls_client_auth_subject_dn = "CN=own";
  ASSERT_TRUE(store_->UpdateApp(dn).ok());
  // RFC 8705 2.1: the subject matches and the certificate chains to the client CA.
  EXPECT_EQ(AuthRefusal(tokens_->Authenticate(
                ByCertificate("dn-client", own_.cert.der, true, "192.0.2.30"))),
            std::nullopt);
  // The same subject without the CA's word is anyone's to claim.
  EXPECT_EQ(AuthRefusal(tokens_->Authenticate(
                ByCertificate("dn-client", own_.cert.der, false, "192.0.2.31"))),
            Reason::kClientCertificateMismatch);
  EXPECT_EQ(AuthRefusal(tokens_->Authenticate(
                ByCertificate("dn-client", partner_.cert.der, true, "192.0.2.32"))),
            Reason::kClientCertificateMismatch);
  // Both set: both must match (a self-signed certificate has no SAN).
  dn.tls_client_auth_san_dns = "dn-client.example.com";
  ASSERT_TRUE(store_->UpdateApp(dn).ok());
  directory_->Invalidate();
  EXPECT_EQ(AuthRefusal(tokens_->Authenticate(
                ByCertificate("dn-client", own_.cert.der, true, "192.0.2.33"))),
            Reason::kClientCertificateMismatch);
  // An inactive app is told apart only once its certificate matched.
  dn.tls_client_auth_san_dns.clear();
  dn.active = false;
  ASSERT_TRUE(store_->UpdateApp(dn).ok());
  directory_->Invalidate();
  EXPECT_EQ(AuthRefusal(tokens_->Authenticate(
                ByCertificate("dn-client", own_.cert.der, true, "192.0.2.34"))),
            Reason::kClientInactive);
}

TEST_F(ClientAuthTest, CertificateBoundTokensCarryTheThumbprint) {
  store::App bound = AddApp("bound", "secret-bound", {}, false);
  bound.tls_client_certificate_bound_access_tokens = true;
  ASSERT_TRUE(store_->UpdateApp(bound).ok());
  // RFC 8705 3: no certificate, no token (not an unbound one).
  ClientRequest bare = Basic("bound", "secret-bound", "192.0.2.40");
  EXPECT_EQ(Refusal(tokens_->Prepare(bare)), Reason::kClientCertificateRequired);
  EXPECT_EQ(ToWireError({Reason::kClientCertificateRequired, "x"}).error, "invalid_request");

  ClientRequest req = bare;
  req.client_certificate_der = partner_.cert.der;  // any certificate, chained or not
  auto prepared = tokens_->Prepare(req);
  ASSERT_TRUE(std::holds_alternative<PreparedToken>(prepared));
  const PreparedToken& p = std::get<PreparedToken>(prepared);
  EXPECT_EQ(p.certificate_thumbprint, partner_.cert.x5t_s256);
  Outcome done = tokens_->Complete(req, p, std::nullopt);
  ASSERT_TRUE(done.body.has_value());
  const std::string token = Json::parse(*done.body)["access_token"];
  Result<AccessTokenInfo> info = tokens_->VerifyAccessToken(token);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->claims["cnf"], (Json{{"x5t#S256", partner_.cert.x5t_s256}}));
  // Introspection answers the confirmation.
  ClientRequest introspect = Basic("bound", "secret-bound", "192.0.2.41");
  introspect.form = {{"token", token}};
  Outcome o = tokens_->Introspect(introspect);
  ASSERT_TRUE(o.body.has_value());
  EXPECT_EQ(Json::parse(*o.body)["cnf"], (Json{{"x5t#S256", partner_.cert.x5t_s256}}));
  // An app without the setting gets unbound tokens, certificate or not.
  ClientRequest plain = Basic("client-a", "secret-a", "192.0.2.42");
  plain.client_certificate_der = own_.cert.der;
  auto unbound = tokens_->Prepare(plain);
  ASSERT_TRUE(std::holds_alternative<PreparedToken>(unbound));
  EXPECT_EQ(std::get<PreparedToken>(unbound).certificate_thumbprint, "");
}

}  // namespace
}  // namespace tessera::oauth
