// UpstreamPool: capacity counted in threads whatever their state, the most recently idle thread
// first, and queued calls run before the pool is gone.
#include "verifier/upstream_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <set>
#include <thread>

namespace tessera::gateway {
namespace {

// The pool's threads may not have started when the first call comes: it waits for one of them
// instead of being refused (a pool of one thread and no queue refused it when its thread had
// not yet reached the idle list).
TEST(UpstreamPoolTest, CallsSubmittedBeforeTheThreadsStartAreRun) {
  for (int i = 0; i < 100; ++i) {
    UpstreamPool pool(/*threads=*/1, /*max_queued=*/0);
    std::promise<void> ran;
    ASSERT_TRUE(pool.Submit([&ran] { ran.set_value(); })) << "round " << i;
    ran.get_future().wait();
  }
}

TEST(UpstreamPoolTest, RefusesBeyondThreadsAndQueue) {
  std::latch gate(1);  // the calls wait until the test opens it
  std::atomic<int> done{0};
  {
    UpstreamPool pool(/*threads=*/2, /*max_queued=*/1);
    auto held = [&] {
      gate.wait();
      ++done;
    };
    EXPECT_TRUE(pool.Submit(held));
    EXPECT_TRUE(pool.Submit(held));
    EXPECT_TRUE(pool.Submit(held));   // waits for a thread
    EXPECT_FALSE(pool.Submit(held));  // two running or handed over, one waiting
    gate.count_down();
    for (int i = 0; i < 2000 && done < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(done, 3);
    EXPECT_TRUE(pool.Submit([&] { ++done; }));  // room again
  }
  EXPECT_EQ(done, 4);
}

TEST(UpstreamPoolTest, DestructionRunsWhatIsQueued) {
  std::latch gate(1);  // the calls wait until the test opens it
  std::atomic<int> done{0};
  {
    UpstreamPool pool(/*threads=*/1, /*max_queued=*/8);
    ASSERT_TRUE(pool.Submit([&] {
      gate.wait();
      ++done;
    }));
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool.Submit([&] { ++done; }));
    gate.count_down();
  }
  EXPECT_EQ(done, 6);
}

// One call at a time: the thread that ran the last call runs the next (or, when it is not yet
// back when the next one comes, the one idle before it). A pool waking its threads in turn
// would use all eight.
TEST(UpstreamPoolTest, SequentialCallsKeepToFewThreads) {
  UpstreamPool pool(/*threads=*/8, /*max_queued=*/0);
  std::set<std::thread::id> used;
  for (int i = 0; i < 50; ++i) {
    std::promise<std::thread::id> ran;
    ASSERT_TRUE(pool.Submit([&ran] { ran.set_value(std::this_thread::get_id()); }));
    used.insert(ran.get_future().get());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_LE(used.size(), 3u);
}

}  // namespace
}  // namespace tessera::gateway
