#include "http/form.h"

#include <gtest/gtest.h>

#include <string>

namespace tessera::http {
namespace {

TEST(ParseFormTest, DecodesPlusPercentAndEmptyValues) {
  auto form = ParseForm("grant_type=client_credentials&scope=a+b%2Bc&empty=&bare&x=%41%3d");
  ASSERT_TRUE(form.ok()) << form.status().ToString();
  EXPECT_EQ(form->at("grant_type"), "client_credentials");
  EXPECT_EQ(form->at("scope"), "a b+c");  // '+' is a space, %2B a plus
  EXPECT_EQ(form->at("empty"), "");
  EXPECT_EQ(form->at("bare"), "");
  EXPECT_EQ(form->at("x"), "A=");
  EXPECT_EQ(form->size(), 5u);
}

TEST(ParseFormTest, SplitsAtFirstEqualsOnly) {
  auto form = ParseForm("assertion=eyJ.a=b==&k==v");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->at("assertion"), "eyJ.a=b==");
  EXPECT_EQ(form->at("k"), "=v");
}

TEST(ParseFormTest, SkipsEmptyPieces) {
  auto form = ParseForm("&&a=1&&b=2&");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->size(), 2u);
  auto empty = ParseForm("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(ParseFormTest, RepeatedParameterNamesIt) {
  auto form = ParseForm("assertion=a&grant_type=x&assertion=b");
  ASSERT_FALSE(form.ok());
  EXPECT_EQ(form.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(form.status().message(), "parameter 'assertion' is repeated");
}

TEST(ParseFormTest, RepeatDetectedAfterDecoding) {
  // "scope" and "sc%6Fpe" are the same parameter once decoded.
  auto form = ParseForm("scope=a&sc%6Fpe=b");
  ASSERT_FALSE(form.ok());
  EXPECT_NE(form.status().message().find("'scope'"), std::string::npos);
  // Even with an identical value.
  EXPECT_FALSE(ParseForm("a=1&a=1").ok());
}

TEST(ParseFormTest, BadEscapesRejected) {
  for (const char* bad : {"a=%G1", "a=%4", "a=%", "a=%%41", "%zz=1", "a=b%2"}) {
    auto form = ParseForm(bad);
    ASSERT_FALSE(form.ok()) << bad;
    EXPECT_EQ(form.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(ParseForm("a=%2b%2B%00").ok());
}

TEST(ParseFormTest, AtMostSixtyFourParameters) {
  std::string body;
  for (int i = 0; i < 64; ++i) body += (i ? "&p" : "p") + std::to_string(i) + "=v";
  auto ok = ParseForm(body);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 64u);
  auto too_many = ParseForm(body + "&p64=v");
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().code(), StatusCode::kInvalidArgument);
}

TEST(ParseFormTest, RepeatedNameInMessageIsBounded) {
  std::string name(1000, 'n');
  auto form = ParseForm(name + "=1&" + name + "=2");
  ASSERT_FALSE(form.ok());
  EXPECT_LT(form.status().message().size(), 120u);
}

TEST(ParseQueryTest, SameRules) {
  auto q = ParseQuery("id_token=a.b.c&filter=userName+eq+%22alice%22");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->at("filter"), "userName eq \"alice\"");
  EXPECT_FALSE(ParseQuery("a=1&a=2").ok());
  EXPECT_FALSE(ParseQuery("a=%G0").ok());
}

TEST(UrlEncodeTest, KeepsUnreservedOnly) {
  EXPECT_EQ(UrlEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(UrlEncode("a b+c/:=&%"), "a%20b%2Bc%2F%3A%3D%26%25");
  EXPECT_EQ(UrlEncode(std::string("\x00\xff", 2)), "%00%FF");
}

TEST(UrlEncodeTest, RoundTripsThroughParseForm) {
  std::string tricky = "p@ss:w0rd+&=%/ \xc3\xa9";
  auto form = ParseForm("k=" + UrlEncode(tricky));
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->at("k"), tricky);
}

}  // namespace
}  // namespace tessera::http
