// Internal to tessera_client: DPoP proof creation (RFC 9449 section 4.2) with a jose::Key, behind
// the public DpopKey / MakeDpopProof of include/tessera/client.h.
#ifndef TESSERA_CLIENT_DPOP_PROOF_H_
#define TESSERA_CLIENT_DPOP_PROOF_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "jose/algorithm.h"
#include "jose/json.h"
#include "jose/key.h"
#include "tessera/client.h"
#include "tessera/status.h"

namespace tessera::client {

// What a DpopKey holds: the private key pinned to one asymmetric algorithm, its public JWK (the
// RFC 7638 required members only, as the proof header carries it) and its thumbprint.
class DpopKey::Impl {
 public:
  // Errors: kInvalidArgument for a public key, an HMAC key, or an algorithm the key cannot use.
  static Result<std::shared_ptr<const Impl>> Make(const jose::Key& key, std::string_view alg);

  jose::Key key;  // pinned to `alg`
  jose::Algorithm alg = jose::Algorithm::kES256;
  std::string alg_name;
  jose::Json jwk;
  std::string jwk_text;
  std::string jkt;
};

// The fields of one proof. `url` may carry a query and fragment: they are cut off (RFC 9449 4.2:
// htu is the target URI "without query and fragment parts").
struct DpopProofRequest {
  std::string_view method;
  std::string_view url;
  std::string_view access_token;  // non-empty: "ath" = base64url(SHA-256(token))
  std::string_view nonce;         // non-empty: "nonce" (the server's DPoP-Nonce)
  int64_t now = 0;
  std::string jti;  // empty: a fresh random one (128 bits)
};

// A compact proof JWT: header {typ:"dpop+jwt", alg, jwk}, claims {jti, htm, htu, iat[, ath]
// [, nonce]}. Errors: kInvalidArgument for a method that is not an RFC 9110 token, a URL that is
// not absolute http(s), a nonce outside the RFC 9449 8.1 NQCHAR set.
Result<std::string> SignDpopProof(const DpopKey::Impl& key, const DpopProofRequest& request);

// Whether `nonce` is one a proof may carry: 1 to 1024 characters of RFC 9449 8.1 NQCHAR.
bool ValidDpopNonce(std::string_view nonce);

}  // namespace tessera::client

#endif  // TESSERA_CLIENT_DPOP_PROOF_H_
