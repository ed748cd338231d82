#include <gtest/gtest.h>

#include <string>

#include "http/form.h"

namespace tessera::http {
namespace {

// Standard base64 via OpenSSL-free arithmetic, so the test does not share the decoder's code.
std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63],
            kAlphabet[v & 63]};
  }
  if (in.size() - i == 1) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (in.size() - i == 2) {
    unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

TEST(BasicAuthTest, RawUnreservedCredentials) {
  auto c = ParseBasicAuthorization("Basic " + Base64("my-app_1:s3cr.et~"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->client_id, "my-app_1");
  EXPECT_EQ(c->client_secret, "s3cr.et~");
}

TEST(BasicAuthTest, KnownVector) {
  // RFC 7617 2: "Aladdin:open sesame"; the space arrives raw and stays a space.
  auto c = ParseBasicAuthorization("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->client_id, "Aladdin");
  EXPECT_EQ(c->client_secret, "open sesame");
}

TEST(BasicAuthTest, UrlEncodedCredentialsAreDecoded) {
  std::string id = "client id:1";
  std::string secret = "p+ss/w%rd:x";
  auto c = ParseBasicAuthorization("Basic " + Base64(UrlEncode(id) + ":" + UrlEncode(secret)));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->client_id, id);
  EXPECT_EQ(c->client_secret, secret);
  // '+' is a space under form decoding (RFC 6749 2.3.1 uses that encoding).
  auto plus = ParseBasicAuthorization("Basic " + Base64("a+b:c+d"));
  ASSERT_TRUE(plus.ok());
  EXPECT_EQ(plus->client_id, "a b");
  EXPECT_EQ(plus->client_secret, "c d");
}

TEST(BasicAuthTest, SplitsAtFirstColon) {
  auto c = ParseBasicAuthorization("Basic " + Base64("app:se:cr:et"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->client_id, "app");
  EXPECT_EQ(c->client_secret, "se:cr:et");
  auto empty_secret = ParseBasicAuthorization("Basic " + Base64("app:"));
  ASSERT_TRUE(empty_secret.ok());
  EXPECT_EQ(empty_secret->client_secret, "");
}

TEST(BasicAuthTest, SchemeIsCaseInsensitive) {
  for (const char* scheme : {"basic ", "BASIC ", "bAsIc  "}) {
    auto c = ParseBasicAuthorization(std::string(scheme) + Base64("a:b"));
    ASSERT_TRUE(c.ok()) << scheme;
    EXPECT_EQ(c->client_id, "a");
  }
}

TEST(BasicAuthTest, Rejects) {
  const std::string good = Base64("a:b");
  for (const std::string& bad : {
           std::string("Bearer ") + good,  // wrong scheme
           std::string("Basic"),           // no credentials
           std::string("Basic "),          // empty credentials
           std::string("Basicx ") + good,  // scheme prefix only
           std::string("Basic ") + Base64("nocolon"),
           std::string("Basic ") + Base64(":secret"),  // empty client id
           std::string("Basic ") + Base64("a%G1:b"),   // bad escape in id
           std::string("Basic ") + Base64("a:b%"),     // bad escape in secret
       }) {
    auto c = ParseBasicAuthorization(bad);
    EXPECT_FALSE(c.ok()) << bad;
  }
  EXPECT_TRUE(ParseBasicAuthorization("Basic YTpi").ok());  // 3 bytes need no padding
  for (const char* bad_b64 : {"Basic YTpiYw", "Basic YTpi*w==", "Basic YT=iYw==", "Basic Y===",
                              "Basic YTpiYw=", "Basic YTp-Yw==", "Basic YTpiYw== x"}) {
    auto c = ParseBasicAuthorization(bad_b64);
    ASSERT_FALSE(c.ok()) << bad_b64;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(BasicAuthTest, ErrorNeverContainsSecret) {
  auto c = ParseBasicAuthorization("Basic " + Base64("app:TopSecret%ZZ"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().find("TopSecret"), std::string::npos);
}

}  // namespace
}  // namespace tessera::http
