// Strict JSON for JOSE: parse untrusted bytes into nlohmann::json with the rules RFC 7515 5.2
// and RFC 8725 3.11 ask of a JWT verifier.
//
// ParseStrictJson accepts exactly one RFC 8259 JSON text of valid UTF-8 and rejects:
//   - a repeated member name in any object, at any depth (JoseError::kDuplicateMember);
//   - nesting deeper than limits.max_depth (kJsonTooDeep), input over limits.max_bytes (kTooLarge);
//   - numbers that overflow a double (1e400), trailing bytes, comments, a byte order mark,
//     invalid UTF-8 (overlong forms, surrogates), lone surrogate escapes (kBadJson).
// Depth is checked before each descent, so hostile nesting cannot exhaust the stack.
// Integers are int64 (or uint64 above INT64_MAX); other numbers are doubles.
#ifndef TESSERA_JOSE_JSON_H_
#define TESSERA_JOSE_JSON_H_

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tessera/status.h"

namespace tessera::jose {

using Json = nlohmann::json;

struct JsonLimits {
  std::size_t max_bytes = 64 * 1024;
  int max_depth = 16;
};

Result<Json> ParseStrictJson(std::string_view text, const JsonLimits& limits = {});

// Compact serialisation (no spaces, object members in byte order), for signing inputs and wire
// answers. Strings are escaped per RFC 8259 7; a byte that is not valid UTF-8 becomes U+FFFD.
std::string DumpCompact(const Json& value);

// Writes one JSON object member by member, in call order, escaped as DumpCompact escapes: what
// DumpCompact(object) gives, without building the object first (a token's claims on the token
// endpoint). REQUIRES: no name is given twice, since a strict reader (ParseStrictJson) rejects
// the object then; callers that want DumpCompact's bytes give the names in byte order.
class JsonObjectWriter {
 public:
  JsonObjectWriter();
  JsonObjectWriter& String(std::string_view name, std::string_view value);
  JsonObjectWriter& Int(std::string_view name, int64_t value);
  JsonObjectWriter& Value(std::string_view name, const Json& value);
  // `json` is written as it is: one complete JSON value (e.g. another writer's Finish()).
  JsonObjectWriter& Raw(std::string_view name, std::string_view json);
  // The object's text; the writer is empty afterwards.
  std::string Finish();

 private:
  void Name(std::string_view name);
  std::string out_;
};

}  // namespace tessera::jose

#endif  // TESSERA_JOSE_JSON_H_
