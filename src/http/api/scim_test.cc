#include "http/api/scim.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "http/api/api.h"
#include "jose/claims.h"
#include "jose/keyio.h"

namespace tessera::http::scim {
namespace {

using jose::Json;

// The message of a refused parse, which must name the attribute at fault.
template <typename T>
std::string Refusal(const Result<T>& r) {
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  return r.status().message();
}

store::User Alice() {
  store::User u;
  u.id = "u1";
  u.user_name = "alice";
  u.given_name = "Alice";
  u.family_name = "Liddell";
  u.emails = {"alice@example.com", "a@example.org"};
  u.active = true;
  u.created_at = 1767225600;
  u.updated_at = 1767225600;
  return u;
}

store::App Billing() {
  store::App a;
  a.id = "a1";
  a.client_id = "billing";
  a.display_name = "Billing";
  a.description = "Posts invoices";
  a.kind = store::AppKind::kConfidential;
  a.allowed_grants = {"client_credentials"};
  a.allowed_scopes = {"https://api.example.com:443read"};
  a.certificate_aliases = {"billing-2026"};
  a.access_token_expiry = 3600;
  return a;
}

TEST(ScimUserTest, ParsesEveryAttributeWithThePrimaryEmailFirst) {
  Result<oauth::UserFields> f = ParseUser(Json::parse(R"({
    "userName": "bob", "name": {"givenName": "Bob", "familyName": "Builder"},
    "emails": [{"value": "b@example.org"}, {"value": "bob@example.com", "primary": true}],
    "active": false})"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->user_name, "bob");
  EXPECT_EQ(f->given_name, "Bob");
  EXPECT_EQ(f->family_name, "Builder");
  EXPECT_EQ(f->emails, (std::vector<std::string>{"bob@example.com", "b@example.org"}));
  EXPECT_EQ(f->active, false);
}

TEST(ScimUserTest, AbsentAttributesStayUnset) {
  Result<oauth::UserFields> f = ParseUser(Json{{"userName", "bob"}, {"name", nullptr}});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_FALSE(f->given_name.has_value());
  EXPECT_FALSE(f->family_name.has_value());
  EXPECT_FALSE(f->emails.has_value());
  EXPECT_FALSE(f->active.has_value());
}

TEST(ScimUserTest, RefusalsNameTheAttribute) {
  EXPECT_EQ(Refusal(ParseUser(Json::array())), "a User is a JSON object");
  EXPECT_NE(Refusal(ParseUser(Json::object())).find("'userName' is required"), std::string::npos);
  EXPECT_NE(Refusal(ParseUser(Json{{"userName", 7}})).find("'userName'"), std::string::npos);
  EXPECT_NE(Refusal(ParseUser(Json{{"userName", std::string(257, 'x')}}))
                .find("'userName' is longer than 256"),
            std::string::npos);
  EXPECT_NE(Refusal(ParseUser(Json{{"userName", "a\nb"}})).find("control characters"),
            std::string::npos);
  EXPECT_NE(Refusal(ParseUser(Json{{"userName", "bob"}, {"name", "Bob"}})).find("'name'"),
            std::string::npos);
  EXPECT_NE(Refusal(ParseUser(Json{{"userName", "bob"}, {"name", {{"givenName", 1}}}}))
                .find("'givenName'"),
            std::string::npos);
  EXPECT_NE(
      Refusal(ParseUser(Json{{"userName", "bob"}, {"emails", {"bob@example.com"}}})).find("email"),
      std::string::npos);
  EXPECT_NE(Refusal(ParseUser(Json{{"userName", "bob"}, {"active", "yes"}})).find("'active'"),
            std::string::npos);
}

TEST(ScimAppTest, ParsesAConfidentialApp) {
  Result<oauth::AppFields> f = ParseNewApp(Json::parse(R"({
    "displayName": "Billing", "isOAuthClient": true, "clientType": "confidential",
    "allowedGrants": ["client_credentials", "client_credentials"],
    "allowedScopes": [{"fqs": "https://api.example.com:443read"}],
    "allowedOperations": ["introspect"], "assertionAlgorithms": ["ES256"], "requireJti": false,
    "certificates": [{"certAlias": "c1"}, {"certAlias": "c2", "x509Base64Certificate": "MII"}],
    "accessTokenExpiry": 600})"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->kind, store::AppKind::kConfidential);
  EXPECT_EQ(f->display_name, "Billing");
  EXPECT_EQ(f->allowed_grants, std::vector<std::string>{"client_credentials"});  // deduplicated
  EXPECT_EQ(f->allowed_scopes, std::vector<std::string>{"https://api.example.com:443read"});
  EXPECT_EQ(f->allowed_operations, std::vector<std::string>{"introspect"});
  EXPECT_EQ(f->assertion_algs, std::vector<std::string>{"ES256"});
  EXPECT_EQ(f->require_jti, false);
  EXPECT_EQ(f->access_token_expiry, 600);
  ASSERT_TRUE(f->certificates.has_value());
  ASSERT_EQ(f->certificates->size(), 2u);
  EXPECT_EQ((*f->certificates)[0].alias, "c1");
  EXPECT_FALSE((*f->certificates)[0].x509_base64.has_value());
  EXPECT_EQ((*f->certificates)[1].x509_base64, "MII");
  EXPECT_FALSE(f->active.has_value());  // a new app is inactive whatever the body says
}

TEST(ScimAppTest, ParsesAResourceApp) {
  Result<oauth::AppFields> f = ParseNewApp(Json::parse(R"({
    "displayName": "Invoices", "isOAuthResource": true, "audience": "https://api.example.com:443",
    "scopes": [{"value": "read"}, "write"], "allowedGrants": 7})"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->kind, store::AppKind::kResource);
  EXPECT_EQ(f->audience, "https://api.example.com:443");
  EXPECT_EQ(f->scopes, (std::vector<std::string>{"read", "write"}));
  EXPECT_FALSE(f->allowed_grants.has_value());  // not an attribute of a resource app
  EXPECT_EQ(f->access_token_expiry, 0);
}

TEST(ScimAppTest, RefusalsNameTheAttribute) {
  EXPECT_EQ(Refusal(ParseNewApp(Json("x"))), "an App is a JSON object");
  EXPECT_NE(Refusal(ParseNewApp(Json{{"isOAuthClient", true}})).find("'displayName'"),
            std::string::npos);
  EXPECT_NE(Refusal(ParseNewApp(Json{{"displayName", "x"}})).find("isOAuthClient"),
            std::string::npos);
  EXPECT_NE(Refusal(ParseNewApp(Json{
                        {"displayName", "x"}, {"isOAuthClient", true}, {"isOAuthResource", true}}))
                .find("either isOAuthClient"),
            std::string::npos);
  const Json client = {{"displayName", "x"}, {"isOAuthClient", true}};
  auto with = [&client](const char* name, Json value) {
    Json body = client;
    body[name] = std::move(value);
    return ParseNewApp(body);
  };
  EXPECT_NE(Refusal(with("isOAuthResource", "no")).find("'isOAuthResource'"), std::string::npos);
  EXPECT_NE(Refusal(with("description", 1)).find("'description'"), std::string::npos);
  EXPECT_NE(Refusal(with("accessTokenExpiry", 59)).find("'accessTokenExpiry'"), std::string::npos);
  EXPECT_NE(Refusal(with("clientType", "public")).find("clientType"), std::string::npos);
  EXPECT_NE(Refusal(with("allowedGrants", "client_credentials")).find("'allowedGrants'"),
            std::string::npos);
  EXPECT_NE(Refusal(with("allowedGrants", Json(std::vector<std::string>(101, "g"))))
                .find("'allowedGrants' must be an array of at most 100"),
            std::string::npos);
  EXPECT_NE(
      Refusal(with("allowedScopes", {{{"value", "read"}}})).find("'allowedScopes' needs 'fqs'"),
      std::string::npos);
  EXPECT_NE(Refusal(with("allowedOperations", {""})).find("'allowedOperations'"),
            std::string::npos);
  EXPECT_NE(Refusal(with("assertionAlgorithms", {1})).find("'assertionAlgorithms'"),
            std::string::npos);
  EXPECT_NE(Refusal(with("requireJti", 1)).find("'requireJti'"), std::string::npos);
  EXPECT_NE(Refusal(with("certificates", "c1")).find("'certificates'"), std::string::npos);
  EXPECT_NE(Refusal(with("certificates", {"c1"})).find("'certificates'"), std::string::npos);
  EXPECT_NE(Refusal(with("certificates", {{{"alias", "c1"}}})).find("'certAlias'"),
            std::string::npos);
  EXPECT_NE(Refusal(with("certificates", {{{"certAlias", "c1"}, {"x509Base64Certificate", ""}}}))
                .find("'x509Base64Certificate'"),
            std::string::npos);
  const Json resource = {{"displayName", "x"}, {"isOAuthResource", true}};
  EXPECT_NE(Refusal(ParseNewApp(resource)).find("'audience'"), std::string::npos);
  Json bad_scopes = resource;
  bad_scopes["audience"] = "https://api.example.com:443";
  bad_scopes["scopes"] = {{{"fqs", "x"}}};
  EXPECT_NE(Refusal(ParseNewApp(bad_scopes)).find("'scopes' needs 'value'"), std::string::npos);
}

TEST(ScimPatchTest, AppliesAddReplaceAndRemoveToTheView) {
  Json view = UserToJson(Alice());
  ASSERT_TRUE(ApplyPatch(view, Json::parse(R"({"schemas": [")" + std::string(kPatchSchema) + R"("],
    "Operations": [
      {"op": "Replace", "path": "userName", "value": "alice2"},
      {"op": "add", "path": "emails", "value": [{"value": "new@example.net"}]},
      {"op": "remove", "path": "active"},
      {"op": "replace", "value": {"name": {"givenName": "Al"}}}]})"))
                  .ok());
  EXPECT_EQ(view["userName"], "alice2");
  ASSERT_EQ(view["emails"].size(), 3u);
  EXPECT_EQ(view["emails"][2]["value"], "new@example.net");
  EXPECT_FALSE(view.contains("active"));
  EXPECT_EQ(view["name"], (Json{{"givenName", "Al"}}));
}

TEST(ScimPatchTest, RefusesMalformedPatchOps) {
  auto refusal = [](const Json& patch) {
    Json view = UserToJson(Alice());
    Status s = ApplyPatch(view, patch);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    return s.message();
  };
  EXPECT_NE(refusal(Json::array()).find("PatchOp object"), std::string::npos);
  EXPECT_NE(refusal(Json::object()).find("'Operations'"), std::string::npos);
  EXPECT_NE(refusal(Json{{"Operations", Json::array()}}).find("'Operations'"), std::string::npos);
  EXPECT_NE(refusal(Json{{"Operations", {{{"path", "x"}}}}}).find("'op'"), std::string::npos);
  EXPECT_NE(refusal(Json{{"Operations", {{{"op", "add"}, {"path", 1}}}}}).find("'path'"),
            std::string::npos);
  EXPECT_NE(refusal(Json{{"Operations", {{{"op", "add"}, {"path", "name.givenName"}}}}})
                .find("top-level"),
            std::string::npos);
  EXPECT_NE(refusal(Json{{"Operations", {{{"op", "remove"}}}}}).find("'remove' needs a path"),
            std::string::npos);
  EXPECT_NE(refusal(Json{{"Operations", {{{"op", "add"}, {"path", "x"}}}}}).find("needs a value"),
            std::string::npos);
  EXPECT_NE(refusal(Json{{"Operations", {{{"op", "replace"}, {"value", 1}}}}}).find("object value"),
            std::string::npos);
  EXPECT_NE(refusal(Json{{"Operations", {{{"op", "move"}, {"path", "x"}}}}}).find("'move'"),
            std::string::npos);
}

TEST(ScimPatchTest, AUserPatchParsesTheChangedViewBack) {
  Result<oauth::UserFields> f = ParseUserPatch(
      Alice(), Json{{"Operations", {{{"op", "replace"}, {"path", "active"}, {"value", false}}}}});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->user_name, "alice");
  EXPECT_EQ(f->given_name, "Alice");
  EXPECT_EQ(f->emails, Alice().emails);
  EXPECT_EQ(f->active, false);
  // Removing a required attribute is refused by name.
  EXPECT_NE(Refusal(ParseUserPatch(
                        Alice(), Json{{"Operations", {{{"op", "remove"}, {"path", "userName"}}}}}))
                .find("'userName' is required"),
            std::string::npos);
}

TEST(ScimPatchTest, AnAppPatchKeepsTheKindAndReadsActive) {
  Result<oauth::AppFields> f = ParseAppPatch(
      Billing(),
      Json{{"Operations",
            {{{"op", "replace"}, {"value", {{"displayName", "Billing 2"}, {"active", true}}}},
             {{"op", "remove"}, {"path", "accessTokenExpiry"}},
             {{"op", "add"}, {"path", "allowedGrants"}, {"value", {"client_credentials"}}}}}});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->kind, store::AppKind::kConfidential);
  EXPECT_EQ(f->display_name, "Billing 2");
  EXPECT_EQ(f->active, true);
  EXPECT_EQ(f->access_token_expiry, 0);  // removed: unset
  EXPECT_EQ(f->allowed_grants, std::vector<std::string>{"client_credentials"});
  EXPECT_EQ(f->assertion_algs, std::vector<std::string>{"RS256"});  // the view's default
  ASSERT_TRUE(f->certificates.has_value());
  ASSERT_EQ(f->certificates->size(), 1u);
  EXPECT_EQ((*f->certificates)[0].alias, "billing-2026");
  EXPECT_NE(
      Refusal(ParseAppPatch(Billing(),
                            Json{{"Operations",
                                  {{{"op", "replace"}, {"path", "active"}, {"value", "yes"}}}}}))
          .find("'active'"),
      std::string::npos);
}

TEST(ScimBodiesTest, CertificateStatusAndSecretRegeneration) {
  Result<oauth::NewCertificate> c =
      ParseCertificate(Json{{"certificateAlias", "c1"}, {"x509Base64Certificate", "MII"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->alias, "c1");
  EXPECT_EQ(c->x509_base64, "MII");
  EXPECT_NE(
      Refusal(ParseCertificate(Json{{"x509Base64Certificate", "MII"}})).find("'certificateAlias'"),
      std::string::npos);
  EXPECT_NE(
      Refusal(ParseCertificate(Json{{"certificateAlias", "c1"}})).find("'x509Base64Certificate'"),
      std::string::npos);
  EXPECT_EQ(ParseAppStatus(Json{{"active", true}}).value(), true);
  EXPECT_NE(Refusal(ParseAppStatus(Json{{"active", 1}})).find("\"active\""), std::string::npos);
  EXPECT_EQ(ParseSecretRegeneration(Json{{"appId", "a1"}}).value(), "a1");
  EXPECT_NE(Refusal(ParseSecretRegeneration(Json{{"appId", ""}})).find("\"appId\""),
            std::string::npos);
}

TEST(ScimQueryTest, PagesFiltersAndAuditQueries) {
  Result<oauth::Page> page = ParsePage({{"startIndex", "3"}, {"count", "0"}});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->start, 3);
  EXPECT_EQ(page->count, 0);
  EXPECT_NE(Refusal(ParsePage({{"count", "1001"}})).find("'count'"), std::string::npos);
  EXPECT_NE(Refusal(ParsePage({{"startIndex", "0"}})).find("'startIndex'"), std::string::npos);
  EXPECT_NE(Refusal(ParsePage({{"startIndex", "1x"}})).find("'startIndex'"), std::string::npos);

  EXPECT_EQ(ParseUserFilter({{"filter", "userName eq \"bob\""}}).value(), "bob");
  EXPECT_FALSE(ParseUserFilter({}).value().has_value());
  EXPECT_NE(Refusal(ParseUserFilter({{"filter", "id eq \"x\""}})).find("userName only"),
            std::string::npos);
  EXPECT_NE(Refusal(ParseUserFilter({{"filter", "userName co \"b\""}})).find("unsupported filter"),
            std::string::npos);
  EXPECT_NE(Refusal(ParseUserFilter({{"filter", "userName eq bob"}})).find("quoted"),
            std::string::npos);

  Result<std::optional<oauth::AppFilter>> byName = ParseAppFilter({{"filter", "name eq \"c1\""}});
  ASSERT_TRUE(byName.ok() && byName->has_value());
  EXPECT_EQ((*byName)->field, oauth::AppFilterField::kClientId);
  EXPECT_EQ((*byName)->value, "c1");
  EXPECT_NE(Refusal(ParseAppFilter({{"filter", "audience eq \"x\""}})).find("displayName or name"),
            std::string::npos);

  Result<store::AuditFilter> audit =
      ParseAuditQuery({{"clientId", "c1"}, {"since", "10"}, {"count", "5"}});
  ASSERT_TRUE(audit.ok());
  EXPECT_EQ(audit->client_id, "c1");
  EXPECT_EQ(audit->since, 10);
  EXPECT_FALSE(audit->until.has_value());
  EXPECT_EQ(audit->limit, 5);
  EXPECT_NE(Refusal(ParseAuditQuery({{"count", "0"}})).find("'count'"), std::string::npos);
  EXPECT_NE(Refusal(ParseAuditQuery({{"until", "-1"}})).find("'until'"), std::string::npos);
  EXPECT_FALSE(audit->grant.has_value());
  EXPECT_FALSE(audit->reason_code.has_value());

  // The reason is a code, matched exactly by the store; the grant an exact value.
  audit = ParseAuditQuery(
      {{"reason", "assertion_expired"}, {"grant", "client_credentials"}, {"outcome", "rejected"}});
  ASSERT_TRUE(audit.ok()) << audit.status().ToString();
  EXPECT_EQ(audit->reason_code, "assertion_expired");
  EXPECT_EQ(audit->grant, "client_credentials");
  EXPECT_EQ(audit->outcome, "rejected");
  for (const std::string& bad :
       std::vector<std::string>{"", "assertion_expired: text", std::string(65, 'a')}) {
    EXPECT_NE(Refusal(ParseAuditQuery({{"reason", bad}})).find("'reason'"), std::string::npos)
        << bad;
  }
  EXPECT_TRUE(ParseAuditQuery({{"reason", std::string(64, 'a')}}).ok());
  EXPECT_NE(Refusal(ParseAuditQuery({{"grant", std::string(129, 'g')}})).find("'grant'"),
            std::string::npos);

  Result<TimeWindow> window = ParseTimeWindow({{"since", "10"}});
  ASSERT_TRUE(window.ok());
  EXPECT_EQ(window->since, 10);
  EXPECT_FALSE(window->until.has_value());
  window = ParseTimeWindow({});
  ASSERT_TRUE(window.ok());
  EXPECT_FALSE(window->since.has_value() || window->until.has_value());
  EXPECT_NE(Refusal(ParseTimeWindow({{"until", "x"}})).find("'until'"), std::string::npos);
}

TEST(ScimAnswerTest, RendersRecordsListsAndErrors) {
  const Json app = AppToJson(Billing());
  EXPECT_EQ(app["name"], "billing");
  EXPECT_FALSE(app.contains("secret_hash"));
  EXPECT_FALSE(app.contains("clientSecret"));
  EXPECT_EQ(AppCreatedToJson({Billing(), "s3cret"})["clientSecret"], "s3cret");
  const Json list = ListResponse(Json::array({UserToJson(Alice())}), 1);
  EXPECT_EQ(list["schemas"][0], kListSchema);
  EXPECT_EQ(list["totalResults"], 1);
  EXPECT_EQ(list["Resources"][0]["userName"], "alice");
  const Json error = ErrorToJson(409, "taken", "uniqueness");
  EXPECT_EQ(error["schemas"][0], kErrorSchema);
  EXPECT_EQ(error["status"], "409");
  EXPECT_EQ(error["scimType"], "uniqueness");
  EXPECT_FALSE(ErrorToJson(404, "gone").contains("scimType"));
  oauth::SigningKeyStatus key{{}, oauth::SigningKeyState::kExpired};
  key.key.kid = "k1";
  key.key.retired_at = 5;
  EXPECT_EQ(SigningKeyToJson(key)["state"], "expired");
  EXPECT_EQ(SigningKeyToJson(key)["publishUntil"], 0);
}

TEST(ScimAnswerTest, AnAuditEventNamesTheRuleOfItsRefusal) {
  store::AuditEvent e;
  e.id = 7;
  e.time = 1767225600;
  e.outcome = "rejected";
  e.reason = "assertion_audience_rejected: assertion audience x is not accepted";
  Json j = AuditEventToJson(e);
  EXPECT_EQ(j["rule"], 5);
  EXPECT_EQ(j["reason"], e.reason);
  EXPECT_EQ(j["time"], "2026-01-01T00:00:00Z");
  e.reason = "unknown_client: no app";
  EXPECT_FALSE(AuditEventToJson(e).contains("rule"));
  e.outcome = "issued";
  e.reason = "assertion_audience_rejected: a note";
  EXPECT_FALSE(AuditEventToJson(e).contains("rule"));
}

TEST(ScimAnswerTest, TheTokenFailureSummaryCarriesTheRuleWhenThereIsOne) {
  oauth::TokenFailureSummary s;
  s.since = 100;
  s.until = 200;
  s.total = 5;
  s.reasons = {{"assertion_expired", 3, 6}, {"unknown_client", 2, std::nullopt}};
  const Json j = TokenFailureSummaryToJson(s);
  EXPECT_EQ(j["schemas"], Json::array({kTokenFailureSummarySchema}));
  EXPECT_EQ(j["since"], 100);
  EXPECT_EQ(j["until"], 200);
  EXPECT_EQ(j["total"], 5);
  EXPECT_EQ(j["reasons"], Json::parse(R"([{"reason":"assertion_expired","count":3,"rule":6},
                                          {"reason":"unknown_client","count":2}])"));
  s.reasons.clear();
  EXPECT_EQ(TokenFailureSummaryToJson(s)["reasons"], Json::array());
}

TEST(ScimAnswerTest, ACertificateShowsItsValidityAndSubject) {
  Result<jose::Key> key = jose::GenerateKey(jose::KeyType::kEc, 256);
  ASSERT_TRUE(key.ok());
  Result<jose::Certificate> cert =
      jose::MakeSelfSignedCertificate(*key, "CN=assert,O=Example", 10, 1767225600);
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  const store::CertificateRecord rec{"c1",           cert->der,       cert->x5t,
                                     cert->x5t_s256, cert->not_after, 1767225600};
  const Json j = CertificateToJson(rec);
  EXPECT_EQ(j["notBefore"], jose::FormatNumericDate(cert->not_before));
  EXPECT_EQ(j["notAfter"], jose::FormatNumericDate(cert->not_after));
  EXPECT_EQ(j["subject"], "CN=assert,O=Example");  // RFC 2253 order, as OpenSSL prints it
  EXPECT_EQ(j["x5t"], cert->x5t);
}

std::optional<std::string> HeaderOf(const Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

// A federation trust as the admin service answers it.
oauth::FederationTrust K8sTrust() {
  oauth::FederationTrust t;
  t.trust.id = "t1";
  t.trust.name = "k8s";
  t.trust.issuer = "https://k8s.example.test";
  t.trust.audiences = {"https://idm.example.test"};
  t.trust.oauth_clients = {"ci-client"};
  t.record.id = "t1";
  t.record.name = "k8s";
  t.record.issuer = t.trust.issuer;
  t.record.created_at = 1767225600;
  t.record.updated_at = 1767225700;
  t.warnings = {"jti: reuse"};
  return t;
}

TEST(ScimTrustTest, ViewCarriesMetaAndWarningsOnlyWhenAsked) {
  const Json plain = FederationTrustToJson(K8sTrust());
  EXPECT_EQ(plain["id"], "t1");
  EXPECT_EQ(plain["meta"]["resourceType"], "IdentityPropagationTrust");
  EXPECT_FALSE(plain.contains("warnings"));
  const Json answer = FederationTrustToJson(K8sTrust(), true);
  EXPECT_EQ(answer["warnings"], Json::array({"jti: reuse"}));
}

TEST(ScimTrustTest, APatchIsAppliedToTheViewAndTheWholeTrustRevalidated) {
  Result<federation::Trust> t = ParseTrustPatch(
      K8sTrust(), Json::parse(R"({"Operations":[{"op":"replace","path":"active","value":true},
        {"op":"add","path":"audiences","value":["second"]}]})"));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->active);
  EXPECT_EQ(t->audiences, (std::vector<std::string>{"https://idm.example.test", "second"}));
  EXPECT_EQ(t->id, "t1");
  EXPECT_EQ(Refusal(ParseTrustPatch(
                        K8sTrust(),
                        Json::parse(R"({"Operations":[{"op":"remove","path":"audiences"}]})")))
                .rfind("audiences:", 0),
            0u);
  EXPECT_EQ(Refusal(ParseTrustPatch(K8sTrust(), Json::parse(R"({"Operations":[
                {"op":"replace","path":"id","value":"t2"}]})"))),
            "id: read-only");
  EXPECT_EQ(Refusal(ParseTrustPatch(K8sTrust(), Json::parse(R"({"Operations":[
                {"op":"add","value":{"colour":"blue"}}]})")))
                .rfind("colour:", 0),
            0u);
}

TEST(ScimTrustTest, TheListingFiltersByIssuerOnly) {
  Result<std::optional<std::string>> none = ParseTrustFilter({});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  Result<std::optional<std::string>> issuer =
      ParseTrustFilter({{"filter", R"(issuer eq "https://k8s.example.test")"}});
  ASSERT_TRUE(issuer.ok());
  EXPECT_EQ(**issuer, "https://k8s.example.test");
  EXPECT_NE(Refusal(ParseTrustFilter({{"filter", R"(name eq "k8s")"}})).find("issuer"),
            std::string::npos);
}

// The one SCIM/admin error mapping (api.h ScimError): a status and body per StatusCode.
TEST(ScimErrorTest, EveryStatusCodeHasItsAnswer) {
  struct Case {
    Status status;
    int http;
    const char* scim_type;
  };
  const Case cases[] = {
      {Status::InvalidArgument("bad"), 400, "invalidValue"},
      {Status::Unauthenticated("who"), 401, nullptr},
      {Status::PermissionDenied("no"), 403, nullptr},
      {Status::NotFound("gone"), 404, nullptr},
      {Status::AlreadyExists("taken"), 409, "uniqueness"},
      {Status::FailedPrecondition("not now"), 409, nullptr},
      {Status::ResourceExhausted("too much"), 429, nullptr},
      {Status::Unavailable("db down"), 503, nullptr},
      {Status::Internal("bug"), 500, nullptr},
      {Status::Ok(), 500, nullptr},
  };
  for (const Case& c : cases) {
    const Response r = http::ScimError(c.status);
    EXPECT_EQ(r.status, c.http) << c.status.ToString();
    EXPECT_EQ(r.content_type, "application/scim+json");
    const Json body = Json::parse(r.body);
    EXPECT_EQ(body["status"], std::to_string(c.http));
    EXPECT_EQ(body.contains("scimType"), c.scim_type != nullptr) << body.dump();
    if (c.scim_type != nullptr) {
      EXPECT_EQ(body["scimType"], c.scim_type);
    }
    EXPECT_EQ(HeaderOf(r, "Retry-After").has_value(), c.http == 503) << c.status.ToString();
    EXPECT_EQ(HeaderOf(r, "WWW-Authenticate").has_value(), c.http == 401);
  }
  // Store and internal details stay in the log.
  EXPECT_EQ(Json::parse(http::ScimError(Status::Internal("bug at x.cc")).body)["detail"],
            "internal error");
  EXPECT_EQ(Json::parse(http::ScimError(Status::Unavailable("host db1")).body)["detail"],
            "the store is unavailable; retry later");
  EXPECT_EQ(HeaderOf(http::ScimError(Status::Unavailable("x")), "Retry-After"), "5");
  EXPECT_EQ(HeaderOf(http::ScimError(Status::Unauthenticated("x")), "WWW-Authenticate"),
            "Bearer realm=\"tessera\"");
  EXPECT_EQ(HeaderOf(http::ScimError(Status::Unauthenticated("x", http::kInvalidBearerToken)),
                     "WWW-Authenticate"),
            "Bearer realm=\"tessera\", error=\"invalid_token\"");
}

}  // namespace
}  // namespace tessera::http::scim
