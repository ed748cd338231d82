// JWK and JWK Set import (jose/jwk.h), with every combination of allow_private and
// allow_symmetric, then export of each key obtained.
//
// Invariants:
//   - the options hold: no private key without allow_private, no HMAC key without allow_symmetric;
//   - PublicJwk of an asymmetric key re-imports (default options) as the same key: same type,
//     algorithms, kid and RFC 7638 thumbprint; HMAC keys are never exported;
//   - a private key signs what its own public half verifies (the Ed25519 import already refuses
//     an "x" that is not the public key of "d"; the same must hold for every key type).
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "jose/error.h"
#include "jose/jwk.h"

namespace tessera::fuzz {
namespace {

constexpr std::string_view kMessage = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJmdXp6In0";

void Exercise(const jose::Jwk& jwk, const jose::JwkOptions& options) {
  const jose::Key& key = jwk.key;
  TESSERA_FUZZ_CHECK(key.valid(), "an accepted JWK gave an empty key");
  TESSERA_FUZZ_CHECK(
      options.allow_private || !key.has_private() || key.type() == jose::KeyType::kHmac,
      "private key accepted without allow_private");
  TESSERA_FUZZ_CHECK(options.allow_symmetric || key.type() != jose::KeyType::kHmac,
                     "oct key accepted without allow_symmetric");
  TESSERA_FUZZ_CHECK(
      !key.algorithms().empty() && key.algorithms().IsSubsetOf(key.CompatibleAlgorithms()),
      key.algorithms().ToString());

  Result<jose::Json> pub = jose::PublicJwk(key, jwk.kid);
  Result<std::string> thumbprint = jose::JwkThumbprint(key);
  if (key.type() == jose::KeyType::kHmac) {
    TESSERA_FUZZ_CHECK(
        !pub.ok() && jose::JoseErrorOf(pub.status()) == jose::JoseError::kKeyUnsupported,
        "HMAC secret exported as a JWK");
    TESSERA_FUZZ_CHECK(!thumbprint.ok(), "HMAC thumbprint");
    return;
  }
  TESSERA_FUZZ_CHECK(pub.ok(), Describe(pub.status()));
  TESSERA_FUZZ_CHECK(thumbprint.ok(), Describe(thumbprint.status()));
  const std::string text = jose::DumpCompact(*pub);
  Result<jose::Jwk> again = jose::ParseJwkText(text);
  TESSERA_FUZZ_CHECK(again.ok(), Describe(again.status()) + " re-importing " + text);
  TESSERA_FUZZ_CHECK(!again->key.has_private(), text);
  TESSERA_FUZZ_CHECK(again->key.type() == key.type() &&
                         again->key.algorithms() == key.algorithms() && again->kid == jwk.kid,
                     text);
  Result<std::string> thumbprint_again = jose::JwkThumbprint(again->key);
  TESSERA_FUZZ_CHECK(thumbprint_again.ok() && *thumbprint_again == *thumbprint, text);

  if (key.has_private()) {
    const jose::Algorithm alg = key.algorithms().First();
    Result<std::string> sig = key.Sign(alg, kMessage);
    TESSERA_FUZZ_CHECK(sig.ok(), Describe(sig.status()));
    const Status verified = again->key.Verify(alg, kMessage, *sig);
    TESSERA_FUZZ_CHECK(
        verified.ok(),
        "a private JWK whose public members are not its public key: " + Describe(verified));
  }
}

}  // namespace
}  // namespace tessera::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera;
  const std::string_view input = fuzz::AsText(data, size);
  for (int mode = 0; mode < 4; ++mode) {
    jose::JwkOptions options;
    options.allow_private = (mode & 1) != 0;
    options.allow_symmetric = (mode & 2) != 0;
    Result<jose::Jwk> jwk = jose::ParseJwkText(input, options);
    if (jwk.ok()) fuzz::Exercise(*jwk, options);
    Result<std::vector<jose::Jwk>> set = jose::ParseJwks(input, options);
    if (set.ok()) {
      TESSERA_FUZZ_CHECK(set->size() <= options.max_keys, "too many keys");
      for (const jose::Jwk& k : *set) fuzz::Exercise(k, options);
    }
  }
  return 0;
}
