#include "jose/keyio.h"

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <vector>

#include "jose/base64url.h"
#include "jose/openssl_util.h"

namespace tessera::jose {
namespace {

constexpr size_t kMaxKeyMaterialBytes = 1 << 20;

struct PemBlock {
  std::string name;
  std::string header;
  std::string der;
};

// Every PEM block in `text`, in order. PEM_read_bio skips lines outside blocks, which is what
// lets "Bag Attributes" and other commentary precede a key.
std::vector<PemBlock> ReadPemBlocks(std::string_view text) {
  std::vector<PemBlock> blocks;
  BioPtr bio = MemBio(text);
  while (bio) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) break;
    blocks.push_back(
        {name, header, std::string(reinterpret_cast<char*>(data), static_cast<size_t>(len))});
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
  ClearOpenSslErrors();  // the loop ends on "no start line"
  return blocks;
}

bool LooksLikePem(std::string_view text) {
  return text.find("-----BEGIN ") != std::string_view::npos;
}

Result<Key> AdoptPkey(EVP_PKEY* pkey, std::string_view what) {
  if (pkey == nullptr) return OpenSslFailure(JoseError::kKeyParse, what);
  return Key::FromPkey(PkeyPtr(pkey));
}

Result<Key> PrivateFromDer(std::string_view der, std::string_view pem_name,
                           std::string_view password) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const long n = static_cast<long>(der.size());
  if (pem_name == "ENCRYPTED PRIVATE KEY") {
    if (password.empty())
      return JoseFailure(JoseError::kKeyParse, "encrypted private key needs a password");
    std::unique_ptr<X509_SIG, Deleter<X509_SIG_free>> p8(d2i_X509_SIG(nullptr, &p, n));
    if (!p8) return OpenSslFailure(JoseError::kKeyParse, "encrypted PKCS#8");
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, Deleter<PKCS8_PRIV_KEY_INFO_free>> info(
        PKCS8_decrypt(p8.get(), password.data(), static_cast<int>(password.size())));
    if (!info) return OpenSslFailure(JoseError::kWrongPassword, "encrypted PKCS#8");
    return AdoptPkey(EVP_PKCS82PKEY(info.get()), "PKCS#8");
  }
  if (pem_name == "RSA PRIVATE KEY")
    return AdoptPkey(d2i_PrivateKey(EVP_PKEY_RSA, nullptr, &p, n), "PKCS#1 RSA key");
  if (pem_name == "EC PRIVATE KEY")
    return AdoptPkey(d2i_PrivateKey(EVP_PKEY_EC, nullptr, &p, n), "SEC1 EC key");
  return AdoptPkey(d2i_AutoPrivateKey(nullptr, &p, n), "PKCS#8 private key");
}

int64_t AsnTimeToEpoch(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::string NameToString(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  return BioContents(bio.get());
}

Result<Certificate> CertificateFromX509(X509* x509) {
  Certificate cert;
  unsigned char* der = nullptr;
  const int len = i2d_X509(x509, &der);
  if (len <= 0) return OpenSslFailure(JoseError::kCertificateInvalid, "DER encoding");
  cert.der.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  Result<Key> key = AdoptPkey(X509_get_pubkey(x509), "certificate public key");
  if (!key.ok()) return key.status().WithContext("certificate key");
  cert.public_key = std::move(key).value();
  cert.not_before = AsnTimeToEpoch(X509_get0_notBefore(x509));
  cert.not_after = AsnTimeToEpoch(X509_get0_notAfter(x509));
  cert.subject = NameToString(X509_get_subject_name(x509));
  cert.x5t = X5tOf(cert.der);
  cert.x5t_s256 = X5tS256Of(cert.der);
  return cert;
}

Result<Certificate> CertificateFromDer(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr x509(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x509) return OpenSslFailure(JoseError::kCertificateInvalid, "not an X.509 certificate");
  // Trailing bytes would make the thumbprint ambiguous; a certificate is exactly its DER.
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return JoseFailure(JoseError::kCertificateInvalid, "trailing bytes after the certificate");
  }
  return CertificateFromX509(x509.get());
}

const EVP_MD* CertDigest(const Key& key) {
  if (key.type() == KeyType::kEd25519) return nullptr;  // Ed25519 hashes internally
  if (key.type() == KeyType::kEc && key.bits() == 384) return EVP_sha384();
  if (key.type() == KeyType::kEc && key.bits() == 521) return EVP_sha512();
  return EVP_sha256();
}

}  // namespace

std::string X5tOf(std::string_view der) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(der.data()), der.size(), md);
  return Base64UrlEncode(std::string_view(reinterpret_cast<char*>(md), sizeof(md)));
}

std::string X5tS256Of(std::string_view der) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(der.data()), der.size(), md);
  return Base64UrlEncode(std::string_view(reinterpret_cast<char*>(md), sizeof(md)));
}

Result<Key> LoadPrivateKey(std::string_view input, std::string_view password) {
  if (input.size() > kMaxKeyMaterialBytes) return JoseFailure(JoseError::kTooLarge, "key file");
  if (!LooksLikePem(input)) return PrivateFromDer(input, "", password);
  for (const PemBlock& b : ReadPemBlocks(input)) {
    if (b.name == "PRIVATE KEY" || b.name == "RSA PRIVATE KEY" || b.name == "EC PRIVATE KEY" ||
        b.name == "ENCRYPTED PRIVATE KEY") {
      if (b.header.find("ENCRYPTED") != std::string::npos) {
        return JoseFailure(
            JoseError::kKeyParse,
            "legacy encrypted PEM; convert with `openssl pkcs8 -topk8` or use PKCS#12");
      }
      return PrivateFromDer(b.der, b.name, password);
    }
  }
  return JoseFailure(JoseError::kKeyParse, "no PRIVATE KEY block in the PEM input");
}

Result<Key> LoadPublicKey(std::string_view input) {
  if (input.size() > kMaxKeyMaterialBytes) return JoseFailure(JoseError::kTooLarge, "key file");
  if (!LooksLikePem(input)) {
    const auto* p = reinterpret_cast<const unsigned char*>(input.data());
    if (EVP_PKEY* k = d2i_PUBKEY(nullptr, &p, static_cast<long>(input.size()))) {
      return AdoptPkey(k, "public key");
    }
    ClearOpenSslErrors();
    Result<Certificate> cert = CertificateFromDer(input);
    if (cert.ok()) return cert->public_key;
    return JoseFailure(JoseError::kKeyParse, "neither a DER public key nor a certificate");
  }
  for (const PemBlock& b : ReadPemBlocks(input)) {
    const auto* p = reinterpret_cast<const unsigned char*>(b.der.data());
    const long n = static_cast<long>(b.der.size());
    if (b.name == "PUBLIC KEY")
      return AdoptPkey(d2i_PUBKEY(nullptr, &p, n), "SubjectPublicKeyInfo");
    if (b.name == "RSA PUBLIC KEY")
      return AdoptPkey(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, n), "PKCS#1 public key");
    if (b.name == "CERTIFICATE") {
      TESSERA_ASSIGN_OR_RETURN(Certificate cert, CertificateFromDer(b.der));
      return cert.public_key;
    }
  }
  return JoseFailure(JoseError::kKeyParse, "no PUBLIC KEY or CERTIFICATE block in the PEM input");
}

Result<Certificate> LoadCertificate(std::string_view input) {
  if (input.size() > kMaxKeyMaterialBytes) return JoseFailure(JoseError::kTooLarge, "certificate");
  if (LooksLikePem(input)) {
    for (const PemBlock& b : ReadPemBlocks(input)) {
      if (b.name == "CERTIFICATE") return CertificateFromDer(b.der);
    }
    return JoseFailure(JoseError::kCertificateInvalid, "no CERTIFICATE block in the PEM input");
  }
  if (!input.empty() && static_cast<unsigned char>(input[0]) == 0x30)
    return CertificateFromDer(input);
  Result<std::string> der = Base64Decode(input);
  if (!der.ok()) {
    return JoseFailure(JoseError::kCertificateInvalid, "neither PEM, DER nor base64 of DER");
  }
  return CertificateFromDer(*der);
}

Result<Pkcs12Contents> LoadPkcs12(std::string_view der, std::string_view password) {
  if (der.size() > kMaxKeyMaterialBytes) return JoseFailure(JoseError::kTooLarge, "PKCS#12 file");
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<PKCS12, Deleter<PKCS12_free>> p12(
      d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())));
  if (!p12) return OpenSslFailure(JoseError::kKeyParse, "not a PKCS#12 file");
  const std::string pass(password);
  if (PKCS12_mac_present(p12.get()) &&
      PKCS12_verify_mac(p12.get(), pass.c_str(), static_cast<int>(pass.size())) != 1) {
    return OpenSslFailure(JoseError::kWrongPassword,
                          "the password does not open this PKCS#12 file");
  }
  EVP_PKEY* pkey = nullptr;
  X509* x509 = nullptr;
  STACK_OF(X509)* ca = nullptr;
  if (PKCS12_parse(p12.get(), pass.c_str(), &pkey, &x509, &ca) != 1) {
    return OpenSslFailure(JoseError::kKeyParse,
                          "PKCS#12 contents (a legacy cipher needs re-export)");
  }
  sk_X509_pop_free(ca, X509_free);
  X509Ptr cert_owner(x509);
  if (pkey == nullptr)
    return JoseFailure(JoseError::kKeyParse, "PKCS#12 file holds no private key");
  Pkcs12Contents out;
  TESSERA_ASSIGN_OR_RETURN(out.private_key, Key::FromPkey(PkeyPtr(pkey)));
  if (x509 != nullptr) {
    TESSERA_ASSIGN_OR_RETURN(Certificate c, CertificateFromX509(x509));
    out.certificate = std::move(c);
  }
  return out;
}

Result<std::string> PrivateKeyToPem(const Key& key) {
  if (!key.has_private() || key.pkey() == nullptr) {
    return JoseFailure(JoseError::kKeyNotPrivate, "no private key to write");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key.pkey(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslFailure(JoseError::kCryptoFailure, "writing the private key");
  }
  return BioContents(bio.get());
}

Result<std::string> PublicKeyToPem(const Key& key) {
  if (key.pkey() == nullptr) return JoseFailure(JoseError::kKeyUnsupported, "no public key");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PUBKEY(bio.get(), key.pkey()) != 1) {
    return OpenSslFailure(JoseError::kCryptoFailure, "writing the public key");
  }
  return BioContents(bio.get());
}

std::string CertificateToPem(const Certificate& cert) {
  std::string b64 = Base64Encode(cert.der);
  std::string out = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) {
    out += b64.substr(i, 64);
    out += '\n';
  }
  out += "-----END CERTIFICATE-----\n";
  return out;
}

Result<Key> GenerateKey(KeyType type, int bits) {
  EVP_PKEY* pkey = nullptr;
  switch (type) {
    case KeyType::kRsa:
      if (bits < 2048)
        return JoseFailure(JoseError::kKeyTooWeak, "RSA keys need at least 2048 bits");
      if (bits > 16384) return JoseFailure(JoseError::kKeyUnsupported, "RSA key size");
      pkey = EVP_RSA_gen(static_cast<unsigned>(bits));
      break;
    case KeyType::kEc: {
      const char* curve = bits == 256   ? "P-256"
                          : bits == 384 ? "P-384"
                          : bits == 521 ? "P-521"
                                        : nullptr;
      if (curve == nullptr)
        return JoseFailure(JoseError::kKeyUnsupported, "EC size must be 256, 384 or 521");
      pkey = EVP_EC_gen(curve);
      break;
    }
    case KeyType::kEd25519:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case KeyType::kHmac:
      return JoseFailure(JoseError::kKeyUnsupported, "HMAC keys are random secrets, not key pairs");
  }
  if (pkey == nullptr) return OpenSslFailure(JoseError::kCryptoFailure, "key generation");
  return Key::FromPkey(PkeyPtr(pkey));
}

Result<Certificate> MakeSelfSignedCertificate(const Key& key, std::string_view subject, int days,
                                              int64_t now) {
  if (!key.has_private() || key.pkey() == nullptr) {
    return JoseFailure(JoseError::kKeyNotPrivate,
                       "a self-signed certificate needs the private key");
  }
  if (days < 1 || days > 36500)
    return JoseFailure(JoseError::kCertificateInvalid, "days must be 1..36500");
  X509Ptr x509(X509_new());
  X509_NAME* name = X509_NAME_new();
  std::unique_ptr<X509_NAME, Deleter<X509_NAME_free>> name_owner(name);
  // "CN=a,O=b": split on ',' (no escaping needed for the names this tool writes).
  size_t start = 0;
  const std::string subj(subject);
  while (start < subj.size()) {
    size_t comma = subj.find(',', start);
    if (comma == std::string::npos) comma = subj.size();
    std::string rdn = subj.substr(start, comma - start);
    while (!rdn.empty() && rdn.front() == ' ') rdn.erase(rdn.begin());
    const size_t eq = rdn.find('=');
    if (eq == std::string::npos || eq == 0) {
      return JoseFailure(JoseError::kCertificateInvalid, "subject must look like CN=name,O=org");
    }
    const std::string field = rdn.substr(0, eq);
    const std::string value = rdn.substr(eq + 1);
    // RFC 2253 writes the RDNs last-first (section 2.1), so "CN=a,O=b" is the sequence O, CN:
    // each RDN read from the string is inserted at the front (loc 0). Certificate::subject then
    // reads back exactly the text given here.
    if (X509_NAME_add_entry_by_txt(name, field.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, 0,
                                   0) != 1) {
      return OpenSslFailure(JoseError::kCertificateInvalid, "subject field " + field);
    }
    start = comma + 1;
  }
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1)
    return OpenSslFailure(JoseError::kCryptoFailure, "serial");
  serial[0] &= 0x7f;  // positive INTEGER
  BnPtr serial_bn(BN_bin2bn(serial, sizeof(serial), nullptr));
  const time_t not_before = static_cast<time_t>(now);
  if (X509_set_version(x509.get(), 2) != 1 ||
      BN_to_ASN1_INTEGER(serial_bn.get(), X509_get_serialNumber(x509.get())) == nullptr ||
      X509_time_adj_ex(X509_getm_notBefore(x509.get()), 0, 0, const_cast<time_t*>(&not_before)) ==
          nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(x509.get()), days, 0, const_cast<time_t*>(&not_before)) ==
          nullptr ||
      X509_set_subject_name(x509.get(), name) != 1 || X509_set_issuer_name(x509.get(), name) != 1 ||
      X509_set_pubkey(x509.get(), key.pkey()) != 1) {
    return OpenSslFailure(JoseError::kCryptoFailure, "certificate fields");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x509.get(), x509.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
                                   std::pair{NID_key_usage, "critical,digitalSignature"},
                                   std::pair{NID_subject_key_identifier, "hash"}}) {
    std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>> ext(
        X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(x509.get(), ext.get(), -1) != 1) {
      return OpenSslFailure(JoseError::kCryptoFailure, "certificate extension");
    }
  }
  if (X509_sign(x509.get(), key.pkey(), CertDigest(key)) <= 0) {
    return OpenSslFailure(JoseError::kCryptoFailure, "signing the certificate");
  }
  return CertificateFromX509(x509.get());
}

Result<std::string> MakePkcs12(const Key& key, const Certificate& cert, std::string_view alias,
                               std::string_view password) {
  if (!key.has_private() || key.pkey() == nullptr) {
    return JoseFailure(JoseError::kKeyNotPrivate, "PKCS#12 needs the private key");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(cert.der.data());
  X509Ptr x509(d2i_X509(nullptr, &p, static_cast<long>(cert.der.size())));
  if (!x509) return OpenSslFailure(JoseError::kCertificateInvalid, "certificate");
  const std::string pass(password), name(alias);
  std::unique_ptr<PKCS12, Deleter<PKCS12_free>> p12(
      PKCS12_create(pass.c_str(), name.c_str(), key.pkey(), x509.get(), nullptr, 0, 0, 0, 0, 0));
  if (!p12) return OpenSslFailure(JoseError::kCryptoFailure, "PKCS#12 creation");
  unsigned char* der = nullptr;
  const int len = i2d_PKCS12(p12.get(), &der);
  if (len <= 0) return OpenSslFailure(JoseError::kCryptoFailure, "PKCS#12 encoding");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace tessera::jose
