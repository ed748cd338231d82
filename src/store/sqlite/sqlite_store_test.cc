#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/migrations.h"
#include "store/sqlite/raw_db_test_util.h"
#include "store/sqlite/sqlite_error.h"
#include "store/store_contract_test.h"

namespace tessera::store {
namespace {

namespace fs = std::filesystem;
using sqlite_test::ModeOf;
using sqlite_test::RawDb;

// A directory for this test binary's databases, removed when the binary ends.
class TempDirEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                        "/tessera-store-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static const fs::path& dir() { return dir_; }

 private:
  static inline fs::path dir_;
};

[[maybe_unused]] const auto* const kTempDir =
    ::testing::AddGlobalTestEnvironment(new TempDirEnvironment);

// A path no test has used yet.
std::string FreshPath() {
  static std::atomic<int> counter{0};
  return (TempDirEnvironment::dir() / ("db-" + std::to_string(counter++)) / "tessera.db").string();
}

std::unique_ptr<Store> MakeSqliteStore() {
  auto store = SqliteStore::Open(FreshPath(), SqliteOptions{});
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return nullptr;
  }
  return std::move(store).value();
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContractTest,
                         ::testing::Values(StoreBackend{"Sqlite", &MakeSqliteStore}),
                         StoreBackendName);

User TestUser() {
  User u;
  u.id = "user-1";
  u.user_name = "alice";
  u.emails = {"alice@example.com"};
  u.created_at = 1700000000;
  u.updated_at = 1700000000;
  return u;
}

TEST(SqliteMigrations, AreNumberedFromOneWithoutGaps) {
  int expected = 1;
  for (const auto& m : sqlite_internal::kMigrations) {
    EXPECT_EQ(m.version, expected++) << m.name;
    EXPECT_NE(std::string(m.sql).find("CREATE"), std::string::npos) << m.name;
  }
  EXPECT_EQ(SqliteStore::LatestSchemaVersion(), expected - 1);
  EXPECT_GE(SqliteStore::LatestSchemaVersion(), 1);
}

TEST(SqliteStoreTest, MigrationsRunOnceAndReopenIsIdempotent) {
  const std::string path = FreshPath();
  const std::string latest = std::to_string(SqliteStore::LatestSchemaVersion());
  {
    auto store = SqliteStore::Open(path, SqliteOptions{});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto version = (*store)->SchemaVersion();
    ASSERT_TRUE(version.ok());
    EXPECT_EQ(*version, SqliteStore::LatestSchemaVersion());
    ASSERT_TRUE((*store)->CreateUser(TestUser()).ok());
  }
  for (int i = 0; i < 2; ++i) {
    auto store = SqliteStore::Open(path, SqliteOptions{});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto user = (*store)->GetUser("user-1");
    ASSERT_TRUE(user.ok()) << user.status().ToString();
    EXPECT_EQ(*user, TestUser());
  }
  RawDb raw(path);
  EXPECT_EQ(raw.Text("SELECT count(*) FROM schema_version"), latest);
  EXPECT_EQ(raw.Text("SELECT max(version) FROM schema_version"), latest);
  EXPECT_EQ(raw.Text("SELECT name FROM schema_version WHERE version = 1"), "001_init.sql");
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "wal");
}

TEST(SqliteStoreTest, UsedJtisSurviveTheMoveToAWithoutRowidTable) {
  const std::string path = FreshPath();
  {
    auto store = SqliteStore::Open(path, SqliteOptions{});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
  }
  {
    // Back to the schema of version 1, holding two used jtis.
    RawDb raw(path);
    raw.Exec(
        "BEGIN; DROP TABLE used_jtis;"
        " CREATE TABLE used_jtis (issuer TEXT NOT NULL, jti TEXT NOT NULL,"
        "   expires_at INTEGER NOT NULL);"
        " CREATE UNIQUE INDEX used_jtis_issuer_jti ON used_jtis (issuer, jti);"
        " CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);"
        " INSERT INTO used_jtis VALUES ('client-a', 'old', 100), ('client-a', 'live', 5000);"
        " DELETE FROM schema_version WHERE version > 1; COMMIT;");
  }
  auto store = SqliteStore::Open(path, SqliteOptions{});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_FALSE(*(*store)->ConsumeJti("client-a", "old", 100));
  EXPECT_FALSE(*(*store)->ConsumeJti("client-a", "live", 5000));
  EXPECT_EQ(*(*store)->PurgeExpiredJtis(200, 10), 1);
  EXPECT_TRUE(*(*store)->ConsumeJti("client-a", "old", 300));
  RawDb raw(path);
  EXPECT_NE(
      raw.Text("SELECT sql FROM sqlite_schema WHERE name = 'used_jtis'").find("WITHOUT ROWID"),
      std::string::npos);
  // The table and its expires_at index: the unique index of version 1 is gone.
  EXPECT_EQ(raw.Text("SELECT count(*) FROM sqlite_schema WHERE tbl_name = 'used_jtis'"), "2");
}

TEST(SqliteStoreTest, NewerSchemaIsRefused) {
  const std::string path = FreshPath();
  {
    auto store = SqliteStore::Open(path, SqliteOptions{});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
  }
  const int newer = SqliteStore::LatestSchemaVersion() + 1;
  {
    RawDb raw(path);
    raw.Exec("INSERT INTO schema_version (version, name, applied_at) VALUES (" +
             std::to_string(newer) + ", 'from_the_future.sql', 0)");
  }
  auto store = SqliteStore::Open(path, SqliteOptions{});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("schema version " + std::to_string(newer)),
            std::string::npos)
      << store.status().message();
}

TEST(SqliteStoreTest, FilesAreOwnerOnlyWhateverTheUmask) {
  const mode_t old_umask = ::umask(0);
  const fs::path dir = TempDirEnvironment::dir() / "perm" / "nested";
  const std::string path = (dir / "tessera.db").string();
  {
    auto store = SqliteStore::Open(path, SqliteOptions{});
    ::umask(old_umask);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->CreateUser(TestUser()).ok());
    EXPECT_EQ(ModeOf(path), 0600u);
    // The WAL and shared-memory files hold the same data; SQLite gives them the file's mode.
    EXPECT_EQ(ModeOf(path + "-wal"), 0600u);
    EXPECT_EQ(ModeOf(path + "-shm"), 0600u);
  }
  EXPECT_EQ(ModeOf(dir.string()), 0700u);
  EXPECT_EQ(ModeOf(dir.parent_path().string()), 0700u);
}

TEST(SqliteStoreTest, CommittedWritesSurviveAKilledProcess) {
  const std::string path = FreshPath();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child writes and dies without closing anything: no checkpoint, no clean shutdown.
    auto store = SqliteStore::Open(path, SqliteOptions{});
    if (!store.ok()) ::_exit(10);
    auto fresh = (*store)->ConsumeJti("client-a", "jti-killed", 4000000000);
    if (!fresh.ok() || !*fresh) ::_exit(11);
    if (!(*store)->CreateUser(TestUser()).ok()) ::_exit(12);
    ::raise(SIGKILL);
    ::_exit(13);  // not reached
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited with " << WEXITSTATUS(wstatus);
  ASSERT_EQ(WTERMSIG(wstatus), SIGKILL);
  // The rows live only in the write-ahead log, which the next Open must recover.
  ASSERT_TRUE(fs::exists(path + "-wal"));
  EXPECT_GT(fs::file_size(path + "-wal"), 0u);

  auto store = SqliteStore::Open(path, SqliteOptions{});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto user = (*store)->GetUser("user-1");
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ(*user, TestUser());
  auto used = (*store)->IsJtiUsed("client-a", "jti-killed");
  ASSERT_TRUE(used.ok());
  EXPECT_TRUE(*used);
  auto again = (*store)->ConsumeJti("client-a", "jti-killed", 4000000000);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

// Two stores on one file stand for two processes (nodes) sharing it: the replay decision is
// still made once, by SQLite's unique index and file locks rather than by the in-process mutex.
TEST(SqliteStoreTest, TwoStoresOnOneFileShareTheReplayDecision) {
  const std::string path = FreshPath();
  auto a = SqliteStore::Open(path, SqliteOptions{});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = SqliteStore::Open(path, SqliteOptions{});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  constexpr int kThreads = 20;
  for (int round = 0; round < 5; ++round) {
    const std::string jti = "shared-" + std::to_string(round);
    std::atomic<int> wins{0};
    std::atomic<int> errors{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      SqliteStore* store = (i % 2 == 0 ? *a : *b).get();
      threads.emplace_back([&, store] {
        start.arrive_and_wait();
        auto r = store->ConsumeJti("client-a", jti, 5000);
        if (!r.ok()) {
          errors++;
        } else if (*r) {
          wins++;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(wins.load(), 1);
  }
}

TEST(SqliteStoreTest, ALockHeldTooLongIsUnavailable) {
  const std::string path = FreshPath();
  SqliteOptions options;
  options.busy_timeout = std::chrono::milliseconds(50);
  auto store = SqliteStore::Open(path, options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  {
    RawDb other_process(path);
    other_process.Exec("BEGIN IMMEDIATE");
    auto r = (*store)->ConsumeJti("client-a", "jti-1", 5000);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
    // Reads go on beside the writer (WAL).
    auto used = (*store)->IsJtiUsed("client-a", "jti-1");
    ASSERT_TRUE(used.ok()) << used.status().ToString();
    EXPECT_FALSE(*used);
    other_process.Exec("ROLLBACK");
  }
  auto r = (*store)->ConsumeJti("client-a", "jti-1", 5000);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r);
}

TEST(SqliteStoreTest, FullSynchronousStoresAndReads) {
  const std::string path = FreshPath();
  SqliteOptions options;
  options.synchronous = SqliteOptions::Synchronous::kFull;
  options.read_connections = 1;
  {
    auto store = SqliteStore::Open(path, options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->CreateUser(TestUser()).ok());
  }
  auto store = SqliteStore::Open(path, options);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->GetUser("user-1").ok());
}

// The checkpoint sequence number in the write-ahead log's header (big-endian, bytes 12-15):
// it grows each time the log starts over from its beginning.
uint32_t WalCheckpointSequence(const std::string& db_path) {
  std::ifstream wal(db_path + "-wal", std::ios::binary);
  unsigned char header[16] = {};
  wal.read(reinterpret_cast<char*>(header), sizeof(header));
  if (wal.gcount() != sizeof(header)) return 0;
  return (uint32_t{header[12]} << 24) | (uint32_t{header[13]} << 16) | (uint32_t{header[14]} << 8) |
         uint32_t{header[15]};
}

// Under a stream of commits the background checkpointer copies the log into the database and
// the log starts over, so it stays bounded; no row is lost on the way.
TEST(SqliteStoreTest, TheLogIsCheckpointedAndStartsOverUnderSteadyWrites) {
  const std::string path = FreshPath();
  SqliteOptions options;
  options.checkpoint_pages = 4;  // log limit: 40 pages
  auto store = SqliteStore::Open(path, options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  int written = 0;
  auto write = [&] {
    auto fresh = (*store)->ConsumeJti("client-a", "jti-" + std::to_string(written), 4000000000);
    ASSERT_TRUE(fresh.ok() && *fresh) << written;
    ++written;
  };
  for (int i = 0; i < 100; ++i) write();
  const uint32_t first = WalCheckpointSequence(path);
  // The checkpointer runs on its own thread: give it time, writing all along.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (WalCheckpointSequence(path) == first && std::chrono::steady_clock::now() < deadline) {
    write();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_NE(WalCheckpointSequence(path), first) << "the log never started over";
  store->reset();

  auto reopened = SqliteStore::Open(path, options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  for (int i : {0, 50, 99, written - 1}) {
    auto used = (*reopened)->IsJtiUsed("client-a", "jti-" + std::to_string(i));
    ASSERT_TRUE(used.ok());
    EXPECT_TRUE(*used) << i;
  }
}

TEST(SqliteStoreTest, BadArgumentsAreRefused) {
  EXPECT_EQ(SqliteStore::Open("", SqliteOptions{}).status().code(), StatusCode::kInvalidArgument);
  SqliteOptions no_readers;
  no_readers.read_connections = 0;
  EXPECT_EQ(SqliteStore::Open(FreshPath(), no_readers).status().code(),
            StatusCode::kInvalidArgument);
  SqliteOptions no_checkpoints;
  no_checkpoints.checkpoint_pages = 0;
  EXPECT_EQ(SqliteStore::Open(FreshPath(), no_checkpoints).status().code(),
            StatusCode::kInvalidArgument);
  SqliteOptions negative_timeout;
  negative_timeout.busy_timeout = std::chrono::milliseconds(-1);
  EXPECT_EQ(SqliteStore::Open(FreshPath(), negative_timeout).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, UnreachableOrForeignFilesAreErrors) {
  // A directory that cannot be created: its parent is a regular file.
  const fs::path file = TempDirEnvironment::dir() / "a-file";
  std::ofstream(file) << "not a directory";
  auto under_file = SqliteStore::Open((file / "db" / "tessera.db").string(), SqliteOptions{});
  ASSERT_FALSE(under_file.ok());
  EXPECT_EQ(under_file.status().code(), StatusCode::kUnavailable);

  // A file that is not a database.
  const fs::path garbage = TempDirEnvironment::dir() / "garbage.db";
  std::ofstream(garbage) << std::string(4096, 'x');
  auto foreign = SqliteStore::Open(garbage.string(), SqliteOptions{});
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().code(), StatusCode::kInternal) << foreign.status().ToString();
}

TEST(SqliteErrorTest, MapsCodesInOnePlace) {
  EXPECT_EQ(SqliteError(SQLITE_CONSTRAINT_UNIQUE, nullptr, "x").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(SqliteError(SQLITE_CONSTRAINT_PRIMARYKEY, nullptr, "x").code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(SqliteError(SQLITE_CONSTRAINT_CHECK, nullptr, "x").code(), StatusCode::kInternal);
  EXPECT_EQ(SqliteError(SQLITE_CONSTRAINT_NOTNULL, nullptr, "x").code(), StatusCode::kInternal);
  for (int rc : {SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_IOERR_FSYNC,
                 SQLITE_CANTOPEN, SQLITE_FULL}) {
    EXPECT_EQ(SqliteError(rc, nullptr, "x").code(), StatusCode::kUnavailable) << rc;
  }
  for (int rc : {SQLITE_ERROR, SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_MISUSE}) {
    EXPECT_EQ(SqliteError(rc, nullptr, "x").code(), StatusCode::kInternal) << rc;
  }
  const Status s = SqliteError(SQLITE_BUSY, nullptr, "consuming jti");
  EXPECT_EQ(s.message().rfind("consuming jti: ", 0), 0u) << s.message();
}

}  // namespace
}  // namespace tessera::store
