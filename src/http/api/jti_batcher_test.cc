#include "http/api/jti_batcher.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <future>
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

// Submits `jtis` and waits for the answer.
std::optional<oauth::Rejection> SubmitAndWait(JtiBatcher& batcher,
                                              const std::vector<oauth::PendingJti>& jtis) {
  std::promise<std::optional<oauth::Rejection>> answer;
  std::future<std::optional<oauth::Rejection>> got = answer.get_future();
  batcher.Submit(
      &jtis, [&answer](std::optional<oauth::Rejection> r) { answer.set_value(std::move(r)); }, {});
  return got.get();
}

// A replay of a jti the batcher recorded is refused from memory, with the store's own answer,
// and the store is not asked: the pair is purged from the store here, yet still refused.
TEST_F(JtiBatcherTest, KnownReplayRefusesARecordedJtiWithoutTheStore) {
  Metrics metrics;
  JtiBatcher batcher(*tokens_, &metrics);
  const std::vector<oauth::PendingJti> once = One("recorded-once");
  EXPECT_FALSE(batcher.KnownReplay(once));  // nothing recorded yet
  ASSERT_FALSE(SubmitAndWait(batcher, once));
  const std::string flushes = metrics.Render();
  auto purged = store_->PurgeExpiredJtis(2'100'000'000, 100);
  ASSERT_TRUE(purged.ok());
  ASSERT_EQ(*purged, 1);
  std::optional<oauth::Rejection> r = batcher.KnownReplay(once);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->reason, oauth::Reason::kAssertionJtiReplayed);
  EXPECT_EQ(r->detail, oauth::TokenService::ReplayRejection(once.front()).detail);
  EXPECT_EQ(metrics.Render(), flushes);  // no store transaction
  // A DPoP proof's jti is refused as a proof replay.
  const std::vector<oauth::PendingJti> proof = {oauth::PendingJti{
      .issuer = "dpop:thumb", .jti = "p1", .expires_at = 2'000'000'000, .dpop_proof = true}};
  ASSERT_FALSE(SubmitAndWait(batcher, proof));
  r = batcher.KnownReplay(proof);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->reason, oauth::Reason::kDpopProofReplayed);
  // The same jti of another issuer is another pair.
  EXPECT_FALSE(
      batcher.KnownReplay({oauth::PendingJti{"client-b", "recorded-once", 2'000'000'000, false}}));
}

// Only jtis the store recorded as new are remembered: of a request refused at its first jti (a
// replay in the store), the second, never recorded, stays free for its owner.
TEST_F(JtiBatcherTest, KnownReplayNeverRefusesAJtiTheStoreDidNotRecord) {
  JtiBatcher batcher(*tokens_);
  auto first = store_->ConsumeJti("client-a", "used-elsewhere", 2'000'000'000);
  ASSERT_TRUE(first.ok());
  const std::vector<oauth::PendingJti> two = {
      oauth::PendingJti{"client-a", "used-elsewhere", 2'000'000'000, true},
      oauth::PendingJti{"client-a", "never-recorded", 2'000'000'000, false}};
  std::optional<oauth::Rejection> r = SubmitAndWait(batcher, two);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->reason, oauth::Reason::kAssertionJtiReplayed);
  EXPECT_FALSE(batcher.KnownReplay(One("never-recorded")));
  EXPECT_FALSE(SubmitAndWait(batcher, One("never-recorded")));  // accepted: it was new
  EXPECT_TRUE(batcher.KnownReplay(One("never-recorded")));
}

// The list is bounded: past `remembered` jtis the oldest is forgotten, and the store's atomic
// insert, asked again, still refuses the replay.
TEST_F(JtiBatcherTest, KnownReplayIsBoundedAndTheStoreStillDecides) {
  JtiBatcher batcher(*tokens_, nullptr, 512, /*remembered=*/2);
  for (const char* jti : {"a", "b", "c"}) ASSERT_FALSE(SubmitAndWait(batcher, One(jti)));
  EXPECT_FALSE(batcher.KnownReplay(One("a")));
  EXPECT_TRUE(batcher.KnownReplay(One("b")));
  EXPECT_TRUE(batcher.KnownReplay(One("c")));
  std::optional<oauth::Rejection> r = SubmitAndWait(batcher, One("a"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->reason, oauth::Reason::kAssertionJtiReplayed);
}

}  // namespace
}  // namespace tessera::http
