// Validation of an outside token: a JWT issued by an outside issuer that a Trust names (contract
// section 10), presented to this domain's token endpoint as a jwt-bearer assertion, an RFC 8693
// subject_token, or a federated client assertion.
//
// ValidateOutsideToken applies, in this order, stopping at the first failure (each failure is
// one FederationReason, reason.h; docs/federation.md lists them with examples):
//   1. the trust is active; the presenting app is in its oauthClients. A subjectType App trust
//      serves only client authentication, where the token itself authenticates the app: there
//      the presenting client must be empty (RFC 8725 3.12: the two uses stay disjoint);
//   2. the token is one compact JWS of bounded size, strict base64url, duplicate-free JSON
//      objects (RFC 7515 5.2, RFC 8725 3.11); no crit, b64, cty, zip or enc; no key-carrying
//      jwk, jku, x5u or x5c (keys come only from the trust: nothing a token names is fetched);
//      alg known, never "none" and never HMAC (an outside issuer shares no secret with us);
//   3. typ, if present, is a token type: JWT, JOSE (SPIFFE JWT-SVID) or at+jwt (RFC 9068 access
//      tokens), compared as a media type (RFC 7515 4.1.9). Anything else (dpop+jwt,
//      client-authentication+jwt, logout+jwt, secevent+jwt, ...) is a JWT made for another
//      purpose and is refused (RFC 8725 3.11, 3.12);
//   4. "iss" is the trust's issuer, compared exactly (RFC 7519 4.1.1; no case folding, no
//      trailing-slash trimming). The caller chose the trust by this unverified "iss"
//      (PeekIssuer); here it is only a lookup hint until step 5 passes;
//   5. the key comes from the trust's keys (KeySource) by "kid"; the signature verifies under an
//      algorithm the KEY is pinned to (JWK "alg", else kty/crv: RSA RS256, P-256 ES256, ...;
//      RFC 8725 3.1). Claims are trusted from here on (RFC 7519 7.2);
//   6. "exp" present and now < exp + clockSkewSeconds; "nbf" <= now + skew; "iat" <= now + skew;
//      exp not before iat or nbf; exp - iat (or exp - now) at most
//      options.max_outside_lifetime_seconds (RFC 7519 4.1.4-4.1.6, RFC 7523 3 item 4);
//   7. "aud" (a string or an array) holds one of the trust's audiences (RFC 7519 4.1.3);
//   8. every condition holds (conditions.h);
//   9. clientClaimName, when set: the claim is a string among clientClaimValues;
//  10. the subjectClaimName claim is a non-empty string (the outside subject);
//  11. with allowImpersonation, the first impersonationServiceUsers rule that matches makes the
//      issued token's subject that service user (by id), "act" naming the outside subject
//      (RFC 8693 4.1); no rule matching leaves the ordinary subject mapping;
//  12. "jti": under JtiPolicy::kRequired a non-empty string of at most 256 characters, which the
//      caller must consume atomically in the replay store AFTER its own remaining checks (so a
//      refused request never burns it); under kReuseUntilExp optional;
//  13. the expiry cap: min(outside exp, now + maxTokenLifetime) must lie after now.
// Subject-to-user lookup (which needs the store) is the caller's: the result says which user
// attribute to compare with which value.
//
// Example:
//   TESSERA_ASSIGN_OR_RETURN(std::string iss, PeekIssuer(token));
//   const Trust* trust = trusts.ByIssuer(iss);            // the caller's lookup
//   if (trust == nullptr) return UnknownIssuer();
//   Result<FederatedIdentity> who =
//       ValidateOutsideToken(token, *trust, issuer_keys, clock, {.presenting_client_id = cid});
//   if (!who.ok()) return InvalidGrant(who.status().message());  // 503 for kKeysUnavailable
//   user = users.FindBy(who->mapping_attribute, who->mapping_value);
//   if (who->MustConsumeJti() && !replay.Consume(who->issuer, *who->jti, who->replay_until)) ...
//   exp = IssuedExpiry(*who, clock.NowSeconds(), requested_lifetime);
//
// Thread safety: pure functions; KeySource implementations say their own.
#ifndef TESSERA_FEDERATION_OUTSIDE_TOKEN_H_
#define TESSERA_FEDERATION_OUTSIDE_TOKEN_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "federation/reason.h"
#include "federation/trust.h"
#include "jose/key.h"
#include "tessera/clock.h"
#include "tessera/status.h"

namespace tessera::federation {

inline constexpr std::size_t kMaxJtiBytes = 256;
inline constexpr std::size_t kMaxSubjectBytes = 1024;

// Where the keys of a trust's issuer come from (issuer_keys.h: IssuerKeys, KeySet).
class KeySource {
 public:
  virtual ~KeySource() = default;
  // The verification key for a token of `trust` whose header names `kid` (nullopt: none), pinned
  // to its algorithms. Failures carry a FederationReason: kKeysUnavailable (nothing to verify
  // with; retry later), kNoKeyId, kKeyNotFound, kCertificateExpired.
  virtual Result<jose::Key> Find(const Trust& trust,
                                 const std::optional<std::string>& kid) const = 0;
};

struct OutsideTokenOptions {
  // The authenticated app presenting the token (jwt-bearer or token exchange); empty for a
  // federated client assertion, which authenticates the app itself (subjectType App).
  std::string presenting_client_id = {};
  std::size_t max_token_bytes = 16 * 1024;
  // The longest outside token accepted: exp - iat, or exp - now without iat. Bounds how long a
  // stolen token is worth something and how long a used jti must be remembered.
  int64_t max_outside_lifetime_seconds = 86400;
};

// What an accepted outside token stands for.
struct FederatedIdentity {
  std::string trust_id;
  std::string trust_name;
  std::string issuer;           // the outside "iss" (= the trust's issuer)
  std::string key_id;           // the "kid" that verified, empty when the header had none
  std::string outside_subject;  // the subjectClaimName claim's value

  // Who the issued token is for. subjectType User: the user whose `mapping_attribute` equals
  // `mapping_value` (an impersonated service user: kId and the rule's user id). subjectType App:
  // the client whose id is `mapping_value` (the client claim's value; attribute kId).
  SubjectType subject_type = SubjectType::kUser;
  SubjectMappingAttribute mapping_attribute = SubjectMappingAttribute::kUserName;
  std::string mapping_value;
  std::optional<std::string> client_claim_value;  // when clientClaimName is set

  // RFC 8693 4.1 "act" material, set when impersonating: {"sub": act_subject, "iss": act_issuer}.
  bool impersonating = false;
  std::size_t impersonation_rule = 0;  // index into impersonationServiceUsers
  std::string act_subject;
  std::string act_issuer;

  int64_t outside_expires_at = 0;  // the outside token's exp
  int64_t expires_at_cap = 0;      // min(outside exp, now + maxTokenLifetime): never issue past it

  std::optional<std::string> jti;
  JtiPolicy jti_policy = JtiPolicy::kRequired;
  int64_t replay_until = 0;  // exp + skew: how long the (issuer, jti) pair must be remembered

  // True when the caller must consume (issuer, jti) in the replay store before issuing.
  bool MustConsumeJti() const { return jti_policy == JtiPolicy::kRequired; }
};

// RFC 8693 3: the subject_token_type values a token exchange with an outside token accepts
// (contract section 10), and the one requested_token_type / issued_token_type it answers with.
enum class SubjectTokenType { kJwt, kIdToken, kAccessToken };
inline constexpr std::string_view kTokenTypeJwt = "urn:ietf:params:oauth:token-type:jwt";
inline constexpr std::string_view kTokenTypeIdToken = "urn:ietf:params:oauth:token-type:id_token";
inline constexpr std::string_view kTokenTypeAccessToken =
    "urn:ietf:params:oauth:token-type:access_token";
// The type named by `urn` (compared exactly), or nullopt for any other value (SAML assertions,
// refresh tokens, ...), which the grant refuses as invalid_request.
std::optional<SubjectTokenType> SubjectTokenTypeFromUrn(std::string_view urn);

// The unverified "iss" of `token`, to choose the trust. Applies step 2's syntax and header
// rules first (so a token refused there is refused before any lookup). Failures: kTooLarge,
// kMalformed, kHeaderRejected, kAlgorithmRejected, kIssuerMissing.
Result<std::string> PeekIssuer(std::string_view token, std::size_t max_token_bytes = 16 * 1024);

// Steps 1-13 above; the failed Status carries the FederationReason and RefusalMessage.
Result<FederatedIdentity> ValidateOutsideToken(std::string_view token, const Trust& trust,
                                               const KeySource& keys, const Clock& clock,
                                               const OutsideTokenOptions& options = {});

// The issued token's exp: min(now + requested_lifetime, identity.expires_at_cap).
// REQUIRES: requested_lifetime > 0.
int64_t IssuedExpiry(const FederatedIdentity& identity, int64_t now, int64_t requested_lifetime);

// The trust's scope ceiling: every fully qualified scope in `requested` must be among
// allowedScopes (no ceiling when allowedScopes is empty). kScopeOutsideCeiling names the first
// scope outside it.
Status CheckScopeCeiling(const Trust& trust, const std::vector<std::string>& requested);

// `candidates` (e.g. all the app's allowed scopes, when no scope was requested) limited to the
// trust's ceiling, order kept.
std::vector<std::string> WithinScopeCeiling(const Trust& trust,
                                            const std::vector<std::string>& candidates);

}  // namespace tessera::federation

#endif  // TESSERA_FEDERATION_OUTSIDE_TOKEN_H_
