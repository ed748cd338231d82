// AssertionValidator: the acceptance rules of contract section 2 (RFC 7523 section 3) for JWT
// user assertions (jwt-bearer grant) and client assertions (private_key_jwt), in order, one
// private method per rule (each names the RFC 7523 section 3 items it implements):
//   1 syntax (strict compact JWS, JSON objects, no duplicate members, at most 32 KiB) and the
//     header policy that needs no key: alg present, known, not "none"; no crit Tessera does not
//     understand; no b64, jwk, jku, x5u, x5c, cty, zip or enc
//   2 header: alg in the app's allowed list (never an HMAC alg), typ JWT when present (or, for a
//     client assertion, client-authentication+jwt)
//   3 key (x5t, then x5t#S256, then kid; among the app's attached certificates, then, for a
//     user assertion only, the trusted partner certificates; expired certificates do not count)
//     and signature. A client assertion authenticates the client, so only a certificate attached
//     to that client may verify it: a partner's key must never speak for a client.
//   4 iss is the client (and, for a client assertion, sub too)
//   5 aud accepted (DomainConfig::AcceptedAudiences)
//   6 exp/nbf/iat with the clock skew, and the maximum assertion lifetime
//   7 jti present (unless the app waives it) and well-formed. Validate never records a jti: its
//     single use is enforced by the caller (TokenService::RecordJtis, one atomic insert through
//     ReplayStore::ConsumeJtis) after every other check, so a rejected request never burns a jti
//   8 (user assertions) sub, or prn, is the userName of an active user
// Rule 9 (scopes) belongs to the token service.
//
// In strict mode (report == nullptr) validation stops at the first failure. In report mode every
// rule is evaluated as far as it can be and its outcome recorded, with the reason and the fix,
// for the AssertionChecks diagnostics; the rejection is the first failure's. A rule that cannot
// be evaluated because the store failed (kStoreUnavailable) ends validation in either mode. With
// ReportDepth::kUntilSignatureFails the rules after an unverified signature are recorded as not
// checked: claims nobody has signed must not be looked up for the caller (whether a user exists
// or is active is not told to whoever can make up a JWT).
//
// Time is the injected Clock's: tests run the rules on a FixedClock.
//
// Example (the token endpoint):
//   AssertionValidator validator(directory, config, clock);
//   AssertionResult r = validator.Validate(assertion, client, AssertionKind::kUserGrant);
//   if (auto* rejection = std::get_if<Rejection>(&r)) return *rejection;  // ToWireError
//   const ValidatedAssertion& v = std::get<ValidatedAssertion>(r);  // v.user, v.jti to record
#ifndef TESSERA_OAUTH_ASSERTION_H_
#define TESSERA_OAUTH_ASSERTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "jose/jws.h"
#include "oauth/certificate_uses.h"
#include "oauth/config.h"
#include "oauth/directory.h"
#include "oauth/reasons.h"
#include "tessera/clock.h"

namespace tessera::oauth {

enum class AssertionKind { kUserGrant, kClientAuthentication };

// Contract section 2 rule 5 under config.assertion_audience (RFC 7523 3 item 3):
//   kCompat: "aud" (string or array) holds one of config.AcceptedAudiences();
//   kStrict (RFC 10070): a client assertion's "aud" is config.issuer as its sole value (a string,
//     or an array of exactly that one string); a grant assertion's "aud" is non-empty and every
//     value is config.issuer or config.TokenEndpoint().
// kInvalidArgument naming what was found and what is accepted.
Status CheckAssertionAudience(const jose::Json& claims, AssertionKind kind,
                              const DomainConfig& config);

enum class RuleResult {
  kPass,
  kFail,
  kNotChecked,  // not evaluated: an earlier rule it depends on (the signature) failed
};

struct RuleOutcome {
  int rule = 0;      // contract section 2 rule number (9 = scopes)
  std::string name;  // "signature", "audience", ...
  RuleResult result = RuleResult::kFail;
  std::optional<Reason> reason;  // set for kFail only
  std::string detail;
  std::string fix;  // what to change, for a failed rule
  bool passed() const { return result == RuleResult::kPass; }
};

// How far report mode goes.
enum class ReportDepth {
  kEveryRule,            // every rule is evaluated (an administrator's diagnosis)
  kUntilSignatureFails,  // rules after an unverified signature are kNotChecked (a client's)
};

struct ValidatedAssertion {
  jose::Jws jws;
  std::string issuer;
  std::string jti;         // empty when absent and waived
  int64_t expires_at = 0;  // the assertion's exp
  // The certificate that verified the signature: "certificate 'alias' attached to client ..."
  // or, user assertions only, "trusted partner certificate 'alias'".
  std::string key_source;
  std::shared_ptr<const store::User> user;  // user assertions
};

using AssertionResult = std::variant<ValidatedAssertion, Rejection>;

class AssertionValidator {
 public:
  AssertionValidator(Directory& directory, const DomainConfig& config, const Clock& clock);

  // Validates `token` for `client` (the authenticated client, or for a client assertion the app
  // its iss names). `report`, when given, receives every rule's outcome, as deep as `depth`.
  // Returns the validated assertion, or the Rejection of the first rule that failed.
  AssertionResult Validate(std::string_view token, const store::App& client, AssertionKind kind,
                           std::vector<RuleOutcome>* report = nullptr,
                           ReportDepth depth = ReportDepth::kEveryRule) const;

  // Where a certificate that verified a token request's assertion is noted (report mode, a
  // diagnosis, notes nothing). Null: not recorded. Set before serving.
  void set_certificate_uses(CertificateUses* uses) { uses_ = uses; }

 private:
  // One validation's state: the client, the time, what earlier rules found, the outcomes.
  struct Run;
  // What a rule method tells Validate: go on with the next rule, or answer now.
  enum class Next { kContinue, kStop };

  // Contract rule 1 (and the key-independent part of rule 2); RFC 7523 3 item 10 (a JWT valid
  // per RFC 7519: 7.2 steps 1-10, strict JWS syntax). kAssertionMalformed, or for a header the
  // JWS parser refuses kAssertionAlgNotAllowed (alg missing, none, unknown) or
  // kAssertionHeaderRejected. Sets run.out.jws. Always kStop on failure: nothing to go on with.
  [[nodiscard]] Next CheckSyntax(std::string_view token, Run& run) const;
  // Contract rule 2; RFC 7523 3 item 9 (signed with an algorithm the server accepts; RFC 8725
  // 3.1). The app's assertion_algs (default RS256; HMAC algs never count) must hold the header's
  // alg (kAssertionAlgNotAllowed); a typ, when present, must be JWT, or client-authentication+jwt
  // for a client assertion (RFC 8725 3.11: kAssertionHeaderRejected).
  [[nodiscard]] Next CheckHeader(Run& run) const;
  // Contract rule 3; RFC 7523 3 item 9 (the signature MUST verify). The certificate named by x5t,
  // else x5t#S256, else kid (its alias), first among the app's attached certificates, then (user
  // assertions only) the partner certificates; one not valid now does not count.
  // kAssertionNoKeyReference, kAssertionKeyNotFound, kAssertionCertificateExpired,
  // kAssertionAlgNotAllowed (the alg does not fit the certificate's key),
  // kAssertionSignatureInvalid; kStoreUnavailable stops. Sets run.out.key_source on success.
  [[nodiscard]] Next CheckKey(Run& run) const;
  // Contract rule 4; RFC 7523 3 item 1 (iss) and, for a client assertion, item 2 (sub is the
  // client_id). kAssertionIssuerMismatch, kAssertionSubjectMismatch. Sets run.out.issuer.
  [[nodiscard]] Next CheckIssuer(Run& run) const;
  // Contract rule 5; RFC 7523 3 item 3 (aud identifies this authorization server).
  // kAssertionAudienceRejected.
  [[nodiscard]] Next CheckAudience(Run& run) const;
  // Contract rule 6; RFC 7523 3 items 4 (exp), 5 (nbf) and 6 (iat, not unreasonably far in the
  // past: the maximum lifetime), each with config.clock_skew. kAssertionExpired,
  // kAssertionNotYetValid, kAssertionIssuedInFuture, kAssertionLifetimeTooLong,
  // kAssertionTimeClaimInvalid (missing exp, wrong type, milliseconds, exp before iat or nbf).
  // Sets run.out.expires_at.
  [[nodiscard]] Next CheckTimes(Run& run) const;
  // Contract rule 7; RFC 7523 3 item 7 (jti). Its shape only: kAssertionJtiMissing (required by
  // the app), kAssertionJtiInvalid (not a string, empty, over 256 bytes, control characters).
  // Sets run.out.jti.
  [[nodiscard]] Next CheckJti(Run& run) const;
  // Contract rule 8, user assertions only; RFC 7523 3 item 2 (sub identifies the principal the
  // token is for; prn when sub is absent). kAssertionSubjectMissing, kAssertionUserUnknown,
  // kAssertionUserInactive; kStoreUnavailable stops. Sets run.out.user.
  [[nodiscard]] Next CheckUser(Run& run) const;

  Directory& directory_;
  const DomainConfig& config_;
  const Clock& clock_;
  CertificateUses* uses_ = nullptr;
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_ASSERTION_H_
