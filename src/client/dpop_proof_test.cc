#include "client/dpop_proof.h"

#include <gtest/gtest.h>

#include <fstream>

#include "jose/base64url.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/keyio.h"
#include "oauth/dpop.h"
#include "oauth/dpop_nonce.h"
#include "tessera/client.h"
#include "tessera/clock.h"

namespace tessera::client {
namespace {

constexpr int64_t kNow = 1'800'000'000;
constexpr std::string_view kTokenUrl = "https://as.example.com/oauth2/v1/token";

std::pair<jose::Json, jose::Json> Decode(const std::string& proof) {
  return jose::DecodeUnverified(proof).value();
}

TEST(DpopKeyTest, GeneratedKeysOfEachAlgorithm) {
  for (const char* alg : {"ES256", "ES384", "ES512", "EdDSA", "RS256", "PS256"}) {
    Result<DpopKey> key = DpopKey::Generate(alg);
    ASSERT_TRUE(key.ok()) << alg << ": " << key.status().ToString();
    EXPECT_EQ(key->Algorithm(), alg);
    // The thumbprint is the RFC 7638 one of the public JWK the proofs carry.
    Result<jose::Jwk> jwk = jose::ParseJwkText(key->PublicJwk());
    ASSERT_TRUE(jwk.ok()) << jwk.status().ToString();
    EXPECT_FALSE(jwk->key.has_private());
    EXPECT_EQ(jose::JwkThumbprint(jwk->key).value(), key->Thumbprint());
    EXPECT_EQ(key->PublicJwk().find("\"d\""), std::string::npos);
  }
  for (const char* alg : {"HS256", "none", "", "es256"}) {
    EXPECT_EQ(DpopKey::Generate(alg).status().code(), StatusCode::kInvalidArgument) << alg;
  }
}

TEST(DpopKeyTest, FromPemKeepsTheKeyAndPinsTheAlgorithm) {
  DpopKey generated = DpopKey::Generate("ES256").value();
  const std::string pem = generated.PrivateKeyPem().value();
  DpopKey loaded = DpopKey::FromPem(pem).value();
  EXPECT_EQ(loaded.Thumbprint(), generated.Thumbprint());
  EXPECT_EQ(loaded.Algorithm(), "ES256");
  // An algorithm of another key type, or a public key, is refused.
  EXPECT_FALSE(DpopKey::FromPem(pem, "RS256").ok());
  const jose::Key rsa = jose::GenerateKey(jose::KeyType::kRsa, 2048).value();
  const std::string rsa_pem = jose::PrivateKeyToPem(rsa).value();
  EXPECT_EQ(DpopKey::FromPem(rsa_pem, "PS256")->Algorithm(), "PS256");
  EXPECT_EQ(DpopKey::FromPem(rsa_pem)->Algorithm(), "RS256");
  EXPECT_FALSE(DpopKey::FromPem(jose::PublicKeyToPem(rsa).value()).ok());
  EXPECT_FALSE(DpopKey::FromPem("not a key").ok());

  const std::string file = ::testing::TempDir() + "/dpop_key.pem";
  std::ofstream(file) << pem;
  EXPECT_EQ(DpopKey::FromPemFile(file)->Thumbprint(), generated.Thumbprint());
  EXPECT_EQ(DpopKey::FromPemFile(file + ".absent").status().code(), StatusCode::kNotFound);
}

TEST(DpopProofTest, HeaderAndClaims) {
  DpopKey key = DpopKey::Generate("ES256").value();
  const std::string proof =
      MakeDpopProof(key, "POST", "https://as.example.com/oauth2/v1/token?x=1#frag", "", "", kNow)
          .value();
  auto [header, claims] = Decode(proof);
  EXPECT_EQ(header["typ"], "dpop+jwt");
  EXPECT_EQ(header["alg"], "ES256");
  EXPECT_EQ(jose::DumpCompact(header["jwk"]), key.PublicJwk());
  EXPECT_EQ(claims["htm"], "POST");
  EXPECT_EQ(claims["htu"], kTokenUrl);  // query and fragment cut off
  EXPECT_EQ(claims["iat"], kNow);
  EXPECT_FALSE(claims.contains("ath"));
  EXPECT_FALSE(claims.contains("nonce"));
  // 128 random bits, different in every proof.
  EXPECT_EQ(jose::Base64UrlDecode(claims["jti"].get<std::string>())->size(), 16u);
  auto [header2, claims2] = Decode(MakeDpopProof(key, "POST", kTokenUrl, "", "", kNow).value());
  EXPECT_NE(claims2["jti"], claims["jti"]);

  // "ath" of the RFC 9449 7.1 example token, and the nonce as given.
  auto [h3, with_token] =
      Decode(MakeDpopProof(key, "GET", "https://resource.example.org/protectedresource",
                           "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU", "eyJ7S_zG.eyJH0-Z", kNow)
                 .value());
  EXPECT_EQ(with_token["ath"], "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
  EXPECT_EQ(with_token["nonce"], "eyJ7S_zG.eyJH0-Z");
}

TEST(DpopProofTest, RefusesBadInputs) {
  DpopKey key = DpopKey::Generate("EdDSA").value();
  EXPECT_FALSE(MakeDpopProof(key, "", kTokenUrl, "", "", kNow).ok());
  EXPECT_FALSE(MakeDpopProof(key, "PO ST", kTokenUrl, "", "", kNow).ok());
  EXPECT_FALSE(MakeDpopProof(key, "POST", "/oauth2/v1/token", "", "", kNow).ok());
  EXPECT_FALSE(MakeDpopProof(key, "POST", "ftp://as.example.com/", "", "", kNow).ok());
  EXPECT_FALSE(MakeDpopProof(key, "POST", kTokenUrl, "", "a\"b", kNow).ok());
  EXPECT_FALSE(MakeDpopProof(key, "POST", kTokenUrl, "", "a b", kNow).ok());
  EXPECT_TRUE(MakeDpopProof(key, "POST", "HTTPS://AS.example.com/t", "", "", kNow).ok());
}

// The client's proofs pass the server's RFC 9449 4.3 checks, nonce included, and name the key.
TEST(DpopProofTest, RoundTripThroughTheServerValidator) {
  FixedClock clock(kNow);
  oauth::DpopNonces nonces = oauth::DpopNonces::Create(std::string(32, 'n'), clock).value();
  oauth::DpopOptions options;
  options.algorithms = {jose::Algorithm::kRS256, jose::Algorithm::kPS256, jose::Algorithm::kES256,
                        jose::Algorithm::kES384, jose::Algorithm::kEdDSA};
  options.nonces = &nonces;
  oauth::DpopValidator validator = oauth::DpopValidator::Create(options, clock).value();
  for (const char* alg : {"ES256", "ES384", "EdDSA", "PS256"}) {
    DpopKey key = DpopKey::Generate(alg).value();
    // Without the nonce the server asks for one (use_dpop_nonce); with it the proof passes.
    std::string proof = MakeDpopProof(key, "POST", kTokenUrl, "", "", kNow).value();
    Result<oauth::DpopProof> r =
        validator.Validate({.proofs = {proof}, .method = "POST", .url = kTokenUrl});
    EXPECT_TRUE(oauth::DpopErrorWantsNonce(oauth::DpopErrorOf(r.status()))) << alg;
    proof = MakeDpopProof(key, "POST", kTokenUrl, "", nonces.Issue(), kNow).value();
    r = validator.Validate({.proofs = {proof}, .method = "POST", .url = kTokenUrl});
    ASSERT_TRUE(r.ok()) << alg << ": " << r.status().ToString();
    EXPECT_EQ(r->jkt, key.Thumbprint());
    // At a resource, with the token.
    const std::string rs = "https://api.example.com/orders";
    proof = MakeDpopProof(key, "GET", rs + "?page=2", "the-token", nonces.Issue(), kNow).value();
    r = validator.Validate(
        {.proofs = {proof}, .method = "GET", .url = rs + "?page=2", .access_token = "the-token"});
    ASSERT_TRUE(r.ok()) << alg << ": " << r.status().ToString();
    r = validator.Validate(
        {.proofs = {proof}, .method = "GET", .url = rs, .access_token = "another-token"});
    EXPECT_EQ(oauth::DpopErrorOf(r.status()), oauth::DpopError::kAthMismatch);
  }
}

}  // namespace
}  // namespace tessera::client
