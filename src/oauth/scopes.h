// Scope resolution (contract section 4): a requested scope string against an app's token
// issuance policy and the domain's resource apps.
//
// - A fully qualified scope (fqs) is a resource app's audience followed by one of its scope values,
//   concatenated as given. The app's allowedScopes lists the fqs it may request.
// - No scope parameter: every allowed fqs that still names a resource scope.
// - "urn:opc:resource:expiry=N" sets the token lifetime: 60 <= N <= 31556952. The lifetime is
//   the minimum of N, the resource apps' and the client app's accessTokenExpiry, where set
//   (N shortens, never lengthens); none set: the domain default (3600 s).
// - An inactive resource app grants none of its scopes: named, kScopeResourceInactive; with no
//   scope parameter its scopes are left out.
// - "urn:opc:idm:__myscopes__" asks for the administrator scope; only apps holding the
//   administrator role get it.
#ifndef TESSERA_OAUTH_SCOPES_H_
#define TESSERA_OAUTH_SCOPES_H_

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "oauth/config.h"
#include "oauth/directory.h"
#include "oauth/reasons.h"

namespace tessera::oauth {

struct GrantedScopes {
  std::vector<std::string> fqs;        // granted fully qualified scopes, request order
  std::vector<std::string> values;     // the same, relative to their audience (token "scope")
  std::vector<std::string> audiences;  // distinct resource audiences (token "aud")
  bool admin = false;                  // urn:opc:idm:__myscopes__ granted
  int64_t lifetime = 0;                // seconds
  std::string ResponseScope() const;   // space-separated fqs (+ __myscopes__)
  std::string TokenScope() const;      // space-separated values (+ __myscopes__)
};

using ScopeResult = std::variant<GrantedScopes, Rejection>;

ScopeResult ResolveScopes(const std::optional<std::string>& requested, const store::App& app,
                          const std::vector<ResourceView>& resources, const DomainConfig& config);

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_SCOPES_H_
