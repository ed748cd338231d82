// Registered-claim checks (jose/claims.h) on any JSON object: NumericDate typing, the time rules
// of RFC 7519 4.1.4-4.1.6 in their documented order, and audience matching.
//
// Invariants: the result of CheckTimes and CheckAudience equals a direct restatement of the
// rules in claims.h, for several clocks and rule sets; NumericDates are whole seconds in
// [0, 10^11); string claims respect their length limit.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "jose/claims.h"
#include "jose/error.h"
#include "jose/json.h"

namespace tessera::fuzz {
namespace {

using jose::JoseError;

constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z, as in the seeds

// CheckTimes as claims.h states it, from the individually parsed claims.
JoseError ExpectedTimes(const jose::Json& claims, const jose::TimeRules& r) {
  std::optional<int64_t> t[3];
  const char* names[3] = {"exp", "nbf", "iat"};
  for (int i = 0; i < 3; ++i) {
    Result<std::optional<int64_t>> v = jose::NumericDateClaim(claims, names[i]);
    if (!v.ok()) return jose::JoseErrorOf(v.status());
    t[i] = *v;
  }
  const auto& [exp, nbf, iat] = t;
  if (!exp && r.require_exp) return JoseError::kClaimMissing;
  if (exp && !(r.now < *exp + r.skew)) return JoseError::kExpired;
  if (nbf && !(*nbf <= r.now + r.skew)) return JoseError::kNotYetValid;
  if (iat && !(*iat <= r.now + r.skew)) return JoseError::kIssuedInFuture;
  if (exp && ((iat && *exp < *iat) || (nbf && *exp < *nbf))) return JoseError::kTimesInconsistent;
  if (exp && r.max_lifetime > 0 && (iat ? *exp - *iat : *exp - r.now) > r.max_lifetime) {
    return JoseError::kLifetimeTooLong;
  }
  return JoseError::kNone;
}

JoseError ExpectedAudience(const jose::Json& claims, const std::vector<std::string>& accepted) {
  auto it = claims.find("aud");
  if (it == claims.end()) return JoseError::kClaimMissing;
  std::vector<std::string> given;
  if (it->is_string()) {
    given.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    for (const jose::Json& a : *it) {
      if (!a.is_string()) return JoseError::kClaimType;
      given.push_back(a.get<std::string>());
    }
  } else {
    return JoseError::kClaimType;
  }
  for (const auto& g : given) {
    for (const auto& a : accepted) {
      if (g == a) return JoseError::kNone;
    }
  }
  return JoseError::kAudienceMismatch;
}

void CheckClaims(const jose::Json& claims) {
  for (const char* name : {"exp", "nbf", "iat", "auth_time"}) {
    Result<std::optional<int64_t>> v = jose::NumericDateClaim(claims, name);
    if (!v.ok()) {
      const JoseError e = jose::JoseErrorOf(v.status());
      TESSERA_FUZZ_CHECK(e == JoseError::kClaimType || e == JoseError::kClaimMilliseconds,
                         Describe(v.status()));
      continue;
    }
    if (!v->has_value()) continue;
    TESSERA_FUZZ_CHECK(**v >= 0 && **v < 100'000'000'000, std::to_string(**v));
    const std::string text = jose::FormatNumericDate(**v);
    TESSERA_FUZZ_CHECK(text.size() == 20 && text.back() == 'Z', text);
  }
  for (const char* name : {"iss", "sub", "jti"}) {
    Result<std::optional<std::string>> s = jose::StringClaim(claims, name, 64);
    if (s.ok() && s->has_value()) TESSERA_FUZZ_CHECK((*s)->size() <= 64, **s);
  }

  const jose::TimeRules rules[] = {
      {},
      {.now = kNow},
      {.now = kNow, .skew = 0, .max_lifetime = 0, .require_exp = false},
      {.now = kNow + 3600, .skew = 300, .max_lifetime = 86400},
      {.now = 99'999'999'999, .skew = 60, .max_lifetime = -1},
  };
  for (const jose::TimeRules& r : rules) {
    const Status s = jose::CheckTimes(claims, r);
    TESSERA_FUZZ_CHECK(jose::JoseErrorOf(s) == ExpectedTimes(claims, r),
                       Describe(s) + " for " + claims.dump());
  }
  const std::vector<std::string> audiences[] = {{},
                                                {"https://tessera.example.com/oauth2/v1/token"},
                                                {"x", "https://identity.oraclecloud.com/"}};
  for (const auto& accepted : audiences) {
    const Status s = jose::CheckAudience(claims, accepted);
    TESSERA_FUZZ_CHECK(jose::JoseErrorOf(s) == ExpectedAudience(claims, accepted),
                       Describe(s) + " for " + claims.dump());
  }
}

}  // namespace
}  // namespace tessera::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera;
  Result<jose::Json> claims = jose::ParseStrictJson(fuzz::AsText(data, size));
  if (claims.ok() && claims->is_object()) fuzz::CheckClaims(*claims);
  return 0;
}
