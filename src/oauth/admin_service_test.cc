// AdminService::SummarizeTokenFailures over the real SQLite store: the default window is the
// last 24 hours by the service's clock, both bounds inclusive; refusals are grouped by reason
// code with the AssertionChecks rule of the code; events still queued in the AuditLog count.
#include "oauth/admin_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "oauth/directory.h"
#include "oauth/signing_keys.h"
#include "store/sqlite/sqlite_store.h"
#include "tessera/clock.h"

namespace tessera::oauth {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kNow = 1'900'000'000;
constexpr int64_t kDay = 24 * 3600;

class TokenFailureSummaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tessera-admin-service-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto opened = store::SqliteStore::Open(dir_ + "/tessera.db", {});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    directory_ = std::make_unique<Directory>(*store_, clock_, 5);
    keys_ = std::make_unique<SigningKeys>(*store_, clock_, SigningKeyOptions{});
    audit_ = std::make_unique<AuditLog>(*store_);
    admin_ = std::make_unique<AdminService>(*store_, *directory_, *keys_, *audit_, config_, clock_);
  }
  void TearDown() override {
    admin_.reset();
    audit_.reset();
    keys_.reset();
    directory_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  // Queued in the AuditLog, not yet written: the summary must flush it first.
  void Refused(int64_t time, const std::string& reason, const std::string& outcome = "rejected") {
    store::AuditEvent e;
    e.time = time;
    e.client_id = "c1";
    e.outcome = outcome;
    e.reason = reason;
    audit_->Record(e);
  }

  std::string dir_;
  FixedClock clock_{kNow};
  DomainConfig config_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<Directory> directory_;
  std::unique_ptr<SigningKeys> keys_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<AdminService> admin_;
};

TEST_F(TokenFailureSummaryTest, DefaultsToTheLast24HoursByTheClock) {
  Refused(kNow - kDay - 1, "unknown_client: before the window");
  Refused(kNow - kDay, "unknown_client: the window's first second");
  Refused(kNow - 60, "assertion_expired: assertion expired at 1");
  Refused(kNow - 30, "assertion_expired: assertion expired at 2");
  Refused(kNow, "assertion_expired");
  Refused(kNow - 10, "assertion_expired: issued events never count", "issued");
  Refused(kNow + 1, "assertion_expired: after the window");

  Result<TokenFailureSummary> s = admin_->SummarizeTokenFailures(std::nullopt, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->since, kNow - kDay);
  EXPECT_EQ(s->until, kNow);
  EXPECT_EQ(s->total, 4);
  ASSERT_EQ(s->reasons.size(), 2u);
  EXPECT_EQ(s->reasons[0].reason_code, "assertion_expired");
  EXPECT_EQ(s->reasons[0].count, 3);
  EXPECT_EQ(s->reasons[0].rule, 6);  // contract section 2 rule 6: the time claims
  EXPECT_EQ(s->reasons[1].reason_code, "unknown_client");
  EXPECT_EQ(s->reasons[1].count, 1);
  EXPECT_EQ(s->reasons[1].rule, std::nullopt);  // client authentication: no assertion rule

  // The window follows the clock.
  clock_.Advance(kDay);
  s = admin_->SummarizeTokenFailures(std::nullopt, std::nullopt);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->since, kNow);
  EXPECT_EQ(s->until, kNow + kDay);
  EXPECT_EQ(s->total, 2);  // kNow and kNow + 1
}

TEST_F(TokenFailureSummaryTest, TakesAnExplicitWindow) {
  Refused(100, "assertion_audience_rejected: aud");
  Refused(200, "bad_client_secret: no");
  Refused(300, "bad_client_secret: no");

  // Only until: the 24 hours before it.
  Result<TokenFailureSummary> s = admin_->SummarizeTokenFailures(std::nullopt, 250);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->since, 250 - kDay);
  EXPECT_EQ(s->until, 250);
  EXPECT_EQ(s->total, 2);
  ASSERT_EQ(s->reasons.size(), 2u);
  // Equal counts: by code.
  EXPECT_EQ(s->reasons[0].reason_code, "assertion_audience_rejected");
  EXPECT_EQ(s->reasons[0].rule, 5);
  EXPECT_EQ(s->reasons[1].reason_code, "bad_client_secret");

  // Only since: up to now.
  s = admin_->SummarizeTokenFailures(150, std::nullopt);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->since, 150);
  EXPECT_EQ(s->until, kNow);
  EXPECT_EQ(s->total, 2);
  ASSERT_EQ(s->reasons.size(), 1u);
  EXPECT_EQ(s->reasons[0].count, 2);

  s = admin_->SummarizeTokenFailures(300, 300);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->total, 1);

  EXPECT_EQ(admin_->SummarizeTokenFailures(301, 300).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TokenFailureSummaryTest, NoRefusalsIsAnEmptySummary) {
  Result<TokenFailureSummary> s = admin_->SummarizeTokenFailures(std::nullopt, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->total, 0);
  EXPECT_TRUE(s->reasons.empty());
}

}  // namespace
}  // namespace tessera::oauth
