// SHA-256 and HMAC-SHA-256 over bytes, for the places outside src/jose that need a digest but
// must not include OpenSSL: the DPoP "ath" claim (RFC 9449 4.2: base64url SHA-256 of the access
// token) and the stateless DPoP server nonces (an HMAC-SHA-256 tag).
//
// Example:
//   std::string ath = Base64UrlEncode(Sha256(access_token));
//   std::string tag = HmacSha256(key, message);   // 32 bytes
//
// Thread safety: pure functions.
#ifndef TESSERA_JOSE_DIGEST_H_
#define TESSERA_JOSE_DIGEST_H_

#include <string>
#include <string_view>

namespace tessera::jose {

inline constexpr std::size_t kSha256Bytes = 32;

// The 32-byte SHA-256 digest of `bytes` (FIPS 180-4).
std::string Sha256(std::string_view bytes);

// The 32-byte HMAC-SHA-256 tag of `message` under `key` (RFC 2104). Any key length is accepted
// here; callers choose keys of at least 32 bytes (RFC 7518 3.2 asks that of HS256 keys).
std::string HmacSha256(std::string_view key, std::string_view message);

}  // namespace tessera::jose

#endif  // TESSERA_JOSE_DIGEST_H_
