// The trust codec: round trips, defaults, and each kind of refusal naming its field.
#include "federation/trust_json.h"

#include <gtest/gtest.h>

#include <string>

namespace tessera::federation {
namespace {

using jose::Json;

Json Minimal() {
  return Json{{"name", "github-deploy"},
              {"issuer", "https://token.actions.githubusercontent.com"},
              {"audiences", {"https://idm.example.test"}},
              {"oauthClients", {"ci-client"}},
              {"conditions", {{{"claim", "repository"}, {"in", {"acme/deploy"}}}}}};
}

Trust Full() {
  Trust t;
  t.id = "7f3e";
  t.name = "k8s";
  t.issuer = "https://kubernetes.default.svc";
  t.active = true;
  t.public_key_endpoint = "https://k8s.example.test/openid/v1/jwks";
  t.subject_claim_name = "kubernetes.io.serviceaccount.name";
  t.subject_mapping_attribute = SubjectMappingAttribute::kEmail;
  t.client_claim_name = "azp";
  t.client_claim_values = {"a", "b"};
  t.oauth_clients = {"ci-client", "deployer"};
  t.allow_impersonation = true;
  t.impersonation_service_users = {{.rule = "sub eq \"system:sa\"", .value = "u-1"}};
  t.clock_skew_seconds = 120;
  t.audiences = {"https://idm.example.test", "tessera"};
  t.conditions = {{.claim = "kubernetes.io.namespace", .in = {"ci", "prod"}},
                  {.claim = "ref", .like = "refs/heads/*"}};
  t.allowed_scopes = {"https://api.example.test/read"};
  t.max_token_lifetime = 600;
  t.jti = JtiPolicy::kReuseUntilExp;
  return t;
}

// Expects `j` to be refused with a message starting with `field`.
void ExpectRefused(const Json& j, std::string_view field) {
  Result<Trust> t = TrustFromJson(j);
  ASSERT_FALSE(t.ok()) << "expected a refusal naming " << field << " of " << j.dump();
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message().rfind(std::string(field) + ":", 0), 0u) << t.status().message();
}

TEST(TrustJsonTest, FullTrustRoundTrips) {
  const Trust t = Full();
  ASSERT_TRUE(ValidateTrust(t).ok()) << ValidateTrust(t).message();
  Result<Trust> back = TrustFromJson(TrustToJson(t));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, t);
  // And through the compact text the store keeps.
  Result<Json> parsed = jose::ParseStrictJson(jose::DumpCompact(TrustToJson(t)));
  ASSERT_TRUE(parsed.ok());
  Result<Trust> again = TrustFromJson(*parsed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, t);
}

TEST(TrustJsonTest, WireNamesAndSchema) {
  const Json j = TrustToJson(Full());
  EXPECT_EQ(j["schemas"], Json::array({kTrustSchema}));
  EXPECT_EQ(std::string(kTrustSchema),
            "urn:ietf:params:scim:schemas:oracle:idcs:IdentityPropagationTrust");
  EXPECT_EQ(j["id"], "7f3e");
  EXPECT_EQ(j["type"], "JWT");
  EXPECT_EQ(j["publicKeyEndpoint"], "https://k8s.example.test/openid/v1/jwks");
  EXPECT_FALSE(j.contains("publicCertificate"));
  EXPECT_EQ(j["subjectMappingAttribute"], "email");
  EXPECT_EQ(j["subjectType"], "User");
  EXPECT_EQ(j["clientClaimName"], "azp");
  EXPECT_EQ(j["clientClaimValues"], Json::array({"a", "b"}));
  EXPECT_EQ(j["allowImpersonation"], true);
  EXPECT_EQ(j["impersonationServiceUsers"][0]["value"], "u-1");
  EXPECT_EQ(j["clockSkewSeconds"], 120);
  EXPECT_EQ(j["conditions"][0],
            (Json{{"claim", "kubernetes.io.namespace"}, {"in", {"ci", "prod"}}}));
  EXPECT_EQ(j["conditions"][1], (Json{{"claim", "ref"}, {"like", "refs/heads/*"}}));
  EXPECT_EQ(j["allowedScopes"], Json::array({"https://api.example.test/read"}));
  EXPECT_EQ(j["maxTokenLifetime"], 600);
  EXPECT_EQ(j["jti"], "reuse-until-exp");
}

TEST(TrustJsonTest, DefaultsAndOmissions) {
  Result<Trust> t = TrustFromJson(Minimal());
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_TRUE(t->id.empty());
  EXPECT_FALSE(t->active);
  EXPECT_EQ(t->type, "JWT");
  EXPECT_EQ(t->subject_claim_name, "sub");
  EXPECT_EQ(t->subject_mapping_attribute, SubjectMappingAttribute::kUserName);
  EXPECT_EQ(t->subject_type, SubjectType::kUser);
  EXPECT_EQ(t->clock_skew_seconds, kDefaultClockSkewSeconds);
  EXPECT_FALSE(t->max_token_lifetime.has_value());
  EXPECT_EQ(t->jti, JtiPolicy::kRequired);

  const Json j = TrustToJson(*t);
  EXPECT_FALSE(j.contains("id"));
  EXPECT_FALSE(j.contains("publicKeyEndpoint"));
  EXPECT_FALSE(j.contains("clientClaimName"));
  EXPECT_FALSE(j.contains("maxTokenLifetime"));
  EXPECT_EQ(j["allowedScopes"], Json::array());
  EXPECT_EQ(j["jti"], "required");
}

TEST(TrustJsonTest, NullIsUnassignedAndSchemasMetaAreAccepted) {
  Json j = Minimal();
  j["publicKeyEndpoint"] = nullptr;
  j["maxTokenLifetime"] = nullptr;
  j["schemas"] = {kTrustSchema};
  j["meta"] = {{"resourceType", "IdentityPropagationTrust"}};
  Result<Trust> t = TrustFromJson(j);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_TRUE(t->public_key_endpoint.empty());
  EXPECT_FALSE(t->max_token_lifetime.has_value());
}

TEST(TrustJsonTest, UnknownAttributesAreRefusedByName) {
  Json j = Minimal();
  j["publicKeyEndpointt"] = "https://x.example.test/jwks";
  ExpectRefused(j, "publicKeyEndpointt");
  j = Minimal();
  j["conditions"][0]["regex"] = ".*";
  ExpectRefused(j, "conditions[0]");
  EXPECT_NE(TrustFromJson(j).status().message().find("\"regex\""), std::string::npos);
  j = Minimal();
  j["allowImpersonation"] = true;
  j["impersonationServiceUsers"] = {{{"rule", "sub eq \"x\""}, {"value", "u"}, {"who", 1}}};
  ExpectRefused(j, "impersonationServiceUsers[0]");
}

TEST(TrustJsonTest, WrongTypesAreRefusedByName) {
  const std::pair<const char*, Json> cases[] = {
      {"name", 5},
      {"issuer", Json::array()},
      {"type", false},
      {"active", "true"},
      {"publicKeyEndpoint", 1},
      {"publicCertificate", Json::object()},
      {"subjectClaimName", 1.5},
      {"subjectMappingAttribute", 0},
      {"subjectType", true},
      {"clientClaimName", Json::array({"azp"})},
      {"clientClaimValues", "a"},
      {"oauthClients", "ci-client"},
      {"allowImpersonation", 1},
      {"impersonationServiceUsers", Json::object()},
      {"clockSkewSeconds", "30"},
      {"clockSkewSeconds", 30.5},
      {"audiences", "https://idm.example.test"},
      {"conditions", Json::object()},
      {"allowedScopes", Json{{"fqs", "x"}}},
      {"maxTokenLifetime", "600"},
      {"maxTokenLifetime", Json(18446744073709551615ull)},
      {"jti", true},
      {"schemas", "x"},
      {"meta", "x"},
      {"id", 7},
  };
  for (const auto& [field, value] : cases) {
    Json j = Minimal();
    j[field] = value;
    ExpectRefused(j, field);
  }
  Json j = Minimal();
  j["audiences"] = {"https://idm.example.test", 7};
  ExpectRefused(j, "audiences[1]");
  j = Minimal();
  j["conditions"] = {"repository"};
  ExpectRefused(j, "conditions[0]");
  j = Minimal();
  j["conditions"] = {{{"claim", 1}, {"in", {"a"}}}};
  ExpectRefused(j, "conditions[0].claim");
  j = Minimal();
  j["conditions"] = {{{"claim", "ref"}, {"like", {"a"}}}};
  ExpectRefused(j, "conditions[0].like");
  j = Minimal();
  j["conditions"] = {{{"claim", "ref"}, {"in", {"a", false}}}};
  ExpectRefused(j, "conditions[0].in[1]");
}

TEST(TrustJsonTest, EnumNamesOutsideTheirSet) {
  Json j = Minimal();
  j["subjectType"] = "Bot";
  ExpectRefused(j, "subjectType");
  EXPECT_NE(TrustFromJson(j).status().message().find("\"User\" or \"App\""), std::string::npos);
  j = Minimal();
  j["subjectMappingAttribute"] = "username";  // case matters
  ExpectRefused(j, "subjectMappingAttribute");
  j = Minimal();
  j["jti"] = "optional";
  ExpectRefused(j, "jti");
}

TEST(TrustJsonTest, ConditionShapes) {
  Json j = Minimal();
  j["conditions"] = {{{"claim", "ref"}}};
  ExpectRefused(j, "conditions[0]");
  j["conditions"] = {{{"claim", "ref"}, {"in", {"a"}}, {"like", "b*"}}};
  ExpectRefused(j, "conditions[0]");
  j["conditions"] = {{{"in", {"a"}}}};
  ExpectRefused(j, "conditions[0].claim");
  j["conditions"] = {{{"claim", "ref"}, {"in", Json::array()}}};
  ExpectRefused(j, "conditions[0].in");
  j["conditions"] = {{{"claim", "ref"}, {"like", "refs/*"}}};
  Result<Trust> t = TrustFromJson(j);
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->conditions.size(), 1u);
  EXPECT_EQ(t->conditions[0].like, "refs/*");
  EXPECT_TRUE(t->conditions[0].in.empty());
}

TEST(TrustJsonTest, ListsAreBoundedBeforeCopying) {
  Json j = Minimal();
  j["audiences"] = Json::array();
  for (std::size_t i = 0; i <= kMaxTrustListEntries; ++i) j["audiences"].push_back("a");
  ExpectRefused(j, "audiences");
  j = Minimal();
  j["conditions"] = Json::array();
  for (std::size_t i = 0; i <= kMaxTrustListEntries; ++i) {
    j["conditions"].push_back({{"claim", "c"}, {"in", {"v"}}});
  }
  ExpectRefused(j, "conditions");
  j = Minimal();
  j["publicCertificate"] = std::string(64 * 1024 + 1, 'A');
  ExpectRefused(j, "publicCertificate");
}

TEST(TrustJsonTest, SchemasMustNameTheTrustSchema) {
  Json j = Minimal();
  j["schemas"] = {"urn:ietf:params:scim:schemas:core:2.0:User"};
  ExpectRefused(j, "schemas");
}

TEST(TrustJsonTest, ValidationRunsAfterParsing) {
  Json j = Minimal();
  j["publicKeyEndpoint"] = "http://idp.example.test/jwks";
  ExpectRefused(j, "publicKeyEndpoint");
  j = Minimal();
  j.erase("audiences");
  ExpectRefused(j, "audiences");
  j = Minimal();
  j["clockSkewSeconds"] = 301;
  ExpectRefused(j, "clockSkewSeconds");
  j = Minimal();
  j.erase("name");
  ExpectRefused(j, "name");
}

TEST(TrustJsonTest, DocumentRoundTripsAndRefusesBadText) {
  const Trust t = Full();
  Result<Trust> back = TrustFromDocument(TrustToDocument(t));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, t);
  for (std::string_view bad : {"", "{", "[]", R"({"name":"a","name":"b"})"}) {
    Result<Trust> r = TrustFromDocument(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(TrustJsonTest, NonObjectsAreRefused) {
  for (const Json& j : {Json(nullptr), Json::array(), Json("trust"), Json(1)}) {
    Result<Trust> t = TrustFromJson(j);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace tessera::federation
