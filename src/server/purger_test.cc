#include "server/purger.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "store/sqlite/sqlite_store.h"

namespace tessera::server {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDay = 86400;

class PurgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tessera-purger-test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    auto db = store::SqliteStore::Open((dir_ / "tessera.db").string(), store::SqliteOptions{});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    store_ = std::move(db).value();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  void Event(int64_t time) {
    store::AuditEvent e;
    e.time = time;
    e.client_id = "c";
    e.outcome = "issued";
    ASSERT_TRUE(store_->AppendAudit(e).ok());
  }
  std::vector<int64_t> Times() {
    std::vector<int64_t> out;
    auto events = store_->ListAudit(store::AuditFilter{});
    EXPECT_TRUE(events.ok());
    if (events.ok()) {
      for (const auto& e : *events) out.push_back(e.time);
    }
    return out;
  }
  fs::path dir_;
  std::unique_ptr<store::SqliteStore> store_;
};

TEST_F(PurgerTest, AuditEventsOlderThanTheRetentionArePurged) {
  FixedClock clock(1700000000);
  const int64_t now = clock.NowSeconds();
  Event(now - 91 * kDay);
  Event(now - 90 * kDay - 1);
  Event(now - 90 * kDay);  // exactly at the bound: kept
  Event(now - 1 * kDay);
  PurgeOptions options;  // the default: 90 days
  ASSERT_TRUE(PurgeOnce(*store_, clock.NowSeconds(), options).ok());
  EXPECT_EQ(Times(), (std::vector<int64_t>{now - 1 * kDay, now - 90 * kDay}));
  // A day later the next one goes.
  clock.Advance(kDay);
  ASSERT_TRUE(PurgeOnce(*store_, clock.NowSeconds(), options).ok());
  EXPECT_EQ(Times(), (std::vector<int64_t>{now - 1 * kDay}));
}

TEST_F(PurgerTest, ZeroRetentionKeepsEveryEvent) {
  FixedClock clock(1700000000);
  Event(1);
  PurgeOptions options;
  options.audit_retention = 0;
  ASSERT_TRUE(PurgeOnce(*store_, clock.NowSeconds(), options).ok());
  EXPECT_EQ(Times().size(), 1u);
}

TEST_F(PurgerTest, ARoundIsBoundedButDrainsBacklogInBatches) {
  FixedClock clock(1700000000);
  for (int i = 0; i < 25; ++i) Event(i);
  PurgeOptions options;
  options.audit_retention = kDay;
  options.batch = 4;
  options.max_batches = 3;  // 12 events per round at most
  ASSERT_TRUE(PurgeOnce(*store_, clock.NowSeconds(), options).ok());
  EXPECT_EQ(Times().size(), 13u);
  ASSERT_TRUE(PurgeOnce(*store_, clock.NowSeconds(), options).ok());
  EXPECT_EQ(Times().size(), 1u);
  ASSERT_TRUE(PurgeOnce(*store_, clock.NowSeconds(), options).ok());
  EXPECT_TRUE(Times().empty());
}

TEST_F(PurgerTest, ExpiredJtisAndRevocationsGoTooLiveOnesStay) {
  FixedClock clock(1700000000);
  const int64_t now = clock.NowSeconds();
  ASSERT_TRUE(store_->ConsumeJti("iss", "old", now - 1).ok());
  ASSERT_TRUE(store_->ConsumeJti("iss", "live", now + 60).ok());
  ASSERT_TRUE(store_->RevokeToken("old", now - 1).ok());
  ASSERT_TRUE(store_->RevokeToken("live", now + 60).ok());
  ASSERT_TRUE(PurgeOnce(*store_, now, PurgeOptions{}).ok());
  EXPECT_FALSE(*store_->IsJtiUsed("iss", "old"));
  EXPECT_TRUE(*store_->IsJtiUsed("iss", "live"));
  EXPECT_FALSE(*store_->IsRevoked("old"));
  EXPECT_TRUE(*store_->IsRevoked("live"));
}

TEST_F(PurgerTest, ConsoleSessionsPastTheirEndOrIdleArePurged) {
  const int64_t now = 1700000000;
  ASSERT_TRUE(store_->CreateConsoleSession({"ended", "op", now - 100, now - 10, now}).ok());
  ASSERT_TRUE(store_->CreateConsoleSession({"idle", "op", now - 100, now - 61, now + 100}).ok());
  ASSERT_TRUE(store_->CreateConsoleSession({"live", "op", now - 100, now - 60, now + 100}).ok());
  PurgeOptions options;
  options.console_idle_timeout = 60;
  ASSERT_TRUE(PurgeOnce(*store_, now, options).ok());
  EXPECT_FALSE(store_->GetConsoleSession("ended").ok());
  EXPECT_FALSE(store_->GetConsoleSession("idle").ok());
  EXPECT_TRUE(store_->GetConsoleSession("live").ok());
}

}  // namespace
}  // namespace tessera::server
