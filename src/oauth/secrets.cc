#include "oauth/secrets.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/random.h"
#include "jose/base64url.h"

namespace tessera::oauth {
namespace {

std::string Mac(std::string_view salt, std::string_view secret) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fetched once: OpenSSL 3 would look the digest up again on every call (every token request).
  static const EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  HMAC(kSha256, salt.data(), static_cast<int>(salt.size()),
       reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
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

std::string HashSecret(std::string_view secret) {
  const std::string salt = RandomBytes(16);
  return "hs256$" + jose::Base64UrlEncode(salt) + "$" + jose::Base64UrlEncode(Mac(salt, secret));
}

bool VerifySecret(std::string_view secret, std::string_view stored) {
  constexpr std::string_view kPrefix = "hs256$";
  if (stored.substr(0, kPrefix.size()) != kPrefix) return false;
  stored.remove_prefix(kPrefix.size());
  const size_t dollar = stored.find('$');
  if (dollar == std::string_view::npos) return false;
  Result<std::string> salt = jose::Base64UrlDecode(stored.substr(0, dollar));
  Result<std::string> expected = jose::Base64UrlDecode(stored.substr(dollar + 1));
  if (!salt.ok() || !expected.ok()) return false;
  return ConstantTimeEquals(Mac(*salt, secret), *expected);
}

}  // namespace tessera::oauth
