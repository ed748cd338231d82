// Clock: where Tessera reads the time. Passed in everywhere a rule depends on time (token and
// assertion lifetimes, key-set caching, rate limits), so that tests are deterministic with a
// FixedClock while production reads the system clock.
//
// The client and verifier libraries take a `const Clock*` in their options (nullptr: the system
// clock); a program may pass its own implementation.
//
// Example (a test that lets a token expire):
//   tessera::FixedClock clock(1700000000);
//   options.clock = &clock;              // must outlive what it is given to
//   ...
//   clock.Advance(3600);
//
// Thread safety: NowSeconds() and NowMillis() may be called concurrently on every
// implementation here (and must be on any implementation passed to Tessera); FixedClock's Set
// and Advance may be called while other threads read it.
#ifndef TESSERA_CLOCK_H_
#define TESSERA_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace tessera {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch (JWT NumericDate, RFC 7519 section 2).
  virtual int64_t NowSeconds() const = 0;
  // Milliseconds since the Unix epoch, for rates; by default the seconds scaled.
  virtual int64_t NowMillis() const { return NowSeconds() * 1000; }
};

// The system's wall clock.
class SystemClock final : public Clock {
 public:
  int64_t NowSeconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t NowMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that stands still until told to move; for tests and for tools that check a token
// "as of" a given time.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(int64_t now) : now_(now) {}
  int64_t NowSeconds() const override { return now_.load(std::memory_order_relaxed); }
  void Set(int64_t now) { now_.store(now, std::memory_order_relaxed); }
  void Advance(int64_t seconds) { now_.fetch_add(seconds, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace tessera

#endif  // TESSERA_CLOCK_H_
