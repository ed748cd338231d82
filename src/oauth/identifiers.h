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

#include "common/utf8.h"

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
    const std::size_t len = Utf8SequenceLength(u + i, n - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_IDENTIFIERS_H_
