#include "common/logger.h"

#include <cstdio>
#include <string>

#include "common/log_value.h"

namespace tessera {
namespace {

class Stderr final : public Logger {
 public:
  void Log(LogLevel level, std::string_view message) override {
    std::string line = "tessera: ";
    if (level == LogLevel::kWarning) line += "warning: ";
    if (level == LogLevel::kError) line += "error: ";
    AppendLogLineSafe(message, line);  // one record, one line
    line += '\n';
    // One write per record, so that records of concurrent callers do not interleave.
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
};

}  // namespace

Logger& StderrLogger() {
  static Stderr logger;
  return logger;
}

}  // namespace tessera
