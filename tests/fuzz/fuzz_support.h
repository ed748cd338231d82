// Shared pieces of the libFuzzer harnesses: invariant checks that crash (so libFuzzer keeps the
// input), and the fixed keys every harness verifies with.
//
// A harness calls the code under test on the fuzzer's bytes and then checks, with
// TESSERA_FUZZ_CHECK, properties the headers promise (a strict decoder has one encoding per
// value, a key pinned to RS256 refuses ES256 with kAlgNotAllowed, ...). A failed check prints the
// condition and aborts; ASan and UBSan catch memory and undefined-behaviour errors on their own.
#ifndef TESSERA_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define TESSERA_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jose/key.h"
#include "tessera/status.h"

// Aborts with `cond` and `detail` (a std::string_view) printed when `cond` is false.
#define TESSERA_FUZZ_CHECK(cond, detail)                                            \
  do {                                                                              \
    if (!(cond)) ::tessera::fuzz::CheckFailed(__FILE__, __LINE__, #cond, (detail)); \
  } while (0)

namespace tessera::fuzz {

[[noreturn]] void CheckFailed(const char* file, int line, const char* cond,
                              std::string_view detail);

// The status's text, for CHECK details.
std::string Describe(const Status& s);

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Verification keys, as a server holds them (public halves; HMAC holds its secret).
struct FuzzKeys {
  jose::Key rsa;      // RSA-2048 (keys/rsa2048.pem), pinned to RS256..RS512 and PS256..PS512
  jose::Key p256;     // RFC 7515 appendix A.3 key, ES256
  jose::Key p384;     // keys/p384.pem, ES384
  jose::Key ed25519;  // RFC 8037 appendix A key, EdDSA
  jose::Key hmac;     // RFC 7515 appendix A.1 secret (64 bytes), HS256, HS384 and HS512
  std::vector<const jose::Key*> all;
};

// Loaded once; aborts if the embedded keys do not load (a broken build, not a finding).
const FuzzKeys& Keys();

// The embedded key files (fuzz_keys.cc, generated from keys/ at configure time).
std::string_view RsaPem();
std::string_view P256Pem();
std::string_view P384Pem();
std::string_view Ed25519Pem();
std::string_view HmacHex();

}  // namespace tessera::fuzz

#endif  // TESSERA_TESTS_FUZZ_FUZZ_SUPPORT_H_
