#include "jose/key.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jose/base64url.h"
#include "jose/error.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/keyio.h"
#include "jose/test_examples.h"

namespace tessera::jose {
namespace {

namespace ex = testing;

std::string B64(std::string_view s) { return Base64UrlDecode(s).value(); }

Key PrivateJwk(std::string_view text) {
  JwkOptions options;
  options.allow_private = true;
  Result<Jwk> jwk = ParseJwkText(text, options);
  EXPECT_TRUE(jwk.ok()) << jwk.status().ToString();
  return jwk.ok() ? jwk->key : Key();
}

std::string SignatureSegment(std::string_view token) {
  return std::string(token.substr(token.rfind('.') + 1));
}
std::string SigningInput(std::string_view token) {
  return std::string(token.substr(0, token.rfind('.')));
}

// RFC 4231 4.3 (test case 2): a key shorter than the hash, as a stored secret's salt is.
TEST(HmacTest, Rfc4231TestCase2AndOnlyHmacAlgorithms) {
  Result<std::string> mac = Hmac(Algorithm::kHS256, "Jefe", "what do ya want for nothing?");
  ASSERT_TRUE(mac.ok()) << mac.status().ToString();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : *mac) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 0xf]);
  }
  EXPECT_EQ(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(Hmac(Algorithm::kHS512, "Jefe", "what do ya want for nothing?")->size(), 64u);
  EXPECT_EQ(JoseErrorOf(Hmac(Algorithm::kRS256, "Jefe", "x").status()), JoseError::kKeyMismatch);
}

TEST(Rfc7515Test, A1_Hs256VerifiesAndResignsToTheSameBytes) {
  Result<Key> key = Key::FromSecret(B64(ex::kA1Key), Algorithm::kHS256);
  ASSERT_TRUE(key.ok());
  Result<Jws> jws = ParseJwt(ex::kA1Token);
  ASSERT_TRUE(jws.ok()) << jws.status().ToString();
  EXPECT_EQ(jws->alg, Algorithm::kHS256);
  EXPECT_EQ(jws->claims["iss"], "joe");
  EXPECT_TRUE(Verify(*jws, *key).ok());
  // The header holds CRLF and spaces, so re-signing must use the exact received signing input.
  EXPECT_EQ(jws->signing_input, SigningInput(ex::kA1Token));
  Result<std::string> mac = key->Sign(Algorithm::kHS256, jws->signing_input);
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(Base64UrlEncode(*mac), SignatureSegment(ex::kA1Token));
}

TEST(Rfc7515Test, A2_Rs256IsDeterministic) {
  const Key key = PrivateJwk(ex::kA2Jwk);
  ASSERT_TRUE(key.valid());
  Result<Jws> jws = ParseJwt(ex::kA2Token);
  ASSERT_TRUE(jws.ok()) << jws.status().ToString();
  Result<Key> pub = key.PublicKey();
  ASSERT_TRUE(pub.ok());
  EXPECT_FALSE(pub->has_private());
  EXPECT_TRUE(Verify(*jws, *pub).ok());
  Result<std::string> sig = key.Sign(Algorithm::kRS256, jws->signing_input);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(*sig, jws->signature);
  EXPECT_EQ(Base64UrlEncode(*sig), SignatureSegment(ex::kA2Token));
}

TEST(Rfc7515Test, A3_Es256Verifies) {
  const Key key = PrivateJwk(ex::kA3Jwk);
  Result<Jws> jws = ParseJwt(ex::kA3Token);
  ASSERT_TRUE(jws.ok()) << jws.status().ToString();
  EXPECT_TRUE(Verify(*jws, key.PublicKey().value()).ok());
  // Our own signature over the same input verifies too (ECDSA is randomised: no exact bytes).
  Result<std::string> sig = key.Sign(Algorithm::kES256, jws->signing_input);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(key.Verify(Algorithm::kES256, jws->signing_input, *sig).ok());
}

TEST(Rfc7515Test, A4_Es512Verifies) {
  const Key key = PrivateJwk(ex::kA4Jwk);
  const Key pub = key.PublicKey().value();
  EXPECT_EQ(pub.curve(), "P-521");
  const std::string sig = B64(SignatureSegment(ex::kA4Token));
  EXPECT_EQ(sig.size(), 132u);
  EXPECT_TRUE(pub.Verify(Algorithm::kES512, SigningInput(ex::kA4Token), sig).ok());
  // The payload "Payload" is a JWS, not a JWT: ParseJws accepts it, ParseJwt does not.
  Result<Jws> jws = ParseJws(ex::kA4Token);
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->payload, "Payload");
  EXPECT_TRUE(Verify(*jws, pub).ok());
  EXPECT_EQ(JoseErrorOf(ParseJwt(ex::kA4Token).status()), JoseError::kBadJson);
}

TEST(Rfc8037Test, A1ToA4_Ed25519KeyAndDeterministicSignature) {
  const Key key = PrivateJwk(ex::kEd25519PrivateJwk);  // A.1
  ASSERT_TRUE(key.has_private());
  Result<Jwk> pub = ParseJwkText(ex::kEd25519PublicJwk);  // A.2
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(PublicJwk(key, "").value()["x"], "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
  EXPECT_EQ(JwkThumbprint(pub->key).value(), ex::kEd25519Thumbprint);  // A.3
  EXPECT_EQ(JwkThumbprint(key).value(), ex::kEd25519Thumbprint);
  Result<std::string> sig = key.Sign(Algorithm::kEdDSA, ex::kEd25519SigningInput);  // A.4
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(Base64UrlEncode(*sig), ex::kEd25519Signature);
  EXPECT_TRUE(pub->key.Verify(Algorithm::kEdDSA, ex::kEd25519SigningInput, *sig).ok());
}

// A fresh private key for `alg` and a JWT it signed.
struct Signed {
  Key key;
  std::string token;
};

Signed MakeSigned(Algorithm alg) {
  Key key;
  switch (FamilyOf(alg)) {
    case AlgorithmFamily::kRsaPkcs1:
    case AlgorithmFamily::kRsaPss:
      key = GenerateKey(KeyType::kRsa, 2048).value().RestrictTo({alg}).value();
      break;
    case AlgorithmFamily::kEcdsa:
      key = GenerateKey(KeyType::kEc, alg == Algorithm::kES256   ? 256
                                      : alg == Algorithm::kES384 ? 384
                                                                 : 521)
                .value();
      break;
    case AlgorithmFamily::kEdDsa:
      key = GenerateKey(KeyType::kEd25519, 256).value();
      break;
    case AlgorithmFamily::kHmac:
      key = Key::FromSecret(std::string(64, 'k'), alg).value();
      break;
  }
  Json claims = {
      {"iss", "client"}, {"sub", "client"}, {"aud", "https://as.example"}, {"exp", 2000000000}};
  Result<std::string> token = SignJwt(claims, key, alg, {{"kid", "k1"}});
  EXPECT_TRUE(token.ok()) << token.status().ToString();
  return {key, token.ok() ? *token : ""};
}

class SignatureMutationTest : public ::testing::TestWithParam<Algorithm> {};

TEST_P(SignatureMutationTest, EveryBitFlipIsRejected) {
  const Signed s = MakeSigned(GetParam());
  Result<Jws> jws = ParseJwt(s.token);
  ASSERT_TRUE(jws.ok()) << jws.status().ToString();
  const Key verifier = s.key.PublicKey().value();
  ASSERT_TRUE(Verify(*jws, verifier).ok());
  for (size_t bit = 0; bit < jws->signature.size() * 8; ++bit) {
    Jws mutated = *jws;
    mutated.signature[bit / 8] = static_cast<char>(mutated.signature[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_EQ(JoseErrorOf(Verify(mutated, verifier)), JoseError::kSignatureInvalid)
        << "bit " << bit;
  }
}

TEST_P(SignatureMutationTest, EveryTruncationOfTheSignatureIsRejected) {
  const Signed s = MakeSigned(GetParam());
  Result<Jws> jws = ParseJwt(s.token);
  ASSERT_TRUE(jws.ok());
  const Key verifier = s.key.PublicKey().value();
  for (size_t len = 0; len < jws->signature.size(); ++len) {
    Jws mutated = *jws;
    mutated.signature.resize(len);
    EXPECT_EQ(JoseErrorOf(Verify(mutated, verifier)), JoseError::kSignatureLength)
        << "length " << len;
  }
}

TEST_P(SignatureMutationTest, EveryTruncationOfTheTokenIsRejected) {
  const Signed s = MakeSigned(GetParam());
  const Key verifier = s.key.PublicKey().value();
  for (size_t len = 0; len < s.token.size(); ++len) {
    Result<Jws> jws = ParseJwt(std::string_view(s.token).substr(0, len));
    const Status outcome = jws.ok() ? Verify(*jws, verifier) : jws.status();
    ASSERT_FALSE(outcome.ok()) << "prefix of " << len << " characters accepted";
    EXPECT_NE(JoseErrorOf(outcome), JoseError::kNone) << len;
    EXPECT_NE(JoseErrorOf(outcome), JoseError::kCryptoFailure) << len;
  }
}

INSTANTIATE_TEST_SUITE_P(Algorithms, SignatureMutationTest,
                         ::testing::Values(Algorithm::kRS256, Algorithm::kPS256, Algorithm::kES256,
                                           Algorithm::kEdDSA, Algorithm::kHS256),
                         [](const auto& info) { return std::string(AlgorithmName(info.param)); });

TEST(KeyTest, SignAndVerifyEveryAlgorithm) {
  for (int i = 0; i < kAlgorithmCount; ++i) {
    const Algorithm alg = static_cast<Algorithm>(i);
    const Signed s = MakeSigned(alg);
    Result<Jws> jws = ParseJwt(s.token);
    ASSERT_TRUE(jws.ok()) << AlgorithmName(alg) << " " << jws.status().ToString();
    EXPECT_EQ(jws->alg, alg);
    EXPECT_TRUE(Verify(*jws, s.key.PublicKey().value()).ok()) << AlgorithmName(alg);
  }
}

TEST(KeyTest, DefaultsAndRestriction) {
  const Key rsa = GenerateKey(KeyType::kRsa, 2048).value();
  EXPECT_EQ(rsa.algorithms(), AlgorithmSet{Algorithm::kRS256});
  EXPECT_EQ(rsa.bits(), 2048);
  EXPECT_TRUE(rsa.RestrictTo({Algorithm::kPS256, Algorithm::kRS512}).ok());
  EXPECT_EQ(JoseErrorOf(rsa.RestrictTo({Algorithm::kES256}).status()), JoseError::kKeyMismatch);
  EXPECT_EQ(JoseErrorOf(rsa.RestrictTo({}).status()), JoseError::kKeyMismatch);
  const Key p384 = GenerateKey(KeyType::kEc, 384).value();
  EXPECT_EQ(p384.algorithms(), AlgorithmSet{Algorithm::kES384});
  EXPECT_EQ(p384.curve(), "P-384");
  EXPECT_EQ(JoseErrorOf(p384.RestrictTo({Algorithm::kES256}).status()), JoseError::kKeyMismatch);
  // Signing needs the private half.
  const Key pub = rsa.PublicKey().value();
  EXPECT_EQ(JoseErrorOf(pub.Sign(Algorithm::kRS256, "x").status()), JoseError::kKeyNotPrivate);
  // An empty key does nothing.
  EXPECT_EQ(JoseErrorOf(Key().Verify(Algorithm::kRS256, "x", "y")), JoseError::kKeyInvalid);
  EXPECT_EQ(JoseErrorOf(Key::FromSecret(std::string(32, 'x'), Algorithm::kRS256).status()),
            JoseError::kKeyMismatch);
}

}  // namespace
}  // namespace tessera::jose
