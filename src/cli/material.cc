#include "cli/material.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>

#include <memory>

#include "cli/files.h"
#include "jose/error.h"

namespace tessera::cli {
namespace {

// Whether `data` parses as a PKCS#12 structure at all (before any password is tried), so that a
// certificate that fails to parse can be told apart from a PKCS#12 file given without password.
bool LooksLikePkcs12(std::string_view data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(
      d2i_PKCS12(nullptr, &p, static_cast<long>(data.size())), &PKCS12_free);
  ERR_clear_error();
  return p12 != nullptr;
}

Result<jose::Certificate> CertificateFromPkcs12(const std::string& path, std::string_view data,
                                                std::string_view password) {
  Result<jose::Pkcs12Contents> contents = jose::LoadPkcs12(data, password);
  if (!contents.ok()) return contents.status().WithContext("cannot load PKCS#12 file " + path);
  if (!contents->certificate) {
    return Status::InvalidArgument("PKCS#12 file " + path + " holds no certificate");
  }
  return *std::move(contents->certificate);
}

}  // namespace

Result<jose::Key> LoadPrivateKeyFile(const std::string& path, std::string_view password) {
  TESSERA_ASSIGN_OR_RETURN(std::string data, ReadFileBounded(path, "key file"));
  Result<jose::Key> key = jose::LoadPrivateKey(data, password);
  if (!key.ok()) {
    if (LooksLikePkcs12(data)) {
      return Status::InvalidArgument("cannot load key file " + path +
                                     ": it is a PKCS#12 file; use --p12 FILE --p12-password PW");
    }
    return key.status().WithContext("cannot load key file " + path);
  }
  return key;
}

Result<jose::Pkcs12Contents> LoadPkcs12File(const std::string& path, std::string_view password) {
  TESSERA_ASSIGN_OR_RETURN(std::string data, ReadFileBounded(path, "PKCS#12 file"));
  Result<jose::Pkcs12Contents> contents = jose::LoadPkcs12(data, password);
  if (!contents.ok()) return contents.status().WithContext("cannot load PKCS#12 file " + path);
  return contents;
}

Result<jose::Certificate> LoadCertificateFile(const std::string& path,
                                              const std::optional<std::string>& p12_password) {
  TESSERA_ASSIGN_OR_RETURN(std::string data, ReadFileBounded(path, "certificate file"));
  Result<jose::Certificate> cert = jose::LoadCertificate(data);
  if (cert.ok()) return cert;
  if (!LooksLikePkcs12(data)) return cert.status().WithContext("cannot load certificate " + path);
  if (p12_password) return CertificateFromPkcs12(path, data, *p12_password);
  // keytool and openssl both allow an empty PKCS#12 password; try it before asking for one.
  Result<jose::Certificate> unprotected = CertificateFromPkcs12(path, data, "");
  if (unprotected.ok()) return unprotected;
  return Status::InvalidArgument("cannot load certificate " + path +
                                 ": it is a PKCS#12 file; give its password with --p12-password");
}

Result<jose::Key> LoadPublicKeyFile(const std::string& path,
                                    const std::optional<std::string>& p12_password) {
  TESSERA_ASSIGN_OR_RETURN(std::string data, ReadFileBounded(path, "key file"));
  Result<jose::Key> key = jose::LoadPublicKey(data);
  if (key.ok()) return key;
  // A PKCS#12 file or base64 DER certificate: let the certificate loader explain.
  Result<jose::Certificate> cert = LoadCertificateFile(path, p12_password);
  if (cert.ok()) return cert->public_key;
  if (LooksLikePkcs12(data)) return cert.status();
  return key.status().WithContext("cannot load public key " + path);
}

std::string DescribeKey(const jose::Key& key) {
  switch (key.type()) {
    case jose::KeyType::kRsa:
      return "RSA " + std::to_string(key.bits());
    case jose::KeyType::kEc:
      return "EC " + std::string(key.curve());
    case jose::KeyType::kEd25519:
      return "Ed25519";
    case jose::KeyType::kHmac:
      return "HMAC " + std::to_string(key.bits());
  }
  return "unknown key";
}

bool SamePublicKey(const jose::Key& a, const jose::Key& b) {
  if (a.pkey() == nullptr || b.pkey() == nullptr) return false;
  // EVP_PKEY_eq compares the public components only, so a private key matches its certificate.
  const bool same = EVP_PKEY_eq(a.pkey(), b.pkey()) == 1;
  ERR_clear_error();
  return same;
}

Result<PinnedKey> PinAlgorithm(const jose::Key& key, std::string_view alg_name) {
  if (alg_name.empty()) {
    const jose::Algorithm alg = key.algorithms().First();
    TESSERA_ASSIGN_OR_RETURN(jose::Key pinned, key.RestrictTo({alg}));
    return PinnedKey{std::move(pinned), alg};
  }
  const std::optional<jose::Algorithm> alg = jose::AlgorithmFromName(alg_name);
  if (!alg) {
    return Status::InvalidArgument("unknown algorithm \"" + std::string(alg_name) + "\"; this " +
                                   DescribeKey(key) + " key can use " +
                                   key.CompatibleAlgorithms().ToString());
  }
  Result<jose::Key> pinned = key.RestrictTo({*alg});
  if (!pinned.ok()) {
    return Status::InvalidArgument("algorithm " + std::string(alg_name) + " does not suit this " +
                                   DescribeKey(key) + " key; it can use " +
                                   key.CompatibleAlgorithms().ToString());
  }
  return PinnedKey{std::move(pinned).value(), *alg};
}

}  // namespace tessera::cli
