// Strict base64url and standard base64 (jose/base64url.h).
//
// Invariants: base64url decoding is canonical (every accepted text is the encoding of what it
// decodes to) and encoding round-trips any bytes; standard base64 likewise once ASCII whitespace
// is removed.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "jose/base64url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera;
  const std::string_view input = fuzz::AsText(data, size);

  Result<std::string> url = jose::Base64UrlDecode(input);
  if (url.ok())
    TESSERA_FUZZ_CHECK(jose::Base64UrlEncode(*url) == input, "non-canonical base64url accepted");
  Result<std::string> url_back = jose::Base64UrlDecode(jose::Base64UrlEncode(input));
  TESSERA_FUZZ_CHECK(url_back.ok() && *url_back == input, "base64url round trip");

  Result<std::string> std64 = jose::Base64Decode(input);
  if (std64.ok()) {
    std::string compact;
    for (char c : input) {
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') compact.push_back(c);
    }
    TESSERA_FUZZ_CHECK(jose::Base64Encode(*std64) == compact, "non-canonical base64 accepted");
  }
  Result<std::string> std_back = jose::Base64Decode(jose::Base64Encode(input));
  TESSERA_FUZZ_CHECK(std_back.ok() && *std_back == input, "base64 round trip");
  return 0;
}
