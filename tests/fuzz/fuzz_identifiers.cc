// Identifier checks (oauth/identifiers.h IsSafeIdentifier) and UTF-8 validation
// (common/utf8.h Utf8SequenceLength) on hostile bytes.
//
// Invariants checked beyond the sanitizers:
//   - Utf8SequenceLength agrees with a reference decoder written from RFC 3629 section 4 (code
//     point ranges instead of byte tables) at every offset, and never reads past `left`;
//   - IsSafeIdentifier agrees with a reference built on that decoder (non-empty, at most max_len
//     bytes, valid UTF-8, no C0 or DEL), for the default and for a fuzzed max_len;
//   - a safe identifier goes through JSON unchanged: jose::DumpCompact(Json(s)) parses back with
//     jose::ParseStrictJson to the same string (no U+FFFD substitution, no lost byte).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "common/utf8.h"
#include "fuzz_support.h"
#include "jose/json.h"
#include "oauth/identifiers.h"

namespace tessera::fuzz {
namespace {

// The length of the UTF-8 sequence at p[0..left), decoded to a code point and checked against
// the ranges of RFC 3629: 0 if it is not a valid multi-byte sequence.
std::size_t ReferenceLength(const unsigned char* p, std::size_t left) {
  std::size_t n;
  uint32_t cp;
  if (p[0] >= 0xC0 && p[0] < 0xE0) {
    n = 2;
    cp = p[0] & 0x1F;
  } else if (p[0] >= 0xE0 && p[0] < 0xF0) {
    n = 3;
    cp = p[0] & 0x0F;
  } else if (p[0] >= 0xF0 && p[0] < 0xF8) {
    n = 4;
    cp = p[0] & 0x07;
  } else {
    return 0;
  }
  if (left < n) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n]) return 0;                  // overlong
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;  // UTF-16 surrogates
  if (cp > 0x10FFFF) return 0;                 // beyond Unicode
  return n;
}

bool ReferenceSafe(std::string_view s, std::size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  for (std::size_t i = 0; i < s.size();) {
    if (u[i] < 0x20 || u[i] == 0x7F) return false;
    if (u[i] < 0x80) {
      ++i;
      continue;
    }
    const std::size_t len = ReferenceLength(u + i, s.size() - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

void CheckSequenceLengths(std::string_view input) {
  // A heap copy of exactly the input's size, so ASan sees any read past `left`.
  const std::size_t n = input.size();
  std::unique_ptr<unsigned char[]> copy(new unsigned char[n == 0 ? 1 : n]);
  if (n != 0) std::memcpy(copy.get(), input.data(), n);
  for (std::size_t i = 0; i < n; ++i) {
    if (copy[i] < 0x80) continue;
    const std::size_t got = Utf8SequenceLength(copy.get() + i, n - i);
    const std::size_t want = ReferenceLength(copy.get() + i, n - i);
    TESSERA_FUZZ_CHECK(got == want, "offset " + std::to_string(i) + ": " + std::to_string(got) +
                                        " != " + std::to_string(want));
  }
}

void CheckJsonRoundTrip(std::string_view s) {
  const jose::Json value = std::string(s);
  const std::string dumped = jose::DumpCompact(value);
  jose::JsonLimits limits;
  limits.max_bytes = 1 << 20;
  Result<jose::Json> parsed = jose::ParseStrictJson(dumped, limits);
  TESSERA_FUZZ_CHECK(parsed.ok(), dumped + ": " + Describe(parsed.status()));
  TESSERA_FUZZ_CHECK(parsed->is_string() && parsed->get<std::string>() == s, dumped);
}

}  // namespace
}  // namespace tessera::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera;
  std::string_view input = fuzz::AsText(data, size);
  fuzz::CheckSequenceLengths(input);

  const bool safe = oauth::IsSafeIdentifier(input);
  TESSERA_FUZZ_CHECK(safe == fuzz::ReferenceSafe(input, 256), std::string(input));
  if (safe) fuzz::CheckJsonRoundTrip(input);

  // The first byte, when there is one, picks a max_len for the rest.
  if (!input.empty()) {
    const std::size_t max_len = static_cast<uint8_t>(input[0]);
    const std::string_view rest = input.substr(1);
    const bool rest_safe = oauth::IsSafeIdentifier(rest, max_len);
    TESSERA_FUZZ_CHECK(rest_safe == fuzz::ReferenceSafe(rest, max_len), std::string(rest));
    TESSERA_FUZZ_CHECK(
        rest_safe == (oauth::IsSafeIdentifier(rest, rest.size() + 1) && rest.size() <= max_len),
        std::string(rest));
    if (rest_safe) fuzz::CheckJsonRoundTrip(rest);
  }
  return 0;
}
