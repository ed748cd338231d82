// Trust tokens (docs/http-api.md section 5; Oracle Fusion-style): JWTs that carry a
// user name between systems, with "iat", "exp", "iss" and "prn" (and "sub") naming the user.
//
// Issuers are registered by an administrator: an issuer name with an HS256 shared secret of at
// least 32 bytes, or with a certificate whose key verifies RS256. Tessera is an issuer too: it
// mints trust tokens for active users at POST /oauth2/v1/trusttoken (for apps whose
// allowedOperations include "trustToken"), signed with its active signing key.
//
// Validation (tokeninfo): strict JWS; "iss" a registered issuer or Tessera itself; the issuer's
// key decides the algorithm (RFC 8725 3.1): a shared-secret issuer verifies only HS256, a
// certificate issuer only RS256, so an HS256 token keyed with an RS256 issuer's public key is
// refused; "exp" present and not passed, "nbf" reached, "iat" present and not in the future
// (with the skew), exp - iat at most max_assertion_lifetime (trust_token_lifetime for tokens
// minted here); "prn" (else "sub") the userName of an active user. Tessera-minted tokens must carry
// tok_type "TT", and their user and minting app must still exist and be active
// (TokenService::CheckPrincipalsLive).
//
// Thread safety: all methods may be called concurrently.
#ifndef TESSERA_OAUTH_TRUST_TOKENS_H_
#define TESSERA_OAUTH_TRUST_TOKENS_H_

#include <string>

#include "jose/json.h"
#include "oauth/audit.h"
#include "oauth/config.h"
#include "oauth/directory.h"
#include "oauth/signing_keys.h"
#include "oauth/token_service.h"
#include "store/store.h"
#include "tessera/clock.h"

namespace tessera::oauth {

// The one answer for every token whose signature is not verified by a registered key.
inline constexpr char kUnverifiedToken[] =
    "signature not verified: unknown issuer, or a key or algorithm that does not match";

class TrustTokenService {
 public:
  TrustTokenService(store::Store& store, Directory& directory, SigningKeys& keys,
                    TokenService& tokens, AuditLog& audit, const DomainConfig& config,
                    const Clock& clock);

  // POST /oauth2/v1/trusttoken: client-authenticated; form sub=<userName>.
  Outcome Mint(const ClientRequest& request);

  // The verified claims, or kInvalidArgument whose message says why (for invalid_token). For
  // outside issuers an unknown issuer, a signature that does not verify, an algorithm the issuer's
  // key is not pinned to and an expired issuer certificate all answer kUnverifiedToken, so that
  // nobody learns which issuers are registered; `detail`, when given, gets the precise reason (for
  // the log only).
  Result<jose::Json> Validate(std::string_view token, std::string* detail = nullptr);

  // Admin: register ({"issuer","sharedSecret"} or {"issuer","certAlias","x509Base64Certificate"}),
  // list, get, delete. Shared secrets are never returned.
  Result<jose::Json> PutIssuer(const std::string& actor, const std::string& ecid,
                               const jose::Json& body);
  Result<jose::Json> ListIssuers();
  Status DeleteIssuer(const std::string& actor, const std::string& ecid, const std::string& issuer);

 private:
  store::Store& store_;
  Directory& directory_;
  SigningKeys& keys_;
  TokenService& tokens_;
  AuditLog& audit_;
  const DomainConfig& config_;
  const Clock& clock_;
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_TRUST_TOKENS_H_
