// Key: a signing or verification key pinned to the algorithms it may be used with.
//
// RFC 8725 3.1: the algorithm comes from the key, never from the token. A Key knows its type
// (RSA, EC, Ed25519, HMAC secret) and an AlgorithmSet; Verify(alg, ...) fails with
// kAlgNotAllowed unless `alg` is in that set, whatever the token's header says. So an RSA public
// key can never become an HMAC secret (RFC 8725 2.1, docs/security.md): an HMAC Key is built only
// from FromSecret, and an RSA Key admits only RS*/PS*.
//
// Policy enforced at construction (docs/security.md): RSA modulus at least 2048 bits without the
// ROCA fingerprint (CVE-2017-15361) and an odd public exponent of at least 3; EC only on P-256,
// P-384, P-521 with the point on the curve; Ed25519 only among Edwards curves; HMAC secrets at
// least as long as the hash.
//
// Example:
//   TESSERA_ASSIGN_OR_RETURN(Key key, LoadCertificate(der)).public_key;   // pinned to RS256
//   TESSERA_ASSIGN_OR_RETURN(Key ps, key.RestrictTo({Algorithm::kPS256}));
//   TESSERA_RETURN_IF_ERROR(ps.Verify(Algorithm::kPS256, signing_input, signature));
//
// Thread safety: a Key is an immutable value sharing its OpenSSL object; Sign and Verify may run
// concurrently on copies or on one Key.
#ifndef TESSERA_JOSE_KEY_H_
#define TESSERA_JOSE_KEY_H_

#include <memory>
#include <string>
#include <string_view>

#include "jose/algorithm.h"
#include "tessera/status.h"

// OpenSSL's EVP_PKEY, named without its headers: includers of this one see no OpenSSL
// declarations (src/jose/openssl_util.h is internal to src/jose).
struct evp_pkey_st;

namespace tessera::jose {

// Frees with EVP_PKEY_free.
struct PkeyFree {
  void operator()(evp_pkey_st* pkey) const;
};
using PkeyPtr = std::unique_ptr<evp_pkey_st, PkeyFree>;

enum class KeyType { kRsa, kEc, kEd25519, kHmac };

std::string_view KeyTypeName(KeyType t);

class Key {
 public:
  // An empty key: valid() is false and every operation fails. Exists so Key can be a member.
  Key() = default;

  // Adopts an OpenSSL key after the policy checks above. The algorithm set is the default for the
  // type: RSA {RS256} (the contract's default), P-256 {ES256}, P-384 {ES384}, P-521 {ES512},
  // Ed25519 {EdDSA}.
  static Result<Key> FromPkey(PkeyPtr pkey);

  // An HMAC key for `alg` (HS256/384/512). Fails with kKeyTooWeak if the secret is shorter than
  // the hash (RFC 7518 3.2), kKeyMismatch if `alg` is not HMAC.
  static Result<Key> FromSecret(std::string_view secret, Algorithm alg);

  bool valid() const { return rep_ != nullptr; }
  KeyType type() const;
  // Modulus bits (RSA), field bits (EC: 256, 384, 521), 256 (Ed25519), secret bits (HMAC).
  int bits() const;
  bool has_private() const;
  // "P-256", "P-384", "P-521", "Ed25519", or "" for RSA/HMAC.
  std::string_view curve() const;

  // The algorithms this key is pinned to.
  AlgorithmSet algorithms() const { return algs_; }
  // Every algorithm the key's type could serve (RSA: RS* and PS*; EC: the curve's ES*).
  AlgorithmSet CompatibleAlgorithms() const;
  // The same key pinned to `algs`. Fails with kKeyMismatch if `algs` is empty or holds an
  // algorithm outside CompatibleAlgorithms().
  Result<Key> RestrictTo(AlgorithmSet algs) const;

  // Verifies `signature` over `signing_input` (RFC 7515 5.2 step 8: the exact received bytes).
  // Fails with kAlgNotAllowed (alg not pinned), kSignatureLength (e.g. ES256 not 64 bytes),
  // kSignatureInvalid.
  Status Verify(Algorithm alg, std::string_view signing_input, std::string_view signature) const;

  // Signs `signing_input`. REQUIRES: has_private() (else kKeyNotPrivate); alg pinned.
  Result<std::string> Sign(Algorithm alg, std::string_view signing_input) const;

  // The public half (identity for HMAC keys, which have none).
  Result<Key> PublicKey() const;

  // The underlying OpenSSL key (nullptr for HMAC). Owned by this Key.
  evp_pkey_st* pkey() const;
  // The HMAC secret (empty for asymmetric keys). Never log it.
  std::string_view secret() const;

 private:
  struct Rep;
  Key(std::shared_ptr<const Rep> rep, AlgorithmSet algs) : rep_(std::move(rep)), algs_(algs) {}
  Status CheckUsable(Algorithm alg) const;

  std::shared_ptr<const Rep> rep_;
  AlgorithmSet algs_;
};

// HMAC (RFC 2104) of `input` under `secret` with the hash of `alg` (HS256, HS384 or HS512),
// for MACs that are not JWS signatures (e.g. a stored secret's salted hash), so without
// FromSecret's length policy. Fails with kKeyMismatch if `alg` is not HMAC, kCryptoFailure if
// OpenSSL fails.
Result<std::string> Hmac(Algorithm alg, std::string_view secret, std::string_view input);

}  // namespace tessera::jose

#endif  // TESSERA_JOSE_KEY_H_
