// Compact JWS for JWTs (RFC 7515 sections 3.1, 5.1, 5.2; RFC 7519 section 7.2).
//
// ParseJwt checks everything that needs no key, in the order of RFC 8725 / docs/security.md:
// size; exactly three segments; strict base64url; strict JSON (no duplicate members) objects for
// header and claims; header policy (alg present, known and not "none"; no "crit" extension Tessera
// does not understand; no "b64"; no key-carrying "jwk"/"jku"/"x5u"/"x5c" unless allowed; no "cty",
// "zip" or "enc"; "kid"/"x5t"/"x5t#S256"/"typ" strings of bounded length); a non-empty signature.
// It never fetches anything a header names (docs/security.md, headers).
//
// Verify then checks the signature with a key the caller chose from its own store: the header's
// alg must be one the key is pinned to (RFC 8725 3.1). Claims are not trusted until Verify passes
// (RFC 7519 7.2); the field names below say "unverified" for that reason.
//
// Example:
//   TESSERA_ASSIGN_OR_RETURN(Jws jws, ParseJwt(token));
//   const Key* key = store.Find(jws.kid);          // the caller's own lookup
//   TESSERA_RETURN_IF_ERROR(Verify(jws, *key));
//   ... now jws.claims may be used ...
#ifndef TESSERA_JOSE_JWS_H_
#define TESSERA_JOSE_JWS_H_

#include <optional>
#include <string>
#include <string_view>

#include "jose/algorithm.h"
#include "jose/json.h"
#include "jose/key.h"
#include "tessera/status.h"

namespace tessera::jose {

struct JwsOptions {
  std::size_t max_bytes = 64 * 1024;  // the whole compact token
  bool allow_key_headers = false;     // accept (and ignore) jwk/jku/x5u/x5c
  int max_json_depth = 16;
};

struct Jws {
  std::string signing_input;  // ASCII(header_b64 '.' payload_b64), exactly as received
  Json header;
  Algorithm alg = Algorithm::kRS256;
  std::optional<std::string> kid;
  std::optional<std::string> x5t;
  std::optional<std::string> x5t_s256;
  std::optional<std::string> typ;
  Json claims;            // the payload, a JSON object; unverified until Verify passes
  std::string signature;  // decoded bytes
  std::string payload;    // the decoded payload bytes (set by ParseJws and ParseJwt)
};

// A JWT: ParseJws, then the payload must be a JSON object (RFC 7519 7.2 step 10), stored in
// `claims`. Errors: everything ParseJws reports, plus kBadJson/kDuplicateMember/kJsonTooDeep/
// kNotJsonObject for the payload.
Result<Jws> ParseJwt(std::string_view compact, const JwsOptions& options = {});

// A compact JWS whose payload may be any bytes (RFC 7515 5.2): the same size, segment, base64url,
// header and signature checks as ParseJwt, but `claims` is left null. For JWS-level conformance
// tests (the RFC 7520 and Wycheproof examples sign text, not claims); verifiers of assertions use
// ParseJwt.
Result<Jws> ParseJws(std::string_view compact, const JwsOptions& options = {});

// Checks jws.signature over jws.signing_input with `key` for jws.alg.
Status Verify(const Jws& jws, const Key& key);

// Signs `claims` as a compact JWT: header {"alg":<alg>, ...extra_header members}.
// REQUIRES: extra_header is an object (or null) without "alg".
Result<std::string> SignJwt(const Json& claims, const Key& key, Algorithm alg,
                            const Json& extra_header = Json::object());

// The two halves of SignJwt, for a signer whose header never changes (a server's signing key):
// the header's first segment, BASE64URL(UTF8(header)), made once; then each JWS from it and
// the payload's JSON text, as SignJwt(claims, ...) gives for payload == DumpCompact(claims).
// REQUIRES (SignEncoded): encoded_header came from EncodeProtectedHeader(alg, ...), and the
// key is pinned to alg (Key::Sign refuses any other).
std::string EncodeProtectedHeader(Algorithm alg, const Json& extra_header = Json::object());
Result<std::string> SignEncoded(std::string_view encoded_header, std::string_view payload,
                                const Key& key, Algorithm alg);

// Decodes header and payload without any verification, for display (`tessera jwt decode`).
// Still strict about syntax; never use the result to decide anything.
Result<std::pair<Json, Json>> DecodeUnverified(std::string_view compact);

}  // namespace tessera::jose

#endif  // TESSERA_JOSE_JWS_H_
