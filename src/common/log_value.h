// LogValue: a value from a request, made safe to put in a log record.
//
// Everything a client sends (client ids, claims such as kid, iss and sub, paths, header values,
// rejection details quoting them) passes through LogValue before it reaches the logger, so that
// no request can forge a log record (CWE-117): a value can neither end the record (CR, LF, NUL),
// nor colour or rewrite the terminal (ESC and other controls), nor pass for another key=value
// pair of the same record, nor fill the disk.
//
// The result is the value itself when it is 1 to kMaxLogValueBytes printable ASCII characters
// other than space, '"', '\\' and '='. Otherwise it is a double-quoted string in which '"', '\\',
// CR, LF, TAB and NUL are written \" \\ \r \n \t \0, every other control byte and every byte
// that is not part of valid UTF-8 is written \xHH, and the invisible or line-breaking code points
// (C1 controls, U+2028/U+2029, bidirectional and zero-width format characters, U+FEFF) are
// written \u{XXXX}. Past kMaxLogValueBytes of output the rest is cut off and replaced by a
// visible mark, `...(N more bytes)`, N counting the bytes of the original value left out.
//
// Example:
//   spdlog::warn("ecid={} rejected client_id={}", ecid, LogValue(client_id));
//   // ecid=ab12 rejected client_id="evil\necid=forged"
#ifndef TESSERA_COMMON_LOG_VALUE_H_
#define TESSERA_COMMON_LOG_VALUE_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace tessera {

// The most bytes of escaped text LogValue keeps of one value (quotes and the mark excluded).
inline constexpr std::size_t kMaxLogValueBytes = 256;

std::string LogValue(std::string_view value, std::size_t max_bytes = kMaxLogValueBytes);

// Escapes control bytes and invalid UTF-8 in a whole log message (the same escapes as LogValue,
// without quoting or truncation), so that one record is always one line whatever reached it.
// Appends to `out`.
void AppendLogLineSafe(std::string_view text, std::string& out);

}  // namespace tessera

#endif  // TESSERA_COMMON_LOG_VALUE_H_
