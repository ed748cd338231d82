// Reason: why the identity domain refused a request, precisely, and the one place where each
// reason becomes an OAuth wire error (RFC 6749 5.2, RFC 7521 4.1.1/4.2.1, RFC 7523 3.1/3.2).
//
// Every rejection in src/oauth is a Rejection {reason, detail, client_assertion, retry_after}.
// The detail is for logs, the audit trail and, where the contract allows it (assertion rules once
// the client is authenticated, scopes, grants), the error_description. Client-authentication
// failures, a rejected client assertion included, never reveal which check failed on the wire
// (docs/security.md): the description is "Client authentication failed.".
//
// Adding a reason: give it a ReasonCode and a case in ToWireError and in AssertionRule (the
// switches have no default, so -Wswitch names the one forgotten) and a row in reasons_test.cc.
#ifndef TESSERA_OAUTH_REASONS_H_
#define TESSERA_OAUTH_REASONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "oauth/dpop.h"

namespace tessera::oauth {

enum class Reason {
  // --- request shape (RFC 6749 3.2, 5.2) ---
  kMalformedRequest,      // body not a form, a parameter repeated, bad encoding
  kMissingParameter,      // grant_type, assertion, ... absent
  kUnsupportedGrantType,  // grant_type unknown to Tessera
  // --- client authentication (RFC 6749 2.3, RFC 7523 2.2 / 3.2) ---
  kNoClientAuthentication,        // no method used
  kMultipleClientAuthentication,  // more than one method (RFC 6749 2.3: MUST NOT)
  kBadAuthorizationHeader,        // Authorization header present but not valid Basic
  kUnknownClientAssertionType,    // client_assertion_type other than jwt-bearer
  kUnknownClient,                 // no app with this client id
  kBadClientSecret,               // the secret does not match
  kClientInactive,                // the app exists but is not activated
  kClientIdMismatch,              // client_id form parameter names another client (RFC 7521 4.2)
  kClientAssertionNoSecretAuth,   // secret authentication for an app that has no secret
  // RFC 8705 2: a client_id alone with a client certificate that neither matches the app's
  // tlsClientAuthSubjectDn / tlsClientAuthSanDns (chaining to the client CA) nor is one of the
  // certificates attached to the app (self_signed_tls_client_auth).
  kClientCertificateMismatch,
  // RFC 8705 3: the app's tokens are certificate-bound (tlsClientCertificateBoundAccessTokens)
  // and the request presented no client certificate: 400 invalid_request.
  kClientCertificateRequired,
  // --- grant authorisation ---
  kGrantNotAllowed,  // the app's allowedGrants lacks this grant -> unauthorized_client
  // --- assertion rules (contract section 2 rule N; RFC 7523 section 3 item M) ---
  // Rule 1, item 10: not a strict compact JWS of JSON objects, or over 32 KiB.
  kAssertionMalformed,
  // Rule 2, item 9: crit, b64, jwk, jku, x5u, x5c, cty, zip or enc in the header, a kid/x5t/typ
  // of the wrong type, or a typ that names no assertion.
  kAssertionHeaderRejected,
  // Rule 2, item 9: alg missing, none, unknown or not in the app's allowed list (HMAC never);
  // rule 3: an alg that does not fit the certificate's key.
  kAssertionAlgNotAllowed,
  kAssertionNoKeyReference,  // rule 3, item 9: no x5t, x5t#S256 or kid in the header
  // Rule 3, item 9: no certificate attached to the app matches, nor (user assertions only) a
  // partner certificate.
  kAssertionKeyNotFound,
  kAssertionCertificateExpired,  // rule 3, item 9: the matching certificates are not valid now
  kAssertionSignatureInvalid,    // rule 3, item 9: the signature does not verify with that key
  kAssertionIssuerMismatch,      // rule 4, item 1: iss is not the authenticated client
  kAssertionSubjectMismatch,     // rule 4, item 2: client assertion sub is not the client id
  kAssertionAudienceRejected,    // rule 5, item 3: no aud value is an accepted audience
  // Rule 6, items 4-6: exp missing; exp/iat/nbf not a number or in milliseconds; exp before iat
  // or nbf.
  kAssertionTimeClaimInvalid,
  kAssertionExpired,          // rule 6, item 4: now >= exp + skew
  kAssertionNotYetValid,      // rule 6, item 5: now + skew < nbf
  kAssertionIssuedInFuture,   // rule 6, item 6: iat > now + skew
  kAssertionLifetimeTooLong,  // rule 6, items 4 and 6: exp - iat (or exp - now) over the maximum
  kAssertionJtiMissing,       // rule 7, item 7: jti absent, and the app requires it
  // Rule 7, item 7: jti not a string, empty, over 256 bytes, or with control characters.
  kAssertionJtiInvalid,
  kAssertionJtiReplayed,     // rule 7, item 7: (iss, jti) already recorded (TokenService)
  kAssertionSubjectMissing,  // rule 8, item 2: neither sub nor prn
  kAssertionUserUnknown,     // rule 8, item 2: no user with that userName
  kAssertionUserInactive,    // rule 8, item 2: the user is not active
  // --- outside tokens (contract section 10): a jwt-bearer assertion, an RFC 8693
  // subject_token or a client assertion whose iss is a federation trust's issuer ---
  // Refused by a rule of the outside-token checks (docs/federation.md, "The checks in order");
  // the detail is the rule's FederationReason sentence.
  kFederatedTokenRejected,
  // The issuer's signing keys could not be fetched and none are cached: 503, retry later.
  kFederatedKeysUnavailable,
  kFederatedUserUnknown,          // the outside subject maps to no user (or several)
  kFederatedUserInactive,         // the user it maps to is not active
  kFederatedScopeOutsideCeiling,  // a requested scope is outside the trust's allowedScopes
  // --- token exchange (RFC 8693 2.1, 2.2.2) ---
  kTokenTypeUnsupported,  // subject_token_type or requested_token_type not supported
  kTargetInvalid,         // resource / audience names no audience the client may get
  // --- scopes (contract section 4) ---
  kScopeNotAllowed,        // an fqs outside the app's token issuance policy
  kScopeUnknown,           // an fqs that names no resource app's scope
  kScopeExpiryInvalid,     // urn:opc:resource:expiry=N out of range or not a number
  kScopeAdminNotAllowed,   // __myscopes__ for an app without an administrator role
  kScopeResourceInactive,  // an fqs of a resource app that is not active
  // --- DPoP proofs at the token endpoint (RFC 9449; contract section 11) ---
  // RFC 9449 4.3: the DPoP proof failed a rule; Rejection::dpop_error says which. Also more
  // than one DPoP header field (item 1).
  kDpopProofInvalid,
  // RFC 9449 5.2: the app's dpopBoundAccessTokens asks for a proof and the request has none.
  kDpopProofRequired,
  kDpopProofReplayed,  // RFC 9449 11.1: the proof's jti (for its key) was already accepted
  // RFC 9449 8: server nonces are on and the proof has no nonce, or not a current one;
  // Rejection::dpop_nonce carries a fresh one for the DPoP-Nonce header.
  kDpopNonceRequired,
  // --- request-rate limits ---
  kRateLimited,  // too many requests for the client, or failures from the address: 429
  // --- the server itself ---
  kStoreUnavailable,  // the database is unreachable: 503, retry later
  kInternal,          // a bug or an unexpected failure: 500
};

// A stable snake_case code for logs, metrics and audit ("assertion_jti_replayed").
std::string_view ReasonCode(Reason reason);

// The Reason whose ReasonCode is exactly `code`; nullopt for any other text.
std::optional<Reason> ReasonFromCode(std::string_view code);

// The number of the rule that POST /admin/v1/AssertionChecks reports failed with `reason`
// ("rule" of its answer): contract section 2 rules 1-8 for the assertion reasons, 9 for the scope
// reasons (an outside token's scope ceiling included), 10 for an outside subject's mapping
// (contract section 10), 11 for the DPoP proof reasons (contract section 11). nullopt for a
// reason no such rule reports (request shape, client authentication, grants, the server's own
// failures) or that several rules share (kFederatedTokenRejected). A reason two rules may report
// maps to the rule that checks it first (kAssertionAlgNotAllowed: rule 2, the allowed list,
// before rule 3's fit with the certificate's key).
std::optional<int> AssertionRule(Reason reason);

struct Rejection {
  Reason reason = Reason::kInternal;
  std::string detail;                     // precise text; may name claims and values, never secrets
  bool client_assertion = false;          // an assertion rule failed for a client assertion
  int64_t retry_after = 0;                // kRateLimited: whole seconds to wait (Retry-After)
  DpopError dpop_error = DpopError::kOk;  // a DPoP reason: the RFC 9449 4.3 rule that failed
  std::string dpop_nonce = {};            // kDpopNonceRequired: the DPoP-Nonce header's value
  // For the audit trail only, never the wire: which federation trust, which outside subject.
  std::string audit_note = {};
};

struct WireError {
  int http_status;
  std::string_view error;   // RFC 6749 5.2 error code
  std::string description;  // error_description
  bool www_authenticate;    // a client-authentication failure: WWW-Authenticate when Basic was used
};

// The one mapping from a Rejection to the wire:
//   a rejected client assertion (client_assertion set), whatever the rule: 401 invalid_client;
//   a client-authentication reason: 401 invalid_client, www_authenticate set (the http layer
//     adds WWW-Authenticate when the request used Basic, RFC 6749 5.2);
//   request shape: 400 invalid_request or unsupported_grant_type; kGrantNotAllowed: 400
//     unauthorized_client; an assertion rule or an outside token's refusal: 400 invalid_grant
//     (RFC 7523 3.1, RFC 8693 2.2.2); a scope reason: 400 invalid_scope; kTokenTypeUnsupported:
//     400 invalid_request; kTargetInvalid: 400 invalid_target (RFC 8693 2.2.2); a DPoP proof
//     reason: 400 invalid_dpop_proof, whose description is the fixed phrase of the failed rule
//     (DpopErrorText), never a value from the proof, and kDpopNonceRequired 400 use_dpop_nonce
//     (RFC 9449 8); kRateLimited: 429 temporarily_unavailable (Retry-After from retry_after);
//     kStoreUnavailable and kFederatedKeysUnavailable: 503 temporarily_unavailable (never a
//     token; the http layer adds Retry-After); kInternal: 500 server_error.
// Client-authentication failures and the server's own failures get a fixed description; the
// others carry the Rejection's detail.
WireError ToWireError(const Rejection& rejection);

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_REASONS_H_
