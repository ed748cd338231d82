// Loading, generating and writing key material: PEM, DER, X.509 certificates, PKCS#12, and the
// certificate thumbprints JOSE uses to name keys (x5t, x5t#S256; RFC 7515 4.1.7 and 4.1.8).
//
// Accepted inputs (what keytool, openssl and IDCS consoles produce):
//   private keys: PEM "PRIVATE KEY" (PKCS#8), "RSA PRIVATE KEY" (PKCS#1), "EC PRIVATE KEY"
//                 (SEC1), "ENCRYPTED PRIVATE KEY" (with a password), or PKCS#8 DER. Text before
//                 "-----BEGIN" (the "Bag Attributes" of `openssl pkcs12 -nocerts`) is skipped.
//   public keys:  PEM/DER SubjectPublicKeyInfo, PEM "RSA PUBLIC KEY" (PKCS#1), or a certificate.
//   certificates: PEM, DER (`keytool -exportcert`), or base64 of the DER (x509Base64Certificate).
//   PKCS#12:      DER with a password (`keytool -importkeystore -deststoretype PKCS12`).
// Every loaded key passes Key::FromPkey's policy (RSA >= 2048 bits, supported curves).
// Failures: kKeyParse, kCertificateInvalid, kWrongPassword, or the key policy's reason.
#ifndef TESSERA_JOSE_KEYIO_H_
#define TESSERA_JOSE_KEYIO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "jose/key.h"
#include "tessera/status.h"

namespace tessera::jose {

struct Certificate {
  std::string der;         // the exact DER bytes; thumbprints are over these
  Key public_key;          // pinned to the key type's default algorithm
  int64_t not_before = 0;  // seconds since the epoch
  int64_t not_after = 0;
  std::string subject;   // RFC 2253 text, e.g. "CN=assert,O=Example"
  std::string x5t;       // base64url(SHA-1(der))
  std::string x5t_s256;  // base64url(SHA-256(der))

  bool IsValidAt(int64_t now) const { return now >= not_before && now <= not_after; }
};

struct Pkcs12Contents {
  Key private_key;
  std::optional<Certificate> certificate;  // the certificate matching the key, when present
};

// `password` is used only for "ENCRYPTED PRIVATE KEY" blocks.
Result<Key> LoadPrivateKey(std::string_view pem_or_der, std::string_view password = {});
Result<Key> LoadPublicKey(std::string_view pem_or_der);
Result<Certificate> LoadCertificate(std::string_view pem_der_or_base64);
Result<Pkcs12Contents> LoadPkcs12(std::string_view der, std::string_view password);

// base64url(SHA-1(der)) and base64url(SHA-256(der)).
std::string X5tOf(std::string_view der);
std::string X5tS256Of(std::string_view der);

// Writers. PEM outputs end with a newline.
Result<std::string> PrivateKeyToPem(const Key& key);  // PKCS#8, unencrypted
Result<std::string> PublicKeyToPem(const Key& key);   // SubjectPublicKeyInfo
std::string CertificateToPem(const Certificate& cert);

// A fresh key pair: RSA of `bits` (>= 2048), EC P-256/384/521 when bits is 256/384/521, Ed25519.
Result<Key> GenerateKey(KeyType type, int bits);

// A self-signed X.509 v3 certificate for `key` (which must be private), valid from `now` for
// `days` days. `subject` is "CN=...,O=..." (RFC 2253 order, ',' separated).
Result<Certificate> MakeSelfSignedCertificate(const Key& key, std::string_view subject, int days,
                                              int64_t now);

// A PKCS#12 file (AES-256 and PBKDF2, the OpenSSL 3 defaults) holding `key` and `cert` under
// `alias` (the friendly name keytool shows as the alias).
Result<std::string> MakePkcs12(const Key& key, const Certificate& cert, std::string_view alias,
                               std::string_view password);

}  // namespace tessera::jose

#endif  // TESSERA_JOSE_KEYIO_H_
