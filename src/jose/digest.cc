#include "jose/digest.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstdlib>

#include "jose/key.h"

namespace tessera::jose {

std::string Sha256(std::string_view bytes) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof(md));
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  // One HMAC in the JOSE layer (jose::Hmac); it fails only on allocation failure. No caller can go
  // on without its MAC, and an empty tag could be mistaken for a value, so stop here.
  Result<std::string> tag = Hmac(Algorithm::kHS256, key, message);
  if (!tag.ok()) std::abort();
  return std::move(tag).value();
}

}  // namespace tessera::jose
