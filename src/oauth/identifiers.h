// Identifiers from outside (client ids, userNames, jti, iss): what may reach the store.
//
// Form values are percent-decoded bytes and JSON strings may carry "\u0000", but every backend
// must store and compare identifiers byte for byte, and PostgreSQL refuses NUL and invalid UTF-8.
// An identifier is therefore accepted only if it is non-empty, at most `max_len` bytes of valid
// UTF-8, and free of control characters (C0, DEL). Anything else is refused before any look-up,
// with the same answer as an unknown name.
#ifndef TESSERA_OAUTH_IDENTIFIERS_H_
#define TESSERA_OAUTH_IDENTIFIERS_H_

#include <cstddef>
#include <string_view>

namespace tessera::oauth {

inline bool IsSafeIdentifier(std::string_view s, std::size_t max_len = 256) {
  if (s.empty() || s.size() > max_len) return false;
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = u[i];
    if (c < 0x20 || c == 0x7F) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    // RFC 3629 section 4: no overlong forms, no surrogates, nothing above U+10FFFF.
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + len > n || u[i + 1] < lo || u[i + 1] > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      if (u[i + k] < 0x80 || u[i + k] > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_IDENTIFIERS_H_
