// Secure randomness and constant-time comparison.
//
// RandomBytes draws from OpenSSL's CSPRNG (RAND_bytes); it aborts the process if the generator
// cannot be seeded, because no caller can continue safely without randomness. Small requests
// are served from a per-thread reserve of the generator's output, drawn 4 KiB at a time; each
// byte is handed out once, and a forked child starts without its parent's reserve.
#ifndef TESSERA_COMMON_RANDOM_H_
#define TESSERA_COMMON_RANDOM_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace tessera {

// `n` bytes from the CSPRNG.
std::string RandomBytes(std::size_t n);

// A base64url string (no padding) of `n_bytes` random bytes: URL-safe and within the RFC 3986
// unreserved set, so it needs no encoding in a URL, a form or a Basic credential.
std::string RandomToken(std::size_t n_bytes);

// A random UUID version 4 in canonical text form (used for jti and ids).
std::string RandomUuid();

// True iff a and b have the same length and bytes. The time taken depends only on the lengths,
// never on where the first difference is (RFC 7518 3.2 asks this of MAC comparison).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace tessera

#endif  // TESSERA_COMMON_RANDOM_H_
