// Key material from files, as the command line takes it: private keys (PEM/DER, including the
// "Bag Attributes" PEM of `openssl pkcs12 -nocerts`), certificates (PEM, DER, base64 DER, or the
// certificate inside a PKCS#12 file) and PKCS#12 files (keytool's or openssl's).
//
// Messages name the file: "cannot load PKCS#12 file a.p12: wrong PKCS#12 password: ...".
//
// Example:
//   TESSERA_ASSIGN_OR_RETURN(jose::Certificate cert, LoadCertificateFile("assert.cer", {}));
//   TESSERA_ASSIGN_OR_RETURN(PinnedKey signer, PinAlgorithm(key, "PS256"));
#ifndef TESSERA_CLI_MATERIAL_H_
#define TESSERA_CLI_MATERIAL_H_

#include <optional>
#include <string>
#include <string_view>

#include "jose/algorithm.h"
#include "jose/key.h"
#include "jose/keyio.h"
#include "tessera/status.h"

namespace tessera::cli {

// A private key from PEM or DER; `password` opens an "ENCRYPTED PRIVATE KEY" block.
Result<jose::Key> LoadPrivateKeyFile(const std::string& path, std::string_view password);

// A PKCS#12 file opened with `password`.
Result<jose::Pkcs12Contents> LoadPkcs12File(const std::string& path, std::string_view password);

// A certificate in PEM, DER or base64 DER; or, when the file is PKCS#12, the certificate inside
// it, opened with `p12_password` (a PKCS#12 file without a password given fails and says which
// option is missing, unless the file opens with the empty password).
Result<jose::Certificate> LoadCertificateFile(const std::string& path,
                                              const std::optional<std::string>& p12_password);

// A public key: SubjectPublicKeyInfo PEM/DER, or the key of a certificate as above.
Result<jose::Key> LoadPublicKeyFile(const std::string& path,
                                    const std::optional<std::string>& p12_password);

// "RSA 2048", "EC P-256", "Ed25519", "HMAC 256".
std::string DescribeKey(const jose::Key& key);

// True iff the two keys have the same public part (a certificate and its private key).
bool SamePublicKey(const jose::Key& a, const jose::Key& b);

struct PinnedKey {
  jose::Key key;  // pinned to exactly `alg`
  jose::Algorithm alg;
};

// `key` pinned to the algorithm named `alg_name`, or, when `alg_name` is empty, to the key's
// default (RS256 for RSA, ES256/384/512 by curve, EdDSA). Fails with a message naming the
// algorithms the key can use when `alg_name` is unknown or does not suit the key.
Result<PinnedKey> PinAlgorithm(const jose::Key& key, std::string_view alg_name);

}  // namespace tessera::cli

#endif  // TESSERA_CLI_MATERIAL_H_
