// AuditLog over the real SQLite store: events reach the store, and a store that cannot take
// them is reported to the logger the AuditLog was given (a retried batch as a warning, a lost
// synchronous write as an error), and the retried batch is written once the store is back.
#include "oauth/audit.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/sqlite/sqlite_store.h"

namespace tessera::oauth {
namespace {

namespace fs = std::filesystem;

// Keeps what it is given, for the test to read.
class RecordingLogger final : public Logger {
 public:
  void Log(LogLevel level, std::string_view message) override {
    std::lock_guard lock(mu_);
    records_.emplace_back(level, std::string(message));
  }
  std::vector<std::pair<LogLevel, std::string>> Records() {
    std::lock_guard lock(mu_);
    return records_;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<LogLevel, std::string>> records_;
};

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tessera-audit-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto opened = store::SqliteStore::Open(dir_ + "/tessera.db", {});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  // Takes the audit table away from the store (or gives it back), from a second connection.
  void Execute(const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/tessera.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK)
        << (error != nullptr ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  std::size_t Stored() {
    store::AuditFilter filter;
    filter.limit = 100;
    Result<std::vector<store::AuditEvent>> events = store_->ListAudit(filter);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    return events.ok() ? events->size() : 0;
  }

  static store::AuditEvent Event(const std::string& client_id) {
    store::AuditEvent e;
    e.time = 1'900'000'000;
    e.ecid = "ecid-" + client_id;
    e.client_id = client_id;
    e.grant = "client_credentials";
    e.outcome = "issued";
    return e;
  }

  std::string dir_;
  std::unique_ptr<store::SqliteStore> store_;
  RecordingLogger logger_;
};

TEST_F(AuditLogTest, EventsReachTheStore) {
  AuditLog audit(*store_, logger_);
  audit.Record(Event("a"));
  audit.Record(Event("b"));
  audit.Flush();
  EXPECT_EQ(Stored(), 2u);
  EXPECT_TRUE(logger_.Records().empty());
}

TEST_F(AuditLogTest, AFailedBatchIsLoggedAndRetried) {
  AuditLog audit(*store_, logger_);
  Execute("ALTER TABLE audit_events RENAME TO audit_events_away");
  audit.Record(Event("a"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (logger_.Records().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Execute("ALTER TABLE audit_events_away RENAME TO audit_events");
  audit.Flush();
  EXPECT_EQ(Stored(), 1u);  // written by a retry
  const auto records = logger_.Records();
  ASSERT_FALSE(records.empty());
  for (const auto& [level, message] : records) {
    EXPECT_EQ(level, LogLevel::kWarning);
    EXPECT_EQ(message.rfind("audit write failed (will retry): ", 0), 0u) << message;
  }
}

TEST_F(AuditLogTest, ALostSynchronousWriteIsAnError) {
  AuditLog audit(*store_, logger_, /*max_queued=*/0);  // every Record writes synchronously
  audit.Record(Event("a"));
  EXPECT_EQ(Stored(), 1u);
  Execute("ALTER TABLE audit_events RENAME TO audit_events_away");
  audit.Record(Event("b"));
  Execute("ALTER TABLE audit_events_away RENAME TO audit_events");
  EXPECT_EQ(Stored(), 1u);
  const auto records = logger_.Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].first, LogLevel::kError);
  EXPECT_EQ(records[0].second.rfind("audit write failed, event lost: ", 0), 0u)
      << records[0].second;
}

TEST(AuditReasonTest, TheCodeIsTheTextBeforeTheFirstColon) {
  EXPECT_EQ(AuditReasonCode("assertion_expired: assertion expired at 10 (via trust t: x)"),
            "assertion_expired");
  EXPECT_EQ(AuditReasonCode("assertion_expired"), "assertion_expired");
  EXPECT_EQ(AuditReasonCode(""), "");
  EXPECT_EQ(AuditReasonCode(": no code"), "");
}

TEST(AuditReasonTest, OnlyARejectionByARuleNamesTheRule) {
  store::AuditEvent e;
  e.outcome = "rejected";
  e.reason = "assertion_audience_rejected: assertion audience x is not accepted";
  EXPECT_EQ(AssertionRuleOf(e), 5);
  e.reason = "assertion_jti_replayed";
  EXPECT_EQ(AssertionRuleOf(e), 7);
  e.reason = "unknown_client: no app with client id 'x'";  // client authentication: no rule
  EXPECT_EQ(AssertionRuleOf(e), std::nullopt);
  e.reason = "assertion_audience_rejected_later: not a code";
  EXPECT_EQ(AssertionRuleOf(e), std::nullopt);
  e.reason = "note: assertion_expired";  // a code in the free text is no code
  EXPECT_EQ(AssertionRuleOf(e), std::nullopt);
  e.outcome = "issued";
  e.reason = "assertion_expired: an issued event's note";
  EXPECT_EQ(AssertionRuleOf(e), std::nullopt);
}

}  // namespace
}  // namespace tessera::oauth
