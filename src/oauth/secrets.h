// Client secrets: stored only as a versioned, salted hash, compared in constant time.
//
// Two hash formats, told apart by their prefix, so every hash ever stored keeps verifying:
//   "hs256$<salt>$<mac>"  HMAC-SHA-256(salt, secret), for secrets Tessera generates. A generated
//                         secret carries 256 random bits, so no offline guessing can succeed
//                         whatever the hash costs; a fast hash keeps client authentication, paid
//                         on every token request, at about a microsecond instead of the tens of
//                         milliseconds (and MiBs) of a memory-hard KDF.
//   "$argon2id$v=19$m=..,t=..,p=..$<salt>$<hash>"  Argon2id (RFC 9106), for secrets an operator
//                         chooses (the bootstrap administrator's): those may be guessable, and a
//                         leaked database must not give them away cheaply.
//
// A generated secret is base64url (the RFC 3986 unreserved set), so the raw and the URL-encoded
// Basic credentials are the same bytes.
#ifndef TESSERA_OAUTH_SECRETS_H_
#define TESSERA_OAUTH_SECRETS_H_

#include <string>
#include <string_view>

#include "tessera/status.h"

namespace tessera::oauth {

// A new client secret (43 characters, 256 random bits).
std::string GenerateClientSecret();

// A new client id (unreserved characters only).
std::string GenerateClientId();

// For a secret from GenerateClientSecret: "hs256$<salt b64url>$<HMAC-SHA-256(salt, secret)>".
// Fails only if the HMAC cannot be computed (an OpenSSL failure).
Result<std::string> HashSecret(std::string_view secret);

// For a secret a person chose: Argon2id, 19 MiB, 2 passes, 1 lane (RFC 9106 / OWASP's
// recommended minimum), 16-byte random salt, in the PHC string format.
std::string HashChosenSecret(std::string_view secret);

// True iff `secret` matches `stored` (either format). Constant time in the secret; false for
// an unknown format.
bool VerifySecret(std::string_view secret, std::string_view stored);

// True iff `stored` is an Argon2id hash (HashChosenSecret's format).
bool IsChosenSecretHash(std::string_view stored);

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_SECRETS_H_
