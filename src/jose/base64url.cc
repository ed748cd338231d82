#include "jose/base64url.h"

#include <array>
#include <cstdint>

#include "jose/error.h"

namespace tessera::jose {
namespace {

constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kStdAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeTable(const char* alphabet) {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kUrlTable = MakeTable(kUrlAlphabet);
constexpr auto kStdTable = MakeTable(kStdAlphabet);

// Appends the encoding of `bytes` to `out`, written through a pointer into space sized once.
void Encode(std::string_view bytes, const char* alphabet, bool pad, std::string& out) {
  const size_t full = bytes.size() / 3, rest = bytes.size() % 3;
  const size_t tail = rest == 0 ? 0 : pad ? 4 : rest + 1;
  const size_t start = out.size();
  out.resize(start + full * 4 + tail);
  char* o = out.data() + start;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (size_t i = 0; i < full * 3; i += 3) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    *o++ = alphabet[(v >> 18) & 63];
    *o++ = alphabet[(v >> 12) & 63];
    *o++ = alphabet[(v >> 6) & 63];
    *o++ = alphabet[v & 63];
  }
  if (rest == 0) return;
  const size_t i = full * 3;
  const uint32_t v = (uint32_t{p[i]} << 16) | (rest == 2 ? uint32_t{p[i + 1]} << 8 : 0);
  *o++ = alphabet[(v >> 18) & 63];
  *o++ = alphabet[(v >> 12) & 63];
  if (rest == 2) *o++ = alphabet[(v >> 6) & 63];
  if (pad) *o++ = '=';
  if (pad && rest == 1) *o++ = '=';
}

// Decodes `text` (no padding, no foreign characters) with `table`; enforces canonical tail bits.
// Four characters at a time into a pre-sized buffer: this runs over every token on the hot path.
Result<std::string> DecodeUnpadded(std::string_view text, const std::array<int8_t, 256>& table) {
  const size_t n = text.size();
  if (n % 4 == 1) return JoseFailure(JoseError::kBadBase64Url, "impossible length");
  std::string out(n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1), '\0');
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  char* o = out.data();
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    // The table's int8_t entries are numbers (-1 or 0..63), not characters.
    // NOLINTBEGIN(bugprone-signed-char-misuse)
    const int32_t a = table[in[i]], b = table[in[i + 1]], c = table[in[i + 2]],
                  d = table[in[i + 3]];
    // NOLINTEND(bugprone-signed-char-misuse)
    if ((a | b | c | d) < 0)
      return JoseFailure(JoseError::kBadBase64Url, "character outside the alphabet");
    const uint32_t v = (static_cast<uint32_t>(a) << 18) | (static_cast<uint32_t>(b) << 12) |
                       (static_cast<uint32_t>(c) << 6) | static_cast<uint32_t>(d);
    *o++ = static_cast<char>(v >> 16);
    *o++ = static_cast<char>((v >> 8) & 0xff);
    *o++ = static_cast<char>(v & 0xff);
  }
  const size_t rest = n - i;
  if (rest > 0) {
    // NOLINTNEXTLINE(bugprone-signed-char-misuse): numbers, as above
    const int32_t a = table[in[i]], b = table[in[i + 1]], c = rest == 3 ? table[in[i + 2]] : 0;
    if ((a | b | c) < 0)
      return JoseFailure(JoseError::kBadBase64Url, "character outside the alphabet");
    const uint32_t v = (static_cast<uint32_t>(a) << 18) | (static_cast<uint32_t>(b) << 12) |
                       (static_cast<uint32_t>(c) << 6);
    // RFC 4648 3.5: the pad bits must be zero, else two encodings decode to the same bytes.
    if ((rest == 2 && (v & 0xffff) != 0) || (rest == 3 && (v & 0xff) != 0)) {
      return JoseFailure(JoseError::kBadBase64Url, "non-canonical trailing bits");
    }
    *o++ = static_cast<char>(v >> 16);
    if (rest == 3) *o++ = static_cast<char>((v >> 8) & 0xff);
  }
  return out;
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  Encode(bytes, kUrlAlphabet, false, out);
  return out;
}

void Base64UrlAppend(std::string_view bytes, std::string& out) {
  Encode(bytes, kUrlAlphabet, false, out);
}

Result<std::string> Base64UrlDecode(std::string_view text) {
  return DecodeUnpadded(text, kUrlTable);
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  Encode(bytes, kStdAlphabet, true, out);
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  std::string compact;
  compact.reserve(text.size());
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    compact.push_back(c);
  }
  if (compact.size() % 4 != 0) return JoseFailure(JoseError::kBadBase64Url, "base64 length");
  size_t pad = 0;
  while (pad < 2 && !compact.empty() && compact[compact.size() - 1 - pad] == '=') ++pad;
  compact.resize(compact.size() - pad);
  return DecodeUnpadded(compact, kStdTable);
}

}  // namespace tessera::jose
