#include "http/form.h"

#include <array>
#include <cstdint>
#include <utility>

namespace tessera::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parameter names come from the client: quote a bounded prefix only, so an error message (and
// the log line that carries it) cannot be made arbitrarily large.
std::string QuoteName(std::string_view name) {
  constexpr std::size_t kMax = 64;
  std::string out = "'";
  out.append(name.substr(0, kMax));
  if (name.size() > kMax) out += "...";
  out += "'";
  return out;
}

Result<std::map<std::string, std::string>> ParseUrlEncoded(std::string_view input) {
  std::map<std::string, std::string> out;
  std::size_t count = 0;
  while (!input.empty()) {
    std::size_t amp = input.find('&');
    std::string_view piece = input.substr(0, amp);
    input = amp == std::string_view::npos ? std::string_view() : input.substr(amp + 1);
    if (piece.empty()) continue;  // WHATWG: "a&&b" and a trailing '&' are not parameters
    if (++count > kMaxFormParameters) {
      return Status::InvalidArgument("more than " + std::to_string(kMaxFormParameters) +
                                     " parameters");
    }
    std::size_t eq = piece.find('=');
    std::string_view raw_name = piece.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    Result<std::string> name = PercentDecode(raw_name, /*plus_is_space=*/true);
    if (!name.ok()) return name.status().WithContext("parameter name");
    Result<std::string> value = PercentDecode(raw_value, /*plus_is_space=*/true);
    if (!value.ok()) {
      return value.status().WithContext("parameter " + QuoteName(*name));
    }
    auto [it, inserted] = out.try_emplace(std::move(*name), std::move(*value));
    if (!inserted) {
      return Status::InvalidArgument("parameter " + QuoteName(it->first) + " is repeated");
    }
  }
  return out;
}

// RFC 4648 4 alphabet; -1 for bytes outside it.
constexpr std::array<int8_t, 256> MakeBase64Table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr std::array<int8_t, 256> kBase64 = MakeBase64Table();

// Standard base64 with mandatory padding. The trailing bits of the last group are not
// checked: clients' encoders differ there and the value is unambiguous anyway.
Result<std::string> DecodeBase64(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) {
    return Status::InvalidArgument("credentials are not base64 (length)");
  }
  std::size_t pad = 0;
  if (in.back() == '=') pad = (in[in.size() - 2] == '=') ? 2 : 1;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    bool last = i + 4 == in.size();
    uint32_t group = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      char c = in[i + j];
      int v;
      if (c == '=' && last && j >= 4 - pad) {
        v = 0;
      } else {
        // The table's int8_t entries are numbers (-1 or 0..63), not characters.
        v = kBase64[static_cast<unsigned char>(c)];  // NOLINT(bugprone-signed-char-misuse)
        if (v < 0) return Status::InvalidArgument("credentials are not base64");
      }
      group = (group << 6) | static_cast<uint32_t>(v);
    }
    out.push_back(static_cast<char>(group >> 16));
    if (!last || pad < 2) out.push_back(static_cast<char>((group >> 8) & 0xff));
    if (!last || pad < 1) out.push_back(static_cast<char>(group & 0xff));
  }
  return out;
}

bool IEqualsAscii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

Result<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 1 < s.size() ? HexValue(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) return Status::InvalidArgument("bad percent-escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::map<std::string, std::string>> ParseForm(std::string_view body) {
  return ParseUrlEncoded(body);
}

Result<std::map<std::string, std::string>> ParseQuery(std::string_view query) {
  return ParseUrlEncoded(query);
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xf]);
    }
  }
  return out;
}

Result<BasicCredentials> ParseBasicAuthorization(std::string_view header_value) {
  // RFC 7235 2.1: credentials = auth-scheme [ 1*SP token68 ].
  std::size_t sp = header_value.find(' ');
  if (sp == std::string_view::npos || !IEqualsAscii(header_value.substr(0, sp), "basic")) {
    return Status::InvalidArgument("authorization scheme is not Basic");
  }
  std::string_view token = header_value.substr(sp);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  Result<std::string> decoded = DecodeBase64(token);
  if (!decoded.ok()) return decoded.status();
  std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("Basic credentials have no ':' separator");
  }
  std::string_view text = *decoded;
  Result<std::string> id = PercentDecode(text.substr(0, colon), /*plus_is_space=*/true);
  if (!id.ok()) return id.status().WithContext("Basic client id");
  Result<std::string> secret = PercentDecode(text.substr(colon + 1), /*plus_is_space=*/true);
  if (!secret.ok()) return secret.status().WithContext("Basic client secret");
  if (id->empty()) return Status::InvalidArgument("Basic credentials have an empty client id");
  return BasicCredentials{std::move(*id), std::move(*secret)};
}

}  // namespace tessera::http
