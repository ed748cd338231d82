// JSON Web Keys (RFC 7517, RFC 7518 section 6, RFC 8037 section 2) and JWK thumbprints (RFC 7638).
//
// Import is strict (docs/security.md): "kty" required; RSA "n"/"e", EC "crv"/"x"/"y" of the
// curve's exact length, OKP "crv":"Ed25519" with a 32-byte "x", oct "k"; members in strict
// base64url; "use", if present, is "sig"; "key_ops", if present, contains "verify" or "sign";
// "alg", if present, must suit the key and then pins it. Private members ("d", ...) and "oct"
// keys are refused unless the options allow them. A JWKS refuses duplicate "kid"s, a mix of
// symmetric and asymmetric keys, and more than max_keys keys.
#ifndef TESSERA_JOSE_JWK_H_
#define TESSERA_JOSE_JWK_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jose/json.h"
#include "jose/key.h"
#include "tessera/status.h"

namespace tessera::jose {

struct JwkOptions {
  bool allow_private = false;    // accept "d" and the RSA CRT members (local key files only)
  bool allow_symmetric = false;  // accept "kty":"oct" (needs "alg")
  std::size_t max_keys = 64;
  std::size_t max_bytes = 256 * 1024;
};

struct Jwk {
  Key key;
  std::string kid;  // empty when absent
};

Result<Jwk> ParseJwk(const Json& jwk, const JwkOptions& options = {});
Result<Jwk> ParseJwkText(std::string_view text, const JwkOptions& options = {});
// A JWK Set {"keys":[...]}.
Result<std::vector<Jwk>> ParseJwks(std::string_view text, const JwkOptions& options = {});

// The public JWK of `key` with "kid" (if not empty) and "alg" (if the key is pinned to exactly one
// algorithm) and "use":"sig". HMAC keys are never exported (kKeyUnsupported).
Result<Json> PublicJwk(const Key& key, std::string_view kid);

// RFC 7638 thumbprint: base64url(SHA-256(canonical JSON of the required members)).
Result<std::string> JwkThumbprint(const Key& key);

}  // namespace tessera::jose

#endif  // TESSERA_JOSE_JWK_H_
