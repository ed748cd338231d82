#include "jose/claims.h"

#include <cmath>
#include <ctime>

#include "jose/error.h"

namespace tessera::jose {
namespace {
constexpr int64_t kMillisecondsThreshold = 100'000'000'000;  // 10^11 s is the year 5138
}  // namespace

std::string FormatNumericDate(int64_t seconds) {
  const time_t t = static_cast<time_t>(seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<std::optional<int64_t>> NumericDateClaim(const Json& claims, std::string_view name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<int64_t>();
  const std::string n(name);
  int64_t value = 0;
  if (it->is_number_integer()) {
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return JoseFailure(JoseError::kClaimMilliseconds,
                         "\"" + n + "\" is far beyond any date in seconds");
    }
    value = it->get<int64_t>();
  } else if (it->is_number_float()) {
    const double d = it->get<double>();
    if (!std::isfinite(d) || d >= 9.2e18 || d <= -9.2e18) {
      return JoseFailure(JoseError::kClaimType, "\"" + n + "\" is not a usable NumericDate");
    }
    value = static_cast<int64_t>(std::floor(d));  // RFC 7519 2: non-integer values are allowed
  } else {
    return JoseFailure(JoseError::kClaimType,
                       "\"" + n + "\" must be a JSON number of seconds since 1970, not " +
                           std::string(it->type_name()) +
                           (it->is_string() ? " (remove the quotes)" : ""));
  }
  if (value < 0) return JoseFailure(JoseError::kClaimType, "\"" + n + "\" is negative");
  if (value >= kMillisecondsThreshold) {
    return JoseFailure(JoseError::kClaimMilliseconds,
                       "\"" + n + "\" = " + std::to_string(value) +
                           " looks like milliseconds; NumericDate is in seconds (divide by 1000)");
  }
  return std::optional<int64_t>(value);
}

Result<std::optional<std::string>> StringClaim(const Json& claims, std::string_view name,
                                               std::size_t max_len) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<std::string>();
  if (!it->is_string()) {
    return JoseFailure(JoseError::kClaimType,
                       "\"" + std::string(name) + "\" must be a string, not " + it->type_name());
  }
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > max_len) {
    return JoseFailure(JoseError::kClaimTooLong,
                       "\"" + std::string(name) + "\" longer than " + std::to_string(max_len));
  }
  return std::optional<std::string>(s);
}

Status CheckTimes(const Json& claims, const TimeRules& r) {
  TESSERA_ASSIGN_OR_RETURN(std::optional<int64_t> exp, NumericDateClaim(claims, "exp"));
  TESSERA_ASSIGN_OR_RETURN(std::optional<int64_t> nbf, NumericDateClaim(claims, "nbf"));
  TESSERA_ASSIGN_OR_RETURN(std::optional<int64_t> iat, NumericDateClaim(claims, "iat"));
  if (!exp) {
    if (r.require_exp) return JoseFailure(JoseError::kClaimMissing, "\"exp\"");
  } else if (r.now >= *exp + r.skew) {
    // RFC 7519 4.1.4: the current time MUST be before exp (plus the leeway).
    return JoseFailure(JoseError::kExpired, "expired at " + FormatNumericDate(*exp) +
                                                "; server time is " + FormatNumericDate(r.now) +
                                                " (skew " + std::to_string(r.skew) + " s)");
  }
  if (nbf && r.now + r.skew < *nbf) {
    // RFC 7519 4.1.5: the current time MUST be after or equal to nbf.
    return JoseFailure(JoseError::kNotYetValid, "not before " + FormatNumericDate(*nbf) +
                                                    "; server time is " + FormatNumericDate(r.now));
  }
  if (iat && *iat > r.now + r.skew) {
    return JoseFailure(JoseError::kIssuedInFuture,
                       "issued at " + FormatNumericDate(*iat) + "; server time is " +
                           FormatNumericDate(r.now) + " (check the client clock)");
  }
  if (exp && iat && *exp < *iat)
    return JoseFailure(JoseError::kTimesInconsistent, "exp is before iat");
  if (exp && nbf && *exp < *nbf)
    return JoseFailure(JoseError::kTimesInconsistent, "exp is before nbf");
  if (exp && r.max_lifetime > 0) {
    // RFC 7523 3 items 4 and 6: a JWT valid unreasonably long, or issued unreasonably long ago,
    // may be rejected; this also bounds how long a used jti must be remembered.
    const int64_t lifetime = iat ? *exp - *iat : *exp - r.now;
    if (lifetime > r.max_lifetime) {
      return JoseFailure(JoseError::kLifetimeTooLong,
                         std::string(iat ? "exp - iat" : "exp - now") + " is " +
                             std::to_string(lifetime) + " s; at most " +
                             std::to_string(r.max_lifetime) + " s accepted");
    }
  }
  return Status::Ok();
}

Status CheckAudience(const Json& claims, const std::vector<std::string>& accepted) {
  auto it = claims.find("aud");
  if (it == claims.end()) return JoseFailure(JoseError::kClaimMissing, "\"aud\"");
  std::vector<std::string> given;
  if (it->is_string()) {
    given.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    for (const Json& a : *it) {
      if (!a.is_string())
        return JoseFailure(JoseError::kClaimType, "\"aud\" array entries must be strings");
      given.push_back(a.get<std::string>());
    }
  } else {
    return JoseFailure(JoseError::kClaimType, "\"aud\" must be a string or an array of strings");
  }
  for (const auto& g : given) {
    for (const auto& a : accepted) {
      if (g == a) return Status::Ok();
    }
  }
  std::string msg = "assertion audience " + DumpCompact(*it) + " is not accepted; expected one of ";
  for (size_t i = 0; i < accepted.size(); ++i) {
    if (i > 0) msg += ", ";
    msg += accepted[i];
  }
  return Status(StatusCode::kInvalidArgument, std::move(msg),
                static_cast<int>(JoseError::kAudienceMismatch));
}

}  // namespace tessera::jose
