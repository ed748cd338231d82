// FederationReason: why an outside token (a JWT from an issuer this domain trusts, contract
// section 10) was refused, one value per rule, and the one function that words each refusal.
//
// Every failure of federation code is a Status whose reason() is a FederationReason and whose
// message is RefusalMessage(...): it names the rule and, where one is at fault, the claim
// ("condition on claim 'repository' not satisfied"). Claim VALUES are never echoed before the
// signature has verified (RFC 7519 7.2: nothing in an unverified token is trusted, nor reflected).
//
// The wire mapping (invalid_grant, invalid_client for federated client authentication, 503
// temporarily_unavailable for kKeysUnavailable) belongs to the token endpoint, in one place.
//
// Example:
//   Result<FederatedIdentity> who = ValidateOutsideToken(token, trust, keys, clock, options);
//   if (!who.ok()) {
//     FederationReason why = FederationReasonOf(who.status());   // e.g. kConditionNotSatisfied
//     log(who.status().message());  // "condition on claim 'repository' not satisfied"
//   }
#ifndef TESSERA_FEDERATION_REASON_H_
#define TESSERA_FEDERATION_REASON_H_

#include <string>
#include <string_view>

#include "tessera/status.h"

namespace tessera::federation {

// Values are in the order the rules are checked (docs/federation.md, "The checks in order").
enum class FederationReason : int {
  kOk = 0,  // not a refusal
  // --- the trust and the presenting client ---
  kTrustInactive,        // the trust exists but is not active
  kClientNotAuthorized,  // the authenticated app is not in the trust's oauthClients
  // --- the token's form (RFC 7515, RFC 8725 3.1-3.11) ---
  kTooLarge,           // the token exceeds the size limit
  kMalformed,          // not one compact JWS of strict base64url and duplicate-free JSON objects
  kHeaderRejected,     // crit, b64, jwk, jku, x5u, x5c, cty, zip or enc in the header
  kAlgorithmRejected,  // alg missing, "none", unknown, or an HMAC algorithm (no shared secrets)
  kTypeRejected,       // typ names another kind of JWT (dpop+jwt, client-authentication+jwt, ...)
  kIssuerMissing,      // no "iss", or not a string
  kIssuerMismatch,     // "iss" is not the trust's issuer, compared exactly (RFC 7519 4.1.1)
  // --- the key (RFC 8725 3.1, 3.8) ---
  kKeysUnavailable,      // the issuer's keys could not be fetched and none are cached: retry later
  kNoKeyId,              // no "kid" and the issuer's key set holds more than one key
  kKeyNotFound,          // no key of the issuer has the token's "kid" (after a refetch)
  kCertificateExpired,   // the trust's inline certificate is outside its validity period
  kAlgorithmNotAllowed,  // "alg" is not the algorithm the key is pinned to (JWK alg, kty, crv)
  kSignatureInvalid,     // the signature does not verify
  // --- time (RFC 7519 4.1.4-4.1.6, RFC 7523 3 item 4) ---
  kTimeClaimInvalid,   // exp/nbf/iat not a NumericDate in seconds
  kExpirationMissing,  // no "exp": an outside token must expire
  kExpired,            // now >= exp + clockSkewSeconds
  kNotYetValid,        // nbf > now + clockSkewSeconds
  kIssuedInFuture,     // iat > now + clockSkewSeconds
  kTimesInconsistent,  // exp before iat or before nbf
  kLifetimeTooLong,    // exp - iat (or exp - now) beyond the accepted outside-token lifetime
  kNoLifetimeLeft,     // accepted within the skew, but exp has passed: nothing left to issue
  // --- audience (RFC 7519 4.1.3, RFC 7523 3 item 3) ---
  kAudienceMissing,   // no "aud"
  kAudienceMismatch,  // "aud" (string or array) holds none of the trust's audiences
  // --- the trust's rules ---
  kConditionClaimMissing,  // a condition's claim is absent from the token
  kConditionNotSatisfied,  // a condition's claim holds no value in its "in" list / "like" glob
  kClientClaimMissing,  // clientClaimName is set and the token lacks that claim (or not a string)
  kClientNotAllowed,    // the client claim's value is not among clientClaimValues
  kSubjectMissing,      // the subjectClaimName claim is absent, not a string, empty or too long
  kJtiMissing,          // no "jti" under the default single-use policy
  kJtiInvalid,          // "jti" not a non-empty string of at most 256 characters
  // --- after validation (the grant's own checks) ---
  kScopeOutsideCeiling,  // a requested scope is not among the trust's allowedScopes
};

// A fixed phrase for `reason` ("the token's signature is invalid").
std::string_view ReasonText(FederationReason reason);

// A stable snake_case code for logs, metrics and audit ("condition_not_satisfied").
std::string_view ReasonCode(FederationReason reason);

// The sentence for a refusal: names the rule, then `claim` (if not empty) where the rule is about
// one claim, then `detail` (if not empty) after a colon. Exhaustive over FederationReason.
//   RefusalMessage(kConditionNotSatisfied, "repository") ==
//       "condition on claim 'repository' not satisfied"
std::string RefusalMessage(FederationReason reason, std::string_view claim = {},
                           std::string_view detail = {});

// A failed Status carrying `reason`, with RefusalMessage as its message. The code is
// kUnavailable for kKeysUnavailable (retrying may help), kInvalidArgument otherwise.
Status Refuse(FederationReason reason, std::string_view claim = {}, std::string_view detail = {});

// The FederationReason `s` carries (kOk for an OK status).
// REQUIRES: `s` is OK or came from federation code.
inline FederationReason FederationReasonOf(const Status& s) {
  return s.ok() ? FederationReason::kOk : static_cast<FederationReason>(s.reason());
}

}  // namespace tessera::federation

#endif  // TESSERA_FEDERATION_REASON_H_
