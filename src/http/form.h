// Wire parsers: application/x-www-form-urlencoded bodies and queries, and HTTP Basic
// client credentials.
//
// Form decoding follows the WHATWG URL standard's urlencoded parser (what HTML forms and
// OAuth clients send): split on '&', skip empty pieces, split each piece at its first '=' (a
// piece without '=' is a name with an empty value), '+' is a space, and %XX is a byte. Unlike
// WHATWG, a '%' not followed by two hex digits is an error rather than kept literally: a token
// endpoint should refuse what it cannot read unambiguously.
//
// Example:
//   TESSERA_ASSIGN_OR_RETURN(auto form, ParseForm(request.body));
//   auto it = form.find("grant_type");
//
// Thread safety: pure functions.
#ifndef TESSERA_HTTP_FORM_H_
#define TESSERA_HTTP_FORM_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "tessera/status.h"

namespace tessera::http {

// The most parameters ParseForm and ParseQuery accept.
inline constexpr std::size_t kMaxFormParameters = 64;

// Decodes a form body into name -> value. Errors (all kInvalidArgument):
//   - a name given twice: "parameter 'assertion' is repeated" (RFC 6749 3.2: parameters MUST
//     NOT be included more than once; the name is quoted, truncated to 64 bytes),
//   - a bad %-escape ("%G1", "%4", a trailing "%"),
//   - more than kMaxFormParameters parameters.
Result<std::map<std::string, std::string>> ParseForm(std::string_view body);

// The same rules for a URL query string (the part after '?', without the '?').
Result<std::map<std::string, std::string>> ParseQuery(std::string_view query);

// Percent-decodes `s` strictly (%XX only); with `plus_is_space`, '+' becomes ' ' (form rules).
// kInvalidArgument for a bad escape.
Result<std::string> PercentDecode(std::string_view s, bool plus_is_space);

// Percent-encodes every byte outside the RFC 3986 unreserved set (A-Z a-z 0-9 - . _ ~) as %XX
// (upper-case hex; a space becomes "%20"). The result is valid in a form, a query, a path
// segment and a Basic credential, and ParseForm(UrlEncode(x)) gives back x.
std::string UrlEncode(std::string_view s);

struct BasicCredentials {
  std::string client_id;
  std::string client_secret;
};

// Parses an Authorization header value carrying client credentials (RFC 6749 2.3.1 and
// RFC 7617): "Basic " + base64(urlencode(client_id) ":" urlencode(client_secret)).
// The scheme name is case-insensitive and followed by one or more spaces; the base64 is the
// standard alphabet with correct '=' padding (RFC 4648 4). The decoded text is split at its
// FIRST ':' and each part is form-url-decoded (so raw unreserved credentials, which decode to
// themselves, work too). Errors (kInvalidArgument): another scheme, bad base64, no ':', an
// empty client id, a bad %-escape. The message never contains the secret.
Result<BasicCredentials> ParseBasicAuthorization(std::string_view header_value);

}  // namespace tessera::http

#endif  // TESSERA_HTTP_FORM_H_
