// Strict JSON (jose/json.h): the parser every token, JWK and admin body goes through.
//
// Invariants: what ParseStrictJson accepts re-serialises (DumpCompact) to text it accepts again
// with an equal value; a tighter limit never accepts what the default refuses; failures carry a
// jose reason.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "jose/error.h"
#include "jose/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera;
  using fuzz::Describe;
  const std::string_view input = fuzz::AsText(data, size);

  Result<jose::Json> json = jose::ParseStrictJson(input);
  if (json.ok()) {
    const std::string dumped = jose::DumpCompact(*json);
    // Re-serialising can lengthen numbers ("1e5" -> "100000.0"): lift the size limit only.
    Result<jose::Json> again = jose::ParseStrictJson(dumped, {dumped.size(), 16});
    TESSERA_FUZZ_CHECK(again.ok(), Describe(again.status()) + " for " + dumped);
    TESSERA_FUZZ_CHECK(*again == *json, dumped);
  } else {
    TESSERA_FUZZ_CHECK(jose::JoseErrorOf(json.status()) != jose::JoseError::kNone,
                       Describe(json.status()));
  }

  Result<jose::Json> shallow = jose::ParseStrictJson(input, {64 * 1024, 3});
  if (shallow.ok()) TESSERA_FUZZ_CHECK(json.ok(), "depth 3 accepted what depth 16 refused");
  return 0;
}
