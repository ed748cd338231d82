#include "jose/digest.h"

#include <gtest/gtest.h>

#include "jose/base64url.h"
#include "jose/jwk.h"
#include "jose/keyio.h"

namespace tessera::jose {
namespace {

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

TEST(DigestTest, Sha256KnownAnswers) {
  // FIPS 180-4 examples (NIST CSRC "SHA256.pdf").
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(DigestTest, Rfc9449AccessTokenHash) {
  // RFC 9449 section 7.1: the "ath" of the example access token.
  EXPECT_EQ(Base64UrlEncode(Sha256("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
}

TEST(DigestTest, HmacSha256Rfc4231) {
  // RFC 4231 test case 1 and 2.
  EXPECT_EQ(Hex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(Hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_NE(HmacSha256("Jefe", "what do ya want for nothing!"),
            HmacSha256("Jefe", "what do ya want for nothing?"));
}

// RFC 7638 thumbprints of EC keys: the P-256 key of the RFC 9449 section 4.1 proof, whose "jkt"
// RFC 9449 section 6.1 gives. (RSA: jwk_test's RFC 7638 3.1 vector; Ed25519: key_test's RFC 8037
// A.3 vector.)
TEST(DigestTest, Rfc9449EcThumbprint) {
  Result<Jwk> jwk =
      ParseJwkText(R"({"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",)"
                   R"("y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"})");
  ASSERT_TRUE(jwk.ok()) << jwk.status().ToString();
  EXPECT_EQ(JwkThumbprint(jwk->key).value(), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
}

// The thumbprint depends only on the public key: P-384 and P-521 keys and their public halves
// give the same value, and two keys give two values.
TEST(DigestTest, ThumbprintOfEveryCurveIsOfThePublicKey) {
  for (int bits : {256, 384, 521}) {
    Key key = GenerateKey(KeyType::kEc, bits).value();
    Key other = GenerateKey(KeyType::kEc, bits).value();
    const std::string t = JwkThumbprint(key).value();
    EXPECT_EQ(JwkThumbprint(key.PublicKey().value()).value(), t);
    EXPECT_NE(JwkThumbprint(other).value(), t);
    EXPECT_EQ(Base64UrlDecode(t)->size(), kSha256Bytes);
  }
}

// x5t#S256 (RFC 8705 3.1, RFC 7515 4.1.8) is the base64url SHA-256 of the certificate's DER.
TEST(DigestTest, CertificateThumbprintIsSha256OfDer) {
  Key key = GenerateKey(KeyType::kEc, 256).value();
  Certificate cert = MakeSelfSignedCertificate(key, "CN=client", 1, 1'700'000'000).value();
  EXPECT_EQ(X5tS256Of(cert.der), Base64UrlEncode(Sha256(cert.der)));
  EXPECT_EQ(cert.x5t_s256, X5tS256Of(cert.der));
}

}  // namespace
}  // namespace tessera::jose
