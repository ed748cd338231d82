#include "http/api/jti_batcher.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "oauth/audit.h"
#include "oauth/directory.h"
#include "oauth/signing_keys.h"
#include "store/sqlite/sqlite_store.h"
#include "tessera/clock.h"

namespace tessera::http {
namespace {

namespace fs = std::filesystem;

// The batcher over the real token service and SQLite store, as `tessera serve` composes them.
class JtiBatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tessera-jti-batcher-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto opened = store::SqliteStore::Open(dir_ + "/tessera.db", {});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    directory_ = std::make_unique<oauth::Directory>(*store_, clock_, 5);
    keys_ = std::make_unique<oauth::SigningKeys>(*store_, clock_, oauth::SigningKeyOptions{});
    audit_ = std::make_unique<oauth::AuditLog>(*store_);
    tokens_ = std::make_unique<oauth::TokenService>(*store_, *directory_, *keys_, *audit_, config_,
                                                    clock_);
  }
  void TearDown() override {
    tokens_.reset();
    audit_.reset();
    keys_.reset();
    directory_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  static std::vector<oauth::PendingJti> One(const std::string& jti) {
    return {oauth::PendingJti{"client-a", jti, 2'000'000'000, false}};
  }

  std::string dir_;
  FixedClock clock_{1'900'000'000};
  oauth::DomainConfig config_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<oauth::Directory> directory_;
  std::unique_ptr<oauth::SigningKeys> keys_;
  std::unique_ptr<oauth::AuditLog> audit_;
  std::unique_ptr<oauth::TokenService> tokens_;
};

// RFC 7523 3 item 7 across a batch: of many requests carrying the same jti, submitted from
// several threads at once, exactly one is accepted; every request gets exactly one answer.
TEST_F(JtiBatcherTest, ConcurrentRequestsWithOneJtiYieldOneAcceptance) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  Metrics metrics;
  JtiBatcher batcher(*tokens_, &metrics);
  const std::vector<oauth::PendingJti> same = One("the-same-jti");
  std::atomic<int> accepted{0}, replayed{0}, answers{0};
  std::latch start(kThreads), finished(kThreads * kPerThread);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        batcher.Submit(&same,
                       [&](std::optional<oauth::Rejection> r) {
                         ++answers;
                         if (!r) {
                           ++accepted;
                         } else if (r->reason == oauth::Reason::kAssertionJtiReplayed) {
                           ++replayed;
                         }
                         finished.count_down();
                       },
                       {});
      }
    });
  }
  for (std::thread& t : threads) t.join();
  finished.wait();
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(replayed.load(), kThreads * kPerThread - 1);
  EXPECT_EQ(answers.load(), kThreads * kPerThread);
  // The jti stays used for a later request, in a later commit.
  auto used = store_->IsJtiUsed("client-a", "the-same-jti");
  ASSERT_TRUE(used.ok());
  EXPECT_TRUE(*used);
}

// A wake-up deferred and never run (a server stopping before it ran the deferred work) must
// not lose the request: Stop records what is queued and answers it.
TEST_F(JtiBatcherTest, StopRecordsWhatIsQueuedAndLaterSubmitsRecordAtOnce) {
  JtiBatcher batcher(*tokens_);
  const std::vector<oauth::PendingJti> first = One("queued"), second = One("after-stop");
  std::vector<std::function<void()>> never_run;
  int answered = 0;
  batcher.Submit(
      &first, [&](const std::optional<oauth::Rejection>& r) { answered += r ? 100 : 1; },
      [&](std::function<void()> work) { never_run.push_back(std::move(work)); });
  EXPECT_EQ(never_run.size(), 1u);
  batcher.Stop();
  EXPECT_EQ(answered, 1);
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran_on;
  batcher.Submit(&second,
                 [&](const std::optional<oauth::Rejection>& r) {
                   answered += r ? 100 : 1;
                   ran_on = std::this_thread::get_id();
                 },
                 {});
  EXPECT_EQ(answered, 2);
  EXPECT_EQ(ran_on, caller);
  auto used = store_->IsJtiUsed("client-a", "after-stop");
  ASSERT_TRUE(used.ok());
  EXPECT_TRUE(*used);
}

}  // namespace
}  // namespace tessera::http
