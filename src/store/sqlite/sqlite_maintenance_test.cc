#include "store/sqlite/sqlite_maintenance.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/migrations.h"
#include "store/sqlite/raw_db_test_util.h"
#include "store/sqlite/sqlite_store.h"

namespace tessera::store {
namespace {

namespace fs = std::filesystem;
using sqlite_test::ModeOf;
using sqlite_test::RawDb;

// A directory for this test binary's files, removed when the binary ends.
class TempDirEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                        "/tessera-maintenance-test-XXXXXX";
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

// A directory no test has used yet (created).
fs::path FreshDir() {
  static std::atomic<int> counter{0};
  fs::path dir = TempDirEnvironment::dir() / ("case-" + std::to_string(counter++));
  fs::create_directories(dir);
  return dir;
}

void WriteBytes(const fs::path& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::unique_ptr<SqliteStore> OpenStore(const fs::path& path) {
  auto store = SqliteStore::Open(path.string(), SqliteOptions{});
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

SigningKeyRecord TestKey() {
  SigningKeyRecord k;
  k.kid = "kid-1";
  k.alg = "RS256";
  k.private_pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  k.cert_der = std::string("\x30\x82\x00\x01", 4);
  k.created_at = 1700000000;
  return k;
}

User TestUser() {
  User u;
  u.id = "user-1";
  u.user_name = "alice";
  u.given_name = "Alice";
  u.family_name = "Liddell";
  u.emails = {"alice@example.com"};
  u.created_at = 1700000000;
  u.updated_at = 1700000001;
  return u;
}

AuditEvent TestEvent() {
  AuditEvent e;
  e.time = 1700000002;
  e.ecid = "ecid-1";
  e.client_id = "client-a";
  e.subject = "alice";
  e.grant = "jwt-bearer";
  e.outcome = "issued";
  return e;
}

// A store with one of everything that must travel with a backup.
fs::path MakeStore(const fs::path& dir) {
  fs::path path = dir / "tessera.db";
  auto store = OpenStore(path);
  EXPECT_TRUE(store->AddSigningKey(TestKey()).ok());
  EXPECT_TRUE(store->CreateUser(TestUser()).ok());
  EXPECT_TRUE(*store->ConsumeJti("client-a", "jti-1", 4000000000));
  EXPECT_TRUE(store->RevokeToken("token-1", 4000000000).ok());
  EXPECT_TRUE(store->AppendAudit(TestEvent()).ok());
  return path;
}

void ExpectTheTestData(Store& store) {
  auto keys = store.ListSigningKeys();
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0], TestKey());
  auto user = store.GetUser("user-1");
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ(*user, TestUser());
  EXPECT_FALSE(*store.ConsumeJti("client-a", "jti-1", 4000000000));  // a replay
  EXPECT_TRUE(*store.IsRevoked("token-1"));
  auto events = store.ListAudit(AuditFilter{});
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 1u);
  AuditEvent expected = TestEvent();
  expected.id = (*events)[0].id;
  EXPECT_EQ((*events)[0], expected);
}

// The message names the file and says `what`.
void ExpectRefused(const Status& status, StatusCode code, const std::string& file,
                   const std::string& what) {
  EXPECT_EQ(status.code(), code) << status.ToString();
  EXPECT_NE(status.message().find(file), std::string::npos) << status.message();
  EXPECT_NE(status.message().find(what), std::string::npos) << status.message();
  EXPECT_EQ(status.message().find('\n'), std::string::npos) << status.message();
}

// Builds, with a raw connection, the store a build that knew only migrations 1..version made:
// the real migration files, recorded in schema_version as SqliteStore::Open records them.
void MakeStoreAtVersion(const fs::path& path, int version) {
  RawDb raw(path.string());
  raw.Exec("PRAGMA journal_mode = WAL");
  raw.Exec(
      "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY NOT NULL,"
      " name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  for (int v = 1; v <= version; ++v) {
    const auto& m = sqlite_internal::kMigrations[v - 1];
    raw.Exec(std::string("BEGIN IMMEDIATE;\n") + m.sql +
             "\n;INSERT INTO schema_version (version, name, applied_at) VALUES (" +
             std::to_string(m.version) + ", '" + m.name + "', 1700000000);\nCOMMIT;");
  }
}

// The test data, inserted with the columns of schema version 1 (kept by every later version).
void InsertTestDataRaw(const fs::path& path) {
  RawDb raw(path.string());
  raw.Exec(
      "BEGIN;"
      "INSERT INTO users (id, user_name, given_name, family_name, emails, active, created_at,"
      " updated_at) VALUES ('user-1', 'alice', 'Alice', 'Liddell', '[\"alice@example.com\"]', 1,"
      " 1700000000, 1700000001);"
      "INSERT INTO signing_keys (kid, alg, private_pem, cert_der, created_at, retired_at,"
      " publish_until) VALUES ('kid-1', 'RS256',"
      " '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', x'30820001',"
      " 1700000000, 0, 0);"
      "INSERT INTO used_jtis (issuer, jti, expires_at) VALUES ('client-a', 'jti-1', 4000000000);"
      "INSERT INTO revocations (jti, expires_at) VALUES ('token-1', 4000000000);"
      "INSERT INTO audit_events (time, ecid, client_id, subject, grant_type, outcome, reason)"
      " VALUES (1700000002, 'ecid-1', 'client-a', 'alice', 'jwt-bearer', 'issued', '');"
      "COMMIT;");
}

// ---- Backup.

TEST(SqliteBackupTest, ACopyTakenUnderWritesIsOneCommittedState) {
  const fs::path dir = FreshDir();
  const fs::path db = MakeStore(dir);
  auto store = OpenStore(db);
  // A writer commits pairs of jtis, one pair per transaction, until the backups are done (at
  // most a few seconds): a consistent copy holds both jtis of every pair or neither.
  std::atomic<bool> stop{false};
  std::atomic<int> committed{0};
  std::thread writer([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (int i = 0; !stop && std::chrono::steady_clock::now() < deadline; ++i) {
      const std::string jti = "pair-" + std::to_string(i);
      auto fresh = store->ConsumeJtis({{"a", jti, 4000000000}, {"b", jti, 4000000000}});
      ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
      committed = i + 1;
    }
  });
  while (committed < 50) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (int round = 0; round < 3; ++round) {
    const fs::path out = dir / ("backup-" + std::to_string(round) + ".db");
    const int before = committed;
    auto info = BackupSqliteStore(db.string(), out.string(), /*overwrite=*/false);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->schema_version, SqliteStore::LatestSchemaVersion());
    EXPECT_EQ(info->signing_keys, 1);
    EXPECT_EQ(info->audit_events, 1);
    EXPECT_GE(info->used_jtis, 1 + 2 * before);
    EXPECT_EQ(info->used_jtis % 2, 1) << "a pair was split";
    RawDb raw(out.string());
    EXPECT_EQ(
        raw.Text("SELECT count(*) FROM used_jtis a LEFT JOIN used_jtis b"
                 " ON b.issuer = 'b' AND b.jti = a.jti WHERE a.issuer = 'a' AND b.jti IS NULL"),
        "0");
    EXPECT_EQ(raw.Text("SELECT count(*) FROM used_jtis WHERE issuer = 'a'"),
              raw.Text("SELECT count(*) FROM used_jtis WHERE issuer = 'b'"));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int at_end = committed;
  stop = true;
  writer.join();
  EXPECT_GT(at_end, 50) << "the writer was held off";
  // The store itself is untouched and goes on.
  EXPECT_TRUE(*store->IsJtiUsed("client-a", "jti-1"));
}

TEST(SqliteBackupTest, TheBackupIsOneOwnerOnlyFileAndLeavesNothingElse) {
  const mode_t old_umask = ::umask(0);
  const fs::path dir = FreshDir();
  const fs::path db = MakeStore(dir / "data");
  auto store = OpenStore(db);  // a live store: its -wal and -shm exist
  const fs::path out_dir = dir / "backups";
  fs::create_directories(out_dir);
  const fs::path out = out_dir / "tessera-backup.db";
  auto info = BackupSqliteStore(db.string(), out.string(), false);
  ::umask(old_umask);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(ModeOf(out), 0600u);
  EXPECT_EQ(info->bytes, static_cast<int64_t>(fs::file_size(out)));
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(out_dir)) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"tessera-backup.db"});
  // Bytes 18 and 19 of the header: 1 = rollback journal, 2 = WAL.
  const std::string bytes = ReadBytes(out);
  ASSERT_GT(bytes.size(), 20u);
  EXPECT_EQ(bytes[18], 1);
  EXPECT_EQ(bytes[19], 1);
}

TEST(SqliteBackupTest, AnExistingFileIsReplacedOnlyWhenAsked) {
  const fs::path dir = FreshDir();
  const fs::path db = MakeStore(dir);
  const fs::path out = dir / "backup.db";
  WriteBytes(out, "precious");
  auto refused = BackupSqliteStore(db.string(), out.string(), false);
  ExpectRefused(refused.status(), StatusCode::kAlreadyExists, out.string(), "already exists");
  EXPECT_EQ(ReadBytes(out), "precious");
  auto replaced = BackupSqliteStore(db.string(), out.string(), true);
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_TRUE(VerifySqliteBackup(out.string()).ok());
}

TEST(SqliteBackupTest, TheStoreItselfIsNeverTheTarget) {
  const fs::path dir = FreshDir();
  const fs::path db = MakeStore(dir);
  auto store = OpenStore(db);
  for (const std::string& out : {db.string(), (dir / "." / "tessera.db").string(),
                                 db.string() + "-wal", db.string() + "-shm"}) {
    auto r = BackupSqliteStore(db.string(), out, /*overwrite=*/true);
    ExpectRefused(r.status(), StatusCode::kInvalidArgument, out, "store itself");
  }
  ExpectTheTestData(*store);
}

TEST(SqliteBackupTest, AMissingOrForeignStoreIsRefused) {
  const fs::path dir = FreshDir();
  auto missing = BackupSqliteStore((dir / "none.db").string(), (dir / "b.db").string(), false);
  ExpectRefused(missing.status(), StatusCode::kNotFound, (dir / "none.db").string(), "no store");
  const fs::path foreign = dir / "foreign.db";
  RawDb(foreign.string()).Exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)");
  auto r = BackupSqliteStore(foreign.string(), (dir / "b.db").string(), false);
  ExpectRefused(r.status(), StatusCode::kInvalidArgument, foreign.string(), "not a Tessera store");
  const fs::path db = MakeStore(dir / "data");
  auto no_dir = BackupSqliteStore(db.string(), (dir / "nowhere" / "b.db").string(), false);
  ExpectRefused(no_dir.status(), StatusCode::kNotFound, "nowhere", "no directory");
  EXPECT_FALSE(fs::exists(dir / "b.db"));
}

// ---- Verify.

TEST(SqliteBackupTest, VerifyAcceptsABackupAndSaysWhatItHolds) {
  const fs::path dir = FreshDir();
  const fs::path db = MakeStore(dir);
  const fs::path out = dir / "b.db";
  ASSERT_TRUE(BackupSqliteStore(db.string(), out.string(), false).ok());
  auto info = VerifySqliteBackup(out.string());
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->schema_version, SqliteStore::LatestSchemaVersion());
  EXPECT_EQ(info->latest_schema_version, SqliteStore::LatestSchemaVersion());
  EXPECT_EQ(info->signing_keys, 1);
  EXPECT_EQ(info->used_jtis, 1);
  EXPECT_EQ(info->audit_events, 1);
  // Verifying writes nothing beside the file.
  EXPECT_FALSE(fs::exists(out.string() + "-wal"));
  EXPECT_FALSE(fs::exists(out.string() + "-shm"));
}

TEST(SqliteBackupTest, VerifyRefusesEveryFileThatIsNotABackup) {
  const fs::path dir = FreshDir();
  const fs::path db = MakeStore(dir);
  const fs::path good = dir / "good.db";
  ASSERT_TRUE(BackupSqliteStore(db.string(), good.string(), false).ok());
  const std::string backup = ReadBytes(good);
  ASSERT_GE(backup.size(), 4u * 4096);

  std::mt19937 rng(7);
  std::string random(8192, '\0');
  for (char& c : random) c = static_cast<char>(rng());

  struct Case {
    std::string name;
    std::string bytes;
    StatusCode code;
    std::string what;
  };
  // A real header over noise of the full length: only SQLite itself can tell.
  std::string header_then_noise = backup.substr(0, 100);
  while (header_then_noise.size() < backup.size()) header_then_noise += static_cast<char>(rng());
  std::string corrupt = backup;
  for (size_t i = 4096; i < 3 * 4096; ++i) corrupt[i] = static_cast<char>(0xA5);
  std::vector<Case> cases = {
      {"empty.db", "", StatusCode::kInvalidArgument, "empty"},
      {"random.db", random, StatusCode::kInvalidArgument, "not a SQLite database"},
      {"text.db", "SQLite format 3 is what this is not\n", StatusCode::kInvalidArgument,
       "not a SQLite database"},
      {"half.db", backup.substr(0, backup.size() / 2), StatusCode::kInvalidArgument, "truncated"},
      {"short.db", backup.substr(0, backup.size() - 100), StatusCode::kInvalidArgument,
       "truncated"},
      {"noise.db", header_then_noise, StatusCode::kInvalidArgument, "SQLite database"},
      {"corrupt.db", corrupt, StatusCode::kInvalidArgument, ""},
  };
  for (const Case& c : cases) {
    const fs::path path = dir / c.name;
    WriteBytes(path, c.bytes);
    auto r = VerifySqliteBackup(path.string());
    ExpectRefused(r.status(), c.code, path.string(), c.what);
  }

  auto missing = VerifySqliteBackup((dir / "missing.db").string());
  ExpectRefused(missing.status(), StatusCode::kNotFound, "missing.db", "no such file");
  ExpectRefused(VerifySqliteBackup(dir.string()).status(), StatusCode::kInvalidArgument,
                dir.string(), "not a regular file");

  const fs::path foreign = dir / "foreign.db";
  RawDb(foreign.string()).Exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)");
  ExpectRefused(VerifySqliteBackup(foreign.string()).status(), StatusCode::kInvalidArgument,
                foreign.string(), "not a Tessera store");

  const fs::path renamed = dir / "renamed.db";
  WriteBytes(renamed, backup);
  RawDb(renamed.string()).Exec("UPDATE schema_version SET name = 'other.sql' WHERE version = 1");
  ExpectRefused(VerifySqliteBackup(renamed.string()).status(), StatusCode::kInvalidArgument,
                renamed.string(), "not a Tessera store");

  const int newer = SqliteStore::LatestSchemaVersion() + 1;
  const fs::path future = dir / "future.db";
  WriteBytes(future, backup);
  RawDb(future.string())
      .Exec("INSERT INTO schema_version (version, name, applied_at) VALUES (" +
            std::to_string(newer) + ", 'from_the_future.sql', 0)");
  ExpectRefused(VerifySqliteBackup(future.string()).status(), StatusCode::kFailedPrecondition,
                future.string(), "schema version " + std::to_string(newer) + " is newer");

  const fs::path older = dir / "older.db";
  MakeStoreAtVersion(older, 1);
  auto old_info = VerifySqliteBackup(older.string());
  ASSERT_TRUE(old_info.ok()) << old_info.status().ToString();
  EXPECT_EQ(old_info->schema_version, 1);
}

// ---- Restore.

TEST(SqliteRestoreTest, ARestoredStoreServesWhatTheBackupHeld) {
  const mode_t old_umask = ::umask(0);
  const fs::path dir = FreshDir();
  const fs::path db = MakeStore(dir / "old");
  const fs::path out = dir / "b.db";
  ASSERT_TRUE(BackupSqliteStore(db.string(), out.string(), false).ok());
  const fs::path target = dir / "new" / "data" / "tessera.db";
  auto info = RestoreSqliteStore(out.string(), target.string(), /*force=*/false);
  ::umask(old_umask);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->signing_keys, 1);
  EXPECT_EQ(ModeOf(target), 0600u);
  EXPECT_EQ(ModeOf(target.parent_path()), 0700u);
  EXPECT_EQ(ModeOf(target.parent_path().parent_path()), 0700u);
  auto store = OpenStore(target);
  ExpectTheTestData(*store);
}

TEST(SqliteRestoreTest, AnExistingStoreIsReplacedOnlyWithForce) {
  const fs::path dir = FreshDir();
  const fs::path db = MakeStore(dir / "old");
  const fs::path out = dir / "b.db";
  ASSERT_TRUE(BackupSqliteStore(db.string(), out.string(), false).ok());

  const fs::path target = dir / "other" / "tessera.db";
  {
    auto other = OpenStore(target);  // a store of its own, closed before the restore
    ASSERT_TRUE(other->ConsumeJti("client-z", "other-jti", 4000000000).ok());
  }
  auto refused = RestoreSqliteStore(out.string(), target.string(), /*force=*/false);
  ExpectRefused(refused.status(), StatusCode::kAlreadyExists, target.string(), "already exists");
  EXPECT_TRUE(*OpenStore(target)->IsJtiUsed("client-z", "other-jti"));

  // A leftover log of the old store must not be replayed onto the restored one.
  WriteBytes(target.string() + "-journal", "stale");
  auto replaced = RestoreSqliteStore(out.string(), target.string(), /*force=*/true);
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_FALSE(fs::exists(target.string() + "-journal"));
  auto store = OpenStore(target);
  ExpectTheTestData(*store);
  EXPECT_FALSE(*store->IsJtiUsed("client-z", "other-jti"));
}

TEST(SqliteRestoreTest, AStoreInUseIsNeverReplaced) {
  const fs::path dir = FreshDir();
  const fs::path db = MakeStore(dir / "old");
  const fs::path out = dir / "b.db";
  ASSERT_TRUE(BackupSqliteStore(db.string(), out.string(), false).ok());
  const fs::path target = dir / "live" / "tessera.db";
  auto live = OpenStore(target);  // as a running server holds it
  ASSERT_TRUE(live->ConsumeJti("client-z", "live-jti", 4000000000).ok());
  auto r = RestoreSqliteStore(out.string(), target.string(), /*force=*/true);
  ExpectRefused(r.status(), StatusCode::kFailedPrecondition, target.string(), "in use");
  EXPECT_TRUE(*live->IsJtiUsed("client-z", "live-jti"));
  EXPECT_TRUE(live->ConsumeJti("client-z", "after", 4000000000).ok());
  live.reset();
  EXPECT_TRUE(*OpenStore(target)->IsJtiUsed("client-z", "after"));
  // Nothing was left behind in the store's directory.
  for (const auto& entry : fs::directory_iterator(target.parent_path())) {
    EXPECT_EQ(entry.path().filename().string().rfind("tessera.db", 0), 0u) << entry.path();
  }
}

TEST(SqliteRestoreTest, ABadBackupChangesNothing) {
  const fs::path dir = FreshDir();
  const fs::path target = MakeStore(dir / "data");
  const fs::path bad = dir / "bad.db";
  WriteBytes(bad, std::string(4096, 'x'));
  const std::string before = ReadBytes(target);
  auto r = RestoreSqliteStore(bad.string(), target.string(), /*force=*/true);
  ExpectRefused(r.status(), StatusCode::kInvalidArgument, bad.string(), "not a SQLite database");
  EXPECT_EQ(ReadBytes(target), before);
  auto missing = RestoreSqliteStore((dir / "none.db").string(), target.string(), true);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  ExpectTheTestData(*OpenStore(target));
}

// ---- Schema status and upgrades.

TEST(SqliteSchemaStatusTest, ACurrentStoreHasEveryMigrationApplied) {
  const fs::path dir = FreshDir();
  const fs::path db = MakeStore(dir);
  auto live = OpenStore(db);
  auto status = SqliteSchemaStatus(db.string());
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->current, SqliteStore::LatestSchemaVersion());
  EXPECT_EQ(status->latest, SqliteStore::LatestSchemaVersion());
  EXPECT_EQ(status->pending(), 0);
  ASSERT_EQ(status->migrations.size(), static_cast<size_t>(SqliteStore::LatestSchemaVersion()));
  for (size_t i = 0; i < status->migrations.size(); ++i) {
    EXPECT_EQ(status->migrations[i].version, static_cast<int>(i) + 1);
    EXPECT_EQ(status->migrations[i].name, sqlite_internal::kMigrations[i].name);
    EXPECT_TRUE(status->migrations[i].applied);
    EXPECT_TRUE(status->migrations[i].known);
    EXPECT_GT(status->migrations[i].applied_at, 1700000000);
  }
}

TEST(SqliteSchemaStatusTest, NewMissingAndForeignFiles) {
  const fs::path dir = FreshDir();
  auto missing = SqliteSchemaStatus((dir / "none.db").string());
  ExpectRefused(missing.status(), StatusCode::kNotFound, "none.db", "no store");
  const fs::path empty = dir / "empty.db";
  WriteBytes(empty, "");
  auto fresh = SqliteSchemaStatus(empty.string());
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_EQ(fresh->current, 0);
  EXPECT_EQ(fresh->pending(), SqliteStore::LatestSchemaVersion());
  const fs::path foreign = dir / "foreign.db";
  RawDb(foreign.string()).Exec("CREATE TABLE t (x)");
  ExpectRefused(SqliteSchemaStatus(foreign.string()).status(), StatusCode::kInvalidArgument,
                foreign.string(), "not a Tessera store");
  const fs::path future = MakeStore(dir / "future");
  const int newer = SqliteStore::LatestSchemaVersion() + 1;
  RawDb(future.string())
      .Exec("INSERT INTO schema_version (version, name, applied_at) VALUES (" +
            std::to_string(newer) + ", '999_from_the_future.sql', 0)");
  auto ahead = SqliteSchemaStatus(future.string());
  ASSERT_TRUE(ahead.ok()) << ahead.status().ToString();
  EXPECT_EQ(ahead->current, newer);
  ASSERT_FALSE(ahead->migrations.empty());
  EXPECT_EQ(ahead->migrations.back(),
            (MigrationStatus{newer, "999_from_the_future.sql", true, 0, false}));
}

// Every earlier schema version (the previous one first of all): a store made by a build that
// stopped at that version, holding data, is upgraded by this build's Open and keeps the data.
TEST(SqliteSchemaStatusTest, AStoreOfAnEarlierSchemaVersionIsUpgradedWithItsData) {
  const int latest = SqliteStore::LatestSchemaVersion();
  ASSERT_GE(latest, 2) << "no earlier version to upgrade from";
  for (int version = latest - 1; version >= 1; --version) {
    SCOPED_TRACE("from schema version " + std::to_string(version));
    const fs::path db = FreshDir() / "tessera.db";
    MakeStoreAtVersion(db, version);
    InsertTestDataRaw(db);

    auto before = SqliteSchemaStatus(db.string());
    ASSERT_TRUE(before.ok()) << before.status().ToString();
    EXPECT_EQ(before->current, version);
    EXPECT_EQ(before->pending(), latest - version);
    for (const MigrationStatus& m : before->migrations) {
      EXPECT_EQ(m.applied, m.version <= version) << m.name;
    }
    ASSERT_TRUE(VerifySqliteBackup(db.string()).ok());

    {
      auto store = OpenStore(db);
      ASSERT_NE(store, nullptr);
      EXPECT_EQ(*store->SchemaVersion(), latest);
      ExpectTheTestData(*store);
    }
    auto after = SqliteSchemaStatus(db.string());
    ASSERT_TRUE(after.ok()) << after.status().ToString();
    EXPECT_EQ(after->current, latest);
    EXPECT_EQ(after->pending(), 0);
  }
}

TEST(SchemaStatusTest, MergesAppliedAndEmbeddedMigrations) {
  SchemaStatus s = MakeSchemaStatus({{1, "001_a.sql", 10}, {2, "002_b.sql", 20}},
                                    {{1, "001_a.sql"}, {2, "002_b.sql"}, {3, "003_c.sql"}});
  EXPECT_EQ(s.current, 2);
  EXPECT_EQ(s.latest, 3);
  EXPECT_EQ(s.pending(), 1);
  ASSERT_EQ(s.migrations.size(), 3u);
  EXPECT_EQ(s.migrations[0], (MigrationStatus{1, "001_a.sql", true, 10, true}));
  EXPECT_EQ(s.migrations[2], (MigrationStatus{3, "003_c.sql", false, 0, true}));
  SchemaStatus none = MakeSchemaStatus({}, {{1, "001_a.sql"}});
  EXPECT_EQ(none.current, 0);
  EXPECT_EQ(none.pending(), 1);
}

}  // namespace
}  // namespace tessera::store
