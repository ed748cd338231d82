// Key material loading (jose/keyio.h): PEM, DER, base64 certificates and PKCS#12, as uploaded by
// administrators and read from key files.
//
// Invariants: a loaded certificate's thumbprints are those of its DER and it round-trips
// through CertificateToPem; a loaded public key carries no private part and round-trips through
// PublicKeyToPem; a loaded private key round-trips through PrivateKeyToPem and signs what its
// public half verifies; a PKCS#12 certificate, when present, holds the public half of its key.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "jose/error.h"
#include "jose/jwk.h"
#include "jose/keyio.h"

namespace tessera::fuzz {
namespace {

// The password of the PKCS#12 and encrypted PKCS#8 seeds (tests/fuzz/make_corpus).
constexpr std::string_view kPassword = "tessera-fuzz";
constexpr std::string_view kMessage = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJmdXp6In0";

std::string Thumbprint(const jose::Key& key) {
  Result<std::string> t = jose::JwkThumbprint(key);
  TESSERA_FUZZ_CHECK(t.ok(), Describe(t.status()));
  return *t;
}

void CheckCertificate(const jose::Certificate& cert) {
  TESSERA_FUZZ_CHECK(cert.x5t == jose::X5tOf(cert.der), cert.x5t);
  TESSERA_FUZZ_CHECK(cert.x5t_s256 == jose::X5tS256Of(cert.der), cert.x5t_s256);
  TESSERA_FUZZ_CHECK(cert.public_key.valid() && !cert.public_key.has_private(), cert.subject);
  Result<jose::Certificate> again = jose::LoadCertificate(jose::CertificateToPem(cert));
  TESSERA_FUZZ_CHECK(again.ok(), Describe(again.status()));
  TESSERA_FUZZ_CHECK(again->der == cert.der && again->subject == cert.subject, cert.subject);
}

void CheckSignsForItsPublicHalf(const jose::Key& priv, const jose::Key& pub) {
  const jose::Algorithm alg = priv.algorithms().First();
  Result<std::string> sig = priv.Sign(alg, kMessage);
  TESSERA_FUZZ_CHECK(sig.ok(), Describe(sig.status()));
  const Status s = pub.Verify(alg, kMessage, *sig);
  TESSERA_FUZZ_CHECK(s.ok(),
                     "a private key whose signatures its public half refuses: " + Describe(s));
}

void CheckPrivate(const jose::Key& key) {
  TESSERA_FUZZ_CHECK(key.has_private(), "LoadPrivateKey gave a public key");
  Result<std::string> pem = jose::PrivateKeyToPem(key);
  TESSERA_FUZZ_CHECK(pem.ok(), Describe(pem.status()));
  Result<jose::Key> again = jose::LoadPrivateKey(*pem);
  TESSERA_FUZZ_CHECK(again.ok(), Describe(again.status()));
  Result<jose::Key> pub = key.PublicKey();
  TESSERA_FUZZ_CHECK(pub.ok(), Describe(pub.status()));
  TESSERA_FUZZ_CHECK(Thumbprint(*again) == Thumbprint(key) && Thumbprint(*pub) == Thumbprint(key),
                     *pem);
  CheckSignsForItsPublicHalf(key, *pub);
}

}  // namespace
}  // namespace tessera::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera;
  using fuzz::Describe;
  const std::string_view input = fuzz::AsText(data, size);

  Result<jose::Certificate> cert = jose::LoadCertificate(input);
  if (cert.ok()) fuzz::CheckCertificate(*cert);

  Result<jose::Key> pub = jose::LoadPublicKey(input);
  if (pub.ok()) {
    TESSERA_FUZZ_CHECK(!pub->has_private(), "LoadPublicKey gave a private key");
    Result<std::string> pem = jose::PublicKeyToPem(*pub);
    TESSERA_FUZZ_CHECK(pem.ok(), Describe(pem.status()));
    Result<jose::Key> again = jose::LoadPublicKey(*pem);
    TESSERA_FUZZ_CHECK(again.ok(), Describe(again.status()));
    TESSERA_FUZZ_CHECK(fuzz::Thumbprint(*again) == fuzz::Thumbprint(*pub), *pem);
  }

  Result<jose::Key> priv = jose::LoadPrivateKey(input, fuzz::kPassword);
  if (priv.ok()) fuzz::CheckPrivate(*priv);

  Result<jose::Pkcs12Contents> p12 = jose::LoadPkcs12(input, fuzz::kPassword);
  if (p12.ok()) {
    fuzz::CheckPrivate(p12->private_key);
    if (p12->certificate) {
      fuzz::CheckCertificate(*p12->certificate);
      fuzz::CheckSignsForItsPublicHalf(p12->private_key, p12->certificate->public_key);
    }
  }
  return 0;
}
