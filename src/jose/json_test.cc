#include "jose/json.h"

#include <gtest/gtest.h>

#include "jose/error.h"

namespace tessera::jose {
namespace {

JoseError ErrorOf(std::string_view text, JsonLimits limits = {}) {
  Result<Json> r = ParseStrictJson(text, limits);
  return r.ok() ? JoseError::kNone : JoseErrorOf(r.status());
}

TEST(StrictJsonTest, AcceptsOrdinaryObjects) {
  Result<Json> r = ParseStrictJson(R"({"a":1,"b":{"c":[1,2,{"d":"e"}]},"f":"\u00e9"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["b"]["c"][2]["d"], "e");
}

TEST(StrictJsonTest, RejectsDuplicateMembersAtAnyDepth) {
  EXPECT_EQ(ErrorOf(R"({"alg":"RS256","alg":"none"})"), JoseError::kDuplicateMember);
  EXPECT_EQ(ErrorOf(R"({"a":{"x":1,"x":2}})"), JoseError::kDuplicateMember);
  EXPECT_EQ(ErrorOf(R"({"a":[{"x":1,"x":1}]})"), JoseError::kDuplicateMember);
  // The same name in sibling objects is fine.
  EXPECT_EQ(ErrorOf(R"({"a":{"x":1},"b":{"x":2}})"), JoseError::kNone);
}

TEST(StrictJsonTest, RejectsDepthSizeAndJunk) {
  std::string deep(10000, '[');
  EXPECT_EQ(ErrorOf(deep), JoseError::kJsonTooDeep);
  EXPECT_EQ(ErrorOf(std::string(100, ' ') + "{}", {50, 16}), JoseError::kTooLarge);
  EXPECT_EQ(ErrorOf(R"({"exp":1e400})"), JoseError::kBadJson);
  EXPECT_EQ(ErrorOf(R"({"a":1} x)"), JoseError::kBadJson);
  EXPECT_EQ(ErrorOf(R"({"a":1,})"), JoseError::kBadJson);
  EXPECT_EQ(ErrorOf("{\"a\":\"\xff\"}"), JoseError::kBadJson);
  EXPECT_EQ(ErrorOf(R"({/*c*/"a":1})"), JoseError::kBadJson);
  EXPECT_EQ(ErrorOf(""), JoseError::kBadJson);
  EXPECT_EQ(ErrorOf("\xef\xbb\xbf{}"), JoseError::kBadJson);  // RFC 8259 8.1: no BOM
  EXPECT_EQ(ErrorOf(" \xef\xbb\xbf{}"), JoseError::kBadJson);
  EXPECT_EQ(ErrorOf(R"({"a":"\ud800"})"), JoseError::kBadJson);  // lone surrogate escape
}

}  // namespace
}  // namespace tessera::jose
