// Claim paths, conditions and impersonation rules: every rule passing and failing.
#include "federation/conditions.h"

#include <gtest/gtest.h>

namespace tessera::federation {
namespace {

using jose::Json;

Json K8sClaims() {
  return Json::parse(R"({
    "sub": "system:serviceaccount:ci:deployer",
    "kubernetes.io": {"namespace": "ci", "serviceaccount": {"name": "deployer"}},
    "https://example.com/roles": ["admin", "ops"],
    "repository": "acme/deploy",
    "ref": "refs/heads/main",
    "email_verified": true,
    "run_number": 42,
    "ratio": 1.5,
    "groups": ["dev", {"nested": "x"}, ["deep"]],
    "nothing": null
  })");
}

TEST(ClaimPathTest, FindsTopLevelNestedAndDottedMemberNames) {
  const Json c = K8sClaims();
  ASSERT_NE(FindClaim(c, "repository"), nullptr);
  EXPECT_EQ(*FindClaim(c, "repository"), "acme/deploy");
  ASSERT_NE(FindClaim(c, "kubernetes.io.namespace"), nullptr);
  EXPECT_EQ(*FindClaim(c, "kubernetes.io.namespace"), "ci");
  EXPECT_EQ(*FindClaim(c, "kubernetes.io.serviceaccount.name"), "deployer");
  ASSERT_NE(FindClaim(c, "https://example.com/roles"), nullptr);
  EXPECT_EQ(FindClaim(c, "kubernetes.io.missing"), nullptr);
  EXPECT_EQ(FindClaim(c, "repository.deeper"), nullptr);  // a string has no members
  EXPECT_EQ(FindClaim(c, "absent"), nullptr);
}

TEST(ClaimPathTest, ValidatesSyntaxAndBounds) {
  EXPECT_TRUE(ValidateClaimPath("sub").ok());
  EXPECT_TRUE(ValidateClaimPath("kubernetes.io.namespace").ok());
  EXPECT_FALSE(ValidateClaimPath("").ok());
  EXPECT_FALSE(ValidateClaimPath("a..b").ok());
  EXPECT_FALSE(ValidateClaimPath(".a").ok());
  EXPECT_FALSE(ValidateClaimPath("a.").ok());
  EXPECT_FALSE(ValidateClaimPath("a b").ok());
  EXPECT_FALSE(ValidateClaimPath("a\"b").ok());
  EXPECT_FALSE(ValidateClaimPath("caf\xc3\xa9").ok());
  EXPECT_FALSE(ValidateClaimPath(std::string(kMaxClaimPathBytes + 1, 'a')).ok());
  EXPECT_TRUE(ValidateClaimPath(std::string(kMaxClaimPathBytes, 'a')).ok());
  std::string many = "a";
  for (std::size_t i = 0; i < kMaxClaimPathSegments; ++i) many += ".a";
  EXPECT_FALSE(ValidateClaimPath(many).ok());
}

TEST(GlobTest, StarAndQuestionMark) {
  EXPECT_TRUE(GlobMatch("refs/heads/*", "refs/heads/main"));
  EXPECT_TRUE(GlobMatch("refs/heads/*", "refs/heads/"));
  EXPECT_FALSE(GlobMatch("refs/heads/*", "refs/tags/v1"));
  EXPECT_TRUE(GlobMatch("acme/*-service", "acme/api-service"));
  EXPECT_FALSE(GlobMatch("acme/*-service", "acme/api-service2"));
  EXPECT_TRUE(GlobMatch("v?.?", "v1.2"));
  EXPECT_FALSE(GlobMatch("v?.?", "v1.22"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("", "x"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYY"));
  EXPECT_FALSE(GlobMatch("ACME/*", "acme/x"));  // case-sensitive
  // No other metacharacters: brackets and dots are literal.
  EXPECT_FALSE(GlobMatch("[ab]", "a"));
  EXPECT_TRUE(GlobMatch("[ab]", "[ab]"));
  // Hostile pattern stays fast (bounded work, no recursion).
  EXPECT_FALSE(GlobMatch(std::string(500, '*') + "b", std::string(1000, 'a')));
}

TEST(ConditionTest, InListMatchesExactlyAndArraysByAnyElement) {
  const Json c = K8sClaims();
  EXPECT_EQ(EvaluateCondition({.claim = "repository", .in = {"acme/other", "acme/deploy"}}, c),
            ConditionOutcome::kSatisfied);
  EXPECT_EQ(EvaluateCondition({.claim = "repository", .in = {"acme/Deploy"}}, c),
            ConditionOutcome::kNotSatisfied);
  EXPECT_EQ(EvaluateCondition({.claim = "https://example.com/roles", .in = {"ops"}}, c),
            ConditionOutcome::kSatisfied);
  EXPECT_EQ(EvaluateCondition({.claim = "https://example.com/roles", .in = {"root"}}, c),
            ConditionOutcome::kNotSatisfied);
  EXPECT_EQ(EvaluateCondition({.claim = "kubernetes.io.namespace", .in = {"ci"}}, c),
            ConditionOutcome::kSatisfied);
  EXPECT_EQ(EvaluateCondition({.claim = "absent", .in = {"x"}}, c),
            ConditionOutcome::kClaimMissing);
}

TEST(ConditionTest, ScalarsCompareAsTextOthersNeverMatch) {
  const Json c = K8sClaims();
  EXPECT_EQ(EvaluateCondition({.claim = "email_verified", .in = {"true"}}, c),
            ConditionOutcome::kSatisfied);
  EXPECT_EQ(EvaluateCondition({.claim = "email_verified", .in = {"false"}}, c),
            ConditionOutcome::kNotSatisfied);
  EXPECT_EQ(EvaluateCondition({.claim = "run_number", .in = {"42"}}, c),
            ConditionOutcome::kSatisfied);
  EXPECT_EQ(EvaluateCondition({.claim = "ratio", .like = "*"}, c), ConditionOutcome::kNotSatisfied);
  EXPECT_EQ(EvaluateCondition({.claim = "nothing", .like = "*"}, c),
            ConditionOutcome::kNotSatisfied);
  EXPECT_EQ(EvaluateCondition({.claim = "kubernetes.io", .like = "*"}, c),
            ConditionOutcome::kNotSatisfied);
  // Only strings among the array's elements count; nested objects and arrays never match.
  EXPECT_EQ(EvaluateCondition({.claim = "groups", .in = {"dev"}}, c), ConditionOutcome::kSatisfied);
  EXPECT_EQ(EvaluateCondition({.claim = "groups", .in = {"deep"}}, c),
            ConditionOutcome::kNotSatisfied);
}

TEST(ConditionTest, LikeGlob) {
  const Json c = K8sClaims();
  EXPECT_EQ(EvaluateCondition({.claim = "ref", .like = "refs/heads/*"}, c),
            ConditionOutcome::kSatisfied);
  EXPECT_EQ(EvaluateCondition({.claim = "ref", .like = "refs/tags/*"}, c),
            ConditionOutcome::kNotSatisfied);
  EXPECT_EQ(EvaluateCondition({.claim = "https://example.com/roles", .like = "ad*"}, c),
            ConditionOutcome::kSatisfied);
}

TEST(ConditionTest, ValidationNamesTheField) {
  EXPECT_TRUE(ValidateCondition({.claim = "repository", .in = {"a"}}).ok());
  EXPECT_TRUE(ValidateCondition({.claim = "ref", .like = "refs/*"}).ok());
  Status neither = ValidateCondition({.claim = "ref"}, "conditions[3]");
  EXPECT_FALSE(neither.ok());
  EXPECT_NE(neither.message().find("conditions[3]"), std::string::npos);
  EXPECT_FALSE(ValidateCondition({.claim = "ref", .in = {"a"}, .like = "b"}).ok());
  EXPECT_FALSE(ValidateCondition({.claim = "ref", .like = ""}).ok());
  EXPECT_FALSE(ValidateCondition({.claim = "", .in = {"a"}}).ok());
  EXPECT_FALSE(
      ValidateCondition({.claim = "a", .like = std::string(kMaxConditionValueBytes + 1, 'x')})
          .ok());
  EXPECT_FALSE(ValidateCondition(
                   {.claim = "a", .in = std::vector<std::string>(kMaxConditionValues + 1, "x")})
                   .ok());
}

TEST(ImpersonationRuleTest, ParsesClausesJoinedByAnd) {
  Result<ImpersonationRule> r = ParseImpersonationRule(
      R"(sub eq "repo:acme/deploy:ref:refs/heads/main" AND workflow Eq "deploy \"prod\" \\ x")");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->clauses.size(), 2u);
  EXPECT_EQ(r->clauses[0].claim, "sub");
  EXPECT_EQ(r->clauses[0].value, "repo:acme/deploy:ref:refs/heads/main");
  EXPECT_EQ(r->clauses[1].claim, "workflow");
  EXPECT_EQ(r->clauses[1].value, "deploy \"prod\" \\ x");
  EXPECT_TRUE(ParseImpersonationRule("  kubernetes.io.namespace   eq  \"ci\"  ").ok());
}

TEST(ImpersonationRuleTest, RejectsMalformedRulesNamingThePosition) {
  for (const char* bad : {
           "",                              // empty
           "sub",                           // no operator
           "sub eq",                        // no value
           "sub ne \"x\"",                  // unknown operator
           "sub eq x",                      // unquoted value
           "sub eq \"x",                    // unterminated
           "sub eq \"x\" or aud eq \"y\"",  // only and
           "sub eq \"x\" and",              // dangling and
           "sub eq \"x\"and aud eq \"y\"",  // and needs spaces
           "sub eq \"a\\nb\"",              // unknown escape
           "su..b eq \"x\"",                // bad path
           "sub eq\"x\"",                   // value needs a space before it
       }) {
    Result<ImpersonationRule> r = ParseImpersonationRule(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().message().rfind("rule: ", 0), 0u) << r.status().message();
    }
  }
  Result<ImpersonationRule> r = ParseImpersonationRule("sub ne \"x\"");
  EXPECT_NE(r.status().message().find("expected 'eq'"), std::string::npos);
  EXPECT_NE(r.status().message().find("at byte 0"), std::string::npos);
  EXPECT_FALSE(ParseImpersonationRule(std::string(kMaxRuleBytes + 1, 'a')).ok());
  std::string many = "a eq \"1\"";
  for (std::size_t i = 0; i < kMaxRuleClauses; ++i) many += " and a eq \"1\"";
  EXPECT_FALSE(ParseImpersonationRule(many).ok());
}

TEST(ImpersonationRuleTest, MatchesWhenEveryClauseHolds) {
  const Json c = K8sClaims();
  auto rule = [](std::string_view text) { return ParseImpersonationRule(text).value(); };
  EXPECT_TRUE(RuleMatches(rule(R"(repository eq "acme/deploy")"), c));
  EXPECT_TRUE(
      RuleMatches(rule(R"(repository eq "acme/deploy" and kubernetes.io.namespace eq "ci")"), c));
  EXPECT_FALSE(
      RuleMatches(rule(R"(repository eq "acme/deploy" and kubernetes.io.namespace eq "prod")"), c));
  EXPECT_FALSE(RuleMatches(rule(R"(absent eq "x")"), c));
  EXPECT_TRUE(RuleMatches(rule(R"(https://example.com/roles eq "admin")"), c));
  EXPECT_FALSE(RuleMatches(rule(R"(repository eq "acme/*")"), c));  // eq is not a glob
  EXPECT_FALSE(RuleMatches(ImpersonationRule{}, c));                // never a blanket match
}

}  // namespace
}  // namespace tessera::federation
