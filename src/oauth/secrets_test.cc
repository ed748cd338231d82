#include "oauth/secrets.h"

#include <gtest/gtest.h>

#include "oauth/identifiers.h"

namespace tessera::oauth {
namespace {

TEST(SecretsTest, GeneratedCredentialsAreUnreservedAndStrong) {
  const std::string secret = GenerateClientSecret();
  EXPECT_GE(secret.size(), 43u);  // 256 bits in base64url
  EXPECT_EQ(secret.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"),
            std::string::npos);
  EXPECT_NE(GenerateClientSecret(), secret);
  EXPECT_EQ(GenerateClientId().size(), 32u);
}

TEST(SecretsTest, HashVerifiesOnlyTheSecret) {
  const std::string secret = GenerateClientSecret();
  Result<std::string> hashed = HashSecret(secret);
  ASSERT_TRUE(hashed.ok()) << hashed.status().ToString();
  const std::string hash = *hashed;
  EXPECT_EQ(hash.find(secret), std::string::npos);  // never stored in the clear
  EXPECT_TRUE(VerifySecret(secret, hash));
  EXPECT_FALSE(VerifySecret(secret + "x", hash));
  EXPECT_FALSE(VerifySecret("", hash));
  EXPECT_NE(HashSecret(secret).value(), hash);  // salted
  EXPECT_FALSE(VerifySecret(secret, "plain"));
  EXPECT_FALSE(VerifySecret(secret, "hs256$@@@$@@@"));
}

TEST(SecretsTest, ChosenSecretsUseArgon2idAndOldHashesKeepVerifying) {
  const std::string chosen = "correct horse battery staple";
  const std::string hash = HashChosenSecret(chosen);
  EXPECT_EQ(hash.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << hash;
  EXPECT_TRUE(IsChosenSecretHash(hash));
  EXPECT_EQ(hash.find(chosen), std::string::npos);
  EXPECT_TRUE(VerifySecret(chosen, hash));
  EXPECT_FALSE(VerifySecret(chosen + "!", hash));
  EXPECT_FALSE(VerifySecret("", hash));
  EXPECT_NE(HashChosenSecret(chosen), hash);  // salted
  // A stored row asking for another cost is refused, not computed.
  std::string costly = hash;
  costly.replace(costly.find("m=19456"), 7, "m=99999");
  EXPECT_FALSE(VerifySecret(chosen, costly));
  // Hashes written before (HMAC) keep verifying beside the new format.
  const std::string old = HashSecret(chosen).value();
  EXPECT_FALSE(IsChosenSecretHash(old));
  EXPECT_TRUE(VerifySecret(chosen, old));
  EXPECT_FALSE(VerifySecret(chosen, "argon2id$" + hash));
}

TEST(IdentifiersTest, OnlyPrintableUtf8ReachesTheStore) {
  EXPECT_TRUE(IsSafeIdentifier("alice"));
  EXPECT_TRUE(IsSafeIdentifier("j\xc3\xa9r\xc3\xb4me"));
  EXPECT_TRUE(IsSafeIdentifier("https://idp.example.com/x y"));
  EXPECT_FALSE(IsSafeIdentifier(""));
  EXPECT_FALSE(IsSafeIdentifier(std::string("a\0b", 3)));
  EXPECT_FALSE(IsSafeIdentifier("tab\there"));
  EXPECT_FALSE(IsSafeIdentifier("del\x7f"));
  EXPECT_FALSE(IsSafeIdentifier("\xff"));
  EXPECT_FALSE(IsSafeIdentifier("\xc0\xaf"));      // overlong
  EXPECT_FALSE(IsSafeIdentifier("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(IsSafeIdentifier(std::string(257, 'a')));
  EXPECT_TRUE(IsSafeIdentifier(std::string(256, 'a')));
}

}  // namespace
}  // namespace tessera::oauth
