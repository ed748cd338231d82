#include "jose/json.h"

#include <charconv>
#include <cmath>
#include <string>

#include "common/utf8.h"
#include "jose/error.h"

namespace tessera::jose {
namespace {

// A recursive-descent parser for RFC 8259 JSON that builds nlohmann::json directly.
//
// Why not nlohmann's own parser: its lexer copies every byte through a token buffer (half the
// cost of verifying an RS256 assertion besides the RSA operation), it accepts a UTF-8 byte
// order mark, and duplicate member names need a second pass. Here every rule a JWT verifier
// needs is one explicit check: no BOM, no comments, no trailing bytes; strings of valid UTF-8
// (no overlong forms, no surrogates, nothing above U+10FFFF) with control characters escaped and
// \u escapes forming valid scalar values; numbers in the JSON grammar that fit a double; no
// repeated member name in any object (RFC 7515 5.2, RFC 8725 3.11); bounded depth. Recursion
// depth is bounded by max_depth, checked before descending.
class Parser {
 public:
  Parser(std::string_view text, int max_depth)
      : p_(text.data()), end_(text.data() + text.size()), max_depth_(max_depth) {}

  Status Parse(Json& out) {
    SkipWhitespace();
    if (!ParseValue(out, 0)) return error_;
    SkipWhitespace();
    if (p_ != end_) {
      Fail(JoseError::kBadJson, "trailing bytes after the JSON value");
      return error_;
    }
    return Status::Ok();
  }

 private:
  bool Fail(JoseError e, const char* what) {
    if (error_.ok()) error_ = JoseFailure(e, what);
    return false;
  }

  void SkipWhitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool Expect(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  bool ParseValue(Json& out, int depth) {
    if (p_ == end_) return Fail(JoseError::kBadJson, "unexpected end of input");
    switch (*p_) {
      case '{':
        return ParseObject(out, depth + 1);
      case '[':
        return ParseArray(out, depth + 1);
      case '"': {
        std::string s;
        if (!ParseString(s)) return false;
        out = std::move(s);
        return true;
      }
      case 't':
        return Literal("true", out, Json(true));
      case 'f':
        return Literal("false", out, Json(false));
      case 'n':
        return Literal("null", out, Json(nullptr));
      default:
        return ParseNumber(out);
    }
  }

  bool Literal(std::string_view word, Json& out, Json value) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return Fail(JoseError::kBadJson, "invalid literal");
    }
    p_ += word.size();
    out = std::move(value);
    return true;
  }

  bool ParseObject(Json& out, int depth) {
    if (depth > max_depth_) return Fail(JoseError::kJsonTooDeep, "nesting beyond the limit");
    ++p_;  // '{'
    out = Json::object();
    auto& object = out.get_ref<Json::object_t&>();
    SkipWhitespace();
    if (Expect('}')) return true;
    for (;;) {
      if (p_ == end_ || *p_ != '"') return Fail(JoseError::kBadJson, "expected a member name");
      std::string key;
      if (!ParseString(key)) return false;
      SkipWhitespace();
      if (!Expect(':')) return Fail(JoseError::kBadJson, "expected ':'");
      SkipWhitespace();
      auto [it, inserted] = object.emplace(std::move(key), nullptr);
      if (!inserted) {
        // RFC 7515 5.2 / RFC 8725 3.11: never "last one wins": one component could read the
        // first value and another the last.
        error_ =
            JoseFailure(JoseError::kDuplicateMember, "member \"" + it->first.substr(0, 64) + "\"");
        return false;
      }
      if (!ParseValue(it->second, depth)) return false;
      SkipWhitespace();
      if (Expect('}')) return true;
      if (!Expect(',')) return Fail(JoseError::kBadJson, "expected ',' or '}'");
      SkipWhitespace();
    }
  }

  bool ParseArray(Json& out, int depth) {
    if (depth > max_depth_) return Fail(JoseError::kJsonTooDeep, "nesting beyond the limit");
    ++p_;  // '['
    out = Json::array();
    auto& array = out.get_ref<Json::array_t&>();
    SkipWhitespace();
    if (Expect(']')) return true;
    for (;;) {
      array.emplace_back();
      if (!ParseValue(array.back(), depth)) return false;
      SkipWhitespace();
      if (Expect(']')) return true;
      if (!Expect(',')) return Fail(JoseError::kBadJson, "expected ',' or ']'");
      SkipWhitespace();
    }
  }

  static void AppendUtf8(std::string& s, uint32_t cp) {
    if (cp < 0x80) {
      s.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool Hex4(uint32_t& v) {
    if (end_ - p_ < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = *p_++;
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }

  // One UTF-8 sequence starting at p_ (a byte >= 0x80), validated per RFC 3629 section 4.
  bool Utf8Sequence(std::string& s) {
    const size_t n = Utf8SequenceLength(reinterpret_cast<const unsigned char*>(p_),
                                        static_cast<size_t>(end_ - p_));
    if (n == 0) return Fail(JoseError::kBadJson, "invalid UTF-8");
    s.append(p_, n);
    p_ += n;
    return true;
  }

  bool ParseString(std::string& s) {
    ++p_;  // opening quote
    for (;;) {
      // Fast path: a run of plain printable ASCII.
      const char* run = p_;
      while (p_ != end_) {
        const auto c = static_cast<unsigned char>(*p_);
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
        ++p_;
      }
      s.append(run, static_cast<size_t>(p_ - run));
      if (p_ == end_) return Fail(JoseError::kBadJson, "unterminated string");
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return Fail(JoseError::kBadJson, "unescaped control character in a string");
      if (c >= 0x80) {
        if (!Utf8Sequence(s)) return false;
        continue;
      }
      // An escape.
      ++p_;
      if (p_ == end_) return Fail(JoseError::kBadJson, "unterminated escape");
      const char e = *p_++;
      switch (e) {
        case '"':
          s.push_back('"');
          break;
        case '\\':
          s.push_back('\\');
          break;
        case '/':
          s.push_back('/');
          break;
        case 'b':
          s.push_back('\b');
          break;
        case 'f':
          s.push_back('\f');
          break;
        case 'n':
          s.push_back('\n');
          break;
        case 'r':
          s.push_back('\r');
          break;
        case 't':
          s.push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(cp)) return Fail(JoseError::kBadJson, "invalid \\u escape");
          if (cp >= 0xDC00 && cp <= 0xDFFF) return Fail(JoseError::kBadJson, "lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low = 0;
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
              return Fail(JoseError::kBadJson, "lone high surrogate");
            p_ += 2;
            if (!Hex4(low) || low < 0xDC00 || low > 0xDFFF)
              return Fail(JoseError::kBadJson, "invalid surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(s, cp);
          break;
        }
        default:
          return Fail(JoseError::kBadJson, "invalid escape");
      }
    }
  }

  bool ParseNumber(Json& out) {
    const char* start = p_;
    bool integral = true;
    if (p_ != end_ && *p_ == '-') ++p_;
    if (p_ == end_) return Fail(JoseError::kBadJson, "invalid value");
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    } else {
      return Fail(JoseError::kBadJson, "invalid value");
    }
    if (p_ != end_ && *p_ == '.') {
      integral = false;
      ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return Fail(JoseError::kBadJson, "invalid number");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return Fail(JoseError::kBadJson, "invalid number");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (integral) {
      if (*start == '-') {
        int64_t v = 0;
        if (std::from_chars(start, p_, v).ec == std::errc()) {
          out = v;
          return true;
        }
      } else {
        uint64_t v = 0;
        if (std::from_chars(start, p_, v).ec == std::errc()) {
          if (v <= static_cast<uint64_t>(INT64_MAX)) {
            out = static_cast<int64_t>(v);
          } else {
            out = v;
          }
          return true;
        }
      }
      // Integers beyond 64 bits fall through to a double, as JSON numbers are.
    }
    double d = 0;
    auto [ptr, ec] = std::from_chars(start, p_, d);
    if (ec != std::errc() || ptr != p_ || !std::isfinite(d))
      return Fail(JoseError::kBadJson, "number out of range");
    out = d;
    return true;
  }

  const char* p_;
  const char* const end_;
  const int max_depth_;
  Status error_;
};

}  // namespace

Result<Json> ParseStrictJson(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return JoseFailure(JoseError::kTooLarge, "JSON of " + std::to_string(text.size()) + " bytes");
  }
  Json root;
  Parser parser(text, limits.max_depth);
  TESSERA_RETURN_IF_ERROR(parser.Parse(root));
  return root;
}

namespace {

// Appends `s` as a JSON string. Tessera's strings are valid UTF-8 (the parser guarantees it for
// input, the code for its own), but a stray invalid byte becomes U+FFFD rather than invalid JSON.
void WriteString(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t run = 0;  // start of the pending run of bytes copied as they are
  for (size_t i = 0; i < n;) {
    const unsigned char c = u[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    size_t len = 1;
    if (c >= 0x80) {
      const size_t valid = Utf8SequenceLength(u + i, n - i);  // valid ones stay in the run
      if (valid != 0) {
        i += valid;
        continue;
      }
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out += "\xef\xbf\xbd";  // U+FFFD for an invalid byte
        }
    }
    i += len;
    run = i;
  }
  out.append(s.data() + run, n - run);
  out.push_back('"');
}

void WriteValue(const Json& v, std::string& out) {
  char buf[32];
  switch (v.type()) {
    case Json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, value] : v.get_ref<const Json::object_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        WriteString(key, out);
        out.push_back(':');
        WriteValue(value, out);
      }
      out.push_back('}');
      return;
    }
    case Json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& value : v.get_ref<const Json::array_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        WriteValue(value, out);
      }
      out.push_back(']');
      return;
    }
    case Json::value_t::string:
      WriteString(v.get_ref<const std::string&>(), out);
      return;
    case Json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::number_integer: {
      auto r = std::to_chars(buf, buf + sizeof(buf), v.get<int64_t>());
      out.append(buf, r.ptr);
      return;
    }
    case Json::value_t::number_unsigned: {
      auto r = std::to_chars(buf, buf + sizeof(buf), v.get<uint64_t>());
      out.append(buf, r.ptr);
      return;
    }
    case Json::value_t::number_float: {
      const double d = v.get<double>();
      if (!std::isfinite(d)) {
        out += "null";  // JSON has no infinities; the parser never produces them
        return;
      }
      auto r = std::to_chars(buf, buf + sizeof(buf), d);  // shortest round-trip form
      const std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
      out += text;
      if (text.find_first_of(".e") == std::string_view::npos) out += ".0";  // stays a float
      return;
    }
    default:
      out += "null";
      return;
  }
}

}  // namespace

JsonObjectWriter::JsonObjectWriter() {
  out_.reserve(512);
  out_.push_back('{');
}

void JsonObjectWriter::Name(std::string_view name) {
  if (out_.size() > 1) out_.push_back(',');
  WriteString(name, out_);
  out_.push_back(':');
}

JsonObjectWriter& JsonObjectWriter::String(std::string_view name, std::string_view value) {
  Name(name);
  WriteString(value, out_);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::Int(std::string_view name, int64_t value) {
  Name(name);
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), value);
  out_.append(buf, r.ptr);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::Value(std::string_view name, const Json& value) {
  Name(name);
  WriteValue(value, out_);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::Raw(std::string_view name, std::string_view json) {
  Name(name);
  out_ += json;
  return *this;
}

std::string JsonObjectWriter::Finish() {
  out_.push_back('}');
  std::string done = std::move(out_);
  out_.assign(1, '{');
  return done;
}

std::string DumpCompact(const Json& value) {
  // A direct writer: nlohmann's serializer checks UTF-8 byte by byte through a state machine,
  // which made serialising a token's header and claims cost as much as parsing them.
  std::string out;
  out.reserve(256);
  WriteValue(value, out);
  return out;
}

}  // namespace tessera::jose
