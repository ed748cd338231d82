// DPoP at the token endpoint (RFC 9449; contract section 11), in process over the real SQLite
// store on a FixedClock: a valid proof binds the token of either grant to its key, every refused
// proof is invalid_dpop_proof naming the rule (and audited), a proof's jti is single use, server
// nonces, and introspection of a bound token.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "jose/json.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/keyio.h"
#include "oauth/dpop_nonce.h"
#include "oauth/test_domain.h"
#include "oauth/token_service.h"

namespace tessera::oauth {
namespace {

using jose::Json;
using testing::kNow;
using testing::TestDomain;
using testing::TestKey;

constexpr char kClient[] = "client-a";
constexpr char kSecret[] = "secret-client-a";
constexpr char kAud[] = "https://oic.example.com:443";
constexpr char kValue[] = "urn:opc:resource:consumer::all";

const jose::Key& ProofKey() {
  static const jose::Key key = jose::GenerateKey(jose::KeyType::kEc, 256).value();
  return key;
}

// The public JWK of `key` with its required members only, as a proof carries it.
Json ProofJwk(const jose::Key& key) {
  Json jwk = jose::PublicJwk(key, "").value();
  jwk.erase("use");
  jwk.erase("alg");
  return jwk;
}

class TokenServiceDpopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d_.PutCertificate(store::CertificateKind::kClient, "own", TestKey::Rsa().cert);
    d_.AddResource("r1", kAud, {kValue});
    client_ = d_.AddClient(kClient, {"own"}, {std::string(kAud) + kValue});
    d_.AddUser("alice");
  }

  std::string TokenUrl() const { return d_.config.TokenEndpoint(); }

  // A proof by ProofKey() for POST at the token endpoint, now, with `jti`; `edit` changes it.
  std::string Proof(const std::string& jti, const std::function<void(Json&, Json&)>& edit = {}) {
    Json header = {{"typ", "dpop+jwt"}, {"jwk", ProofJwk(ProofKey())}};
    Json claims = {
        {"jti", jti}, {"htm", "POST"}, {"htu", TokenUrl()}, {"iat", d_.clock.NowSeconds()}};
    if (edit) edit(header, claims);
    const jose::Key pinned = ProofKey().RestrictTo({jose::Algorithm::kES256}).value();
    return jose::SignJwt(claims, pinned, jose::Algorithm::kES256, header).value();
  }

  ClientRequest Request(std::map<std::string, std::string> form, std::vector<std::string> proofs) {
    ClientRequest r;
    r.basic = ClientCredentials{kClient, kSecret};
    r.form = std::move(form);
    r.ecid = "ecid-dpop";
    r.remote_address = "192.0.2.1";
    r.dpop_proofs = std::move(proofs);
    r.method = "POST";
    r.url = TokenUrl();
    return r;
  }
  ClientRequest Cc(std::vector<std::string> proofs) {
    return Request({{"grant_type", kGrantClientCredentials}}, std::move(proofs));
  }
  ClientRequest JwtBearer(std::vector<std::string> proofs) {
    const std::string assertion =
        TestDomain::Sign(d_.Claims(kClient, "alice"), TestKey::Rsa(), {{"kid", "own"}});
    return Request({{"grant_type", kGrantJwtBearer}, {"assertion", assertion}}, std::move(proofs));
  }

  Outcome Token(const ClientRequest& request) {
    std::variant<PreparedToken, Outcome> prepared = d_.tokens->Prepare(request);
    if (auto* o = std::get_if<Outcome>(&prepared)) return *o;
    const PreparedToken& p = std::get<PreparedToken>(prepared);
    return d_.tokens->Complete(request, p, d_.tokens->RecordJtis({&p.jtis}).front());
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
  // The refusal of `request`, which must be refused.
  Rejection Refused(const ClientRequest& request) {
    Outcome o = Token(request);
    EXPECT_TRUE(o.rejection.has_value());
    return o.rejection.value_or(Rejection{});
  }

  TestDomain d_;
  store::App client_;
};

TEST_F(TokenServiceDpopTest, AProofBindsTheTokenOfEitherGrantToItsKey) {
  const std::string jkt = jose::JwkThumbprint(ProofKey()).value();
  for (bool user : {false, true}) {
    const std::string jti = user ? "proof-user" : "proof-client";
    const Json body = Issued(user ? JwtBearer({Proof(jti)}) : Cc({Proof(jti)}));
    EXPECT_EQ(body["token_type"], "DPoP");
    const Json c = Claims(body);
    EXPECT_EQ(c["cnf"], Json({{"jkt", jkt}}));
    EXPECT_EQ(c["sub"], user ? "alice" : kClient);
  }
  // Without a proof nothing changes: a Bearer token without cnf.
  const Json bearer = Issued(Cc({}));
  EXPECT_EQ(bearer["token_type"], "Bearer");
  EXPECT_FALSE(Claims(bearer).contains("cnf"));
}

TEST_F(TokenServiceDpopTest, ARefusedProofNamesItsRuleOnTheWireAndInTheAudit) {
  struct Case {
    const char* name;
    std::vector<std::string> proofs;
    DpopError why;
  };
  std::vector<Case> cases = {
      {"two proofs", {Proof("j1"), Proof("j2")}, DpopError::kMultipleProofs},
      {"other method",
       {Proof("j3", [](Json&, Json& c) { c["htm"] = "GET"; })},
       DpopError::kHtmMismatch},
      {"other url",
       {Proof("j4", [](Json&, Json& c) { c["htu"] = "https://other.example/oauth2/v1/token"; })},
       DpopError::kHtuMismatch},
      {"stale", {Proof("j5", [](Json&, Json& c) { c["iat"] = kNow - 61; })}, DpopError::kIatTooOld},
      {"future",
       {Proof("j6", [](Json&, Json& c) { c["iat"] = kNow + 6; })},
       DpopError::kIatInFuture},
      {"private jwk",
       {Proof("j7", [](Json& h, Json&) { h["jwk"]["d"] = "AAAA"; })},
       DpopError::kJwkPrivate},
      {"wrong typ", {Proof("j8", [](Json& h, Json&) { h["typ"] = "JWT"; })}, DpopError::kWrongType},
  };
  for (const Case& c : cases) {
    const Rejection r = Refused(Cc(c.proofs));
    EXPECT_EQ(r.reason, Reason::kDpopProofInvalid) << c.name;
    EXPECT_EQ(r.dpop_error, c.why) << c.name << ": " << r.detail;
    const WireError w = ToWireError(r);
    EXPECT_EQ(w.http_status, 400) << c.name;
    EXPECT_EQ(w.error, "invalid_dpop_proof") << c.name;
    EXPECT_EQ(w.description, DpopErrorText(c.why)) << c.name;
  }
  // The query of the endpoint's URL is no part of htu (RFC 9449 4.3 item 9).
  ClientRequest with_query = Cc({Proof("j9")});
  with_query.url += "?x=1";
  EXPECT_EQ(Issued(with_query)["token_type"], "DPoP");

  d_.audit->Flush();
  store::AuditFilter filter;
  filter.outcome = "rejected";
  Result<std::vector<store::AuditEvent>> events = d_.store->ListAudit(filter);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), cases.size());
  bool htu_seen = false;
  for (const store::AuditEvent& e : *events) {
    EXPECT_EQ(e.reason.rfind("dpop_proof_invalid: ", 0), 0u) << e.reason;
    htu_seen = htu_seen || e.reason.rfind("dpop_proof_invalid: htu_mismatch", 0) == 0;
  }
  EXPECT_TRUE(htu_seen);
}

TEST_F(TokenServiceDpopTest, AProofIsSpentOnceAndOnlyWhenAllElsePassed) {
  const std::string proof = Proof("once");
  // Refused for its scope first: the proof's jti is not spent.
  ClientRequest bad_scope = Cc({proof});
  bad_scope.form["scope"] = "https://nowhere.example/x";
  EXPECT_EQ(Refused(bad_scope).reason, Reason::kScopeNotAllowed);
  EXPECT_EQ(Issued(Cc({proof}))["token_type"], "DPoP");
  const Rejection again = Refused(Cc({proof}));
  EXPECT_EQ(again.reason, Reason::kDpopProofReplayed);
  EXPECT_EQ(ToWireError(again).error, "invalid_dpop_proof");
  EXPECT_EQ(ToWireError(again).description, DpopErrorText(DpopError::kReplayed));
  // Recorded under its own namespace: the same string as an assertion jti is another jti, and
  // the record lasts until the proof's iat leaves the window.
  Result<bool> used =
      d_.store->IsJtiUsed(DpopJtiIssuer(jose::JwkThumbprint(ProofKey()).value()), "once");
  ASSERT_TRUE(used.ok());
  EXPECT_TRUE(*used);
}

TEST_F(TokenServiceDpopTest, ServerNoncesAreAskedForThenAccepted) {
  d_.config.dpop_nonce = true;
  const Rejection first = Refused(Cc({Proof("n1")}));
  EXPECT_EQ(first.reason, Reason::kDpopNonceRequired);
  EXPECT_EQ(ToWireError(first).error, "use_dpop_nonce");
  ASSERT_FALSE(first.dpop_nonce.empty());
  // The retry carries the nonce and passes; so does a proof on another node of the same key
  // table (the nonce is derived from the stored signing key, not kept).
  const std::string nonce = first.dpop_nonce;
  EXPECT_EQ(Issued(Cc({Proof("n2", [&](Json&, Json& c) { c["nonce"] = nonce; })}))["token_type"],
            "DPoP");
  SigningKeys other_node(*d_.store, d_.clock, {});
  Result<std::shared_ptr<const LoadedKey>> active = other_node.Active();
  ASSERT_TRUE(active.ok());
  Result<DpopNonces> nonces = DpopNonces::Create((*active)->dpop_nonce_key, d_.clock);
  ASSERT_TRUE(nonces.ok());
  EXPECT_TRUE(nonces->Accepts(nonce));
  // A made-up nonce is asked again, with a fresh one.
  const Rejection forged =
      Refused(Cc({Proof("n3", [](Json&, Json& c) { c["nonce"] = "made-up"; })}));
  EXPECT_EQ(forged.reason, Reason::kDpopNonceRequired);
  EXPECT_EQ(forged.dpop_error, DpopError::kNonceInvalid);
  EXPECT_FALSE(forged.dpop_nonce.empty());
  // Two steps later the nonce is no longer accepted.
  d_.clock.Advance(2 * DpopNonces::kDefaultStepSeconds);
  EXPECT_EQ(Refused(Cc({Proof("n4", [&](Json&, Json& c) { c["nonce"] = nonce; })})).reason,
            Reason::kDpopNonceRequired);
}

TEST_F(TokenServiceDpopTest, IntrospectionTellsTheBinding) {
  const Json body = Issued(Cc({Proof("intro")}));
  ClientRequest r;
  r.basic = ClientCredentials{kClient, kSecret};
  r.form = {{"token", body["access_token"].get<std::string>()}};
  const Outcome o = d_.tokens->Introspect(r);
  ASSERT_TRUE(o.body.has_value());
  const Json answer = jose::ParseStrictJson(*o.body).value();
  EXPECT_EQ(answer["active"], true);
  EXPECT_EQ(answer["token_type"], "DPoP");
  EXPECT_EQ(answer["cnf"]["jkt"], jose::JwkThumbprint(ProofKey()).value());
  // And a Bearer token stays Bearer, without cnf.
  r.form["token"] = Issued(Cc({}))["access_token"].get<std::string>();
  const Json bearer = jose::ParseStrictJson(*d_.tokens->Introspect(r).body).value();
  EXPECT_EQ(bearer["token_type"], "Bearer");
  EXPECT_FALSE(bearer.contains("cnf"));
}

}  // namespace
}  // namespace tessera::oauth
