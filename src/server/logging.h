// How `tessera serve` writes its log: one record per line on standard output, as text or JSON
// (contract section 8, `--log-format text|json`).
//
//   text: 2026-12-04T20:56:54.123Z [warning] ecid=3kF... endpoint=token rejected reason=...
//   json: {"ts":"2026-12-04T20:56:54.123Z","level":"warning","msg":"ecid=3kF... endpoint=...",
//          "ecid":"3kF..."}
//
// `ts` is RFC 3339 in UTC with milliseconds; `level` is trace, debug, info, warning, error or
// critical. A request's records start with `ecid=<id>` (after an optional component word such as
// "http" or "gateway:"); the JSON form repeats that id as the `ecid` member. The id is read only
// there, where the code and not the request wrote it, so a value quoted later in the record can
// never pass for it.
//
// Request values reach a record only through LogValue (common/log_value.h). As a second line of
// defence the formatter escapes any control byte or invalid UTF-8 left in a message (text), or
// JSON-escapes the message (json), so a record is one line whatever a caller passed.
#ifndef TESSERA_SERVER_LOGGING_H_
#define TESSERA_SERVER_LOGGING_H_

#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/logger.h"
#include "tessera/status.h"

namespace tessera::server {

enum class LogFormat { kText, kJson };

// The formatter of one format, for spdlog sinks (exposed for tests).
std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format);

// The ecid a message names at its start ("" when none), as the JSON form reports it.
std::string_view RecordEcid(std::string_view payload);

// Makes the default logger write `format` ("text" or "json") at `level` and above.
Status ConfigureLogging(const std::string& format, const std::string& level);

// The server's log (spdlog's default logger, as ConfigureLogging set it) as the Logger that
// domain code writes to (a process-wide instance).
Logger& ServerLogger();

}  // namespace tessera::server

#endif  // TESSERA_SERVER_LOGGING_H_
