// PostgresStore: the store contract suite on a live PostgreSQL, plus what only this backend has
// (URLs, migrations under concurrency, connections lost before or after a statement was sent,
// the database stopped and started under a running store).
//
// Needs TESSERA_TEST_PG_URL (a superuser URL; each test creates its own database) and fails
// without it: run it through tests/postgres/pg_ctl_env, which starts a throwaway server. The
// stop/start test also needs TESSERA_TEST_PG_CTL (set by pg_ctl_env) and is skipped without it.
#include "store/postgres/postgres_store.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store_contract_test.h"

namespace tessera::store {
namespace {

using Clock = std::chrono::steady_clock;

std::string ServerUrl() {
  const char* url = std::getenv("TESSERA_TEST_PG_URL");
  return url != nullptr ? url : "";
}

// `url` with its database replaced by `db`.
std::string WithDatabase(const std::string& url, const std::string& db) {
  const size_t authority = url.find("://") + 3;
  const size_t query = url.find('?', authority);
  size_t slash = url.find('/', authority);
  if (slash == std::string::npos || (query != std::string::npos && slash > query)) slash = query;
  const std::string head = slash == std::string::npos ? url : url.substr(0, slash);
  const std::string tail = query == std::string::npos ? "" : url.substr(query);
  return head + "/" + db + tail;
}

// A plain libpq session for setting up and breaking things behind the store's back.
class PgAdmin {
 public:
  explicit PgAdmin(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    EXPECT_EQ(PQstatus(conn_), CONNECTION_OK) << PQerrorMessage(conn_);
  }
  ~PgAdmin() { PQfinish(conn_); }
  PgAdmin(const PgAdmin&) = delete;
  PgAdmin& operator=(const PgAdmin&) = delete;

  // Runs `sql`; returns the first column of the first row ("" if none). A failure fails the test.
  std::string Query(const std::string& sql) {
    PGresult* res = PQexec(conn_, sql.c_str());
    const ExecStatusType st = PQresultStatus(res);
    std::string out;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      ADD_FAILURE() << sql << ": " << PQresultErrorMessage(res);
    } else if (st == PGRES_TUPLES_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
      out = PQgetvalue(res, 0, 0);
    }
    PQclear(res);
    return out;
  }

 private:
  PGconn* conn_;
};

// Databases created by this run, dropped at the end.
std::mutex databases_mu;
std::vector<std::string> databases;

// A new, empty database; returns its URL.
std::string NewDatabaseUrl() {
  static std::atomic<int> counter{0};
  const std::string name =
      "tessera_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  PgAdmin admin(ServerUrl());
  admin.Query("CREATE DATABASE " + name);
  {
    std::lock_guard<std::mutex> lock(databases_mu);
    databases.push_back(name);
  }
  return WithDatabase(ServerUrl(), name);
}

std::string DatabaseOf(const std::string& url) {
  const size_t authority = url.find("://") + 3;
  const size_t slash = url.find('/', authority);
  return url.substr(slash + 1, url.find('?', slash) - slash - 1);
}

class DropDatabases : public ::testing::Environment {
 public:
  void TearDown() override {
    PgAdmin admin(ServerUrl());
    for (const auto& db : databases) admin.Query("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  }
};

std::unique_ptr<Store> MakeEmptyPostgresStore() {
  auto store = PostgresStore::Open(NewDatabaseUrl(), PostgresOptions{});
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Postgres, StoreContractTest,
                         ::testing::Values(StoreBackend{"Postgres", &MakeEmptyPostgresStore}),
                         StoreBackendName);

namespace {

std::unique_ptr<PostgresStore> OpenOrDie(const std::string& url, PostgresOptions options = {}) {
  auto store = PostgresStore::Open(url, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

// Polls `sql` (one value) in `admin` until it is non-empty; "" after `timeout`.
std::string AwaitValue(PgAdmin& admin, const std::string& sql,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    std::string v = admin.Query(sql);
    if (!v.empty()) return v;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "";
}

std::string WaitingBackend(const std::string& db, const std::string& query_prefix) {
  return "SELECT pid FROM pg_stat_activity WHERE datname = '" + db +
         "' AND wait_event_type = 'Lock' AND query LIKE '" + query_prefix + "%' LIMIT 1";
}

TEST(PostgresStoreTest, OpenRefusesMalformedUrlsAndOptions) {
  EXPECT_EQ(PostgresStore::Open("mysql://u@h/db", {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PostgresStore::Open("postgresql://u@h/db?no_such_option=1", {}).status().code(),
            StatusCode::kInvalidArgument);
  PostgresOptions bad;
  bad.pool_size = -1;
  EXPECT_EQ(PostgresStore::Open(ServerUrl(), bad).status().code(), StatusCode::kInvalidArgument);
  bad = PostgresOptions{};
  bad.connect_timeout = std::chrono::seconds(0);  // libpq would wait forever
  EXPECT_EQ(PostgresStore::Open(ServerUrl(), bad).status().code(), StatusCode::kInvalidArgument);
}

TEST(PostgresStoreTest, OpenFailsFastAndUnavailableWhenNothingListens) {
  // A port that was free a moment ago: bind, read it, close.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  const std::string url =
      "postgresql://tessera:SeCrEt-PaSsWoRd@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) +
      "/tessera";
  const auto start = Clock::now();
  auto store = PostgresStore::Open(url, {});
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(3500));
  ASSERT_EQ(store.status().code(), StatusCode::kUnavailable) << store.status().ToString();
  EXPECT_EQ(store.status().message().find("SeCrEt-PaSsWoRd"), std::string::npos)
      << store.status().message();
}

TEST(PostgresStoreTest, NodesOpeningTogetherMigrateOnce) {
  const std::string url = NewDatabaseUrl();
  constexpr int kNodes = 6;
  std::vector<std::thread> threads;
  threads.reserve(kNodes);
  std::atomic<int> opened{0};
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&] {
      auto store = PostgresStore::Open(url, {});
      if (store.ok()) {
        opened++;
      } else {
        ADD_FAILURE() << store.status().ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened.load(), kNodes);
  PgAdmin admin(url);
  EXPECT_EQ(admin.Query("SELECT count(*) FROM schema_version"),
            std::to_string(PostgresStore::LatestSchemaVersion()));
  auto store = OpenOrDie(url);
  ASSERT_NE(store, nullptr);
  auto version = store->SchemaVersion();
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, PostgresStore::LatestSchemaVersion());
}

// AppendAudits is one transaction: a batch whose last event the database refuses (a reason that
// is not UTF-8) leaves none of its events behind, and the next batch is written whole.
TEST(PostgresStoreTest, AuditBatchIsOneTransaction) {
  const std::string url = NewDatabaseUrl();
  auto store = OpenOrDie(url);
  ASSERT_NE(store, nullptr);
  auto event = [](const char* ecid, std::string reason) {
    AuditEvent e;
    e.time = 1'900'000'000;
    e.ecid = ecid;
    e.client_id = "client-a";
    e.outcome = "rejected";
    e.reason = std::move(reason);
    return e;
  };
  const std::vector<AuditEvent> refused = {event("e1", "fine"), event("e2", "fine"),
                                           event("e3", std::string("not utf-8: \xff"))};
  EXPECT_FALSE(store->AppendAudits(refused).ok());
  PgAdmin admin(url);
  EXPECT_EQ(admin.Query("SELECT count(*) FROM audit_events"), "0");
  ASSERT_TRUE(store->AppendAudits({event("e4", "fine"), event("e5", "fine")}).ok());
  EXPECT_EQ(admin.Query("SELECT count(*) FROM audit_events"), "2");
}

TEST(PostgresStoreTest, NewerSchemaIsRefused) {
  const std::string url = NewDatabaseUrl();
  ASSERT_NE(OpenOrDie(url), nullptr);
  PgAdmin admin(url);
  admin.Query("INSERT INTO schema_version (version, name, applied_at) VALUES (" +
              std::to_string(PostgresStore::LatestSchemaVersion() + 1) + ", 'future.sql', 0)");
  EXPECT_EQ(PostgresStore::Open(url, {}).status().code(), StatusCode::kFailedPrecondition);
}

TEST(PostgresStoreTest, TerminatedSessionsAreReplacedWithoutAFailedCall) {
  const std::string url = NewDatabaseUrl();
  PostgresOptions options;
  options.pool_size = 3;
  auto store = OpenOrDie(url, options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(*store->ConsumeJti("c", "before", 9999));
  PgAdmin admin(url);
  const std::string db = DatabaseOf(url);
  admin.Query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" +
              db + "' AND pid <> pg_backend_pid()");
  EXPECT_NE(AwaitValue(admin,
                       "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE "
                       "datname = '" +
                           db + "' AND pid <> pg_backend_pid())"),
            "");
  // Every pooled session is gone; each call sees it before sending and uses a new one.
  auto consumed = store->ConsumeJti("c", "after", 9999);
  ASSERT_TRUE(consumed.ok()) << consumed.status().ToString();
  EXPECT_TRUE(*consumed);
  EXPECT_TRUE(store->Ping().ok());
  EXPECT_FALSE(*store->ConsumeJti("c", "before", 9999));
}

TEST(PostgresStoreTest, ConsumeJtiCutAfterSendingIsUnavailableAndNotRetried) {
  const std::string url = NewDatabaseUrl();
  auto store = OpenOrDie(url);
  ASSERT_NE(store, nullptr);
  PgAdmin locker(url);
  PgAdmin admin(url);
  // Hold the INSERT at the server, then end its session while it waits: the client has sent the
  // statement and cannot know whether it committed.
  locker.Query("BEGIN");
  locker.Query("LOCK TABLE used_jtis IN ACCESS EXCLUSIVE MODE");
  Result<bool> result = Status::Internal("not run");
  std::thread consumer([&] { result = store->ConsumeJti("c", "cut", 9999); });
  const std::string pid =
      AwaitValue(admin, WaitingBackend(DatabaseOf(url), "INSERT INTO used_jtis"));
  ASSERT_NE(pid, "") << "the INSERT never waited for the lock";
  admin.Query("SELECT pg_terminate_backend(" + pid + ")");
  consumer.join();
  locker.Query("ROLLBACK");
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable) << result.status().ToString();
  // Not retried behind the caller's back: the pair is still new, and the store works on.
  EXPECT_FALSE(*store->IsJtiUsed("c", "cut"));
  auto again = store->ConsumeJti("c", "cut", 9999);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(*again);
}

TEST(PostgresStoreTest, ReadCutAfterSendingIsRetriedOnAnotherConnection) {
  const std::string url = NewDatabaseUrl();
  auto store = OpenOrDie(url);
  ASSERT_NE(store, nullptr);
  User user;
  user.id = "u1";
  user.user_name = "alice";
  ASSERT_TRUE(store->CreateUser(user).ok());
  PgAdmin locker(url);
  PgAdmin admin(url);
  locker.Query("BEGIN");
  locker.Query("LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
  Result<User> result = Status::Internal("not run");
  std::thread reader([&] { result = store->GetUser("u1"); });
  const std::string waiting = WaitingBackend(DatabaseOf(url), "SELECT id, user_name");
  const std::string first = AwaitValue(admin, waiting);
  ASSERT_NE(first, "");
  admin.Query("SELECT pg_terminate_backend(" + first + ")");
  // The retry waits for the same lock, on a new session.
  const std::string second =
      AwaitValue(admin, "SELECT pid FROM (" + waiting + ") w WHERE pid <> " + first);
  EXPECT_NE(second, "");
  locker.Query("ROLLBACK");
  reader.join();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(*result, user);
}

TEST(PostgresStoreTest, DatabaseStoppedFailsFastThenRecoversWithoutReopening) {
  const char* ctl = std::getenv("TESSERA_TEST_PG_CTL");
  if (ctl == nullptr) GTEST_SKIP() << "TESSERA_TEST_PG_CTL is not set (run via pg_ctl_env)";
  auto store = OpenOrDie(NewDatabaseUrl());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Ping().ok());
  ASSERT_EQ(std::system((std::string(ctl) + " stop").c_str()), 0);
  for (int i = 0; i < 5; ++i) {
    const auto start = Clock::now();
    EXPECT_EQ(store->Ping().code(), StatusCode::kUnavailable);
    EXPECT_EQ(store->ConsumeJti("c", "down-" + std::to_string(i), 9999).status().code(),
              StatusCode::kUnavailable);
    EXPECT_EQ(store->GetUser("u").status().code(), StatusCode::kUnavailable);
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(3500));
  }
  ASSERT_EQ(std::system((std::string(ctl) + " start").c_str()), 0);
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  Status ping = store->Ping();
  while (!ping.ok() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ping = store->Ping();
  }
  ASSERT_TRUE(ping.ok()) << ping.ToString();
  auto consumed = store->ConsumeJti("c", "after-restart", 9999);
  ASSERT_TRUE(consumed.ok()) << consumed.status().ToString();
  EXPECT_TRUE(*consumed);
}

}  // namespace
}  // namespace tessera::store

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (tessera::store::ServerUrl().empty()) {
    std::fprintf(stderr,
                 "FAIL: TESSERA_TEST_PG_URL is not set. Run this test through "
                 "tests/postgres/pg_ctl_env (it starts a throwaway PostgreSQL), or set it to a "
                 "superuser URL of a server the tests may create databases on.\n");
    return 1;
  }
  ::testing::AddGlobalTestEnvironment(new tessera::store::DropDatabases());
  return RUN_ALL_TESTS();
}
