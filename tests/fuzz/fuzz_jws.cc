// Compact JWS parsing and verification (jose/jws.h) on hostile tokens.
//
// Invariants checked beyond the sanitizers:
//   - ParseJwt accepts only what ParseJws (any payload) accepts, with the same header, payload,
//     signature and signing input, and only what DecodeUnverified (its lenient twin) accepts,
//     with the same header and claims; the signature is non-empty and the signing input is the
//     exact received prefix;
//   - a stricter JwsOptions never accepts what the defaults refuse, a looser one never refuses
//     what they accept;
//   - a key whose pinned algorithms exclude the header's alg fails with kAlgNotAllowed
//     (RFC 8725 3.1), and at most one of the fixed keys (disjoint algorithm sets) verifies.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "jose/error.h"
#include "jose/jws.h"

namespace tessera::fuzz {
namespace {

// Checks a JWS from ParseJws (any payload) and verifies it with every fixed key.
void CheckJws(std::string_view input, const jose::Jws& jws) {
  TESSERA_FUZZ_CHECK(jws.header.is_object(), jws.header.dump());
  TESSERA_FUZZ_CHECK(!jws.signature.empty(), "empty signature accepted");
  // RFC 7515 5.2 step 8: the signing input is the received bytes up to the second '.'.
  TESSERA_FUZZ_CHECK(input.substr(0, jws.signing_input.size()) == jws.signing_input &&
                         input.size() > jws.signing_input.size() &&
                         input[jws.signing_input.size()] == '.',
                     jws.signing_input);

  int verified = 0;
  for (const jose::Key* key : Keys().all) {
    const Status s = jose::Verify(jws, *key);
    if (s.ok()) {
      ++verified;
      continue;
    }
    const jose::JoseError reason = jose::JoseErrorOf(s);
    TESSERA_FUZZ_CHECK(reason != jose::JoseError::kNone, Describe(s));
    if (!key->algorithms().Contains(jws.alg)) {
      TESSERA_FUZZ_CHECK(reason == jose::JoseError::kAlgNotAllowed, Describe(s));
    }
  }
  TESSERA_FUZZ_CHECK(verified <= 1, "two keys with disjoint algorithms verified one token");
}

// A JWT from ParseJwt is the JWS ParseJws gives plus its claims.
void CheckJwt(std::string_view input, const jose::Jws& jwt, const Result<jose::Jws>& jws) {
  TESSERA_FUZZ_CHECK(jws.ok(),
                     "ParseJwt accepted what ParseJws refused: " + Describe(jws.status()));
  TESSERA_FUZZ_CHECK(jwt.header == jws->header && jwt.payload == jws->payload &&
                         jwt.signature == jws->signature &&
                         jwt.signing_input == jws->signing_input && jwt.alg == jws->alg,
                     jwt.signing_input);
  TESSERA_FUZZ_CHECK(jwt.claims.is_object(), jwt.claims.dump());
  Result<std::pair<jose::Json, jose::Json>> decoded = jose::DecodeUnverified(input);
  TESSERA_FUZZ_CHECK(decoded.ok(), Describe(decoded.status()));
  TESSERA_FUZZ_CHECK(decoded->first == jwt.header, jwt.header.dump());
  TESSERA_FUZZ_CHECK(decoded->second == jwt.claims, jwt.claims.dump());
}

}  // namespace
}  // namespace tessera::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera;
  using tessera::fuzz::Describe;
  const std::string_view input = fuzz::AsText(data, size);
  fuzz::Keys();

  Result<jose::Jws> any = jose::ParseJws(input);
  if (any.ok()) fuzz::CheckJws(input, *any);
  Result<jose::Jws> jws = jose::ParseJwt(input);
  if (jws.ok()) fuzz::CheckJwt(input, *jws, any);

  jose::JwsOptions loose;
  loose.allow_key_headers = true;
  Result<jose::Jws> loose_jws = jose::ParseJwt(input, loose);
  if (jws.ok()) TESSERA_FUZZ_CHECK(loose_jws.ok(), Describe(loose_jws.status()));

  jose::JwsOptions strict;
  strict.max_bytes = 1024;
  strict.max_json_depth = 2;
  Result<jose::Jws> strict_jws = jose::ParseJwt(input, strict);
  if (strict_jws.ok()) TESSERA_FUZZ_CHECK(jws.ok(), Describe(jws.status()));
  if (!jws.ok())
    TESSERA_FUZZ_CHECK(jose::JoseErrorOf(jws.status()) != jose::JoseError::kNone,
                       Describe(jws.status()));

  Result<std::pair<jose::Json, jose::Json>> decoded = jose::DecodeUnverified(input);
  (void)decoded;
  return 0;
}
