#include "common/logger.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace tessera {
namespace {

// What `write` puts on standard error.
template <typename F>
std::string Stderr(F write) {
  char path[] = "/tmp/tessera-stderr-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  write();
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fd);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  unlink(path);
  return text.str();
}

TEST(StderrLoggerTest, OneLinePerRecordWithItsLevel) {
  EXPECT_EQ(Stderr([] {
              StderrLogger().Log(LogLevel::kInfo, "started");
              StderrLogger().Log(LogLevel::kWarning, "audit write failed (will retry): x");
              StderrLogger().Log(LogLevel::kError, "two\nlines");
            }),
            "tessera: started\n"
            "tessera: warning: audit write failed (will retry): x\n"
            "tessera: error: two\\nlines\n");
}

}  // namespace
}  // namespace tessera
