#include "common/log_value.h"

#include <gtest/gtest.h>

#include <string>

namespace tessera {
namespace {

TEST(LogValueTest, PlainValuesStayBare) {
  EXPECT_EQ(LogValue("client-1"), "client-1");
  EXPECT_EQ(LogValue("https://idm.example.com/x:1"), "https://idm.example.com/x:1");
}

TEST(LogValueTest, NewlinesCannotStartARecord) {
  const std::string v = LogValue("k1\n[2026-01-01 00:00:00.000] [info] ecid=forged admin ok");
  EXPECT_EQ(v, "\"k1\\n[2026-01-01 00:00:00.000] [info] ecid=forged admin ok\"");
}

TEST(LogValueTest, EscapesControlsQuotesAndBackslashes) {
  EXPECT_EQ(LogValue(std::string("a\r\n\t\0b", 6)), "\"a\\r\\n\\t\\0b\"");
  EXPECT_EQ(LogValue("\x1b[31mred"), "\"\\x1B[31mred\"");
  EXPECT_EQ(LogValue("x\x7f"), "\"x\\x7F\"");
  EXPECT_EQ(LogValue("say \"hi\" \\o/"), "\"say \\\"hi\\\" \\\\o/\"");
}

TEST(LogValueTest, AnEqualsSignOrSpaceIsQuoted) {
  // Bare, `kid=a ecid=b` would read as two pairs of the record.
  EXPECT_EQ(LogValue("a ecid=b"), "\"a ecid=b\"");
  EXPECT_EQ(LogValue("ecid=b"), "\"ecid=b\"");
  EXPECT_EQ(LogValue(""), "\"\"");
}

TEST(LogValueTest, InvalidUtf8IsHexAndInvisibleCodePointsAreNamed) {
  EXPECT_EQ(LogValue("\xff\xc3"), "\"\\xFF\\xC3\"");
  EXPECT_EQ(LogValue("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // valid UTF-8 kept
  EXPECT_EQ(LogValue("a\xe2\x80\xa8"
                     "b"),
            "\"a\\u{2028}b\"");  // LINE SEPARATOR
  EXPECT_EQ(LogValue("\xe2\x80\xae"
                     "txt"),
            "\"\\u{202E}txt\"");                     // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(LogValue("\xc2\x85"), "\"\\u{0085}\"");  // NEXT LINE (C1)
}

TEST(LogValueTest, LongValuesAreCutWithAVisibleMark) {
  const std::string v = LogValue(std::string(1000, 'a'));
  EXPECT_EQ(v, "\"" + std::string(kMaxLogValueBytes, 'a') + "\"...(744 more bytes)");
  // The bound holds after escaping too.
  std::string newlines;
  for (std::size_t i = 0; i < kMaxLogValueBytes / 2; ++i) newlines += "\\n";
  EXPECT_EQ(LogValue(std::string(1000, '\n')), "\"" + newlines + "\"...(872 more bytes)");
}

TEST(LogValueTest, WholeLinesKeepOneLine) {
  std::string out;
  AppendLogLineSafe(std::string("a\nb\r\0c \"q\" \x1b\xff", 13), out);
  EXPECT_EQ(out, "a\\nb\\r\\0c \"q\" \\x1B\\xFF");
}

}  // namespace
}  // namespace tessera
