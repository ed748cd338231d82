#include "jose/jwk.h"

#include <gtest/gtest.h>

#include "jose/base64url.h"
#include "jose/error.h"
#include "jose/keyio.h"
#include "jose/test_examples.h"

namespace tessera::jose {
namespace {

JoseError JwkError(const Json& jwk, const JwkOptions& options = {}) {
  return JoseErrorOf(ParseJwk(jwk, options).status());
}

TEST(JwkTest, Rfc7638Thumbprint) {
  Result<Jwk> jwk = ParseJwkText(testing::kRfc7638Jwk);
  ASSERT_TRUE(jwk.ok()) << jwk.status().ToString();
  EXPECT_EQ(jwk->kid, "2011-04-29");
  EXPECT_EQ(jwk->key.algorithms(), AlgorithmSet{Algorithm::kRS256});
  EXPECT_EQ(JwkThumbprint(jwk->key).value(), testing::kRfc7638Thumbprint);
}

TEST(JwkTest, RoundTripEveryKeyType) {
  const std::vector<Key> keys = {
      GenerateKey(KeyType::kRsa, 2048).value(), GenerateKey(KeyType::kEc, 256).value(),
      GenerateKey(KeyType::kEc, 384).value(), GenerateKey(KeyType::kEc, 521).value(),
      GenerateKey(KeyType::kEd25519, 256).value()};
  for (const Key& key : keys) {
    Result<Json> jwk = PublicJwk(key, "kid-1");
    ASSERT_TRUE(jwk.ok());
    EXPECT_EQ((*jwk)["use"], "sig");
    EXPECT_EQ((*jwk)["kid"], "kid-1");
    EXPECT_EQ((*jwk)["alg"], std::string(AlgorithmName(key.algorithms().First())));
    EXPECT_FALSE(jwk->contains("d"));
    Result<Jwk> back = ParseJwkText(DumpCompact(*jwk));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->kid, "kid-1");
    EXPECT_EQ(back->key.type(), key.type());
    EXPECT_EQ(back->key.bits(), key.bits());
    EXPECT_FALSE(back->key.has_private());
    EXPECT_EQ(PublicJwk(back->key, "kid-1").value(), *jwk);
    EXPECT_EQ(JwkThumbprint(back->key).value(), JwkThumbprint(key).value());
    // The re-imported public key verifies what the original signs.
    const Algorithm alg = key.algorithms().First();
    EXPECT_TRUE(back->key.Verify(alg, "a.b", key.Sign(alg, "a.b").value()).ok())
        << KeyTypeName(key.type());
  }
  // P-521 coordinates keep their 66-byte width (RFC 7518 6.2.1.2), even with leading zeros.
  Json p521 = PublicJwk(keys[3], "").value();
  EXPECT_EQ(Base64UrlDecode(p521["x"].get<std::string>())->size(), 66u);
  EXPECT_EQ(
      JoseErrorOf(
          PublicJwk(Key::FromSecret(std::string(32, 'k'), Algorithm::kHS256).value(), "").status()),
      JoseError::kKeyUnsupported);
}

TEST(JwkTest, PrivateMembersRefusedByDefault) {
  JwkOptions priv;
  priv.allow_private = true;
  Result<Json> a2 = ParseStrictJson(testing::kA2Jwk);
  ASSERT_TRUE(a2.ok());
  EXPECT_EQ(JwkError(*a2), JoseError::kJwkInvalid);
  Result<Jwk> key = ParseJwk(*a2, priv);
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(key->key.has_private());
  for (const char* m : {"d", "p", "q", "dp", "dq", "qi", "oth"}) {
    Json pub = PublicJwk(key->key, "").value();
    pub[m] = "AQAB";
    EXPECT_EQ(JwkError(pub), JoseError::kJwkInvalid) << m;
  }
  // An Ed25519 "d" that does not match "x".
  Json ed = ParseStrictJson(testing::kEd25519PrivateJwk).value();
  ed["x"] = Base64UrlEncode(std::string(32, '\x01'));
  EXPECT_NE(JwkError(ed, priv), JoseError::kNone);
}

TEST(JwkTest, UseKeyOpsAndAlgPinning) {
  const Key ec = GenerateKey(KeyType::kEc, 256).value();
  Json jwk = PublicJwk(ec, "").value();
  for (const Json& use : {Json("enc"), Json(1), Json("SIG")}) {
    jwk["use"] = use;
    EXPECT_EQ(JwkError(jwk), JoseError::kJwkInvalid) << use;
  }
  jwk.erase("use");
  jwk["key_ops"] = {"verify"};
  EXPECT_EQ(JwkError(jwk), JoseError::kNone);
  jwk["key_ops"] = {"encrypt", "decrypt"};
  EXPECT_EQ(JwkError(jwk), JoseError::kJwkInvalid);
  jwk["key_ops"] = "verify";
  EXPECT_EQ(JwkError(jwk), JoseError::kJwkInvalid);
  jwk.erase("key_ops");
  // "alg" pins the key; one that does not suit it is refused.
  const Key rsa = GenerateKey(KeyType::kRsa, 2048).value();
  Json r = PublicJwk(rsa, "").value();
  r["alg"] = "PS256";
  Result<Jwk> ps = ParseJwk(r);
  ASSERT_TRUE(ps.ok());
  EXPECT_EQ(ps->key.algorithms(), AlgorithmSet{Algorithm::kPS256});
  EXPECT_EQ(JoseErrorOf(ps->key.Verify(Algorithm::kRS256, "a", std::string(256, 'x'))),
            JoseError::kAlgNotAllowed);
  r["alg"] = "ES256";
  EXPECT_EQ(JwkError(r), JoseError::kKeyMismatch);
  r["alg"] = "none";
  EXPECT_EQ(JwkError(r), JoseError::kAlgUnknown);
  r["alg"] = "RSA-OAEP";
  EXPECT_EQ(JwkError(r), JoseError::kAlgUnknown);
  r["alg"] = 256;
  EXPECT_EQ(JwkError(r), JoseError::kJwkInvalid);
  // Without "alg" an RSA key keeps the contract's default, RS256.
  r.erase("alg");
  EXPECT_EQ(ParseJwk(r)->key.algorithms(), AlgorithmSet{Algorithm::kRS256});
}

TEST(JwkTest, MembersAreStrict) {
  const Key ec = GenerateKey(KeyType::kEc, 256).value();
  const Json good = PublicJwk(ec, "").value();
  Json j = good;
  j.erase("kty");
  EXPECT_EQ(JwkError(j), JoseError::kJwkInvalid);
  j = good;
  j["kty"] = "ec";
  EXPECT_EQ(JwkError(j), JoseError::kKeyUnsupported);
  j = good;
  j["x"] = j["x"].get<std::string>() + "=";
  EXPECT_EQ(JwkError(j), JoseError::kJwkInvalid);
  j = good;
  j["x"] =
      Base64UrlEncode(std::string(1, '\0') + Base64UrlDecode(good["x"].get<std::string>()).value());
  EXPECT_EQ(JwkError(j), JoseError::kJwkInvalid);  // 33-byte coordinate
  j = good;
  j["crv"] = "P-256K";
  EXPECT_EQ(JwkError(j), JoseError::kKeyUnsupported);
  j = good;
  j["crv"] = "P-384";
  EXPECT_EQ(JwkError(j), JoseError::kJwkInvalid);  // 32-byte coordinates on P-384
  j = good;
  j["kid"] = 5;
  EXPECT_EQ(JwkError(j), JoseError::kJwkInvalid);
  EXPECT_EQ(JwkError(Json::array()), JoseError::kJwkInvalid);
  EXPECT_EQ(JwkError({{"kty", "RSA"}, {"n", ""}, {"e", "AQAB"}}), JoseError::kJwkInvalid);
}

// Key policy (docs/security.md): a public point must lie on its curve, whichever curve; the
// quick validation refuses it as the full one did (the three curves have cofactor 1).
TEST(JwkTest, EcPointsOffTheCurveOrOutOfRangeAreRefused) {
  for (int bits : {256, 384, 521}) {
    const Json good = PublicJwk(GenerateKey(KeyType::kEc, bits).value(), "").value();
    ASSERT_TRUE(ParseJwk(good).ok()) << bits;
    Json j = good;
    std::string y = Base64UrlDecode(good["y"].get<std::string>()).value();
    y.back() = static_cast<char>(y.back() ^ 1);
    j["y"] = Base64UrlEncode(y);
    EXPECT_EQ(JwkError(j), JoseError::kKeyInvalid) << bits;
  }
  // x = p, the field prime of P-256: out of range, never reduced to the point x = 0.
  Json j = PublicJwk(GenerateKey(KeyType::kEc, 256).value(), "").value();
  const unsigned char p256[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  j["x"] = Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(p256), sizeof(p256)));
  EXPECT_EQ(JwkError(j), JoseError::kKeyInvalid);
}

TEST(JwkTest, OctOnlyWhenAllowedAndPinned) {
  const Json oct = {{"kty", "oct"}, {"alg", "HS256"}, {"k", Base64UrlEncode(std::string(32, 'k'))}};
  EXPECT_EQ(JwkError(oct), JoseError::kKeyUnsupported);
  JwkOptions sym;
  sym.allow_symmetric = true;
  Result<Jwk> k = ParseJwk(oct, sym);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->key.type(), KeyType::kHmac);
  Json no_alg = oct;
  no_alg.erase("alg");
  EXPECT_EQ(JwkError(no_alg, sym), JoseError::kJwkInvalid);
  Json short_key = oct;
  short_key["k"] = Base64UrlEncode(std::string(16, 'k'));
  EXPECT_EQ(JwkError(short_key, sym), JoseError::kKeyTooWeak);
  short_key["k"] = "";
  EXPECT_EQ(JwkError(short_key, sym), JoseError::kKeyTooWeak);
  Json aes = oct;
  aes["alg"] = "A256GCM";
  EXPECT_EQ(JwkError(aes, sym), JoseError::kAlgUnknown);
}

TEST(JwkTest, KeySets) {
  const std::string a = DumpCompact(PublicJwk(GenerateKey(KeyType::kEc, 256).value(), "a").value());
  const std::string b =
      DumpCompact(PublicJwk(GenerateKey(KeyType::kEd25519, 256).value(), "b").value());
  Result<std::vector<Jwk>> set = ParseJwks(R"({"keys":[)" + a + "," + b + "]}");
  ASSERT_TRUE(set.ok());
  ASSERT_EQ(set->size(), 2u);
  EXPECT_EQ((*set)[1].kid, "b");
  EXPECT_EQ(JoseErrorOf(ParseJwks(R"({"keys":[)" + a + "," + a + "]}").status()),
            JoseError::kJwkInvalid);
  JwkOptions sym;
  sym.allow_symmetric = true;
  const std::string oct = R"({"kty":"oct","kid":"s","alg":"HS256","k":")" +
                          Base64UrlEncode(std::string(32, 'k')) + R"("})";
  EXPECT_EQ(JoseErrorOf(ParseJwks(R"({"keys":[)" + oct + "," + a + "]}", sym).status()),
            JoseError::kJwkInvalid);
  EXPECT_TRUE(ParseJwks(R"({"keys":[)" + oct + "]}", sym).ok());
  JwkOptions two;
  two.max_keys = 1;
  EXPECT_EQ(JoseErrorOf(ParseJwks(R"({"keys":[)" + a + "," + b + "]}", two).status()),
            JoseError::kTooLarge);
  EXPECT_EQ(JoseErrorOf(ParseJwks(R"({"keys":{}})").status()), JoseError::kJwkInvalid);
  EXPECT_EQ(JoseErrorOf(ParseJwks(R"([])").status()), JoseError::kJwkInvalid);
  EXPECT_EQ(JoseErrorOf(ParseJwks(R"({"keys":[],"keys":[]})").status()),
            JoseError::kDuplicateMember);
  // A bad key anywhere fails the whole set.
  EXPECT_EQ(JoseErrorOf(ParseJwks(R"({"keys":[)" + a + R"(,{"kty":"RSA"}]})").status()),
            JoseError::kJwkInvalid);
}

// Found by fuzz_jwk / fuzz_keyio: private key material whose public half is not its own must be
// refused, or the key signs tokens its own published JWK rejects.
TEST(JwkTest, PrivateKeyWithForeignPublicHalfIsRefused) {
  JwkOptions priv;
  priv.allow_private = true;
  const char* kMismatched =
      R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
      R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA"})";
  EXPECT_EQ(JoseErrorOf(ParseJwkText(kMismatched, priv).status()), JoseError::kKeyInvalid);
  const char* kSec1 = R"(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEII7bEJ5xkJi/mASH3x9dd+nLKWBuvtImO19XwhPfhPSyoAoGCCqGSM49
AwEHoUQDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEXH8UTNG72b
focs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==
-----END EC PRIVATE KEY-----
)";
  EXPECT_EQ(JoseErrorOf(LoadPrivateKey(kSec1).status()), JoseError::kKeyInvalid);
  // A consistent generated key still loads.
  Key good = GenerateKey(KeyType::kEc, 256).value();
  EXPECT_TRUE(LoadPrivateKey(PrivateKeyToPem(good).value()).ok());
}

}  // namespace
}  // namespace tessera::jose
