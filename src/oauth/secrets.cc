#include "oauth/secrets.h"

#include <argon2.h>

#include <cstdlib>
#include <vector>

#include "common/random.h"
#include "jose/base64url.h"
#include "jose/key.h"

namespace tessera::oauth {
namespace {

constexpr std::string_view kHs256Prefix = "hs256$";
constexpr std::string_view kArgon2idPrefix = "$argon2id$";
// RFC 9106 4 and OWASP: m = 19 MiB, t = 2, p = 1 is the recommended minimum for Argon2id.
constexpr uint32_t kArgonMemoryKiB = 19 * 1024;
constexpr uint32_t kArgonPasses = 2;
constexpr uint32_t kArgonLanes = 1;
constexpr size_t kArgonSaltBytes = 16;
constexpr size_t kArgonHashBytes = 32;
// A stored hash's cost is bounded when it is verified: a row edited to ask for gigabytes must
// not take the server down.
constexpr size_t kMaxEncodedHash = 256;

Result<std::string> Mac(std::string_view salt, std::string_view secret) {
  return jose::Hmac(jose::Algorithm::kHS256, salt, secret);
}

bool VerifyHs256(std::string_view secret, std::string_view stored) {
  stored.remove_prefix(kHs256Prefix.size());
  const size_t dollar = stored.find('$');
  if (dollar == std::string_view::npos) return false;
  Result<std::string> salt = jose::Base64UrlDecode(stored.substr(0, dollar));
  Result<std::string> expected = jose::Base64UrlDecode(stored.substr(dollar + 1));
  if (!salt.ok() || !expected.ok()) return false;
  Result<std::string> mac = Mac(*salt, secret);
  // A MAC that cannot be computed matches nothing.
  return mac.ok() && ConstantTimeEquals(*mac, *expected);
}

bool VerifyArgon2id(std::string_view secret, std::string_view stored) {
  if (stored.size() > kMaxEncodedHash) return false;
  // Only the parameters HashChosenSecret writes (or cheaper): the cost of a check is ours to
  // bound, not the stored row's.
  const std::string params = "v=19$m=" + std::to_string(kArgonMemoryKiB) +
                             ",t=" + std::to_string(kArgonPasses) +
                             ",p=" + std::to_string(kArgonLanes) + "$";
  if (stored.substr(kArgon2idPrefix.size(), params.size()) != params) return false;
  const std::string encoded(stored);
  // argon2id_verify recomputes the hash and compares it in constant time (argon2_compare).
  return argon2id_verify(encoded.c_str(), secret.data(), secret.size()) == ARGON2_OK;
}

}  // namespace

std::string GenerateClientSecret() { return RandomToken(32); }

std::string GenerateClientId() {
  // 128 bits, hex: unreserved, case-insensitive-safe, easy to read aloud.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string raw = RandomBytes(16), out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

Result<std::string> HashSecret(std::string_view secret) {
  const std::string salt = RandomBytes(16);
  TESSERA_ASSIGN_OR_RETURN(std::string mac, Mac(salt, secret));
  return std::string(kHs256Prefix) + jose::Base64UrlEncode(salt) + "$" + jose::Base64UrlEncode(mac);
}

std::string HashChosenSecret(std::string_view secret) {
  const std::string salt = RandomBytes(kArgonSaltBytes);
  const size_t len = argon2_encodedlen(kArgonPasses, kArgonMemoryKiB, kArgonLanes, kArgonSaltBytes,
                                       kArgonHashBytes, Argon2_id);
  std::vector<char> encoded(len);
  const int rc = argon2id_hash_encoded(kArgonPasses, kArgonMemoryKiB, kArgonLanes, secret.data(),
                                       secret.size(), salt.data(), salt.size(), kArgonHashBytes,
                                       encoded.data(), encoded.size());
  // Fails only on out-of-range arguments (ours are constant) or no memory: nothing to recover.
  if (rc != ARGON2_OK) std::abort();
  return std::string(encoded.data());
}

bool VerifySecret(std::string_view secret, std::string_view stored) {
  if (stored.substr(0, kHs256Prefix.size()) == kHs256Prefix) return VerifyHs256(secret, stored);
  if (IsChosenSecretHash(stored)) return VerifyArgon2id(secret, stored);
  return false;
}

bool IsChosenSecretHash(std::string_view stored) {
  return stored.substr(0, kArgon2idPrefix.size()) == kArgon2idPrefix;
}

}  // namespace tessera::oauth
