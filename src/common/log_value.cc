#include "common/log_value.h"

#include <cstdio>

#include "common/utf8.h"

namespace tessera {
namespace {

bool Bare(unsigned char c) { return c > 0x20 && c < 0x7F && c != '"' && c != '\\' && c != '='; }

uint32_t CodePoint(const unsigned char* p, std::size_t n) {
  if (n == 2) return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
  if (n == 3) return ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
  return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
}

// Code points that break a line or hide or reorder text on a terminal or in a viewer.
bool Invisible(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x200B && cp <= 0x200F) ||
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF;
}

// The escaped form of the character at `p` (of `left` bytes), and how many bytes it took.
std::size_t EscapeOne(const unsigned char* p, std::size_t left, std::string& out) {
  const unsigned char c = p[0];
  char buf[16];
  if (c < 0x80) {
    switch (c) {
      case '\n':
        out += "\\n";
        return 1;
      case '\r':
        out += "\\r";
        return 1;
      case '\t':
        out += "\\t";
        return 1;
      case '\0':
        out += "\\0";
        return 1;
      case '\\':
        out += "\\\\";
        return 1;
      case '"':
        out += "\\\"";
        return 1;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7F) {
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
    return 1;
  }
  const std::size_t n = Utf8SequenceLength(p, left);
  if (n == 0) {
    std::snprintf(buf, sizeof buf, "\\x%02X", c);
    out += buf;
    return 1;
  }
  const uint32_t cp = CodePoint(p, n);
  if (Invisible(cp)) {
    std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp));
    out += buf;
  } else {
    out.append(reinterpret_cast<const char*>(p), n);
  }
  return n;
}

}  // namespace

std::string LogValue(std::string_view value, std::size_t max_bytes) {
  bool bare = !value.empty() && value.size() <= max_bytes;
  for (std::size_t i = 0; bare && i < value.size(); ++i)
    bare = Bare(static_cast<unsigned char>(value[i]));
  if (bare) return std::string(value);

  std::string out = "\"";
  const auto* p = reinterpret_cast<const unsigned char*>(value.data());
  std::size_t i = 0;
  while (i < value.size()) {
    std::string one;
    const std::size_t used = EscapeOne(p + i, value.size() - i, one);
    if (out.size() - 1 + one.size() > max_bytes) break;
    out += one;
    i += used;
  }
  out += '"';
  if (i < value.size()) out += "...(" + std::to_string(value.size() - i) + " more bytes)";
  return out;
}

void AppendLogLineSafe(std::string_view text, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t i = 0;
  while (i < text.size()) {
    // Printable ASCII (quotes and backslashes too: LogValue has already quoted the values, and
    // this pass only has to keep the record on one line) is copied as is.
    if (p[i] >= 0x20 && p[i] < 0x7F) {
      out += static_cast<char>(p[i]);
      ++i;
    } else {
      i += EscapeOne(p + i, text.size() - i, out);
    }
  }
}

}  // namespace tessera
