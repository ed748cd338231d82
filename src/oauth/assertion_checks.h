// AssertionCheckService: POST /admin/v1/AssertionChecks and `tessera doctor` (contract section 6).
//
// Runs every rule of contract section 2 for an assertion and a client, as the token endpoint
// would, and reports each rule passed, failed or not checked, with the precise reason and the
// fix. It never consumes the jti (it only looks whether it was used) and never issues anything.
//
// Who may ask, and how much (the endpoint must be no oracle for what exists):
//   - an administrator (the http layer verified its bearer token): the full report;
//   - a client diagnosing itself with its own Basic credentials (AdmitClient): the report stops
//     at an unverified signature (ReportDepth::kUntilSignatureFails), so that made-up claims are
//     never looked up; an inactive app, an unknown client and a wrong secret are one and the
//     same client-authentication failure, answered like the token endpoint's;
//   - every request counts against its address (AdmitAddress), and a client's against that
//     client once it is authenticated; beyond either budget the answer is kRateLimited.
//
// Example (the http route):
//   if (auto r = checks.AdmitAddress(request.remote_address)) return Answer(*r);
//   auto client = checks.AdmitClient(basic);
//   if (auto* r = std::get_if<Rejection>(&client)) return Answer(*r);   // uniform 401 or 429
//   Json report = checks.Run({assertion, client_id, scope}, ReportDepth::kUntilSignatureFails);
//
// Thread safety: every method may be called concurrently.
#ifndef TESSERA_OAUTH_ASSERTION_CHECKS_H_
#define TESSERA_OAUTH_ASSERTION_CHECKS_H_

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "common/rate_limiter.h"
#include "jose/json.h"
#include "oauth/directory.h"
#include "oauth/token_service.h"
#include "store/store.h"
#include "tessera/clock.h"

namespace tessera::oauth {

struct AssertionCheckRequest {
  std::string assertion;
  std::string client_id;
  std::optional<std::string> scope;
};

// Request budgets (token buckets: `rate` per second on average, bursts of `burst`). A client
// diagnosing itself needs a handful of checks; an enumeration needs thousands.
struct AssertionCheckLimits {
  double per_address_rate = 5;
  double per_address_burst = 120;
  double per_client_rate = 2;
  double per_client_burst = 60;
};

class AssertionCheckService {
 public:
  AssertionCheckService(store::Store& store, Directory& directory, TokenService& tokens,
                        const DomainConfig& config, const Clock& clock,
                        AssertionCheckLimits limits = {});

  // Counts one request from `remote_address`: nullopt when within the address's budget, else a
  // kRateLimited Rejection carrying the seconds to wait.
  std::optional<Rejection> AdmitAddress(const std::string& remote_address);

  // Authenticates a client by its own Basic credentials, as the token endpoint does, and refuses
  // an app that is not active; then counts the request against the client's budget. The app, or
  // the Rejection: a client-authentication reason (answered with the uniform 401) or
  // kRateLimited.
  std::variant<std::shared_ptr<const store::App>, Rejection> AdmitClient(
      const ClientCredentials& basic);

  // {"clientId":..,"passed":bool,"rules":[{"rule":n,"name":..,"result":"pass"|"fail"|
  //  "not_checked","passed":bool,"reason":code,"detail":..,"fix":..}, ...]}: "reason" and "fix"
  // for failed rules only; "passed" is true for "pass" alone. Store failures are reported as a
  // failed rule, not an error. With kUntilSignatureFails the rules after a signature that did
  // not verify (and the scope rule) are "not_checked".
  jose::Json Run(const AssertionCheckRequest& request,
                 ReportDepth depth = ReportDepth::kEveryRule) const;

  // Why Basic credentials did not authenticate, precisely: an unknown client id, a wrong secret,
  // an inactive app, or credentials sent without the URL-encoding RFC 6749 2.3.1 asks for
  // (`raw` are the credentials as sent, before form-decoding). For the log only: the wire gets
  // the uniform client-authentication failure.
  std::string ExplainBasicFailure(const ClientCredentials& decoded,
                                  const ClientCredentials& raw) const;

 private:
  // Contract section 10: when the assertion's iss is a federation trust's issuer, the outside
  // token's checks instead of the assertion rules: which trust matched (or why none did), each
  // condition's result (only once the signature verified), the subject mapping and the jti
  // policy, appended to `rules`; out["trust"] names the trust. Sets `trust` when the token was
  // accepted (its scope ceiling applies to rule 9) and `unsigned_claims` when the signature did
  // not verify. False when the assertion is no outside token (the assertion rules judge it).
  bool ExplainOutsideToken(const AssertionCheckRequest& request, const store::App& app,
                           ReportDepth depth, std::vector<RuleOutcome>& rules, jose::Json& out,
                           std::optional<federation::Trust>& trust, bool& unsigned_claims) const;

  store::Store& store_;
  Directory& directory_;
  TokenService& tokens_;
  const DomainConfig& config_;
  RateLimiter per_address_;
  RateLimiter per_client_;
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_ASSERTION_CHECKS_H_
