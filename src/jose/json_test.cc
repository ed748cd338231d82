#include "jose/json.h"

#include <gtest/gtest.h>

#include <cstdint>

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

TEST(StrictJsonTest, StringsAreValidUtf8WithValidEscapes) {
  Result<Json> ok = ParseStrictJson(R"({"a":"\u00e9\ud83d\ude00\n\"\\\/","b":"é😀"})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)["a"], "\xc3\xa9\xf0\x9f\x98\x80\n\"\\/");
  EXPECT_EQ((*ok)["b"], "\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(ErrorOf("\xef\xbb\xbf{}"), JoseError::kBadJson);                // byte order mark
  EXPECT_EQ(ErrorOf("{\"a\":\"\xc0\xaf\"}"), JoseError::kBadJson);          // overlong '/'
  EXPECT_EQ(ErrorOf("{\"a\":\"\xed\xa0\x80\"}"), JoseError::kBadJson);      // UTF-8 surrogate
  EXPECT_EQ(ErrorOf("{\"a\":\"\xf4\x90\x80\x80\"}"), JoseError::kBadJson);  // above U+10FFFF
  EXPECT_EQ(ErrorOf("{\"a\":\"\xe2\x82\"}"), JoseError::kBadJson);          // truncated sequence
  EXPECT_EQ(ErrorOf(R"({"a":"\ud800"})"), JoseError::kBadJson);             // lone high surrogate
  EXPECT_EQ(ErrorOf(R"({"a":"\udc00"})"), JoseError::kBadJson);             // lone low surrogate
  EXPECT_EQ(ErrorOf(R"({"a":"\x41"})"), JoseError::kBadJson);               // not a JSON escape
  EXPECT_EQ(ErrorOf("{\"a\":\"tab\there\"}"), JoseError::kBadJson);         // raw control character
  EXPECT_EQ(ErrorOf(R"({"a":"open)"), JoseError::kBadJson);
}

TEST(StrictJsonTest, NumbersFollowTheGrammar) {
  Result<Json> ok = ParseStrictJson(
      R"([0,-1,1700000000,9223372036854775807,18446744073709551615,1.5,-2e3,1E+2])");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE((*ok)[2].is_number_integer());
  EXPECT_EQ((*ok)[2].get<int64_t>(), 1700000000);
  EXPECT_TRUE((*ok)[4].is_number_unsigned());
  EXPECT_DOUBLE_EQ((*ok)[6].get<double>(), -2000);
  for (const char* bad : {"[01]", "[-]", "[1.]", "[.5]", "[1e]", "[+1]", "[0x10]", "[NaN]",
                          "[Infinity]", "[-1e400]"}) {
    EXPECT_EQ(ErrorOf(bad), JoseError::kBadJson) << bad;
  }
}

TEST(StrictJsonTest, LiteralsAndStructure) {
  EXPECT_EQ(ErrorOf("[true,false,null]"), JoseError::kNone);
  for (const char* bad : {"[tru]", "[nul]", "{\"a\" 1}", "{\"a\":1,,}", "[1 2]", "{a:1}", "{'a':1}",
                          "[", "{\"a\":1"}) {
    EXPECT_EQ(ErrorOf(bad), JoseError::kBadJson) << bad;
  }
  std::string deep_ok(16, '[');
  deep_ok += std::string(16, ']');
  EXPECT_EQ(ErrorOf(deep_ok), JoseError::kNone);
  EXPECT_EQ(ErrorOf("[" + deep_ok + "]"), JoseError::kJsonTooDeep);
}

TEST(DumpCompactTest, WritesCompactEscapedJsonThatParsesBack) {
  Json v = {
      {"b", "q\"uote\\back\nnl\x01"}, {"a", {1, -2, 3.5, 1.0, true, nullptr}}, {"u", "\xc3\xa9"}};
  const std::string out = DumpCompact(v);
  EXPECT_EQ(out, R"({"a":[1,-2,3.5,1.0,true,null],"b":"q\"uote\\back\nnl\u0001","u":"é"})");
  Result<Json> back = ParseStrictJson(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
  // A byte that is not UTF-8 never produces invalid JSON.
  EXPECT_EQ(DumpCompact(Json("a\xff"
                             "b")),
            "\"a\xef\xbf\xbd"
            "b\"");
  EXPECT_EQ(DumpCompact(Json(uint64_t{18446744073709551615u})), "18446744073709551615");
}

TEST(JsonObjectWriterTest, WritesWhatDumpCompactWritesForTheSameMembersInByteOrder) {
  const Json list = {"x", 2};
  JsonObjectWriter inner;
  inner.String("k", "v");
  JsonObjectWriter w;
  w.Value("a", list)
      .Raw("c", inner.Finish())
      .Int("i", INT64_MIN)
      .String("s", "q\"uote\nnl\x01 \xff")
      .Int("t", 1700000000);
  const std::string out = w.Finish();
  const Json same = {{"a", list},
                     {"c", {{"k", "v"}}},
                     {"i", INT64_MIN},
                     {"s", "q\"uote\nnl\x01 \xff"},
                     {"t", 1700000000}};
  EXPECT_EQ(out, DumpCompact(same));
  Result<Json> back = ParseStrictJson(out);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->at("c").at("k"), "v");
  // Finish leaves an empty writer behind.
  EXPECT_EQ(w.Finish(), "{}");
  EXPECT_EQ(w.String("only", "one").Finish(), R"({"only":"one"})");
}

}  // namespace
}  // namespace tessera::jose
