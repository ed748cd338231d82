#include "oauth/secrets.h"

#include <gtest/gtest.h>

namespace tessera::oauth {
namespace {

TEST(SecretsTest, GeneratedCredentialsAreUnreservedAndStrong) {
  const std::string secret = GenerateClientSecret();
  EXPECT_GE(secret.size(), 43u);  // 256 bits in base64url
  EXPECT_EQ(secret.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"),
            std::string::npos);
  EXPECT_NE(GenerateClientSecret(), secret);
  EXPECT_EQ(GenerateClientId().size(), 32u);
}

TEST(SecretsTest, HashVerifiesOnlyTheSecret) {
  const std::string secret = GenerateClientSecret();
  const std::string hash = HashSecret(secret);
  EXPECT_EQ(hash.find(secret), std::string::npos);  // never stored in the clear
  EXPECT_TRUE(VerifySecret(secret, hash));
  EXPECT_FALSE(VerifySecret(secret + "x", hash));
  EXPECT_FALSE(VerifySecret("", hash));
  EXPECT_NE(HashSecret(secret), hash);  // salted
  EXPECT_FALSE(VerifySecret(secret, "plain"));
  EXPECT_FALSE(VerifySecret(secret, "hs256$@@@$@@@"));
}

}  // namespace
}  // namespace tessera::oauth
