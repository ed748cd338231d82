#include "cli/env_files.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

namespace tessera::cli {
namespace {

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(EnvFilesTest, FileVariablesGiveTheContentWithoutOneNewline) {
  const std::string secret = WriteTemp("env_files_secret", "s3cret value\n");
  const std::string two = WriteTemp("env_files_two", "line\n\n");
  std::map<std::string, std::string> env;
  auto getenv = [&](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto r = ResolveFileVariables(
      {"TESSERA_ADMIN_CLIENT_SECRET_FILE=" + secret, "TESSERA_ISSUER_FILE=" + two,
       "OTHER_FILE=" + secret, "TESSERA_FILE=" + secret, "TESSERA_LISTEN_FILE="},
      getenv);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0],
            (std::pair<std::string, std::string>{"TESSERA_ADMIN_CLIENT_SECRET", "s3cret value"}));
  EXPECT_EQ((*r)[1], (std::pair<std::string, std::string>{"TESSERA_ISSUER", "line\n"}));
}

TEST(EnvFilesTest, BothFormsOrAnUnreadableFileAreErrorsNamingThem) {
  const std::string secret = WriteTemp("env_files_secret2", "x\n");
  auto both = ResolveFileVariables(
      {"TESSERA_CLIENT_SECRET_FILE=" + secret}, [](const char* n) -> const char* {
        return std::string(n) == "TESSERA_CLIENT_SECRET" ? "direct" : nullptr;
      });
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("TESSERA_CLIENT_SECRET and TESSERA_CLIENT_SECRET_FILE"),
            std::string::npos);
  auto missing = ResolveFileVariables({"TESSERA_CLIENT_SECRET_FILE=/nonexistent/secret"},
                                      [](const char*) -> const char* { return nullptr; });
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("TESSERA_CLIENT_SECRET_FILE /nonexistent/secret"),
            std::string::npos);
  EXPECT_NE(missing.status().message().find("No such file"), std::string::npos);
}

}  // namespace
}  // namespace tessera::cli
