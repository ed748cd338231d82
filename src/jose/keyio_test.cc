#include "jose/keyio.h"

#include <gtest/gtest.h>
#include <openssl/encoder.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "jose/base64url.h"
#include "jose/error.h"
#include "jose/jwk.h"

namespace tessera::jose {
namespace {

// `key` encoded by OpenSSL 3's encoder in `format` ("PEM"/"DER") and `structure`
// ("type-specific" gives PKCS#1 and SEC1, "PrivateKeyInfo" PKCS#8).
std::string Encode(const Key& key, int selection, const char* format, const char* structure) {
  OSSL_ENCODER_CTX* ctx =
      OSSL_ENCODER_CTX_new_for_pkey(key.pkey(), selection, format, structure, nullptr);
  unsigned char* data = nullptr;
  size_t len = 0;
  EXPECT_NE(ctx, nullptr);
  EXPECT_EQ(OSSL_ENCODER_to_data(ctx, &data, &len), 1) << structure;
  std::string out(reinterpret_cast<char*>(data), len);
  OPENSSL_free(data);
  OSSL_ENCODER_CTX_free(ctx);
  return out;
}

std::string Thumb(const Key& k) { return JwkThumbprint(k).value(); }

TEST(KeyIoTest, PrivateKeyFormats) {
  const Key rsa = GenerateKey(KeyType::kRsa, 2048).value();
  const Key ec = GenerateKey(KeyType::kEc, 384).value();
  const Key ed = GenerateKey(KeyType::kEd25519, 256).value();
  const std::string pkcs1 = Encode(rsa, EVP_PKEY_KEYPAIR, "PEM", "type-specific");
  ASSERT_NE(pkcs1.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  const std::string sec1 = Encode(ec, EVP_PKEY_KEYPAIR, "PEM", "type-specific");
  ASSERT_NE(sec1.find("BEGIN EC PRIVATE KEY"), std::string::npos);
  for (const auto& [key, text] : std::vector<std::pair<Key, std::string>>{
           {rsa, pkcs1},
           {ec, sec1},
           {rsa, PrivateKeyToPem(rsa).value()},
           {ed, PrivateKeyToPem(ed).value()},
           {ec, Encode(ec, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo")}}) {
    Result<Key> loaded = LoadPrivateKey(text);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_TRUE(loaded->has_private());
    EXPECT_EQ(Thumb(*loaded), Thumb(key));
  }
  ASSERT_NE(PrivateKeyToPem(rsa)->find("BEGIN PRIVATE KEY"), std::string::npos);
  // Text before -----BEGIN, as `openssl pkcs12 -nodes -nocerts` writes it.
  const std::string bag =
      "Bag Attributes\n    friendlyName: assert\n    localKeyID: 01 02 03 \nKey Attributes: <No "
      "Attributes>\n" +
      PrivateKeyToPem(ec).value();
  Result<Key> from_bag = LoadPrivateKey(bag);
  ASSERT_TRUE(from_bag.ok()) << from_bag.status().ToString();
  EXPECT_EQ(Thumb(*from_bag), Thumb(ec));
  EXPECT_EQ(JoseErrorOf(PrivateKeyToPem(rsa.PublicKey().value()).status()),
            JoseError::kKeyNotPrivate);
}

TEST(KeyIoTest, PublicKeyFormats) {
  const Key rsa = GenerateKey(KeyType::kRsa, 2048).value();
  const std::string pkcs1 = Encode(rsa, EVP_PKEY_PUBLIC_KEY, "PEM", "type-specific");
  ASSERT_NE(pkcs1.find("BEGIN RSA PUBLIC KEY"), std::string::npos);
  const std::string spki_pem = PublicKeyToPem(rsa).value();
  ASSERT_NE(spki_pem.find("BEGIN PUBLIC KEY"), std::string::npos);
  const std::string spki_der = Encode(rsa, EVP_PKEY_PUBLIC_KEY, "DER", "SubjectPublicKeyInfo");
  for (const std::string& text : {pkcs1, spki_pem, spki_der, "junk\n" + spki_pem}) {
    Result<Key> k = LoadPublicKey(text);
    ASSERT_TRUE(k.ok()) << k.status().ToString();
    EXPECT_FALSE(k->has_private());
    EXPECT_EQ(Thumb(*k), Thumb(rsa));
  }
}

TEST(KeyIoTest, GarbageInputs) {
  for (std::string_view bad :
       {"", "hello", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "\x30\x03\x02\x01\x01"}) {
    EXPECT_EQ(JoseErrorOf(LoadPrivateKey(bad).status()), JoseError::kKeyParse) << bad;
    EXPECT_EQ(JoseErrorOf(LoadPublicKey(bad).status()), JoseError::kKeyParse) << bad;
  }
  EXPECT_EQ(
      JoseErrorOf(
          LoadPublicKey("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").status()),
      JoseError::kCertificateInvalid);
  for (std::string_view bad : {"", "not base64 !", "QUJD", "\x30\x03\x02\x01\x01",
                               "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}) {
    EXPECT_EQ(JoseErrorOf(LoadCertificate(bad).status()), JoseError::kCertificateInvalid) << bad;
  }
  EXPECT_EQ(JoseErrorOf(LoadPkcs12("garbage", "pw").status()), JoseError::kKeyParse);
  EXPECT_EQ(JoseErrorOf(LoadPrivateKey(std::string(2 << 20, 'A')).status()), JoseError::kTooLarge);
}

TEST(KeyIoTest, SelfSignedCertificatesInEveryForm) {
  for (const Key& key :
       {GenerateKey(KeyType::kRsa, 2048).value(), GenerateKey(KeyType::kEc, 256).value(),
        GenerateKey(KeyType::kEc, 521).value(), GenerateKey(KeyType::kEd25519, 256).value()}) {
    Result<Certificate> cert =
        MakeSelfSignedCertificate(key, "CN=assert,O=Example", 30, 1'700'000'000);
    ASSERT_TRUE(cert.ok()) << cert.status().ToString();
    EXPECT_EQ(cert->subject, "CN=assert,O=Example");
    EXPECT_EQ(cert->not_before, 1'700'000'000);
    EXPECT_EQ(cert->not_after, 1'700'000'000 + 30 * 86400);
    EXPECT_TRUE(cert->IsValidAt(1'700'000'000));
    EXPECT_FALSE(cert->IsValidAt(1'700'000'000 + 31 * 86400));
    EXPECT_EQ(Thumb(cert->public_key), Thumb(key));
    // x5t and x5t#S256, computed here independently over the DER.
    unsigned char sha1[SHA_DIGEST_LENGTH], sha256[SHA256_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(cert->der.data()), cert->der.size(), sha1);
    SHA256(reinterpret_cast<const unsigned char*>(cert->der.data()), cert->der.size(), sha256);
    EXPECT_EQ(cert->x5t, Base64UrlEncode(std::string(reinterpret_cast<char*>(sha1), sizeof(sha1))));
    EXPECT_EQ(cert->x5t_s256,
              Base64UrlEncode(std::string(reinterpret_cast<char*>(sha256), sizeof(sha256))));
    EXPECT_EQ(cert->x5t.size(), 27u);
    EXPECT_EQ(cert->x5t_s256.size(), 43u);
    // PEM, DER and base64 of the DER give the same certificate; so does LoadPublicKey.
    for (const std::string& form : {CertificateToPem(*cert), cert->der, Base64Encode(cert->der),
                                    "Bag Attributes\n" + CertificateToPem(*cert)}) {
      Result<Certificate> loaded = LoadCertificate(form);
      ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
      EXPECT_EQ(loaded->der, cert->der);
      EXPECT_EQ(loaded->x5t, cert->x5t);
      EXPECT_EQ(Thumb(LoadPublicKey(form == Base64Encode(cert->der) ? cert->der : form).value()),
                Thumb(key));
    }
    EXPECT_EQ(JoseErrorOf(LoadCertificate(cert->der + "x").status()),
              JoseError::kCertificateInvalid);
  }
}

TEST(KeyIoTest, Rsa1024CertificateIsRefused) {
  EVP_PKEY* weak = EVP_RSA_gen(1024);
  ASSERT_NE(weak, nullptr);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("weak"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_set_pubkey(x, weak);
  ASSERT_GT(X509_sign(x, weak, EVP_sha256()), 0);
  unsigned char* der = nullptr;
  const int len = i2d_X509(x, &der);
  const std::string der_bytes(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  X509_free(x);
  EVP_PKEY_free(weak);
  EXPECT_EQ(JoseErrorOf(LoadCertificate(der_bytes).status()), JoseError::kKeyTooWeak);
  EXPECT_EQ(JoseErrorOf(LoadPublicKey(der_bytes).status()), JoseError::kKeyParse);
}

TEST(KeyIoTest, Pkcs12RoundTripAndWrongPassword) {
  const Key key = GenerateKey(KeyType::kEc, 256).value();
  const Certificate cert = MakeSelfSignedCertificate(key, "CN=assert", 365, 1'700'000'000).value();
  Result<std::string> p12 = MakePkcs12(key, cert, "assert", "changeit");
  ASSERT_TRUE(p12.ok()) << p12.status().ToString();
  Result<Pkcs12Contents> back = LoadPkcs12(*p12, "changeit");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->private_key.has_private());
  EXPECT_EQ(Thumb(back->private_key), Thumb(key));
  ASSERT_TRUE(back->certificate.has_value());
  EXPECT_EQ(back->certificate->der, cert.der);
  EXPECT_EQ(back->certificate->x5t_s256, cert.x5t_s256);
  EXPECT_EQ(JoseErrorOf(LoadPkcs12(*p12, "wrong").status()), JoseError::kWrongPassword);
  EXPECT_EQ(JoseErrorOf(LoadPkcs12(*p12, "").status()), JoseError::kWrongPassword);
  EXPECT_EQ(JoseErrorOf(MakePkcs12(key.PublicKey().value(), cert, "a", "p").status()),
            JoseError::kKeyNotPrivate);
}

TEST(KeyIoTest, GeneratedKeysOfEachType) {
  EXPECT_EQ(GenerateKey(KeyType::kRsa, 3072)->bits(), 3072);
  EXPECT_EQ(GenerateKey(KeyType::kEc, 521)->curve(), "P-521");
  EXPECT_EQ(GenerateKey(KeyType::kEd25519, 256)->type(), KeyType::kEd25519);
  EXPECT_EQ(JoseErrorOf(GenerateKey(KeyType::kEc, 224).status()), JoseError::kKeyUnsupported);
  EXPECT_EQ(JoseErrorOf(GenerateKey(KeyType::kHmac, 256).status()), JoseError::kKeyUnsupported);
  EXPECT_EQ(JoseErrorOf(GenerateKey(KeyType::kRsa, 2047).status()), JoseError::kKeyTooWeak);
}

}  // namespace
}  // namespace tessera::jose
