// JoseError: the precise reason a JOSE operation failed.
//
// Every jose function that fails returns a Status whose reason() is a JoseError value and whose
// message starts with JoseErrorText(reason). Callers that need the rule (the OAuth layer, tests)
// read it with JoseErrorOf(status); people read the message.
//
// Values are grouped as in the verification order of RFC 8725 / docs/security.md: size and
// syntax, header policy, key, signature, claims. Adding a value: give it a comment, a text in
// JoseErrorText (the switch has no default, so -Wswitch flags a missing one).
#ifndef TESSERA_JOSE_ERROR_H_
#define TESSERA_JOSE_ERROR_H_

#include <string>
#include <string_view>

#include "tessera/status.h"

namespace tessera::jose {

enum class JoseError : int {
  kNone = 0,  // not a jose error (OK, or a status from elsewhere)
  // --- size and syntax (RFC 7515 7.1, RFC 8725 3.11) ---
  kTooLarge = 1,       // token, segment or JSON beyond the configured size limit
  kMalformedSegments,  // not exactly three '.'-separated segments (JWE has five, JSON is none)
  kBadBase64Url,       // padding, '+', '/', whitespace, or non-canonical trailing bits
  kBadJson,            // not valid UTF-8 JSON
  kDuplicateMember,    // a JSON object repeats a member name (RFC 7515 5.2 step 4 / RFC 8725)
  kJsonTooDeep,        // JSON nesting beyond the limit
  kNotJsonObject,      // the header or the claims set is not a JSON object
  kEmptySignature,     // the signature segment is empty (unsecured JWS, RFC 7518 3.6)
  // --- header policy (RFC 7515 4.1, RFC 8725 3.1-3.3, 3.10) ---
  kAlgMissing,          // no "alg", or "alg" is not a string
  kAlgNone,             // "alg":"none": unsecured JWS are never accepted
  kAlgUnknown,          // "alg" names no algorithm Tessera implements (compared exactly)
  kAlgNotAllowed,       // "alg" is a known algorithm but not one the key is pinned to
  kCritUnsupported,     // "crit" names an extension Tessera does not understand
  kCritMalformed,       // "crit" empty, not an array of strings, duplicated, or names a JWS name
  kUnencodedPayload,    // "b64" present (RFC 7797 unencoded payloads are not JWTs)
  kKeyHeaderForbidden,  // "jwk", "jku", "x5u" or "x5c": keys come only from the store
  kUnsupportedHeader,   // "cty" (nested JWT), "zip" or "enc" (JWE)
  kBadHeaderValue,      // "kid", "x5t", "x5t#S256" or "typ" of the wrong type or too long
  // --- keys (RFC 7518 3, RFC 7517) ---
  kKeyTooWeak,          // RSA under 2048 bits, bad exponent, or HMAC secret under the hash size
  kKeyInvalid,          // key parameters that are not a valid key (point off the curve, ...)
  kKeyUnsupported,      // key type or curve Tessera does not use
  kKeyMismatch,         // algorithm family or curve does not match the key
  kKeyNotPrivate,       // signing asked of a public key
  kKeyParse,            // PEM, DER or PKCS#12 input that does not parse as a key
  kWrongPassword,       // PKCS#12 password does not open the file
  kCertificateInvalid,  // certificate that does not parse or has no usable key
  kJwkInvalid,          // JWK/JWKS members missing, of the wrong type, or inconsistent
  // --- signature (RFC 7515 5.2, RFC 7518 3) ---
  kSignatureLength,   // signature of the wrong length for the algorithm (e.g. DER for ES256)
  kSignatureInvalid,  // the signature or MAC does not verify
  // --- claims (RFC 7519 4.1, RFC 7523 3) ---
  kClaimMissing,       // a required claim is absent
  kClaimType,          // a claim has the wrong JSON type (e.g. "exp" as a string)
  kClaimMilliseconds,  // a NumericDate that is a count of milliseconds, not seconds
  kClaimTooLong,       // a string claim beyond its length limit
  kExpired,            // now >= exp + skew (RFC 7519 4.1.4)
  kNotYetValid,        // now + skew < nbf (RFC 7519 4.1.5)
  kIssuedInFuture,     // iat > now + skew
  kLifetimeTooLong,    // exp - iat (or exp - now) beyond the maximum lifetime
  kTimesInconsistent,  // exp before iat or before nbf
  kAudienceMismatch,   // no "aud" value is an accepted audience (RFC 7519 4.1.3)
  // --- other ---
  kCryptoFailure,  // OpenSSL failed for a reason that is not the input's fault
};

// A short fixed phrase for `e` ("signature does not verify").
std::string_view JoseErrorText(JoseError e);

// A failed Status with reason `e`, message "<text>: <detail>" (or "<text>" if detail is empty).
Status JoseFailure(JoseError e, std::string_view detail = {});

// The JoseError carried by `s`, or kNone if `s` is OK. REQUIRES: `s` came from jose code or is OK.
inline JoseError JoseErrorOf(const Status& s) { return static_cast<JoseError>(s.reason()); }

}  // namespace tessera::jose

#endif  // TESSERA_JOSE_ERROR_H_
