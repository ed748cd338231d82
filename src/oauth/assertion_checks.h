// AssertionCheckService: POST /admin/v1/AssertionChecks and `tessera doctor` (contract section 6).
//
// Runs every rule of contract section 2 for an assertion and a client, as the token endpoint
// would, and reports each rule passed or failed with the precise reason and the fix. It never
// consumes the jti (it only looks whether it was used) and never issues anything.
//
// Thread safety: Run and ExplainBasicFailure may be called concurrently.
#ifndef TESSERA_OAUTH_ASSERTION_CHECKS_H_
#define TESSERA_OAUTH_ASSERTION_CHECKS_H_

#include <optional>
#include <string>

#include "jose/json.h"
#include "oauth/directory.h"
#include "oauth/token_service.h"
#include "store/store.h"

namespace tessera::oauth {

struct AssertionCheckRequest {
  std::string assertion;
  std::string client_id;
  std::optional<std::string> scope;
};

class AssertionCheckService {
 public:
  AssertionCheckService(store::Store& store, Directory& directory, TokenService& tokens, const DomainConfig& config);

  // {"clientId":..,"passed":bool,"rules":[{"rule":n,"name":..,"passed":bool,"reason":code,
  //  "detail":..,"fix":..}, ...]}. Store failures are reported as a failed rule, not an error.
  jose::Json Run(const AssertionCheckRequest& request) const;

  // Why Basic credentials did not authenticate, precisely: an unknown client id, a wrong secret,
  // an inactive app, or credentials sent without the URL-encoding RFC 6749 2.3.1 asks for
  // (`raw` are the credentials as sent, before form-decoding).
  std::string ExplainBasicFailure(const ClientCredentials& decoded, const ClientCredentials& raw) const;

 private:
  store::Store& store_;
  Directory& directory_;
  TokenService& tokens_;
  const DomainConfig& config_;
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_ASSERTION_CHECKS_H_
