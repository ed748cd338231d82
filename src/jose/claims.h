// Registered JWT claims (RFC 7519 section 4.1) with typed access and the time and audience rules
// of RFC 7519 4.1.3-4.1.6 and RFC 7523 section 3, with `now` passed in (never read here).
//
// NumericDate (RFC 7519 section 2) must be a JSON number of seconds. A string ("1735689600") is
// kClaimType; a value past 10^11 (year 5138) is taken for milliseconds and is kClaimMilliseconds,
// the two mistakes integration developers make most.
#ifndef TESSERA_JOSE_CLAIMS_H_
#define TESSERA_JOSE_CLAIMS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jose/json.h"
#include "tessera/status.h"

namespace tessera::jose {

struct TimeRules {
  int64_t now = 0;
  int64_t skew = 30;            // seconds of leeway, applied once per comparison
  int64_t max_lifetime = 3600;  // exp - iat (or exp - now without iat); <= 0 means no limit
  bool require_exp = true;
};

// The NumericDate claim `name`, nullopt if absent. Errors: kClaimType, kClaimMilliseconds.
Result<std::optional<int64_t>> NumericDateClaim(const Json& claims, std::string_view name);

// A string claim, nullopt if absent. Errors: kClaimType (not a string), kClaimTooLong.
Result<std::optional<std::string>> StringClaim(const Json& claims, std::string_view name,
                                               std::size_t max_len = 1024);

// Applies, in order: exp present (if required) and now < exp + skew (kExpired); nbf <= now + skew
// (kNotYetValid); iat <= now + skew (kIssuedInFuture); exp >= iat and exp >= nbf
// (kTimesInconsistent); the maximum lifetime (kLifetimeTooLong).
Status CheckTimes(const Json& claims, const TimeRules& rules);

// "aud" (a string or an array of strings) contains one of `accepted`, compared exactly
// (RFC 7519 4.1.3; no case folding, no trimming). Errors: kClaimMissing, kClaimType,
// kAudienceMismatch (the message lists the accepted values).
Status CheckAudience(const Json& claims, const std::vector<std::string>& accepted);

// "2026-11-23T06:45:33Z".
std::string FormatNumericDate(int64_t seconds);

}  // namespace tessera::jose

#endif  // TESSERA_JOSE_CLAIMS_H_
