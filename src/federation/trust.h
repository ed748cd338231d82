// Trust: a federation trust ("identity propagation trust" in IDCS terms, contract section 10),
// the administrator's statement that tokens from one outside issuer may be exchanged for tokens
// of this domain, and under which conditions.
//
// A Trust is a plain value with the section-10 fields under their C++ names (the wire names are
// in the comments); the admin API's codec turns JSON into a Trust and calls ValidateTrust before
// storing it, and TrustWarnings for the "warnings" list of its answer. docs/federation.md
// describes every field.
//
// Example:
//   Trust t;
//   t.name = "github-deploy";
//   t.issuer = "https://token.actions.githubusercontent.com";
//   t.active = true;
//   t.audiences = {"https://idm.example.com"};
//   t.conditions = {{.claim = "repository", .in = {"acme/deploy"}}};
//   t.subject_mapping_attribute = SubjectMappingAttribute::kUserName;
//   t.oauth_clients = {"ci-client"};
//   TESSERA_RETURN_IF_ERROR(ValidateTrust(t));
//   for (const std::string& w : TrustWarnings(t)) answer.warnings.push_back(w);
//
// Thread safety: values and pure functions.
#ifndef TESSERA_FEDERATION_TRUST_H_
#define TESSERA_FEDERATION_TRUST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "federation/conditions.h"
#include "tessera/status.h"

namespace tessera::federation {

// subjectMappingAttribute: the user attribute the outside subject is compared with.
enum class SubjectMappingAttribute { kUserName, kEmail, kId };
// subjectType: what the outside token stands for (a user, or an app authenticating itself).
enum class SubjectType { kUser, kApp };
// jti: `required` (the default; single use, atomic across nodes, as for assertions) or
// `reuse-until-exp` (the same token may be presented again until it expires, for issuers whose
// tokens are cached and re-sent, such as Kubernetes service-account tokens).
enum class JtiPolicy { kRequired, kReuseUntilExp };

// Wire names: "userName" | "email" | "id", "User" | "App", "required" | "reuse-until-exp".
std::string_view SubjectMappingAttributeName(SubjectMappingAttribute a);
std::optional<SubjectMappingAttribute> SubjectMappingAttributeFromName(std::string_view name);
std::string_view SubjectTypeName(SubjectType t);
std::optional<SubjectType> SubjectTypeFromName(std::string_view name);
std::string_view JtiPolicyName(JtiPolicy p);
std::optional<JtiPolicy> JtiPolicyFromName(std::string_view name);

// impersonationServiceUsers[]: when `rule` matches the outside token, the issued token is for
// the user whose id is `value` (a service user), with "act" naming the outside subject.
struct ImpersonationServiceUser {
  std::string rule;   // `claim eq "value"` joined by `and` (conditions.h)
  std::string value;  // the service user's id

  friend bool operator==(const ImpersonationServiceUser&,
                         const ImpersonationServiceUser&) = default;
};

inline constexpr int64_t kDefaultClockSkewSeconds = 30;
inline constexpr int64_t kMaxClockSkewSeconds = 300;
inline constexpr int64_t kMinTokenLifetimeSeconds = 60;        // as urn:opc:resource:expiry
inline constexpr int64_t kMaxTokenLifetimeSeconds = 31556952;  // one year, as above
inline constexpr int64_t kLongTokenLifetimeSeconds = 86400;    // beyond this, a warning

struct Trust {
  std::string id;            // assigned by the store; empty before creation
  std::string name;          // name: 1..256 bytes, unique per domain (the store's rule)
  std::string type = "JWT";  // type: only "JWT"
  std::string issuer;        // issuer: the exact "iss" of the outside tokens
  bool active = false;       // active: an inactive trust accepts nothing

  // Where the issuer's keys come from: publicKeyEndpoint (a JWKS URL), or publicCertificate
  // (PEM or base64 DER), or, when neither is set, the issuer's
  // /.well-known/openid-configuration "jwks_uri" (OpenID Connect Discovery 1.0 section 4).
  std::string public_key_endpoint;
  std::string public_certificate;

  std::string subject_claim_name = "sub";  // subjectClaimName: a claim path
  SubjectMappingAttribute subject_mapping_attribute = SubjectMappingAttribute::kUserName;
  SubjectType subject_type = SubjectType::kUser;

  // clientClaimName + clientClaimValues: the outside token's client (e.g. "azp", "client_id")
  // must be one of the values. For subjectType App the value is the Tessera client id.
  std::string client_claim_name;
  std::vector<std::string> client_claim_values;

  std::vector<std::string> oauth_clients;  // oauthClients: apps that may present the tokens

  bool allow_impersonation = false;  // allowImpersonation
  std::vector<ImpersonationServiceUser> impersonation_service_users;

  int64_t clock_skew_seconds = kDefaultClockSkewSeconds;  // clockSkewSeconds: 0..300

  // Tessera's additions.
  std::vector<std::string> audiences;         // audiences: accepted "aud" values, required
  std::vector<ClaimCondition> conditions;     // conditions: all must hold
  std::vector<std::string> allowed_scopes;    // allowedScopes: fqs ceiling; empty = no ceiling
  std::optional<int64_t> max_token_lifetime;  // maxTokenLifetime: seconds, 60..31556952
  JtiPolicy jti = JtiPolicy::kRequired;       // jti

  friend bool operator==(const Trust&, const Trust&) = default;
};

inline constexpr std::size_t kMaxTrustListEntries = 64;  // audiences, conditions, values, ...

// Checks every field; the first fault is kInvalidArgument whose message starts with the field's
// wire name and says what is allowed:
//   "publicKeyEndpoint: must be an https:// URL (http:// only on a loopback address), not ..."
//   "subjectMappingAttribute" etc. are enums, valid by construction here; their names are
//   checked by the codec with the *FromName functions above.
// Rules: name 1..256 bytes; type "JWT"; issuer 1..1024 bytes of printable ASCII; at most one of
// publicKeyEndpoint and publicCertificate; publicKeyEndpoint https (http only for 127.0.0.0/8,
// ::1, localhost), no userinfo or fragment; publicCertificate a parseable certificate with a
// supported key; with neither, the issuer must itself be such a URL (discovery); claim paths
// valid; clientClaimValues only with clientClaimName and then at least one; subjectType App needs
// clientClaimName; subjectType User needs at least one oauthClients entry; impersonation rules
// only with allowImpersonation (then at least one), each rule parsing and naming a user id, and
// only for subjectType User; clockSkewSeconds 0..300; audiences 1..64 non-empty values;
// conditions valid (conditions.h); allowedScopes non-empty values without spaces; every list
// at most 64 entries; maxTokenLifetime 60..31556952 when set.
Status ValidateTrust(const Trust& trust);

// The risky settings of a valid trust, one sentence each (empty when none):
//   - no conditions (and no clientClaimValues) on a shared issuer, one whose tokens many
//     tenants obtain (GitHub Actions, GitLab.com, Google, Terraform Cloud, ...): any of them
//     could present a token;
//   - maxTokenLifetime over a day;
//   - jti reuse-until-exp: a stolen outside token can be exchanged until it expires.
std::vector<std::string> TrustWarnings(const Trust& trust);

// True when `issuer` is one whose tokens many unrelated tenants can obtain.
bool IsSharedIssuer(std::string_view issuer);

// Whether `url` may serve keys: https://, or http:// whose host is a loopback address
// (127.0.0.0/8, [::1], localhost), with a host, no userinfo and no fragment.
// kInvalidArgument names the fault.
Status CheckKeyUrl(std::string_view url);

// True when `url` passes CheckKeyUrl and its host is a loopback address (either scheme).
bool IsLoopbackUrl(std::string_view url);

}  // namespace tessera::federation

#endif  // TESSERA_FEDERATION_TRUST_H_
