#include "server/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>

namespace tessera::server {
namespace {

TEST(ServeConfigTest, Defaults) {
  ServeConfig c;
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.EffectiveIssuer(), "http://127.0.0.1:8080");
  auto a = c.ListenAddress();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 8080);
}

TEST(ServeConfigTest, TomlThenEnvironmentThenFlags) {
  const std::string path = ::testing::TempDir() + "/tessera_config_test.toml";
  {
    std::ofstream f(path);
    f << "listen = \"127.0.0.1:9000\"\nthreads = 3\ndemo = true\naudiences = [\"https://a\", "
         "\"https://b\"]\n"
      << "data_dir = \"/tmp/from-toml\"\n";
  }
  ServeConfig c;
  ASSERT_TRUE(ApplyTomlFile(c, path).ok());
  EXPECT_EQ(c.listen, "127.0.0.1:9000");
  EXPECT_EQ(c.threads, 3);
  EXPECT_TRUE(c.demo);
  EXPECT_EQ(c.audiences, (std::vector<std::string>{"https://a", "https://b"}));
  std::map<std::string, std::string> env = {{"TESSERA_DATA_DIR", "/tmp/from-env"},
                                            {"TESSERA_THREADS", "5"}};
  ASSERT_TRUE(ApplyEnvironment(c, [&](const char* n) -> const char* {
                auto it = env.find(n);
                return it == env.end() ? nullptr : it->second.c_str();
              }).ok());
  EXPECT_EQ(c.data_dir, "/tmp/from-env");
  EXPECT_EQ(c.threads, 5);
  ASSERT_TRUE(SetSetting(c, "threads", "2").ok());  // a flag, last
  EXPECT_EQ(c.threads, 2);
  std::remove(path.c_str());
}

TEST(ServeConfigTest, AssertionAudienceIsCompatOrStrict) {
  ServeConfig c;
  EXPECT_EQ(c.assertion_audience, "compat");
  ASSERT_TRUE(SetSetting(c, "assertion_audience", "strict").ok());
  EXPECT_EQ(c.assertion_audience, "strict");
  std::map<std::string, std::string> env = {{"TESSERA_ASSERTION_AUDIENCE", "compat"}};
  ASSERT_TRUE(ApplyEnvironment(c, [&](const char* n) -> const char* {
                auto it = env.find(n);
                return it == env.end() ? nullptr : it->second.c_str();
              }).ok());
  EXPECT_EQ(c.assertion_audience, "compat");
  const Status bad = SetSetting(c, "assertion_audience", "loose");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("compat or strict"), std::string::npos) << bad.message();
}

TEST(ServeConfigTest, RejectsBadValuesAndUnknownKeys) {
  ServeConfig c;
  EXPECT_FALSE(SetSetting(c, "threads", "many").ok());
  EXPECT_FALSE(SetSetting(c, "listen", "nowhere").ok());
  EXPECT_FALSE(SetSetting(c, "issuer", "ftp://x").ok());
  EXPECT_FALSE(SetSetting(c, "signing_alg", "HS256").ok());
  EXPECT_FALSE(SetSetting(c, "database", "mysql://x").ok());
  const std::string path = ::testing::TempDir() + "/tessera_config_bad.toml";
  {
    std::ofstream f(path);
    f << "lisen = \"127.0.0.1:9000\"\n";
  }
  Status s = ApplyTomlFile(c, path);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("lisen"), std::string::npos);
  {
    std::ofstream f(path);
    f << "listen = \n";
  }
  EXPECT_FALSE(ApplyTomlFile(c, path).ok());
  std::remove(path.c_str());
}

TEST(ServeConfigTest, ConfigFileFlagThenVariableThenSystemFile) {
  const std::string system_file = ::testing::TempDir() + "/tessera_system.toml";
  std::remove(system_file.c_str());
  std::map<std::string, std::string> env;
  auto getenv = [&](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  EXPECT_EQ(ConfigFilePath("", getenv, system_file), "");  // no file at all
  { std::ofstream f(system_file); }
  EXPECT_EQ(ConfigFilePath("", getenv, system_file), system_file);
  env["TESSERA_CONFIG"] = "/from/env.toml";
  EXPECT_EQ(ConfigFilePath("", getenv, system_file), "/from/env.toml");
  EXPECT_EQ(ConfigFilePath("/from/flag.toml", getenv, system_file), "/from/flag.toml");
  env["TESSERA_CONFIG"] = "";
  EXPECT_EQ(ConfigFilePath("", getenv, system_file), system_file);
  EXPECT_EQ(std::string(kSystemConfigFile), "/etc/tessera/tessera.toml");
  std::remove(system_file.c_str());
}

TEST(ServeConfigTest, LogFormatAndReadErrorsNameTheFile) {
  ServeConfig c;
  EXPECT_EQ(c.log_format, "text");
  ASSERT_TRUE(SetSetting(c, "log_format", "json").ok());
  EXPECT_EQ(c.log_format, "json");
  EXPECT_FALSE(SetSetting(c, "log_format", "xml").ok());
  ASSERT_TRUE(SetSetting(c, "log_level", "warning").ok());
  EXPECT_EQ(c.log_level, "warn");
  Status missing = ApplyTomlFile(c, "/nonexistent/tessera.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message(),
            "config file /nonexistent/tessera.toml: cannot read: No such file or directory");
  Status dir = ApplyTomlFile(c, ::testing::TempDir());
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.message().find("is a directory"), std::string::npos);
}

TEST(ServeConfigTest, Ipv6Listen) {
  ServeConfig c;
  ASSERT_TRUE(SetSetting(c, "listen", "[::1]:0").ok());
  auto a = c.ListenAddress();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "::1");
  EXPECT_EQ(a->second, 0);
}

}  // namespace
}  // namespace tessera::server
