#include "common/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace tessera {

RateLimiter::RateLimiter(const Clock& clock, double rate, double burst, std::size_t max_keys)
    : clock_(clock), rate_(rate), burst_(burst), max_keys_(max_keys) {}

int64_t RateLimiter::Allow(std::string_view key) {
  const int64_t now = clock_.NowMillis();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      // Drop idle buckets (full again): they carry no state worth keeping.
      for (auto b = buckets_.begin(); b != buckets_.end();) {
        const double refilled =
            b->second.tokens + rate_ * static_cast<double>(now - b->second.updated_ms) / 1000.0;
        b = refilled >= burst_ ? buckets_.erase(b) : std::next(b);
      }
      if (buckets_.size() >= max_keys_) return 1;
    }
    it = buckets_.emplace(std::string(key), Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  b.tokens = std::min(
      burst_,
      b.tokens + rate_ * static_cast<double>(std::max<int64_t>(0, now - b.updated_ms)) / 1000.0);
  b.updated_ms = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - b.tokens) / rate_)));
}

int64_t RateLimiter::Peek(std::string_view key) {
  const int64_t now = clock_.NowMillis();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) return 0;
  const Bucket& b = it->second;
  const double tokens = std::min(
      burst_,
      b.tokens + rate_ * static_cast<double>(std::max<int64_t>(0, now - b.updated_ms)) / 1000.0);
  if (tokens >= 1.0) return 0;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - tokens) / rate_)));
}

}  // namespace tessera
