#include "cli/secret_options.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>

namespace tessera::cli {
namespace {

TEST(SecretOptionsTest, FileOrFlagButNotBoth) {
  const std::string path = ::testing::TempDir() + "/secret_options_secret";
  std::ofstream(path, std::ios::binary) << "from-file\r\n";
  CLI::App app("t");
  ClientSecretOptions o;
  AddClientSecretOptions(&app, &o, "secret", "TESSERA_TEST_SECRET_OPTIONS");
  const char* file_args[] = {"t", "--client-secret-file", path.c_str()};
  app.parse(3, file_args);
  auto r = o.Resolve();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value(), "from-file");

  o.secret = "flag";
  auto both = o.Resolve();
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("--client-secret or --client-secret-file"),
            std::string::npos);
}

TEST(SecretOptionsTest, EnvironmentOnlyWhenNeitherOptionIsGiven) {
  ::setenv("TESSERA_TEST_SECRET_OPTIONS", "from-env", 1);
  ClientSecretOptions o;
  o.env = "TESSERA_TEST_SECRET_OPTIONS";
  EXPECT_EQ(o.Resolve()->value(), "from-env");
  o.secret = "flag";
  EXPECT_EQ(o.Resolve()->value(), "flag");
  ::unsetenv("TESSERA_TEST_SECRET_OPTIONS");
  ClientSecretOptions none;
  EXPECT_FALSE(none.Resolve()->has_value());
}

TEST(SecretOptionsTest, UnreadableOrEmptyFilesAreNamed) {
  auto missing = ReadSecretFile("/nonexistent/secret", "--client-secret-file");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/secret"), std::string::npos);
  const std::string path = ::testing::TempDir() + "/secret_options_newline";
  std::ofstream(path, std::ios::binary) << "\n";
  auto empty = ReadSecretFile(path, "--client-secret-file");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("is empty"), std::string::npos);
}

}  // namespace
}  // namespace tessera::cli
