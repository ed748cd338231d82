// AssertionValidator: the acceptance rules of contract section 2 (RFC 7523 section 3) for JWT
// user assertions (jwt-bearer grant) and client assertions (private_key_jwt), in order:
//   1 syntax (strict compact JWS, JSON objects, no duplicate members, bounded size)
//   2 header (alg in the app's allowed list; no crit/b64/jwk/jku/x5u/x5c/cty/zip/enc)
//   3 key (x5t, then x5t#S256, then kid; among the app's attached certificates, then, for a
//     user assertion only, the trusted partner certificates; expired certificates do not count)
//     and signature. A client assertion authenticates the client, so only a certificate attached
//     to that client may verify it: a partner's key must never speak for a client.
//   4 iss is the client (and, for a client assertion, sub too)
//   5 aud accepted
//   6 exp/nbf/iat with skew, and the maximum lifetime
//   7 jti present (unless the app waives it) and well-formed; its single use is enforced by the
//     caller with ReplayStore::ConsumeJti after every other check, so a rejected request never
//     burns a jti
//   8 (user assertions) sub, or prn, is the userName of an active user
// Rule 9 (scopes) belongs to the token service.
//
// In strict mode (report == nullptr) validation stops at the first failure. In report mode every
// rule is evaluated as far as it can be and its outcome recorded, with the reason and the fix,
// for the AssertionChecks diagnostics; report mode never consumes a jti. With
// ReportDepth::kUntilSignatureFails the rules after an unverified signature are recorded as not
// checked: claims nobody has signed must not be looked up for the caller (whether a user exists
// or is active is not told to whoever can make up a JWT).
#ifndef TESSERA_OAUTH_ASSERTION_H_
#define TESSERA_OAUTH_ASSERTION_H_

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "jose/jws.h"
#include "oauth/certificate_uses.h"
#include "oauth/config.h"
#include "oauth/directory.h"
#include "oauth/reasons.h"

namespace tessera::oauth {

enum class AssertionKind { kUserGrant, kClientAuthentication };

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
  std::string jti;  // empty when absent and waived
  int64_t expires_at = 0;
  std::string
      key_source;  // "certificate 'alias' ..." or, user assertions only, "trusted partner ..."
  std::shared_ptr<const store::User> user;  // user assertions
};

using AssertionResult = std::variant<ValidatedAssertion, Rejection>;

class AssertionValidator {
 public:
  AssertionValidator(Directory& directory, const DomainConfig& config, const Clock& clock);

  // Validates `token` for `client` (the authenticated client, or for a client assertion the app
  // its iss names). `report`, when given, receives every rule's outcome, as deep as `depth`.
  AssertionResult Validate(std::string_view token, const store::App& client, AssertionKind kind,
                           std::vector<RuleOutcome>* report = nullptr,
                           ReportDepth depth = ReportDepth::kEveryRule) const;

  // Where a certificate that verified a token request's assertion is noted (report mode, a
  // diagnosis, notes nothing). Null: not recorded. Set before serving.
  void set_certificate_uses(CertificateUses* uses) { uses_ = uses; }

 private:
  Directory& directory_;
  const DomainConfig& config_;
  const Clock& clock_;
  CertificateUses* uses_ = nullptr;
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_ASSERTION_H_
