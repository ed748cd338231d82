#include "jose/jws.h"

#include <set>

#include "jose/base64url.h"
#include "jose/error.h"
#include "jose/openssl_util.h"

namespace tessera::jose {
namespace {

constexpr std::size_t kMaxHeaderString = 256;

// Names RFC 7515 and RFC 7518 define; RFC 7515 4.1.11 forbids listing them in "crit".
bool IsRegisteredHeaderName(const std::string& name) {
  static const std::set<std::string> kNames = {
      "alg",  "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty",
      "crit", "enc", "zip", "epk", "apu", "apv", "iv",  "tag",      "p2s", "p2c"};
  return kNames.count(name) > 0;
}

Result<std::optional<std::string>> OptionalHeaderString(const Json& header, const char* name) {
  auto it = header.find(name);
  if (it == header.end()) return std::optional<std::string>();
  if (!it->is_string())
    return JoseFailure(JoseError::kBadHeaderValue, std::string("\"") + name + "\" is not a string");
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > kMaxHeaderString) {
    return JoseFailure(JoseError::kBadHeaderValue,
                       std::string("\"") + name + "\" longer than 256 characters");
  }
  return std::optional<std::string>(s);
}

Status CheckCrit(const Json& header) {
  auto it = header.find("crit");
  if (it == header.end()) return Status::Ok();
  // RFC 7515 4.1.11: a non-empty array of distinct names, none registered, each present.
  if (!it->is_array() || it->empty())
    return JoseFailure(JoseError::kCritMalformed, "must be a non-empty array");
  std::set<std::string> seen;
  for (const Json& n : *it) {
    if (!n.is_string()) return JoseFailure(JoseError::kCritMalformed, "entries must be strings");
    const auto& name = n.get_ref<const std::string&>();
    if (!seen.insert(name).second) return JoseFailure(JoseError::kCritMalformed, "duplicate entry");
    if (IsRegisteredHeaderName(name))
      return JoseFailure(JoseError::kCritMalformed, "lists \"" + name + "\"");
    if (!header.contains(name))
      return JoseFailure(JoseError::kCritMalformed, "names absent \"" + name + "\"");
  }
  // Tessera understands no JWS extension, so any well-formed crit makes the JWS invalid.
  return JoseFailure(JoseError::kCritUnsupported, DumpCompact(*it));
}

Status CheckHeader(Jws& jws, const JwsOptions& options) {
  const Json& h = jws.header;
  auto alg = h.find("alg");
  if (alg == h.end() || !alg->is_string()) return JoseFailure(JoseError::kAlgMissing);
  const auto& alg_name = alg->get_ref<const std::string&>();
  // RFC 7518 3.6 / RFC 8725 3.2: unsecured JWS are never accepted, whatever the spelling.
  if (alg_name == "none") return JoseFailure(JoseError::kAlgNone);
  std::optional<Algorithm> parsed = AlgorithmFromName(alg_name);
  if (!parsed) return JoseFailure(JoseError::kAlgUnknown, "\"" + alg_name.substr(0, 32) + "\"");
  jws.alg = *parsed;
  // RFC 7797: "b64" changes what is signed; JWTs never use it (docs/security.md, headers).
  if (h.contains("b64")) return JoseFailure(JoseError::kUnencodedPayload);
  TESSERA_RETURN_IF_ERROR(CheckCrit(h));
  if (!options.allow_key_headers) {
    for (const char* name : {"jwk", "jku", "x5u", "x5c"}) {
      if (h.contains(name)) {
        return JoseFailure(
            JoseError::kKeyHeaderForbidden,
            std::string("\"") + name + "\" (keys come only from the server's store)");
      }
    }
  }
  // Headers (docs/security.md): no nested JWTs, no compression, no JWE.
  for (const char* name : {"cty", "zip", "enc"}) {
    if (h.contains(name))
      return JoseFailure(JoseError::kUnsupportedHeader, std::string("\"") + name + "\"");
  }
  TESSERA_ASSIGN_OR_RETURN(jws.kid, OptionalHeaderString(h, "kid"));
  TESSERA_ASSIGN_OR_RETURN(jws.x5t, OptionalHeaderString(h, "x5t"));
  TESSERA_ASSIGN_OR_RETURN(jws.x5t_s256, OptionalHeaderString(h, "x5t#S256"));
  TESSERA_ASSIGN_OR_RETURN(jws.typ, OptionalHeaderString(h, "typ"));
  return Status::Ok();
}

struct Segments {
  std::string_view header, payload, signature;
};

Result<Segments> Split(std::string_view compact, std::size_t max_bytes) {
  if (compact.size() > max_bytes) {
    return JoseFailure(JoseError::kTooLarge, std::to_string(compact.size()) + " bytes, limit " +
                                                 std::to_string(max_bytes));
  }
  const size_t dot1 = compact.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : compact.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || compact.find('.', dot2 + 1) != std::string_view::npos) {
    size_t dots = 0;
    for (char c : compact) dots += c == '.';
    return JoseFailure(
        JoseError::kMalformedSegments,
        std::to_string(dots + 1) + " segments" + (dots == 4 ? " (a JWE is not accepted)" : ""));
  }
  return Segments{compact.substr(0, dot1), compact.substr(dot1 + 1, dot2 - dot1 - 1),
                  compact.substr(dot2 + 1)};
}

Result<Json> DecodeObject(std::string_view segment, const char* what, int depth,
                          std::size_t max_bytes) {
  Result<std::string> raw = Base64UrlDecode(segment);
  if (!raw.ok()) return raw.status().WithContext(what);
  Result<Json> j = ParseStrictJson(*raw, {max_bytes, depth});
  if (!j.ok()) return j.status().WithContext(what);
  if (!j->is_object()) return JoseFailure(JoseError::kNotJsonObject, what);
  return j;
}

}  // namespace

namespace {

// RFC 7515 5.2 steps 1-7 for both entry points. With `want_claims`, the payload must also be a
// JSON object (RFC 7519 7.2 step 10); it is checked before the signature segment, as before.
Result<Jws> ParseCompact(std::string_view compact, const JwsOptions& options, bool want_claims) {
  TESSERA_ASSIGN_OR_RETURN(Segments seg, Split(compact, options.max_bytes));
  Jws jws;
  TESSERA_ASSIGN_OR_RETURN(
      jws.header, DecodeObject(seg.header, "header", options.max_json_depth, options.max_bytes));
  TESSERA_RETURN_IF_ERROR(CheckHeader(jws, options));
  Result<std::string> payload = Base64UrlDecode(seg.payload);
  if (!payload.ok()) return payload.status().WithContext("claims");
  jws.payload = std::move(payload).value();
  if (want_claims) {
    Result<Json> claims = ParseStrictJson(jws.payload, {options.max_bytes, options.max_json_depth});
    if (!claims.ok()) return claims.status().WithContext("claims");
    if (!claims->is_object()) return JoseFailure(JoseError::kNotJsonObject, "claims");
    jws.claims = std::move(claims).value();
  }
  if (seg.signature.empty()) return JoseFailure(JoseError::kEmptySignature);
  Result<std::string> sig = Base64UrlDecode(seg.signature);
  if (!sig.ok()) return sig.status().WithContext("signature");
  jws.signature = std::move(sig).value();
  jws.signing_input.assign(compact.data(), seg.header.size() + 1 + seg.payload.size());
  return jws;
}

}  // namespace

Result<Jws> ParseJwt(std::string_view compact, const JwsOptions& options) {
  return ParseCompact(compact, options, /*want_claims=*/true);
}

Result<Jws> ParseJws(std::string_view compact, const JwsOptions& options) {
  return ParseCompact(compact, options, /*want_claims=*/false);
}

Status Verify(const Jws& jws, const Key& key) {
  return key.Verify(jws.alg, jws.signing_input, jws.signature);
}

std::string EncodeProtectedHeader(Algorithm alg, const Json& extra_header) {
  Json header = Json::object();
  header["alg"] = std::string(AlgorithmName(alg));
  if (extra_header.is_object()) {
    for (auto it = extra_header.begin(); it != extra_header.end(); ++it) {
      if (it.key() != "alg") header[it.key()] = it.value();
    }
  }
  return Base64UrlEncode(DumpCompact(header));
}

Result<std::string> SignEncoded(std::string_view encoded_header, std::string_view payload,
                                const Key& key, Algorithm alg) {
  // RFC 7515 5.1: the signing input is the two encoded segments joined by a period.
  std::string out;
  out.reserve(encoded_header.size() + 1 + (payload.size() * 4 + 2) / 3);
  out += encoded_header;
  out += '.';
  Base64UrlAppend(payload, out);
  TESSERA_ASSIGN_OR_RETURN(std::string sig, key.Sign(alg, out));
  out += '.';
  Base64UrlAppend(sig, out);
  return out;
}

Result<std::string> SignJwt(const Json& claims, const Key& key, Algorithm alg,
                            const Json& extra_header) {
  return SignEncoded(EncodeProtectedHeader(alg, extra_header), DumpCompact(claims), key, alg);
}

Result<std::pair<Json, Json>> DecodeUnverified(std::string_view compact) {
  TESSERA_ASSIGN_OR_RETURN(Segments seg, Split(compact, 1 << 20));
  TESSERA_ASSIGN_OR_RETURN(Json header, DecodeObject(seg.header, "header", 32, 1 << 20));
  TESSERA_ASSIGN_OR_RETURN(Json claims, DecodeObject(seg.payload, "claims", 32, 1 << 20));
  return std::make_pair(std::move(header), std::move(claims));
}

}  // namespace tessera::jose
