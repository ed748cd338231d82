// UpstreamPool: capacity counted in threads whatever their state, the most recently idle thread
// first (back on the idle list before its call's rest runs), and queued calls run before the
// pool is gone.
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

// A call with nothing left to run after it.
UpstreamPool::Call Plain(std::function<void()> f) {
  return [f = std::move(f)] {
    f();
    return std::function<void()>();
  };
}

// The pool's threads may not have started when the first call comes: it waits for one of them
// instead of being refused (a pool of one thread and no queue refused it when its thread had
// not yet reached the idle list).
TEST(UpstreamPoolTest, CallsSubmittedBeforeTheThreadsStartAreRun) {
  for (int i = 0; i < 100; ++i) {
    UpstreamPool pool(/*threads=*/1, /*max_queued=*/0);
    std::promise<void> ran;
    ASSERT_TRUE(pool.Submit(Plain([&ran] { ran.set_value(); }))) << "round " << i;
    ran.get_future().wait();
  }
}

TEST(UpstreamPoolTest, RefusesBeyondThreadsAndQueue) {
  std::latch gate(1);  // the calls wait until the test opens it
  std::atomic<int> done{0};
  {
    UpstreamPool pool(/*threads=*/2, /*max_queued=*/1);
    auto held = Plain([&] {
      gate.wait();
      ++done;
    });
    EXPECT_TRUE(pool.Submit(held));
    EXPECT_TRUE(pool.Submit(held));
    EXPECT_TRUE(pool.Submit(held));   // waits for a thread
    EXPECT_FALSE(pool.Submit(held));  // two running or handed over, one waiting
    gate.count_down();
    for (int i = 0; i < 2000 && done < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(done, 3);
    EXPECT_TRUE(pool.Submit(Plain([&] { ++done; })));  // room again
  }
  EXPECT_EQ(done, 4);
}

TEST(UpstreamPoolTest, DestructionRunsWhatIsQueued) {
  std::latch gate(1);  // the calls wait until the test opens it
  std::atomic<int> done{0};
  {
    UpstreamPool pool(/*threads=*/1, /*max_queued=*/8);
    ASSERT_TRUE(pool.Submit(Plain([&] {
      gate.wait();
      ++done;
    })));
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool.Submit(Plain([&] { ++done; })));
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
    ASSERT_TRUE(pool.Submit(Plain([&ran] { ran.set_value(std::this_thread::get_id()); })));
    used.insert(ran.get_future().get());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_LE(used.size(), 3u);
}

// What a call leaves to run (the gateway relays its answer there) runs once the thread is idle
// again: a call it submits, as a client's next request would be, goes to this same thread.
// Submitted from inside the call itself, the thread is still busy and another one takes it.
TEST(UpstreamPoolTest, TheRestOfACallRunsWithItsThreadIdleAgain) {
  constexpr int kThreads = 8;
  UpstreamPool pool(kThreads, /*max_queued=*/0);
  {  // every thread started and back on the idle list, so none lists itself later
    std::latch running(kThreads);
    std::latch gate(1);
    std::latch finished(kThreads);
    for (int i = 0; i < kThreads; ++i) {
      ASSERT_TRUE(pool.Submit([&]() -> std::function<void()> {
        running.count_down();
        gate.wait();
        return [&] { finished.count_down(); };
      }));
    }
    running.wait();
    gate.count_down();
    finished.wait();
  }
  for (int i = 0; i < 20; ++i) {
    std::promise<std::thread::id> second;
    std::thread::id first;
    ASSERT_TRUE(pool.Submit([&]() -> std::function<void()> {
      first = std::this_thread::get_id();
      return [&] {
        EXPECT_TRUE(pool.Submit(Plain([&] { second.set_value(std::this_thread::get_id()); })));
      };
    }));
    const std::thread::id ran_on = second.get_future().get();  // before `first` is read
    EXPECT_EQ(ran_on, first) << "round " << i;
  }
  std::promise<std::thread::id> inner;
  std::thread::id outer;
  ASSERT_TRUE(pool.Submit(Plain([&] {
    outer = std::this_thread::get_id();
    EXPECT_TRUE(pool.Submit(Plain([&] { inner.set_value(std::this_thread::get_id()); })));
  })));
  const std::thread::id inner_on = inner.get_future().get();  // before `outer` is read
  EXPECT_NE(inner_on, outer);
}

}  // namespace
}  // namespace tessera::gateway
