#include "oauth/scopes.h"

#include <gtest/gtest.h>

namespace tessera::oauth {
namespace {

const char kAud[] = "https://oic.example.com:443";
const char kValue[] = "urn:opc:resource:consumer::all";

class ScopesTest : public ::testing::Test {
 protected:
  ScopesTest() {
    app_.client_id = "client";
    app_.allowed_scopes = {std::string(kAud) + kValue};
    resources_ = {{"r1", "OIC", kAud, {kValue, "urn:opc:resource:other"}, 0}};
  }
  ScopeResult Resolve(const std::optional<std::string>& s) {
    return ResolveScopes(s, app_, resources_, config_);
  }
  Reason RejectionOf(const std::optional<std::string>& s) {
    ScopeResult r = Resolve(s);
    EXPECT_TRUE(std::holds_alternative<Rejection>(r)) << s.value_or("(none)");
    return std::holds_alternative<Rejection>(r) ? std::get<Rejection>(r).reason : Reason::kInternal;
  }
  store::App app_;
  std::vector<ResourceView> resources_;
  DomainConfig config_;
};

TEST_F(ScopesTest, NoScopeGrantsEveryAllowedScope) {
  ScopeResult r = Resolve(std::nullopt);
  ASSERT_TRUE(std::holds_alternative<GrantedScopes>(r));
  const auto& g = std::get<GrantedScopes>(r);
  EXPECT_EQ(g.audiences, std::vector<std::string>{kAud});
  EXPECT_EQ(g.TokenScope(), kValue);
  EXPECT_EQ(g.ResponseScope(), std::string(kAud) + kValue);
  EXPECT_EQ(g.lifetime, 3600);
}

TEST_F(ScopesTest, ExpiryScopeSetsAndIsCappedByTheResource) {
  ScopeResult r = Resolve(std::string(kAud) + kValue + " urn:opc:resource:expiry=300");
  ASSERT_TRUE(std::holds_alternative<GrantedScopes>(r));
  EXPECT_EQ(std::get<GrantedScopes>(r).lifetime, 300);
  resources_[0].access_token_expiry = 120;
  r = Resolve(std::string(kAud) + kValue + " urn:opc:resource:expiry=300");
  EXPECT_EQ(std::get<GrantedScopes>(r).lifetime, 120);
  EXPECT_EQ(RejectionOf("urn:opc:resource:expiry=59"), Reason::kScopeExpiryInvalid);
  EXPECT_EQ(RejectionOf("urn:opc:resource:expiry=31556953"), Reason::kScopeExpiryInvalid);
  EXPECT_EQ(RejectionOf("urn:opc:resource:expiry=5m"), Reason::kScopeExpiryInvalid);
  EXPECT_TRUE(std::holds_alternative<GrantedScopes>(Resolve("urn:opc:resource:expiry=60")));
  EXPECT_TRUE(std::holds_alternative<GrantedScopes>(Resolve("urn:opc:resource:expiry=31556952")));
}

TEST_F(ScopesTest, ExpiryScopeNeverLengthensTheClientAppsLifetime) {
  const std::string fqs = std::string(kAud) + kValue;
  app_.access_token_expiry = 300;
  // The request asks for a year; the client app is limited to 300 s.
  ScopeResult r = Resolve(fqs + " urn:opc:resource:expiry=31556952");
  ASSERT_TRUE(std::holds_alternative<GrantedScopes>(r));
  EXPECT_EQ(std::get<GrantedScopes>(r).lifetime, 300);
  // N may shorten it.
  r = Resolve(fqs + " urn:opc:resource:expiry=120");
  EXPECT_EQ(std::get<GrantedScopes>(r).lifetime, 120);
  // The resource's cap and the app's both apply, whichever is lower.
  resources_[0].access_token_expiry = 200;
  EXPECT_EQ(std::get<GrantedScopes>(Resolve(fqs)).lifetime, 200);
  EXPECT_EQ(std::get<GrantedScopes>(Resolve(fqs + " urn:opc:resource:expiry=86400")).lifetime, 200);
  resources_[0].access_token_expiry = 900;
  EXPECT_EQ(std::get<GrantedScopes>(Resolve(fqs)).lifetime, 300);
  // Admin-only tokens (no resource) are bound by the app as well.
  app_.is_admin = true;
  EXPECT_EQ(
      std::get<GrantedScopes>(Resolve("urn:opc:idm:__myscopes__ urn:opc:resource:expiry=86400"))
          .lifetime,
      300);
  // Nothing set anywhere: the domain default, or N.
  app_.access_token_expiry = 0;
  resources_[0].access_token_expiry = 0;
  EXPECT_EQ(std::get<GrantedScopes>(Resolve(fqs)).lifetime, 3600);
  EXPECT_EQ(std::get<GrantedScopes>(Resolve(fqs + " urn:opc:resource:expiry=86400")).lifetime,
            86400);
}

TEST_F(ScopesTest, InactiveResourceGrantsNoScope) {
  resources_[0].active = false;
  EXPECT_EQ(RejectionOf(std::string(kAud) + kValue), Reason::kScopeResourceInactive);
  // No scope parameter: the inactive resource's scopes are left out.
  ScopeResult r = Resolve(std::nullopt);
  ASSERT_TRUE(std::holds_alternative<GrantedScopes>(r));
  EXPECT_TRUE(std::get<GrantedScopes>(r).fqs.empty());
  resources_[0].active = true;
  EXPECT_TRUE(std::holds_alternative<GrantedScopes>(Resolve(std::string(kAud) + kValue)));
}

TEST_F(ScopesTest, PolicyAndQualification) {
  // Allowed by the resource but not by the app's token issuance policy.
  EXPECT_EQ(RejectionOf(std::string(kAud) + "urn:opc:resource:other"), Reason::kScopeNotAllowed);
  // Not fully qualified: the relative value alone.
  ScopeResult r = Resolve(std::string(kValue));
  ASSERT_TRUE(std::holds_alternative<Rejection>(r));
  EXPECT_NE(std::get<Rejection>(r).detail.find("fully qualified"), std::string::npos);
  EXPECT_NE(std::get<Rejection>(r).detail.find("allowed:"), std::string::npos);
  // Allowed by the app, but the resource no longer defines it.
  resources_[0].scopes = {"urn:opc:resource:other"};
  EXPECT_EQ(RejectionOf(std::string(kAud) + kValue), Reason::kScopeUnknown);
}

TEST_F(ScopesTest, MyScopesNeedsTheAdministratorRole) {
  EXPECT_EQ(RejectionOf("urn:opc:idm:__myscopes__"), Reason::kScopeAdminNotAllowed);
  app_.is_admin = true;
  ScopeResult r = Resolve("urn:opc:idm:__myscopes__");
  ASSERT_TRUE(std::holds_alternative<GrantedScopes>(r));
  EXPECT_TRUE(std::get<GrantedScopes>(r).admin);
  EXPECT_EQ(std::get<GrantedScopes>(r).TokenScope(), "urn:opc:idm:__myscopes__");
}

}  // namespace
}  // namespace tessera::oauth
