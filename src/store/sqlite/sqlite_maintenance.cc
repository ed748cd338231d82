#include "store/sqlite/sqlite_maintenance.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_error.h"

namespace tessera::store {
namespace {

namespace fs = std::filesystem;
using sqlite_internal::kMigrations;

constexpr int kLatest = static_cast<int>(std::size(kMigrations));

// A backup's read transaction starts as soon as no checkpoint is resetting the log, which takes
// milliseconds; a store locked for this long is reported rather than waited on forever.
constexpr auto kLockWait = std::chrono::seconds(10);
constexpr int kBusyTimeoutMs = 5000;

// Tables every schema version has: a database without one of them is not a Tessera store.
constexpr const char* kStoreTables[] = {
    "users",     "apps",        "certificates", "signing_keys", "trust_token_issuers",
    "used_jtis", "revocations", "audit_events"};

// The companions SQLite keeps beside a database file.
constexpr const char* kCompanions[] = {"-wal", "-shm", "-journal"};

std::string ErrnoText(int err) { return std::strerror(err); }

Status IoError(const std::string& what, const std::string& path, int err) {
  std::string msg = what + " " + path + ": " + ErrnoText(err);
  if (err == ENOENT) return Status::NotFound(std::move(msg));
  return Status::Unavailable(std::move(msg));
}

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int Close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

using DbPtr = std::unique_ptr<sqlite3, int (*)(sqlite3*)>;

Result<DbPtr> OpenDb(const std::string& name, int flags, const std::string& label) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
  DbPtr db(raw, &sqlite3_close_v2);
  if (rc != SQLITE_OK) return SqliteError(rc, raw, label + ": opening");
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return db;
}

// The rows of `sql`, every column as text (NULL reads as ""). Errors carry SQLite's code as
// SqliteError maps it; `rc_out`, when given, receives the raw code of a failure.
Result<std::vector<std::vector<std::string>>> Rows(sqlite3* db, const char* sql,
                                                   const std::string& label,
                                                   int* rc_out = nullptr) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  std::vector<std::vector<std::string>> rows;
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) break;
    std::vector<std::string>& row = rows.emplace_back();
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      row.emplace_back(p != nullptr ? p : "");
    }
  }
  Status status =
      rc == SQLITE_DONE ? Status::Ok() : SqliteError(rc, db, label + ": running " + sql);
  sqlite3_finalize(stmt);
  if (!status.ok()) {
    if (rc_out != nullptr) *rc_out = rc;
    return status;
  }
  return rows;
}

// "file:" URI of `path`, opened read-only; `immutable` also tells SQLite that nothing else
// changes the file, so it takes no locks and creates no -wal or -shm companion beside it.
std::string ReadOnlyUri(const std::string& path, bool immutable) {
  const std::string abs = fs::absolute(path).lexically_normal().string();
  std::string uri = "file://";
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const unsigned char c : abs) {
    if (std::isalnum(c) != 0 || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 15];
    }
  }
  uri += "?mode=ro";
  if (immutable) uri += "&immutable=1";
  return uri;
}

uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Checks what can be seen without SQLite: a regular, non-empty file with a SQLite header, at
// least as long as the header says (https://www.sqlite.org/fileformat.html 1.3). Returns its
// size.
Result<int64_t> CheckFile(const std::string& path, const std::string& label) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Status::NotFound(label + ": no such file");
    return Status::Unavailable(label + ": cannot open: " + ErrnoText(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Status::Unavailable(label + ": " + ErrnoText(errno));
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(label + ": not a regular file");
  const int64_t size = st.st_size;
  if (size == 0) return Status::InvalidArgument(label + ": the file is empty");
  unsigned char header[100];
  ssize_t got = 0;
  while (got < static_cast<ssize_t>(sizeof(header))) {
    const ssize_t n = ::pread(fd.get(), header + got, sizeof(header) - got, got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Unavailable(label + ": cannot read: " + ErrnoText(errno));
    if (n == 0) break;
    got += n;
  }
  static constexpr char kMagic[] = "SQLite format 3";  // with its NUL: 16 bytes
  if (got < static_cast<ssize_t>(sizeof(header)) || std::memcmp(header, kMagic, 16) != 0) {
    return Status::InvalidArgument(label + ": not a SQLite database (no SQLite header)");
  }
  int64_t page_size = (header[16] << 8) | header[17];
  if (page_size == 1) page_size = 65536;
  if (page_size < 512 || (page_size & (page_size - 1)) != 0) {
    return Status::InvalidArgument(label + ": not a SQLite database (bad page size)");
  }
  // The in-header page count is valid only when the change counter matches "version valid for".
  const uint32_t pages = Be32(header + 28);
  if (pages != 0 && Be32(header + 24) == Be32(header + 92) && size < pages * page_size) {
    return Status::InvalidArgument(label + ": truncated: " + std::to_string(size) +
                                   " bytes, its header announces " +
                                   std::to_string(pages * page_size));
  }
  if (size % page_size != 0) {
    return Status::InvalidArgument(label + ": truncated: " + std::to_string(size) +
                                   " bytes is not a whole number of " + std::to_string(page_size) +
                                   "-byte pages");
  }
  return size;
}

// The rows of schema_version, checked against this build's migrations: numbered 1, 2, ... and,
// for every version this build knows, under the same file name. A database without the table
// is not a Tessera store, unless it has no table at all and `allow_new` (a new, empty store).
Result<std::vector<AppliedMigration>> ReadApplied(sqlite3* db, const std::string& label,
                                                  bool allow_new) {
  int rc = SQLITE_OK;
  Result<std::vector<std::vector<std::string>>> tables =
      Rows(db, "SELECT name FROM sqlite_schema WHERE type = 'table'", label, &rc);
  if (!tables.ok()) {
    if (rc == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) {
      return Status::InvalidArgument(label + ": not a valid SQLite database (" +
                                     sqlite3_errstr(rc) + ")");
    }
    return tables.status();
  }
  auto has = [&](std::string_view name) {
    for (const auto& row : *tables) {
      if (row[0] == name) return true;
    }
    return false;
  };
  if (tables->empty() && allow_new) return std::vector<AppliedMigration>{};
  if (!has("schema_version")) {
    return Status::InvalidArgument(label + ": not a Tessera store (no schema_version table)");
  }
  TESSERA_ASSIGN_OR_RETURN(
      auto rows,
      Rows(db, "SELECT version, name, applied_at FROM schema_version ORDER BY version", label));
  std::vector<AppliedMigration> applied;
  for (const auto& row : rows) {
    AppliedMigration m;
    m.version = std::atoi(row[0].c_str());
    m.name = row[1];
    m.applied_at = std::atoll(row[2].c_str());
    if (m.version != static_cast<int>(applied.size()) + 1) {
      return Status::InvalidArgument(label +
                                     ": not a Tessera store (schema_version does not number its "
                                     "migrations 1, 2, ...)");
    }
    if (m.version <= kLatest && m.name != kMigrations[m.version - 1].name) {
      return Status::InvalidArgument(label + ": not a Tessera store (migration " +
                                     std::to_string(m.version) + " is " + m.name +
                                     ", this build's is " + kMigrations[m.version - 1].name + ")");
    }
    applied.push_back(std::move(m));
  }
  if (applied.empty()) {
    // A store whose first migration never committed is as new as an empty file.
    if (allow_new) return applied;
    return Status::InvalidArgument(label + ": not a Tessera store (no migration recorded)");
  }
  for (const char* table : kStoreTables) {
    if (!has(table)) {
      return Status::InvalidArgument(label + ": not a Tessera store (no " + table + " table)");
    }
  }
  return applied;
}

Result<int64_t> Count(sqlite3* db, const char* sql, const std::string& label) {
  TESSERA_ASSIGN_OR_RETURN(auto rows, Rows(db, sql, label));
  return rows.empty() ? 0 : std::atoll(rows[0][0].c_str());
}

// Everything VerifySqliteBackup checks once the file is open; `integrity` runs the (slow, for a
// big store) integrity check.
Result<SqliteFileInfo> Inspect(sqlite3* db, const std::string& label, bool integrity) {
  if (integrity) {
    int rc = SQLITE_OK;
    Result<std::vector<std::vector<std::string>>> check =
        Rows(db, "PRAGMA integrity_check", label, &rc);
    if (!check.ok()) {
      if (rc == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) {
        return Status::InvalidArgument(label + ": not a valid SQLite database (" +
                                       sqlite3_errstr(rc) + ")");
      }
      return check.status();
    }
    if (check->empty() || (*check)[0][0] != "ok") {
      std::string first = check->empty() ? "no answer" : (*check)[0][0];
      for (char& c : first) {
        if (c == '\n' || c == '\r') c = ' ';
      }
      return Status::InvalidArgument(label + ": fails the integrity check: " + first);
    }
  }
  TESSERA_ASSIGN_OR_RETURN(std::vector<AppliedMigration> applied,
                           ReadApplied(db, label, /*allow_new=*/false));
  SqliteFileInfo info;
  info.schema_version = applied.back().version;
  info.latest_schema_version = kLatest;
  if (info.schema_version > kLatest) {
    return Status::FailedPrecondition(
        label + ": schema version " + std::to_string(info.schema_version) +
        " is newer than this build's (" + std::to_string(kLatest) + "); use a newer tessera");
  }
  TESSERA_ASSIGN_OR_RETURN(info.signing_keys,
                           Count(db, "SELECT count(*) FROM signing_keys", label));
  TESSERA_ASSIGN_OR_RETURN(info.used_jtis, Count(db, "SELECT count(*) FROM used_jtis", label));
  TESSERA_ASSIGN_OR_RETURN(info.audit_events,
                           Count(db, "SELECT count(*) FROM audit_events", label));
  return info;
}

Result<SqliteFileInfo> VerifyFile(const std::string& path, const std::string& label) {
  TESSERA_ASSIGN_OR_RETURN(int64_t size, CheckFile(path, label));
  TESSERA_ASSIGN_OR_RETURN(DbPtr db, OpenDb(ReadOnlyUri(path, /*immutable=*/true),
                                            SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, label));
  TESSERA_ASSIGN_OR_RETURN(SqliteFileInfo info, Inspect(db.get(), label, /*integrity=*/true));
  info.bytes = size;
  return info;
}

// Flushes a directory, so that a rename in it survives a crash.
Status SyncDirectory(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return IoError("cannot flush directory", dir.string(), errno);
  }
  return Status::Ok();
}

Status SyncFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) return IoError("cannot flush", path, errno);
  return Status::Ok();
}

// Creates the directories of `dir` that are missing, owner-only.
Status MakeDirectories(const fs::path& dir) {
  if (dir.empty()) return Status::Ok();
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return Status::Ok();
  TESSERA_RETURN_IF_ERROR(MakeDirectories(dir.parent_path()));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return IoError("cannot create directory", dir.string(), errno);
  }
  return Status::Ok();
}

fs::path DirectoryOf(const std::string& path) {
  fs::path dir = fs::path(path).parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

// A temporary file beside a destination, mode 0600 whatever the umask; removed with its SQLite
// companions unless released.
class TempFile {
 public:
  static Result<TempFile> Create(const fs::path& dir, const std::string& stem) {
    std::string name = (dir / ("." + stem + "-XXXXXX")).string();
    const int fd = ::mkstemp(name.data());
    if (fd < 0) return IoError("cannot create a temporary file in", dir.string(), errno);
    Fd guard(fd);
    TempFile file(name);
    if (::fchmod(fd, 0600) != 0) return IoError("cannot set the mode of", name, errno);
    return file;
  }
  TempFile(TempFile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempFile& operator=(TempFile&&) = delete;
  ~TempFile() {
    if (path_.empty()) return;
    ::unlink(path_.c_str());
    for (const char* suffix : kCompanions) ::unlink((path_ + suffix).c_str());
  }
  const std::string& path() const { return path_; }
  void Release() { path_.clear(); }

 private:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Size of `path`, or 0 when it does not exist.
int64_t SizeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

// The online copy of `src` into the empty database `dest_path`, as one self-contained file.
Status CopyDatabase(sqlite3* src, const std::string& dest_path, const std::string& label) {
  TESSERA_ASSIGN_OR_RETURN(DbPtr dest, OpenDb(dest_path, SQLITE_OPEN_READWRITE, label));
  sqlite3_backup* backup = sqlite3_backup_init(dest.get(), "main", src, "main");
  if (backup == nullptr) {
    return SqliteError(sqlite3_errcode(dest.get()), dest.get(), label + ": starting the copy");
  }
  // One step of all pages (-1): the whole copy is made inside one read transaction of the
  // source, so it is one consistent state however much is written meanwhile. (Copying a few
  // pages per step would restart from the beginning after every write by another connection.)
  const auto deadline = std::chrono::steady_clock::now() + kLockWait;
  int rc = SQLITE_OK;
  for (;;) {
    rc = sqlite3_backup_step(backup, -1);
    if (rc == SQLITE_DONE) break;
    const bool busy = rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
    if (!busy || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int finish = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      return Status::Unavailable(label + ": the store stayed locked; try again");
    }
    return SqliteError(rc, dest.get(), label + ": copying");
  }
  if (finish != SQLITE_OK) return SqliteError(finish, dest.get(), label + ": copying");
  // The copied header says WAL, as the source's does; a backup is one file, without a -wal
  // companion to lose. (A server that opens it switches it back to WAL.)
  TESSERA_ASSIGN_OR_RETURN(auto mode, Rows(dest.get(), "PRAGMA journal_mode = DELETE", label));
  if (mode.empty() || mode[0][0] != "delete") {
    return Status::Internal(label + ": cannot leave WAL mode");
  }
  sqlite3* raw = dest.release();
  const int closed = sqlite3_close(raw);
  if (closed != SQLITE_OK) {
    Status s = SqliteError(closed, raw, label + ": closing");
    sqlite3_close_v2(raw);
    return s;
  }
  return Status::Ok();
}

// Fails with kFailedPrecondition if a process has the store at `db_path` open. Every connection
// to a WAL database holds a shared lock on it for as long as it is open, and leaving WAL mode
// needs the exclusive lock: so the switch succeeds only when nobody else has the file open, and
// then it also folds any leftover log into the old file, which is about to be replaced.
Status CheckNotInUse(const std::string& db_path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  DbPtr db(raw, &sqlite3_close_v2);
  if (rc != SQLITE_OK) return SqliteError(rc, raw, "store " + db_path + ": opening");
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 0);
  rc = SQLITE_OK;
  Result<std::vector<std::vector<std::string>>> mode =
      Rows(raw, "PRAGMA journal_mode = DELETE", "store " + db_path, &rc);
  const int primary = rc & 0xff;
  if (!mode.ok() && (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)) {
    return Status::Ok();  // not a database: nobody can be serving it
  }
  if ((!mode.ok() && (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)) ||
      (mode.ok() && (mode->empty() || (*mode)[0][0] != "delete"))) {
    return Status::FailedPrecondition("store " + db_path +
                                      " is in use (a server has it open); stop the server first");
  }
  return mode.status();
}

}  // namespace

Result<SqliteFileInfo> VerifySqliteBackup(const std::string& path) {
  return VerifyFile(path, "backup " + path);
}

Result<SqliteFileInfo> BackupSqliteStore(const std::string& db_path, const std::string& out_path,
                                         bool overwrite) {
  const std::string label = "store " + db_path;
  struct stat db_st {};
  if (::stat(db_path.c_str(), &db_st) != 0) {
    if (errno == ENOENT) return Status::NotFound("no store at " + db_path);
    return IoError("cannot read store", db_path, errno);
  }
  if (!S_ISREG(db_st.st_mode)) return Status::InvalidArgument(label + ": not a regular file");

  const fs::path out_dir = DirectoryOf(out_path);
  std::error_code ec;
  if (!fs::is_directory(out_dir, ec)) {
    return Status::NotFound("backup " + out_path + ": no directory " + out_dir.string());
  }
  struct stat out_st {};
  if (::stat(out_path.c_str(), &out_st) == 0) {
    if (SameFile(out_st, db_st)) {
      return Status::InvalidArgument("backup " + out_path + " is the store itself");
    }
    if (!overwrite) return Status::AlreadyExists("backup " + out_path + " already exists");
  }
  const fs::path out_canonical = fs::weakly_canonical(out_path, ec);
  for (const char* suffix : kCompanions) {
    if (!ec && out_canonical == fs::weakly_canonical(db_path + suffix, ec)) {
      return Status::InvalidArgument("backup " + out_path + " is a file of the store itself");
    }
  }

  // Read-only: the backup never writes to the store. (SQLite may create the -shm index of a
  // store no server has open; it gets the store file's mode and owner.)
  TESSERA_ASSIGN_OR_RETURN(DbPtr src, OpenDb(db_path, SQLITE_OPEN_READONLY, label));
  TESSERA_ASSIGN_OR_RETURN(std::vector<AppliedMigration> applied,
                           ReadApplied(src.get(), label, /*allow_new=*/false));
  if (applied.back().version > kLatest) {
    return Status::FailedPrecondition(
        label + ": schema version " + std::to_string(applied.back().version) +
        " is newer than this build's (" + std::to_string(kLatest) + "); use a newer tessera");
  }

  TESSERA_ASSIGN_OR_RETURN(TempFile tmp,
                           TempFile::Create(out_dir, fs::path(out_path).filename().string()));
  TESSERA_RETURN_IF_ERROR(CopyDatabase(src.get(), tmp.path(), label));
  src.reset();
  TESSERA_RETURN_IF_ERROR(SyncFile(tmp.path()));
  TESSERA_ASSIGN_OR_RETURN(SqliteFileInfo info, VerifyFile(tmp.path(), "backup " + out_path));

  if (overwrite) {
    if (::rename(tmp.path().c_str(), out_path.c_str()) != 0) {
      return IoError("cannot write backup", out_path, errno);
    }
  } else {
    // link(2) fails if out_path appeared meanwhile: a backup never replaces a file by surprise.
    if (::link(tmp.path().c_str(), out_path.c_str()) != 0) {
      if (errno == EEXIST) return Status::AlreadyExists("backup " + out_path + " already exists");
      return IoError("cannot write backup", out_path, errno);
    }
    ::unlink(tmp.path().c_str());
  }
  tmp.Release();
  TESSERA_RETURN_IF_ERROR(SyncDirectory(out_dir));
  return info;
}

Result<SqliteFileInfo> RestoreSqliteStore(const std::string& in_path, const std::string& db_path,
                                          bool force) {
  const std::string label = "backup " + in_path;
  TESSERA_ASSIGN_OR_RETURN(SqliteFileInfo info, VerifyFile(in_path, label));

  struct stat in_st {};
  struct stat db_st {};
  const bool db_exists = ::stat(db_path.c_str(), &db_st) == 0;
  if (db_exists && ::stat(in_path.c_str(), &in_st) == 0 && SameFile(in_st, db_st)) {
    return Status::InvalidArgument(label + " is the store itself");
  }
  // A new store's content may still be only in its log: the file alone can be empty.
  if (!force && (SizeOf(db_path) > 0 || SizeOf(db_path + "-wal") > 0)) {
    return Status::AlreadyExists("store " + db_path + " already exists");
  }

  const fs::path dir = DirectoryOf(db_path);
  TESSERA_RETURN_IF_ERROR(MakeDirectories(dir));
  TESSERA_ASSIGN_OR_RETURN(TempFile tmp,
                           TempFile::Create(dir, fs::path(db_path).filename().string()));
  {
    Fd in(::open(in_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) return IoError("cannot read backup", in_path, errno);
    Fd out(::open(tmp.path().c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    if (out.get() < 0) return IoError("cannot write", tmp.path(), errno);
    char buf[1 << 16];
    for (;;) {
      const ssize_t n = ::read(in.get(), buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return IoError("cannot read backup", in_path, errno);
      if (n == 0) break;
      for (ssize_t done = 0; done < n;) {
        const ssize_t w = ::write(out.get(), buf + done, static_cast<size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return IoError("cannot write", tmp.path(), errno);
        done += w;
      }
    }
    if (::fsync(out.get()) != 0 || out.Close() != 0) {
      return IoError("cannot write", tmp.path(), errno);
    }
  }
  // What is put in place is what was checked, even if the backup file changed meanwhile.
  TESSERA_ASSIGN_OR_RETURN(info, VerifyFile(tmp.path(), label));

  if (db_exists) TESSERA_RETURN_IF_ERROR(CheckNotInUse(db_path));
  for (const char* suffix : kCompanions) {
    const std::string companion = db_path + suffix;
    if (::unlink(companion.c_str()) != 0 && errno != ENOENT) {
      return IoError("cannot remove", companion, errno);
    }
  }
  if (::rename(tmp.path().c_str(), db_path.c_str()) != 0) {
    return IoError("cannot write store", db_path, errno);
  }
  tmp.Release();
  TESSERA_RETURN_IF_ERROR(SyncDirectory(dir));
  return info;
}

Result<SchemaStatus> SqliteSchemaStatus(const std::string& db_path) {
  const std::string label = "store " + db_path;
  struct stat st {};
  if (::stat(db_path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound("no store at " + db_path);
    return IoError("cannot read store", db_path, errno);
  }
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(label + ": not a regular file");
  // Not immutable: a running server's latest commits may still be in the log.
  TESSERA_ASSIGN_OR_RETURN(DbPtr db, OpenDb(ReadOnlyUri(db_path, /*immutable=*/false),
                                            SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, label));
  TESSERA_ASSIGN_OR_RETURN(std::vector<AppliedMigration> applied,
                           ReadApplied(db.get(), label, /*allow_new=*/true));
  std::vector<std::pair<int, std::string>> embedded;
  for (const auto& m : kMigrations) embedded.emplace_back(m.version, m.name);
  return MakeSchemaStatus(applied, embedded);
}

}  // namespace tessera::store
