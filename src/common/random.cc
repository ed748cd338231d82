#include "common/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace tessera {
namespace {

void Fill(unsigned char* out, std::size_t n) {
  if (n > 0 && RAND_bytes(out, static_cast<int>(n)) != 1) {
    // Without randomness no secret, jti or key can be made safely: stop rather than continue.
    std::fputs("tessera: the random generator failed; aborting\n", stderr);
    std::abort();
  }
}

// Bytes drawn ahead from the generator, one reserve a thread. A call to RAND_bytes costs about
// as much for 4 KiB as for 16 bytes (the DRBG's work per call dominates), and the token endpoint
// asks for 16 bytes a few times a request. Each byte is handed out once and wiped as it is
// taken; what is left unused is wiped when the thread ends.
struct Reserve {
  static constexpr std::size_t kBytes = 4096;
  static constexpr std::size_t kLargestTaken = 64;  // longer requests go to the generator
  unsigned char bytes[kBytes];
  std::size_t next = kBytes;  // the first byte not yet handed out
  ~Reserve() { OPENSSL_cleanse(bytes, sizeof(bytes)); }
};
thread_local std::unique_ptr<Reserve> reserve;

// A child of fork() would hand out the same bytes as its parent: it empties the reserve it
// inherits (the forking thread's, the only thread a child has). Wiped, not freed: a child
// handler runs where little more than that is safe.
void EmptyReserve() {
  if (!reserve) return;
  OPENSSL_cleanse(reserve->bytes, sizeof(reserve->bytes));
  reserve->next = Reserve::kBytes;
}
[[maybe_unused]] const int kForkHandler = pthread_atfork(nullptr, nullptr, EmptyReserve);

}  // namespace

std::string RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (n > Reserve::kLargestTaken) {
    Fill(o, n);
    return out;
  }
  if (!reserve) reserve = std::make_unique<Reserve>();
  Reserve& r = *reserve;
  if (Reserve::kBytes - r.next < n) {
    Fill(r.bytes, Reserve::kBytes);
    r.next = 0;
  }
  std::memcpy(o, r.bytes + r.next, n);
  OPENSSL_cleanse(r.bytes + r.next, n);
  r.next += n;
  return out;
}

std::string RandomToken(std::size_t n_bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::string raw = RandomBytes(n_bytes);
  std::string out;
  out.reserve((n_bytes * 4 + 2) / 3);
  unsigned int acc = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

std::string RandomUuid() {
  std::string b = RandomBytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    const auto c = static_cast<unsigned char>(b[i]);
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tessera
