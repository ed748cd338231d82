// The library-level attack cases of docs/security.md, one test per case, each asserting the
// exact JoseError. Server-level cases (replay, client binding, key lookup by kid) are tested in
// src/oauth.
#include "jose/jws.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "jose/base64url.h"
#include "jose/error.h"
#include "jose/jwk.h"
#include "jose/keyio.h"

namespace tessera::jose {
namespace {

const Json kClaims = {{"iss", "c"}, {"sub", "c"}, {"aud", "https://as"}, {"exp", 2000000000}};

std::string Enc(std::string_view s) { return Base64UrlEncode(s); }

// header.payload.signature from raw JSON texts and signature bytes.
std::string Token(std::string_view header_json, std::string_view signature = "sig-bytes",
                  std::string_view claims_json = R"({"sub":"c"})") {
  return Enc(header_json) + "." + Enc(claims_json) + "." + Enc(signature);
}

JoseError ParseError(std::string_view token, const JwsOptions& options = {}) {
  Result<Jws> r = ParseJwt(token, options);
  return r.ok() ? JoseError::kNone : JoseErrorOf(r.status());
}

// Parses and verifies; kNone when accepted.
JoseError Outcome(std::string_view token, const Key& key, const JwsOptions& options = {}) {
  Result<Jws> r = ParseJwt(token, options);
  if (!r.ok()) return JoseErrorOf(r.status());
  return JoseErrorOf(Verify(*r, key));
}

// A JWT whose header is `header_json`, signed by `key` with `alg` over the exact bytes.
std::string SignRaw(std::string_view header_json, const Key& key, Algorithm alg,
                    std::string_view claims_json = R"({"sub":"c"})") {
  const std::string input = Enc(header_json) + "." + Enc(claims_json);
  return input + "." + Enc(key.Sign(alg, input).value());
}

const Key& RsaKey() {
  static const Key k = GenerateKey(KeyType::kRsa, 2048).value();
  return k;
}
const Key& P256Key() {
  static const Key k = GenerateKey(KeyType::kEc, 256).value();
  return k;
}
const Key& EdKey() {
  static const Key k = GenerateKey(KeyType::kEd25519, 256).value();
  return k;
}

// ---- A. Algorithm selection ----

TEST(AttacksTest, A1_AlgNone) {
  EXPECT_EQ(ParseError(Token(R"({"alg":"none","typ":"JWT"})", "")), JoseError::kAlgNone);
  EXPECT_EQ(ParseError("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJjIn0."),
            JoseError::kAlgNone);
}

TEST(AttacksTest, A2_NoneSpellings) {
  for (std::string_view alg : {"None", "NONE", "nOnE", "none ", " none", "NoNe\\u0000"}) {
    EXPECT_EQ(ParseError(Token(R"({"alg":")" + std::string(alg) + R"("})")), JoseError::kAlgUnknown)
        << alg;
  }
  EXPECT_EQ(ParseError("eyJhbGciOiJuT25FIn0.eyJzdWIiOiJjIn0.c2ln"), JoseError::kAlgUnknown);
}

TEST(AttacksTest, A3_EmptySignature) {
  const std::string good = SignRaw(R"({"alg":"RS256"})", RsaKey(), Algorithm::kRS256);
  EXPECT_EQ(ParseError(good.substr(0, good.rfind('.') + 1)), JoseError::kEmptySignature);
  EXPECT_EQ(ParseError(Token(R"({"alg":"none"})", "anything")), JoseError::kAlgNone);
  EXPECT_EQ(ParseError(Token(R"({"alg":"HS256"})", "")), JoseError::kEmptySignature);
}

TEST(AttacksTest, A4_RsaPublicKeyAsHmacSecret) {
  const Key pub = RsaKey().PublicKey().value();
  const std::string pem = PublicKeyToPem(pub).value();
  const std::string jwk = DumpCompact(PublicJwk(pub, "k1").value());
  for (const std::string& secret : {pem, jwk}) {
    const Key mac = Key::FromSecret(secret, Algorithm::kHS256).value();
    const std::string forged = SignRaw(R"({"alg":"HS256","kid":"k1"})", mac, Algorithm::kHS256);
    EXPECT_EQ(Outcome(forged, pub), JoseError::kAlgNotAllowed);
    EXPECT_EQ(Outcome(forged, RsaKey()), JoseError::kAlgNotAllowed);
  }
  // No RSA key can be turned into an HMAC key.
  EXPECT_EQ(JoseErrorOf(pub.RestrictTo({Algorithm::kHS256}).status()), JoseError::kKeyMismatch);
}

TEST(AttacksTest, A5_KeyFormatVariantsAsHmacSecret) {
  const Key pub = EdKey().PublicKey().value();
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pub.pkey(), &der);
  ASSERT_GT(len, 0);
  const std::string der_bytes(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  const std::string pem = PublicKeyToPem(pub).value();
  const std::vector<std::string> secrets = {
      der_bytes + std::string(32, '\0'), "\n" + pem, "x" + pem,
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDdaxX1nMfHZt1hLjZu4yHkMBxXS4yEJzuDVoXF8iB9H",
      DumpCompact(PublicJwk(pub, "").value())};
  for (const std::string& secret : secrets) {
    const Key mac = Key::FromSecret(secret, Algorithm::kHS256).value();
    EXPECT_EQ(Outcome(SignRaw(R"({"alg":"HS256"})", mac, Algorithm::kHS256), pub),
              JoseError::kAlgNotAllowed);
  }
}

TEST(AttacksTest, A6_AlgSubstitutionWithinFamily) {
  const Key ps256 = RsaKey().RestrictTo({Algorithm::kPS256}).value();
  const Key signer =
      RsaKey().RestrictTo({Algorithm::kRS256, Algorithm::kRS512, Algorithm::kPS384}).value();
  for (Algorithm alg : {Algorithm::kRS256, Algorithm::kRS512, Algorithm::kPS384}) {
    const std::string header = R"({"alg":")" + std::string(AlgorithmName(alg)) + R"("})";
    EXPECT_EQ(Outcome(SignRaw(header, signer, alg), ps256.PublicKey().value()),
              JoseError::kAlgNotAllowed);
  }
  EXPECT_EQ(
      Outcome(SignRaw(R"({"alg":"PS256"})", ps256, Algorithm::kPS256), ps256.PublicKey().value()),
      JoseError::kNone);
  // "Ed25519" (RFC 9864) is not an algorithm name Tessera accepts for an EdDSA key.
  EXPECT_EQ(ParseError(Token(R"({"alg":"Ed25519"})")), JoseError::kAlgUnknown);
}

TEST(AttacksTest, A7_EcdsaAlgCurveMismatch) {
  const Key p384 = GenerateKey(KeyType::kEc, 384).value();
  const Key p256 = P256Key().PublicKey().value();
  // ES256 header on a P-384 key, ES384 header on a P-256 key.
  EXPECT_EQ(Outcome(Token(R"({"alg":"ES256"})", std::string(64, 'x')), p384),
            JoseError::kAlgNotAllowed);
  EXPECT_EQ(Outcome(Token(R"({"alg":"ES384"})", std::string(96, 'x')), p256),
            JoseError::kAlgNotAllowed);
  EXPECT_EQ(JoseErrorOf(p384.RestrictTo({Algorithm::kES256}).status()), JoseError::kKeyMismatch);
  Json jwk = PublicJwk(p256, "").value();
  jwk["alg"] = "ES384";
  EXPECT_EQ(JoseErrorOf(ParseJwk(jwk).status()), JoseError::kKeyMismatch);
}

TEST(AttacksTest, A8_AlgMissingOrNotString) {
  for (std::string_view h : {R"({"typ":"JWT"})", R"({"alg":null})", R"({"alg":["RS256","none"]})",
                             R"({"alg":{"name":"RS256"}})", R"({"alg":256})", R"({"alg":true})"}) {
    EXPECT_EQ(ParseError(Token(h)), JoseError::kAlgMissing) << h;
  }
}

TEST(AttacksTest, A9_UnknownAlgorithms) {
  for (std::string_view alg : {"HS1", "RS1", "ES256K", "ES224", "Ed448", "RSA-OAEP", "A256KW",
                               "dir", "rs256", "RS256 ", "PS256\\u0000"}) {
    EXPECT_EQ(ParseError(Token(R"({"alg":")" + std::string(alg) + R"("})")), JoseError::kAlgUnknown)
        << alg;
  }
}

TEST(AttacksTest, A10_WeakHmacSecret) {
  for (std::string_view s : {"", "secret", "password", "0123456789abcdef0123456789abcde"}) {
    EXPECT_EQ(JoseErrorOf(Key::FromSecret(s, Algorithm::kHS256).status()), JoseError::kKeyTooWeak)
        << s;
  }
  EXPECT_EQ(JoseErrorOf(Key::FromSecret(std::string(47, 'k'), Algorithm::kHS384).status()),
            JoseError::kKeyTooWeak);
  EXPECT_EQ(JoseErrorOf(Key::FromSecret(std::string(63, 'k'), Algorithm::kHS512).status()),
            JoseError::kKeyTooWeak);
  EXPECT_TRUE(Key::FromSecret(std::string(32, 'k'), Algorithm::kHS256).ok());
  // A MAC made with an empty key never verifies against a real secret (the empty key cannot exist).
  const Key real = Key::FromSecret(std::string(32, 'k'), Algorithm::kHS256).value();
  unsigned char empty_mac[32];
  unsigned int n = 0;
  const std::string input = Enc(R"({"alg":"HS256"})") + "." + Enc("{}");
  HMAC(EVP_sha256(), "", 0, reinterpret_cast<const unsigned char*>(input.data()), input.size(),
       empty_mac, &n);
  EXPECT_EQ(JoseErrorOf(real.Verify(Algorithm::kHS256, input,
                                    std::string(reinterpret_cast<char*>(empty_mac), n))),
            JoseError::kSignatureInvalid);
}

TEST(AttacksTest, A11_MacMismatchAtAnyPositionIsTheSameError) {
  const Key key = Key::FromSecret(std::string(32, 's'), Algorithm::kHS256).value();
  const std::string mac = key.Sign(Algorithm::kHS256, "input").value();
  for (size_t i = 0; i < mac.size(); ++i) {
    std::string bad = mac;
    bad[i] = static_cast<char>(bad[i] ^ 0x80);
    EXPECT_EQ(JoseErrorOf(key.Verify(Algorithm::kHS256, "input", bad)),
              JoseError::kSignatureInvalid)
        << i;
  }
}

TEST(AttacksTest, A12_TruncatedMac) {
  const Key key = Key::FromSecret(std::string(32, 's'), Algorithm::kHS256).value();
  const std::string token = SignRaw(R"({"alg":"HS256"})", key, Algorithm::kHS256);
  Result<Jws> jws = ParseJwt(token);
  ASSERT_TRUE(jws.ok());
  const std::string truncated =
      token.substr(0, token.rfind('.') + 1) + Enc(jws->signature.substr(0, 16));
  EXPECT_EQ(Outcome(truncated, key), JoseError::kSignatureLength);
  EXPECT_EQ(Outcome(token, key), JoseError::kNone);
}

// ---- B. Signature format and crypto edge cases ----

TEST(AttacksTest, B1_PsychicSignatureZeroRAndS) {
  EXPECT_EQ(Outcome(Token(R"({"alg":"ES256"})", std::string(64, '\0')), P256Key()),
            JoseError::kSignatureInvalid);
  const std::string token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjIn0." + std::string(86, 'A');
  EXPECT_EQ(Outcome(token, P256Key()), JoseError::kSignatureInvalid);
  std::string r0s1(64, '\0');
  r0s1[63] = 1;
  EXPECT_EQ(Outcome(Token(R"({"alg":"ES256"})", r0s1), P256Key()), JoseError::kSignatureInvalid);
  const Key p384 = GenerateKey(KeyType::kEc, 384).value();
  const Key p521 = GenerateKey(KeyType::kEc, 521).value();
  EXPECT_EQ(Outcome(Token(R"({"alg":"ES384"})", std::string(96, '\0')), p384),
            JoseError::kSignatureInvalid);
  EXPECT_EQ(Outcome(Token(R"({"alg":"ES512"})", std::string(132, '\0')), p521),
            JoseError::kSignatureInvalid);
}

// The raw R||S of `token` converted to DER as OpenSSL would emit it.
std::string RawToDerForTest(const std::string& raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

TEST(AttacksTest, B2_DerEcdsaSignature) {
  const std::string token = SignRaw(R"({"alg":"ES256"})", P256Key(), Algorithm::kES256);
  Result<Jws> jws = ParseJwt(token);
  ASSERT_TRUE(jws.ok());
  const std::string prefix = token.substr(0, token.rfind('.') + 1);
  EXPECT_EQ(Outcome(prefix + Enc(RawToDerForTest(jws->signature)), P256Key()),
            JoseError::kSignatureLength);
  EXPECT_EQ(Outcome(prefix + Enc(jws->signature.substr(1)), P256Key()),
            JoseError::kSignatureLength);
  EXPECT_EQ(Outcome(prefix + Enc(std::string(1, '\0') + jws->signature), P256Key()),
            JoseError::kSignatureLength);
  EXPECT_EQ(Outcome(token, P256Key()), JoseError::kNone);
}

TEST(AttacksTest, B3_EcdsaMalleabilityStillVerifies) {
  // (r, n - s) is a second valid signature of the same message: replay detection must key on
  // (iss, jti), never on the signature bytes (src/oauth tests the replay itself).
  const std::string input = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjIn0";
  const std::string sig = P256Key().Sign(Algorithm::kES256, input).value();
  BIGNUM* n = BN_new();
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  EC_GROUP_get_order(group, n, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr);
  BN_sub(s, n, s);
  std::string twin = sig;
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(twin.data()) + 32, 32);
  BN_free(s);
  BN_free(n);
  EC_GROUP_free(group);
  EXPECT_NE(twin, sig);
  EXPECT_TRUE(P256Key().Verify(Algorithm::kES256, input, twin).ok());
}

// RSA private operation on a chosen EM (RSA_NO_PADDING): a "signature" whose EM we control.
std::string RawRsa(const Key& key, const std::string& em) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key.pkey(), nullptr);
  EVP_PKEY_sign_init(ctx);
  EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING);
  std::string out(256, '\0');
  size_t len = out.size();
  EXPECT_EQ(EVP_PKEY_sign(ctx, reinterpret_cast<unsigned char*>(out.data()), &len,
                          reinterpret_cast<const unsigned char*>(em.data()), em.size()),
            1);
  EVP_PKEY_CTX_free(ctx);
  return out;
}

// EMSA-PKCS1-v1_5 (RFC 8017 9.2) of SHA-256(input) with `digest_info_prefix` and `trailer`.
std::string Em(const std::string& input, const std::string& prefix,
               const std::string& trailer = "") {
  unsigned char h[32];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), h);
  const std::string t = prefix + std::string(reinterpret_cast<char*>(h), 32) + trailer;
  return std::string("\x00\x01", 2) + std::string(256 - 3 - t.size(), '\xff') +
         std::string(1, '\0') + t;
}

TEST(AttacksTest, B4_RsaPkcs1PaddingForgeries) {
  const std::string input = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjIn0";
  const std::string sha256_info(
      "\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20", 19);
  const std::string missing_null(
      "\x30\x2f\x30\x0b\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x04\x20", 17);
  const std::string ber_length(
      "\x30\x81\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20", 20);
  const Key& key = RsaKey();
  // Positive control: the correctly encoded EM, signed raw, verifies.
  EXPECT_TRUE(key.Verify(Algorithm::kRS256, input, RawRsa(key, Em(input, sha256_info))).ok());
  EXPECT_EQ(JoseErrorOf(key.Verify(Algorithm::kRS256, input, RawRsa(key, Em(input, missing_null)))),
            JoseError::kSignatureInvalid);
  EXPECT_EQ(JoseErrorOf(key.Verify(Algorithm::kRS256, input, RawRsa(key, Em(input, ber_length)))),
            JoseError::kSignatureInvalid);
  // Garbage after the digest (shorter padding so the total stays k bytes).
  EXPECT_EQ(JoseErrorOf(
                key.Verify(Algorithm::kRS256, input, RawRsa(key, Em(input, sha256_info, "junk")))),
            JoseError::kSignatureInvalid);
  // SHA-1 DigestInfo over SHA-256 bytes: wrong hash OID.
  const std::string sha1_info("\x30\x21\x30\x09\x06\x05\x2b\x0e\x03\x02\x1a\x05\x00\x04\x14", 15);
  EXPECT_EQ(JoseErrorOf(key.Verify(Algorithm::kRS256, input, RawRsa(key, Em(input, sha1_info)))),
            JoseError::kSignatureInvalid);
}

TEST(AttacksTest, B5_RsaSignatureLengthAndRange) {
  const Key& key = RsaKey();
  const std::string input = "a.b";
  const std::string good = key.Sign(Algorithm::kRS256, input).value();
  EXPECT_EQ(JoseErrorOf(key.Verify(Algorithm::kRS256, input, std::string(256, '\0'))),
            JoseError::kSignatureInvalid);
  std::string one(256, '\0');
  one[255] = 1;
  EXPECT_EQ(JoseErrorOf(key.Verify(Algorithm::kRS256, input, one)), JoseError::kSignatureInvalid);
  BIGNUM* n = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(key.pkey(), "n", &n), 1);
  std::string n_bytes(256, '\0');
  BN_bn2binpad(n, reinterpret_cast<unsigned char*>(n_bytes.data()), 256);
  BN_free(n);
  EXPECT_EQ(JoseErrorOf(key.Verify(Algorithm::kRS256, input, n_bytes)),
            JoseError::kSignatureInvalid);
  EXPECT_EQ(JoseErrorOf(key.Verify(Algorithm::kRS256, input, std::string(1, '\0') + good)),
            JoseError::kSignatureLength);
  EXPECT_EQ(JoseErrorOf(key.Verify(Algorithm::kRS256, input, good + std::string(1, '\0'))),
            JoseError::kSignatureLength);
  EXPECT_EQ(JoseErrorOf(key.Verify(Algorithm::kRS256, input, good.substr(1))),
            JoseError::kSignatureLength);
  EXPECT_TRUE(key.Verify(Algorithm::kRS256, input, good).ok());
}

TEST(AttacksTest, B6_PssSaltLength) {
  const Key key = RsaKey().RestrictTo({Algorithm::kPS256}).value();
  const std::string input = "a.b";
  for (int salt : {0, 20, 32}) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    ASSERT_EQ(EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nullptr, key.pkey()), 1);
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt);
    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
    std::string sig(256, '\0');
    size_t len = sig.size();
    ASSERT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()),
              1);
    EVP_MD_CTX_free(ctx);
    EXPECT_EQ(JoseErrorOf(key.Verify(Algorithm::kPS256, input, sig)),
              salt == 32 ? JoseError::kNone : JoseError::kSignatureInvalid)
        << "salt " << salt;
  }
}

TEST(AttacksTest, B7_Ed25519MalleabilityAndEncoding) {
  const std::string input = "a.b";
  const std::string sig = EdKey().Sign(Algorithm::kEdDSA, input).value();
  // S + L (RFC 8032 5.1.7: S must be < L). L = 2^252 + 27742317777372353535851937790883648493, LE.
  static const unsigned char kL[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                       0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
  std::string malleated = sig;
  unsigned carry = 0;
  for (int i = 0; i < 32; ++i) {
    const unsigned v = static_cast<unsigned char>(sig[32 + i]) + kL[i] + carry;
    malleated[32 + i] = static_cast<char>(v & 0xff);
    carry = v >> 8;
  }
  EXPECT_EQ(JoseErrorOf(EdKey().Verify(Algorithm::kEdDSA, input, malleated)),
            JoseError::kSignatureInvalid);
  EXPECT_EQ(JoseErrorOf(EdKey().Verify(Algorithm::kEdDSA, input, sig + "x")),
            JoseError::kSignatureLength);
  EXPECT_EQ(JoseErrorOf(EdKey().Verify(Algorithm::kEdDSA, input, sig.substr(0, 63))),
            JoseError::kSignatureLength);
  EXPECT_TRUE(EdKey().Verify(Algorithm::kEdDSA, input, sig).ok());
  // JWK: x must be exactly 32 bytes on crv Ed25519.
  EXPECT_EQ(JoseErrorOf(ParseJwkText(R"({"kty":"OKP","crv":"Ed25519","x":"AAAA"})").status()),
            JoseError::kJwkInvalid);
  EXPECT_EQ(JoseErrorOf(ParseJwkText(R"({"kty":"OKP","crv":"Ed448","x":"AAAA"})").status()),
            JoseError::kKeyUnsupported);
}

TEST(AttacksTest, B8_WeakKeys) {
  EVP_PKEY* rsa1024 = EVP_RSA_gen(1024);
  ASSERT_NE(rsa1024, nullptr);
  EXPECT_EQ(JoseErrorOf(Key::FromPkey(PkeyPtr(rsa1024)).status()), JoseError::kKeyTooWeak);
  EXPECT_EQ(JoseErrorOf(GenerateKey(KeyType::kRsa, 1024).status()), JoseError::kKeyTooWeak);
  Json jwk = PublicJwk(RsaKey(), "").value();
  for (std::string_view e : {"AQ", "Ag", "AAE"}) {  // e = 1, e = 2, and a non-minimal 1
    jwk["e"] = e;
    EXPECT_EQ(JoseErrorOf(ParseJwk(jwk).status()), JoseError::kKeyTooWeak) << e;
  }
  Json ec = PublicJwk(P256Key(), "").value();
  std::string y = Base64UrlDecode(ec["y"].get<std::string>()).value();
  y[31] = static_cast<char>(y[31] ^ 1);
  ec["y"] = Enc(y);
  EXPECT_EQ(JoseErrorOf(ParseJwk(ec).status()), JoseError::kKeyInvalid);
}

TEST(AttacksTest, B9_SignedOverTheReceivedBytes) {
  const std::string token = SignRaw(R"({"alg":"ES256"})", P256Key(), Algorithm::kES256);
  std::string with_char = token;
  with_char.insert(5, "?");
  EXPECT_EQ(ParseError(with_char), JoseError::kBadBase64Url);
  // A non-canonical last character of the payload decodes to the same bytes: still rejected.
  const size_t dot2 = token.rfind('.');
  std::string noncanonical = token;
  char& last = noncanonical[dot2 - 1];
  last = static_cast<char>(last + 1);
  EXPECT_EQ(ParseError(noncanonical), JoseError::kBadBase64Url);
}

TEST(AttacksTest, B10_JweFiveSegments) {
  EXPECT_EQ(ParseError("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXY.Y3Q.dGFn"),
            JoseError::kMalformedSegments);
}

TEST(AttacksTest, B11_Pbes2HeaderIsNoJws) {
  EXPECT_EQ(ParseError(Token(R"({"alg":"PBES2-HS256+A128KW","p2c":2147483647})")),
            JoseError::kAlgUnknown);
  EXPECT_EQ(ParseError(Token(R"({"alg":"ECDH-ES","epk":{}})")), JoseError::kAlgUnknown);
}

// ---- C. Key-carrying headers ----

TEST(AttacksTest, C1_EmbeddedJwkHeader) {
  const Key attacker = GenerateKey(KeyType::kEc, 256).value();
  const std::string header =
      R"({"alg":"ES256","jwk":)" + DumpCompact(PublicJwk(attacker, "").value()) + "}";
  const std::string token = SignRaw(header, attacker, Algorithm::kES256);
  EXPECT_EQ(ParseError(token), JoseError::kKeyHeaderForbidden);
  // Even where key headers are tolerated, the key comes from the store: the signature fails.
  JwsOptions lenient;
  lenient.allow_key_headers = true;
  EXPECT_EQ(Outcome(token, P256Key(), lenient), JoseError::kSignatureInvalid);
}

TEST(AttacksTest, C2_JkuHeader) {
  EXPECT_EQ(ParseError(Token(R"({"alg":"RS256","jku":"https://attacker.example/jwks.json"})")),
            JoseError::kKeyHeaderForbidden);
  EXPECT_EQ(
      ParseError(Token(R"({"alg":"RS256","jku":"http://169.254.169.254/latest/meta-data/"})")),
      JoseError::kKeyHeaderForbidden);
}

TEST(AttacksTest, C3_X5uHeader) {
  EXPECT_EQ(ParseError(Token(R"({"alg":"RS256","x5u":"https://attacker/cert.pem"})")),
            JoseError::kKeyHeaderForbidden);
}

TEST(AttacksTest, C4_X5cHeader) {
  const Certificate cert =
      MakeSelfSignedCertificate(P256Key(), "CN=attacker", 1, 1700000000).value();
  const std::string header = R"({"alg":"ES256","x5c":[")" + Base64Encode(cert.der) + R"("]})";
  EXPECT_EQ(ParseError(SignRaw(header, P256Key(), Algorithm::kES256)),
            JoseError::kKeyHeaderForbidden);
}

TEST(AttacksTest, C6_KidOfTheWrongTypeOrSize) {
  EXPECT_EQ(ParseError(Token(R"({"alg":"HS256","kid":{"$ne":null}})")), JoseError::kBadHeaderValue);
  EXPECT_EQ(ParseError(Token(R"({"alg":"HS256","kid":7})")), JoseError::kBadHeaderValue);
  EXPECT_EQ(ParseError(Token(R"({"alg":"HS256","kid":")" + std::string(257, 'k') + R"("})")),
            JoseError::kBadHeaderValue);
  EXPECT_EQ(ParseError(Token(R"({"alg":"HS256","x5t":["a"]})")), JoseError::kBadHeaderValue);
  EXPECT_EQ(ParseError(Token(R"({"alg":"HS256","x5t#S256":1})")), JoseError::kBadHeaderValue);
  EXPECT_EQ(ParseError(Token(R"({"alg":"HS256","typ":null})")), JoseError::kBadHeaderValue);
  // Injection strings are opaque values handed to the caller's lookup, never interpreted here.
  for (std::string_view kid : {"../../../../dev/null", "x' UNION SELECT '1';--", "|sleep 10"}) {
    Result<Jws> jws = ParseJwt(Token(R"({"alg":"HS256","kid":")" + std::string(kid) + R"("})"));
    ASSERT_TRUE(jws.ok());
    EXPECT_EQ(*jws->kid, kid);
  }
}

TEST(AttacksTest, C11_JwksHygiene) {
  const std::string rsa = DumpCompact(PublicJwk(RsaKey(), "a").value());
  EXPECT_EQ(JoseErrorOf(ParseJwks(R"({"keys":[)" + rsa + "," + rsa + "]}").status()),
            JoseError::kJwkInvalid);
  JwkOptions sym;
  sym.allow_symmetric = true;
  const std::string oct =
      R"({"kty":"oct","kid":"s","alg":"HS256","k":")" + Enc(std::string(32, 'k')) + R"("})";
  EXPECT_EQ(JoseErrorOf(ParseJwks(R"({"keys":[)" + rsa + "," + oct + "]}", sym).status()),
            JoseError::kJwkInvalid);
  JwkOptions priv;
  priv.allow_private = true;
  Json with_d = PublicJwk(P256Key(), "").value();
  with_d["d"] = Enc(std::string(32, '\x01'));
  EXPECT_EQ(JoseErrorOf(ParseJwk(with_d).status()), JoseError::kJwkInvalid);
}

TEST(AttacksTest, C12_UseAndKeyOpsMismatch) {
  Json jwk = PublicJwk(P256Key(), "").value();
  jwk["use"] = "enc";
  EXPECT_EQ(JoseErrorOf(ParseJwk(jwk).status()), JoseError::kJwkInvalid);
  jwk.erase("use");
  jwk["key_ops"] = {"encrypt"};
  EXPECT_EQ(JoseErrorOf(ParseJwk(jwk).status()), JoseError::kJwkInvalid);
}

// ---- D. Header semantics ----

TEST(AttacksTest, D1_UnknownCriticalHeader) {
  EXPECT_EQ(
      ParseError(Token(
          R"({"alg":"ES256","crit":["http://example.com/must-understand"],"http://example.com/must-understand":true})")),
      JoseError::kCritUnsupported);
}

TEST(AttacksTest, D2_MalformedCrit) {
  for (std::string_view h :
       {R"({"alg":"ES256","crit":[]})", R"({"alg":"ES256","crit":"x","x":1})",
        R"({"alg":"ES256","crit":["alg"]})", R"({"alg":"ES256","crit":["exp"]})",
        R"({"alg":"ES256","crit":["x","x"],"x":1})", R"({"alg":"ES256","crit":["foo"]})",
        R"({"alg":"ES256","crit":[1]})"}) {
    EXPECT_EQ(ParseError(Token(h)), JoseError::kCritMalformed) << h;
  }
  EXPECT_EQ(ParseError("eyJhbGciOiJFUzI1NiIsImNyaXQiOlsiZXhwIl19.eyJzdWIiOiJjIn0.c2ln"),
            JoseError::kCritMalformed);
}

TEST(AttacksTest, D3_UnencodedPayload) {
  EXPECT_EQ(
      ParseError("eyJhbGciOiJIUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il19.eyJzdWIiOiJjIn0.c2ln"),
      JoseError::kUnencodedPayload);
  EXPECT_EQ(ParseError(Token(R"({"alg":"HS256","b64":false})")), JoseError::kUnencodedPayload);
  EXPECT_EQ(ParseError(Token(R"({"alg":"HS256","b64":true})")), JoseError::kUnencodedPayload);
}

TEST(AttacksTest, D4_NestedJwt) {
  EXPECT_EQ(ParseError(Token(R"({"alg":"RS256","cty":"JWT"})")), JoseError::kUnsupportedHeader);
}

TEST(AttacksTest, D5_TypIsReportedForTheCaller) {
  // The library reads "typ" as a bounded string; which values are accepted is the server's rule.
  Result<Jws> jws = ParseJwt(Token(R"({"alg":"RS256","typ":"at+jwt"})"));
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(*jws->typ, "at+jwt");
}

TEST(AttacksTest, D6_JsonSerialization) {
  EXPECT_EQ(
      ParseError(
          R"({"payload":"Zm9v","signatures":[{"protected":"eyJhbGciOiJFUzI1NiJ9","signature":"c2ln"}]})"),
      JoseError::kMalformedSegments);
  // Three '.'-separated parts, but the first is not base64url: still refused.
  EXPECT_EQ(ParseError(
                R"({"payload":"Zm9v","protected":"eyJ","header":{"kid":"a.b.c"},"signature":"x"})"),
            JoseError::kBadBase64Url);
}

TEST(AttacksTest, D8_ZipAndEncHeaders) {
  EXPECT_EQ(ParseError(Token(R"({"alg":"RS256","zip":"DEF"})")), JoseError::kUnsupportedHeader);
  EXPECT_EQ(ParseError(Token(R"({"alg":"RS256","enc":"A256GCM"})")), JoseError::kUnsupportedHeader);
}

// ---- E. Encoding, parsing and resource limits ----

TEST(AttacksTest, E1_SegmentCount) {
  for (std::string_view t : {"a.b", "a.b.c.d", "", ".", "abc", "a.b.c.d.e"}) {
    EXPECT_EQ(ParseError(t), JoseError::kMalformedSegments) << t;
  }
  const std::string h = Enc(R"({"alg":"RS256"})"), p = Enc(R"({"sub":"c"})");
  EXPECT_EQ(ParseError(h + "." + p + ".c2ln."), JoseError::kMalformedSegments);
  EXPECT_EQ(ParseError("." + p + ".c2ln"), JoseError::kBadJson);
  EXPECT_EQ(ParseError(h + "..c2ln"), JoseError::kBadJson);
  EXPECT_EQ(ParseError(".."), JoseError::kBadJson);  // an empty header is no JSON object
}

TEST(AttacksTest, E2_Padding) {
  EXPECT_EQ(ParseError("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0=.c2ln"), JoseError::kBadBase64Url);
  EXPECT_EQ(ParseError("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbg=="), JoseError::kBadBase64Url);
}

TEST(AttacksTest, E3_AlphabetAndWhitespace) {
  const std::string good = Token(R"({"alg":"RS256"})", "\xfb\xff sig");
  ASSERT_EQ(ParseError(good), JoseError::kNone);
  const size_t dot2 = good.rfind('.');
  for (const std::string& bad :
       {" " + good, good + "\n", good.substr(0, dot2) + "\r\n" + good.substr(dot2),
        good.substr(0, 4) + "#" + good.substr(4), good.substr(0, 4) + "%2E" + good.substr(4),
        good.substr(0, 4) + std::string(1, '\0') + good.substr(4)}) {
    EXPECT_EQ(ParseError(bad), JoseError::kBadBase64Url) << bad;
  }
  std::string std_alphabet = good;
  for (char& c : std_alphabet) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  ASSERT_NE(std_alphabet, good);
  EXPECT_EQ(ParseError(std_alphabet), JoseError::kBadBase64Url);
}

TEST(AttacksTest, E4_NonCanonicalBase64AndImpossibleLength) {
  EXPECT_EQ(ParseError(Enc(R"({"alg":"RS256"})") + ".eyJzdWIiOiJjIn0.AAAAA"),
            JoseError::kBadBase64Url);
  // "QR" decodes to the byte of "QQ" with non-zero unused bits.
  EXPECT_EQ(ParseError(Enc(R"({"alg":"RS256"})") + ".eyJzdWIiOiJjIn0.QR"),
            JoseError::kBadBase64Url);
}

TEST(AttacksTest, E5_NotUtf8Json) {
  EXPECT_EQ(ParseError(Token("\xef\xbb\xbf{\"alg\":\"RS256\"}")),
            JoseError::kBadJson);  // UTF-8 BOM
  EXPECT_EQ(ParseError(Token(std::string("\xff\xfe{\0\"\0", 6))), JoseError::kBadJson);  // UTF-16LE
  EXPECT_EQ(ParseError(Token("{\"alg\":\"RS256\",\"x\":\"\xc0\xaf\"}")), JoseError::kBadJson);
  EXPECT_EQ(ParseError(Token("{\"alg\":\"RS256\",\"x\":\"\xed\xa0\x80\"}")), JoseError::kBadJson);
  EXPECT_EQ(ParseError(Token(R"({"alg":"RS256","x":"\ud800"})")), JoseError::kBadJson);
}

TEST(AttacksTest, E6_LenientJson) {
  for (std::string_view h :
       {R"({"alg":"RS256"}xyz)", R"({"alg":"RS256",})", R"({'alg':'RS256'})", "/*c*/{}"}) {
    EXPECT_EQ(ParseError(Token(h)), JoseError::kBadJson) << h;
  }
  for (std::string_view c : {R"({"exp":Infinity})", R"({"exp":NaN})", R"({"exp":0017})"}) {
    EXPECT_EQ(ParseError(Token(R"({"alg":"RS256"})", "s", c)), JoseError::kBadJson) << c;
  }
  // Whitespace inside JSON is legal (WP-JWS 376, 377).
  EXPECT_EQ(ParseError(Token("{ \"alg\" :\n\t\"RS256\" }")), JoseError::kNone);
}

TEST(AttacksTest, E7_NotAnObject) {
  for (std::string_view h : {"[]", R"("RS256")", "null", "1"}) {
    EXPECT_EQ(ParseError(Token(h)), JoseError::kNotJsonObject) << h;
  }
  EXPECT_EQ(ParseError(Token(R"({"alg":"RS256"})", "s", R"([{"sub":"x"}])")),
            JoseError::kNotJsonObject);
  EXPECT_EQ(ParseError(Token(R"({"alg":"RS256"})", "s", R"("a.b.c")")), JoseError::kNotJsonObject);
}

TEST(AttacksTest, E8_DuplicateMembers) {
  EXPECT_EQ(ParseError("eyJhbGciOiJSUzI1NiIsImFsZyI6Im5vbmUifQ.eyJzdWIiOiJjIn0.c2ln"),
            JoseError::kDuplicateMember);
  for (std::string_view c :
       {R"({"sub":"client-a","sub":"admin"})", R"({"aud":"https://as","aud":"https://evil"})",
        R"({"exp":9999999999,"exp":1})"}) {
    EXPECT_EQ(ParseError(Token(R"({"alg":"RS256"})", "s", c)), JoseError::kDuplicateMember) << c;
  }
}

TEST(AttacksTest, E9_EscapedAndCaseVariantNames) {
  Result<Jws> escaped = ParseJwt(Token(R"({"\u0061lg":"RS256"})"));
  ASSERT_TRUE(escaped.ok());
  EXPECT_EQ(escaped->alg, Algorithm::kRS256);
  Result<Jws> upper = ParseJwt(Token(R"({"ALG":"none","alg":"RS256"})"));
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper->alg, Algorithm::kRS256);
  EXPECT_EQ(ParseError(Token(R"({"alg":"RS256","\u0061lg":"none"})")), JoseError::kDuplicateMember);
}

TEST(AttacksTest, E10_OversizedToken) {
  const std::string big_kid = R"({"alg":"RS256","kid":")" + std::string(1 << 20, 'k') + R"("})";
  EXPECT_EQ(ParseError(Token(big_kid)), JoseError::kTooLarge);
  JwsOptions small;
  small.max_bytes = 100;
  EXPECT_EQ(ParseError(Token(R"({"alg":"RS256"})", std::string(100, 's')), small),
            JoseError::kTooLarge);
}

TEST(AttacksTest, E11_DeepJson) {
  std::string deep =
      R"({"alg":"RS256","x":)" + std::string(10000, '[') + std::string(10000, ']') + "}";
  EXPECT_EQ(ParseError(Token(R"({"alg":"RS256"})", "s",
                             R"({"x":)" + std::string(5000, '[') + std::string(5000, ']') + "}")),
            JoseError::kJsonTooDeep);
  EXPECT_EQ(ParseError(Token(deep)), JoseError::kJsonTooDeep);
}

TEST(AttacksTest, E12_PathologicalNumbers) {
  EXPECT_EQ(ParseError(Token(R"({"alg":"RS256"})", "s", R"({"exp":1e400})")), JoseError::kBadJson);
  // Parsed into bounded types; the claim rules (claims_test.cc) reject the rest.
  for (std::string_view c : {R"({"exp":9223372036854775808})", R"({"exp":-1})", R"({"exp":1.7e9})",
                             R"({"exp":17000000000000000000000000000000})"}) {
    EXPECT_EQ(ParseError(Token(R"({"alg":"RS256"})", "s", c)), JoseError::kNone) << c;
  }
}

// ---- Signing ----

TEST(SignTest, AHeaderEncodedOnceSignsWhatSignJwtSigns) {
  const Json header = {{"kid", "k1"}, {"typ", "JWT"}};
  const std::string encoded = EncodeProtectedHeader(Algorithm::kHS256, header);
  EXPECT_EQ(Base64UrlDecode(encoded).value(), R"({"alg":"HS256","kid":"k1","typ":"JWT"})");
  const Key mac = Key::FromSecret(std::string(32, 'k'), Algorithm::kHS256).value();
  // HMAC is deterministic: the same bytes either way.
  EXPECT_EQ(SignEncoded(encoded, DumpCompact(kClaims), mac, Algorithm::kHS256).value(),
            SignJwt(kClaims, mac, Algorithm::kHS256, header).value());
  const std::string es256 = SignEncoded(EncodeProtectedHeader(Algorithm::kES256, header),
                                        DumpCompact(kClaims), P256Key(), Algorithm::kES256)
                                .value();
  EXPECT_EQ(Outcome(es256, P256Key().PublicKey().value()), JoseError::kNone);
  // The key's pin holds whatever the encoded header says.
  EXPECT_FALSE(SignEncoded(encoded, DumpCompact(kClaims), P256Key(), Algorithm::kHS256).ok());
}

}  // namespace
}  // namespace tessera::jose
