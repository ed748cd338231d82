#include "server/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace tessera::server {
namespace {

std::string Format(LogFormat format, spdlog::level::level_enum level, std::string_view payload) {
  auto f = MakeLogFormatter(format);
  // 2026-12-04T20:56:54.123Z
  spdlog::details::log_msg msg(
      spdlog::log_clock::time_point(std::chrono::milliseconds(1796417814123)), spdlog::source_loc{},
      "", level, spdlog::string_view_t(payload.data(), payload.size()));
  spdlog::memory_buf_t buf;
  f->format(msg, buf);
  return std::string(buf.data(), buf.size());
}

TEST(LoggingTest, TextIsOneUtcLine) {
  EXPECT_EQ(Format(LogFormat::kText, spdlog::level::warn, "ecid=abc endpoint=token rejected"),
            "2026-12-04T20:56:54.123Z [warning] ecid=abc endpoint=token rejected\n");
}

TEST(LoggingTest, JsonHasTsLevelMsgAndEcid) {
  const std::string line =
      Format(LogFormat::kJson, spdlog::level::info, "http ecid=r-1.x_Y method=GET status=200");
  ASSERT_EQ(line.back(), '\n');
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["ts"], "2026-12-04T20:56:54.123Z");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["msg"], "http ecid=r-1.x_Y method=GET status=200");
  EXPECT_EQ(j["ecid"], "r-1.x_Y");
  EXPECT_FALSE(nlohmann::json::parse(Format(LogFormat::kJson, spdlog::level::info, "listening"))
                   .contains("ecid"));
}

TEST(LoggingTest, ControlBytesNeverSplitARecord) {
  static const char kRaw[] =
      "ecid=a detail=x\n2026-12-04T00:00:00.000Z [info] ecid=forged\r\0\x1b\xff\"\\";
  const std::string payload(kRaw, sizeof kRaw - 1);
  const std::string text = Format(LogFormat::kText, spdlog::level::warn, payload);
  EXPECT_EQ(text.find('\n'), text.size() - 1);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(text.find('\0'), std::string::npos);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  const std::string json = Format(LogFormat::kJson, spdlog::level::warn, payload);
  EXPECT_EQ(json.find('\n'), json.size() - 1);
  const auto j = nlohmann::json::parse(json);  // valid JSON despite the invalid UTF-8 byte
  EXPECT_EQ(j["ecid"], "a");
  EXPECT_NE(j["msg"].get<std::string>().find("x\\n2026"), std::string::npos);
}

TEST(LoggingTest, EcidIsReadOnlyAtTheStart) {
  EXPECT_EQ(RecordEcid("ecid=abc rest"), "abc");
  EXPECT_EQ(RecordEcid("http: ecid=abc"), "abc");
  EXPECT_EQ(RecordEcid("gateway: ecid=a-b.c_d refused"), "a-b.c_d");
  EXPECT_EQ(RecordEcid("rejected kid=\"x ecid=forged\""), "");
  EXPECT_EQ(RecordEcid("two words ecid=forged"), "");
  EXPECT_EQ(RecordEcid("ecid=bad\"quote"), "");
  EXPECT_EQ(RecordEcid("ecid=" + std::string(129, 'a')), "");
  EXPECT_EQ(RecordEcid("ecid=" + std::string(128, 'a')), std::string(128, 'a'));
}

TEST(LoggingTest, ConfigureRejectsUnknownFormats) {
  EXPECT_FALSE(ConfigureLogging("xml", "info").ok());
  EXPECT_TRUE(ConfigureLogging("text", "warning").ok());
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
}

TEST(LoggingTest, ServerLoggerWritesTheServerLog) {
  const std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  ASSERT_TRUE(ConfigureLogging("json", "warning").ok());
  ServerLogger().Log(LogLevel::kInfo, "below the level");
  ServerLogger().Log(LogLevel::kWarning, "audit write failed (will retry): \"x\"");
  ServerLogger().Log(LogLevel::kError, "audit write failed, event lost: {}");
  spdlog::set_default_logger(previous);

  std::istringstream lines(out.str());
  std::string line;
  std::vector<nlohmann::json> records;
  while (std::getline(lines, line)) records.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(records.size(), 2u) << out.str();
  EXPECT_EQ(records[0]["level"], "warning");
  EXPECT_EQ(records[0]["msg"], "audit write failed (will retry): \"x\"");
  EXPECT_EQ(records[1]["level"], "error");
  EXPECT_EQ(records[1]["msg"], "audit write failed, event lost: {}");  // not a format string
}

}  // namespace
}  // namespace tessera::server
