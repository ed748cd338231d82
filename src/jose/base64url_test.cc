#include "jose/base64url.h"

#include <gtest/gtest.h>

#include "jose/error.h"

namespace tessera::jose {
namespace {

TEST(Base64UrlTest, RoundTripsAllLengths) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    std::string enc = Base64UrlEncode(bytes);
    EXPECT_EQ(enc.find_first_of("=+/"), std::string::npos);
    Result<std::string> dec = Base64UrlDecode(enc);
    ASSERT_TRUE(dec.ok()) << dec.status().ToString();
    EXPECT_EQ(*dec, bytes);
    bytes.push_back(static_cast<char>(i * 37 + 250));
  }
}

TEST(Base64UrlTest, Rfc7515AppendixC) {
  // RFC 7515 appendix C: the octets {3, 236, 255, 224, 193} encode as "A-z_4ME".
  EXPECT_EQ(Base64UrlEncode(std::string("\x03\xec\xff\xe0\xc1", 5)), "A-z_4ME");
}

TEST(Base64UrlTest, RejectsEverythingNotStrict) {
  for (const char* bad :
       {"A-z_4ME=", "A+z/4ME", "A-z_ 4ME", "A-z_\n4ME", "A", "AB?C", "QQ==", "QR", "QUF"}) {
    Result<std::string> r = Base64UrlDecode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(JoseErrorOf(r.status()), JoseError::kBadBase64Url) << bad;
  }
}

TEST(Base64UrlTest, RejectsNonCanonicalTrailingBits) {
  // "QQ" is "A"; "QR" decodes to the same byte with a non-zero pad bit.
  EXPECT_TRUE(Base64UrlDecode("QQ").ok());
  EXPECT_FALSE(Base64UrlDecode("QR").ok());
  EXPECT_TRUE(Base64UrlDecode("QUE").ok());   // "AA", pad bits 00
  EXPECT_FALSE(Base64UrlDecode("QUF").ok());  // "AA", pad bits 01
}

TEST(Base64Test, StandardWithPaddingAndWhitespace) {
  Result<std::string> r = Base64Decode("QUJD\nREVG\r\nRw==");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "ABCDEFG");
  EXPECT_EQ(Base64Encode("ABCDEFG"), "QUJDREVGRw==");
  EXPECT_FALSE(Base64Decode("QUJDRE").ok());
  EXPECT_FALSE(Base64Decode("QU-D").ok());
}

}  // namespace
}  // namespace tessera::jose
