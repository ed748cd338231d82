#include "common/rate_limiter.h"

#include <gtest/gtest.h>

namespace tessera {
namespace {

TEST(RateLimiterTest, BurstThenRate) {
  FixedClock clock(1000);
  RateLimiter limiter(clock, 2, 3);
  EXPECT_EQ(limiter.Allow("a"), 0);
  EXPECT_EQ(limiter.Allow("a"), 0);
  EXPECT_EQ(limiter.Allow("a"), 0);
  EXPECT_EQ(limiter.Allow("a"), 1);  // burst spent: wait a second
  EXPECT_EQ(limiter.Allow("b"), 0);  // keys are independent
  clock.Advance(1);                  // two tokens back
  EXPECT_EQ(limiter.Allow("a"), 0);
  EXPECT_EQ(limiter.Allow("a"), 0);
  EXPECT_GE(limiter.Allow("a"), 1);
  clock.Advance(60);  // never more than the burst
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Allow("a"), 0);
  EXPECT_GE(limiter.Allow("a"), 1);
}

TEST(RateLimiterTest, SlowRateAsksForALongerWait) {
  FixedClock clock(0);
  RateLimiter limiter(clock, 0.1, 1);
  EXPECT_EQ(limiter.Allow("k"), 0);
  EXPECT_EQ(limiter.Allow("k"), 10);
}

TEST(RateLimiterTest, KeyTableIsBounded) {
  FixedClock clock(0);
  RateLimiter limiter(clock, 1, 1, 2);
  EXPECT_EQ(limiter.Allow("a"), 0);
  EXPECT_EQ(limiter.Allow("b"), 0);
  EXPECT_EQ(limiter.Allow("c"), 1);  // full of active buckets: a new key waits
  clock.Advance(5);                  // a and b refill: idle, dropped
  EXPECT_EQ(limiter.Allow("c"), 0);
}

TEST(RateLimiterTest, PeekTakesNothing) {
  FixedClock clock(0);
  RateLimiter limiter(clock, 1, 2);
  EXPECT_EQ(limiter.Peek("k"), 0);  // never seen: allowed, and still not kept
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.Peek("k"), 0);
  EXPECT_EQ(limiter.Allow("k"), 0);
  EXPECT_EQ(limiter.Peek("k"), 0);  // one token left
  EXPECT_EQ(limiter.Allow("k"), 0);
  EXPECT_EQ(limiter.Peek("k"), 1);  // spent: the same wait Allow would answer
  EXPECT_EQ(limiter.Peek("k"), 1);
  EXPECT_EQ(limiter.Allow("k"), 1);
  clock.Advance(1);
  EXPECT_EQ(limiter.Peek("k"), 0);
  EXPECT_EQ(limiter.Peek("other"), 0);  // keys are independent
}

}  // namespace
}  // namespace tessera
