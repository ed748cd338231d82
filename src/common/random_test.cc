#include "common/random.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

namespace tessera {
namespace {

TEST(RandomTest, TokensAreUnreservedAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string t = RandomToken(32);
    EXPECT_EQ(t.size(), 43u);
    EXPECT_EQ(
        t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    EXPECT_TRUE(seen.insert(t).second);
  }
}

TEST(RandomTest, UuidShape) {
  std::string u = RandomUuid();
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[8], '-');
  EXPECT_EQ(u[14], '4');
  EXPECT_NE(RandomUuid(), u);
}

TEST(RandomTest, SmallRequestsAcrossManyRefillsNeverRepeat) {
  // 16 bytes a call: the per-thread reserve of 4 KiB is drawn anew every 256 calls.
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    std::string b = RandomBytes(16);
    ASSERT_EQ(b.size(), 16u);
    EXPECT_TRUE(seen.insert(b).second) << "call " << i;
  }
  EXPECT_EQ(RandomBytes(0), "");
  EXPECT_EQ(RandomBytes(65).size(), 65u);  // past what the reserve serves
  EXPECT_EQ(RandomBytes(4096).size(), 4096u);
}

TEST(RandomTest, ThreadsDrawDifferentBytes) {
  std::string here = RandomBytes(32), there;
  std::thread([&] { there = RandomBytes(32); }).join();
  EXPECT_NE(here, there);
}

TEST(RandomTest, AForkedChildDoesNotRepeatItsParentsBytes) {
  (void)RandomBytes(16);  // the parent's reserve now holds bytes it has not handed out
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string b = RandomBytes(16);
    _exit(write(fds[1], b.data(), b.size()) == 16 ? 0 : 1);
  }
  close(fds[1]);
  std::string from_child(16, '\0');
  ASSERT_EQ(read(fds[0], from_child.data(), from_child.size()), 16);
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(from_child, RandomBytes(16)) << "the child handed out its parent's next bytes";
}

TEST(RandomTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

}  // namespace
}  // namespace tessera
