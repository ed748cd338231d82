// Logger: where code that knows no logging library (the domain: oauth, store) writes an
// operational record. The composition root passes one in: `tessera serve` the server's log
// (server::ServerLogger, in the format and at the level of --log-format and --log-level), tests
// and tools standard error (StderrLogger).
//
// A message is one line of text; request values in it go through LogValue
// (common/log_value.h) first, and secrets never reach it.
//
// Thread safety: Log may be called concurrently on every implementation.
#ifndef TESSERA_COMMON_LOGGER_H_
#define TESSERA_COMMON_LOGGER_H_

#include <string_view>

namespace tessera {

enum class LogLevel { kInfo, kWarning, kError };

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, std::string_view message) = 0;
};

// Writes "tessera: [warning: |error: ]<message>" lines to standard error (a process-wide
// instance).
Logger& StderrLogger();

}  // namespace tessera

#endif  // TESSERA_COMMON_LOGGER_H_
