// RateLimiter: a token bucket per key (e.g. per client id), for request-rate limits.
//
// Each key may make `rate` requests per second on average with bursts of up to `burst`.
// Allow() takes one token when there is one and returns 0, or returns the whole seconds to wait
// (for Retry-After) when there is none. Peek() answers the same without taking a token, for
// limits that count only some outcomes (failures) but refuse every request once spent. At most
// `max_keys` buckets are kept: when full, buckets that have refilled completely (idle keys) are
// dropped, and if none has, the new key is refused rather than letting a flood of distinct keys
// grow memory without bound.
//
// Thread safety: Allow may be called concurrently. Time comes from the Clock passed in.
#ifndef TESSERA_COMMON_RATE_LIMITER_H_
#define TESSERA_COMMON_RATE_LIMITER_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tessera/clock.h"

namespace tessera {

class RateLimiter {
 public:
  // REQUIRES: rate > 0, burst >= 1.
  RateLimiter(const Clock& clock, double rate, double burst, std::size_t max_keys = 100000);

  // 0 if allowed (a token was taken), else the seconds to wait (at least 1).
  int64_t Allow(std::string_view key);
  // 0 if Allow(key) would succeed now, else the seconds to wait; takes nothing and keeps no
  // state for a key it has not seen (an unknown key is allowed).
  int64_t Peek(std::string_view key);

 private:
  struct Bucket {
    double tokens;
    int64_t updated_ms;
  };
  const Clock& clock_;
  const double rate_;
  const double burst_;
  const std::size_t max_keys_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // GUARDED_BY(mu_)
};

}  // namespace tessera

#endif  // TESSERA_COMMON_RATE_LIMITER_H_
