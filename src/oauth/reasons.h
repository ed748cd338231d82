// Reason: why the identity domain refused a request, precisely, and the one place where each
// reason becomes an OAuth wire error (RFC 6749 5.2, RFC 7521 4.1.1/4.2.1, RFC 7523 3.1/3.2).
//
// Every rejection in src/oauth is a Rejection {reason, detail, client_assertion}. The detail is
// for logs, the audit trail and, where the contract allows it (assertion rules once the client is
// authenticated), the error_description. Client-authentication failures never reveal which check
// failed on the wire (docs/security.md): the description is "Client authentication failed.".
#ifndef TESSERA_OAUTH_REASONS_H_
#define TESSERA_OAUTH_REASONS_H_

#include <cstdint>
#include <string>
#include <string_view>

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
  kClientAssertionNoSecretAuth,   // the app has no secret but secret auth was used
  // --- grant authorisation ---
  kGrantNotAllowed,  // the app's allowedGrants lacks this grant -> unauthorized_client
  // --- assertion rules (contract section 2; RFC 7523 section 3) ---
  kAssertionMalformed,           // rule 1: not a strict compact JWS of JSON objects
  kAssertionHeaderRejected,      // rule 2: crit, b64, key-carrying or JWE headers
  kAssertionAlgNotAllowed,       // rule 2: alg not in the app's allowed list
  kAssertionNoKeyReference,      // rule 3: no x5t, x5t#S256 or kid in the header
  kAssertionKeyNotFound,         // rule 3: no attached or partner certificate matches
  kAssertionCertificateExpired,  // rule 3: the matching certificate has expired
  kAssertionSignatureInvalid,    // rule 3: the signature does not verify with that key
  kAssertionIssuerMismatch,      // rule 4: iss is not the authenticated client
  kAssertionSubjectMismatch,     // rule 4: client assertion sub is not the client id
  kAssertionAudienceRejected,    // rule 5
  kAssertionTimeClaimInvalid,    // rule 6: exp/iat/nbf of the wrong type or in milliseconds
  kAssertionExpired,             // rule 6
  kAssertionNotYetValid,         // rule 6
  kAssertionIssuedInFuture,      // rule 6
  kAssertionLifetimeTooLong,     // rule 6
  kAssertionJtiMissing,          // rule 7: jti required by the app
  kAssertionJtiInvalid,          // rule 7: jti not a string or too long
  kAssertionJtiReplayed,         // rule 7: (iss, jti) already accepted
  kAssertionSubjectMissing,      // rule 8: neither sub nor prn
  kAssertionUserUnknown,         // rule 8: no user with that userName
  kAssertionUserInactive,        // rule 8: the user is not active
  // --- scopes (contract section 4) ---
  kScopeNotAllowed,       // an fqs outside the app's token issuance policy
  kScopeUnknown,          // an fqs that names no resource app's scope
  kScopeExpiryInvalid,    // urn:opc:resource:expiry=N out of range or not a number
  kScopeAdminNotAllowed,  // __myscopes__ for an app without an administrator role
  // --- request-rate limits ---
  kRateLimited,            // too many requests for the client, or failures from the address: 429
  kScopeResourceInactive,  // an fqs of a resource app that is not active
  // --- the server itself ---
  kStoreUnavailable,  // the database is unreachable: 503, retry later
  kInternal,          // a bug or an unexpected failure: 500
};

// A stable snake_case code for logs, metrics and audit ("assertion_jti_replayed").
std::string_view ReasonCode(Reason reason);

struct Rejection {
  Reason reason = Reason::kInternal;
  std::string detail;             // precise text; may name claims and values, never secrets
  bool client_assertion = false;  // an assertion rule failed for a client assertion
  int64_t retry_after = 0;        // kRateLimited: whole seconds to wait (Retry-After)
};

struct WireError {
  int http_status;
  std::string_view error;   // RFC 6749 5.2 error code
  std::string description;  // error_description
  bool www_authenticate;    // add WWW-Authenticate (client auth failures)
};

// The one mapping from a Rejection to the wire. `used_basic` decides the 401 WWW-Authenticate
// scheme (RFC 6749 5.2: MUST be 401 with WWW-Authenticate when Basic was used).
WireError ToWireError(const Rejection& rejection);

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_REASONS_H_
