#include "server/logging.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/log_value.h"

namespace tessera::server {
namespace {

constexpr std::size_t kMaxEcid = 128;

bool EcidChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// RFC 3339, UTC, milliseconds: 2026-12-04T20:56:54.123Z.
void AppendTimestamp(spdlog::log_clock::time_point t, std::string& out) {
  const auto since = t.time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since - secs).count();
  const std::time_t tt = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  out += buf;
}

// A JSON string: the line-safe escapes of AppendLogLineSafe, then JSON's own for '"' and '\'.
// (The \xHH and \u{...} escapes of invalid or invisible text are written as plain characters.)
void AppendJsonString(std::string_view text, std::string& out) {
  std::string safe;
  AppendLogLineSafe(text, safe);
  out += '"';
  for (char c : safe) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

class RecordFormatter final : public spdlog::formatter {
 public:
  explicit RecordFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    const auto level = spdlog::level::to_string_view(msg.level);
    std::string line;
    line.reserve(payload.size() + 96);
    if (format_ == LogFormat::kText) {
      AppendTimestamp(msg.time, line);
      line += " [";
      line.append(level.data(), level.size());
      line += "] ";
      AppendLogLineSafe(payload, line);
    } else {
      line += "{\"ts\":\"";
      AppendTimestamp(msg.time, line);
      line += "\",\"level\":\"";
      line.append(level.data(), level.size());
      line += "\",\"msg\":";
      AppendJsonString(payload, line);
      if (std::string_view ecid = RecordEcid(payload); !ecid.empty()) {
        line += ",\"ecid\":\"";
        line += ecid;  // EcidChar only: nothing to escape
        line += '"';
      }
      line += '}';
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<RecordFormatter>(format_);
  }

 private:
  LogFormat format_;
};

class SpdlogLogger final : public Logger {
 public:
  void Log(LogLevel level, std::string_view message) override {
    spdlog::log(level == LogLevel::kError     ? spdlog::level::err
                : level == LogLevel::kWarning ? spdlog::level::warn
                                              : spdlog::level::info,
                "{}", message);
  }
};

}  // namespace

std::string_view RecordEcid(std::string_view payload) {
  // An optional leading component word: lower-case letters, maybe a colon, then one space.
  std::size_t i = 0;
  while (i < payload.size() && payload[i] >= 'a' && payload[i] <= 'z') ++i;
  if (i > 0 && payload.substr(0, i) != "ecid") {
    if (i < payload.size() && payload[i] == ':') ++i;
    if (i >= payload.size() || payload[i] != ' ') return {};
    ++i;
  } else {
    i = 0;
  }
  if (payload.substr(i, 5) != "ecid=") return {};
  i += 5;
  const std::size_t start = i;
  while (i < payload.size() && i - start < kMaxEcid + 1 && EcidChar(payload[i])) ++i;
  const std::size_t n = i - start;
  if (n == 0 || n > kMaxEcid || (i < payload.size() && payload[i] != ' ')) return {};
  return payload.substr(start, n);
}

std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format) {
  return std::make_unique<RecordFormatter>(format);
}

Status ConfigureLogging(const std::string& format, const std::string& level) {
  LogFormat f;
  if (format == "text") {
    f = LogFormat::kText;
  } else if (format == "json") {
    f = LogFormat::kJson;
  } else {
    return Status::InvalidArgument("setting log_format: text or json");
  }
  spdlog::set_formatter(MakeLogFormatter(f));
  spdlog::set_level(spdlog::level::from_str(level == "warning" ? "warn" : level));
  return Status::Ok();
}

Logger& ServerLogger() {
  static SpdlogLogger logger;
  return logger;
}

}  // namespace tessera::server
