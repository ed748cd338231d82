// Strict base64url (RFC 4648 section 5, as JWS uses it: RFC 7515 section 2 and appendix C)
// and standard base64 for certificate uploads.
//
// Strict means: alphabet A-Z a-z 0-9 '-' '_' only; no padding; no whitespace; a length that is
// not 1 mod 4; and zero bits in the unused low bits of the last character, so every byte string
// has exactly one accepted encoding. Anything else is JoseError::kBadBase64Url.
#ifndef TESSERA_JOSE_BASE64URL_H_
#define TESSERA_JOSE_BASE64URL_H_

#include <string>
#include <string_view>

#include "tessera/status.h"

namespace tessera::jose {

// Encodes without padding.
std::string Base64UrlEncode(std::string_view bytes);
// The same, appended to `out`.
void Base64UrlAppend(std::string_view bytes, std::string& out);

// Decodes strictly (see above).
Result<std::string> Base64UrlDecode(std::string_view text);

// Decodes standard base64 (RFC 4648 section 4, '+' and '/', padding required to a multiple of 4).
// ASCII whitespace between characters is skipped, as in PEM bodies and pasted certificates.
Result<std::string> Base64Decode(std::string_view text);

// Encodes standard base64 with padding and no line breaks.
std::string Base64Encode(std::string_view bytes);

}  // namespace tessera::jose

#endif  // TESSERA_JOSE_BASE64URL_H_
