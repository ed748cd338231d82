// Test helpers of the SQLite store's tests: a raw connection to build and look at database files
// behind the store's back, and a file's permission bits.
#ifndef TESSERA_STORE_SQLITE_RAW_DB_TEST_UTIL_H_
#define TESSERA_STORE_SQLITE_RAW_DB_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <string>

namespace tessera::store::sqlite_test {

// A raw SQLite connection, read-write, making the file if it is missing. Failures are test
// failures, reported where they happen.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, flags, nullptr), SQLITE_OK) << path;
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void Exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << sql << ": " << (error != nullptr ? error : "");
    sqlite3_free(error);
  }
  // The first column of the first row as text ("" for none or NULL).
  std::string Text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      if (p != nullptr) out = p;
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// The permission bits of `path` (a test failure when it cannot be read).
inline mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

}  // namespace tessera::store::sqlite_test

#endif  // TESSERA_STORE_SQLITE_RAW_DB_TEST_UTIL_H_
