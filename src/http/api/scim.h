// The admin API's SCIM 2.0 codec (RFC 7643/7644, IDCS attribute names; contract section 6):
// request bodies and queries parsed into the typed inputs of oauth::AdminService, and store
// records rendered as SCIM resources and ListResponses.
//
// Every parse error is kInvalidArgument whose message names the attribute (or query parameter)
// and says why; the admin routes answer it as a SCIM 400 "invalidValue".
//
// Example:
//   TESSERA_ASSIGN_OR_RETURN(oauth::UserFields fields, scim::ParseUser(body));
//   TESSERA_ASSIGN_OR_RETURN(store::User user, admin.CreateUser(ctx, fields));
//   return scim::UserToJson(user);
#ifndef TESSERA_HTTP_API_SCIM_H_
#define TESSERA_HTTP_API_SCIM_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "federation/trust.h"
#include "jose/json.h"
#include "oauth/admin_service.h"
#include "store/store.h"
#include "tessera/status.h"

namespace tessera::http::scim {

inline constexpr char kErrorSchema[] = "urn:ietf:params:scim:api:messages:2.0:Error";
inline constexpr char kListSchema[] = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
inline constexpr char kPatchSchema[] = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
inline constexpr char kTokenFailureSummarySchema[] =
    "urn:tessera:params:scim:api:messages:2.0:TokenFailureSummary";

using Query = std::map<std::string, std::string>;

// ---- Request bodies ----

// A User: "userName" (required), "name" {"givenName","familyName"}, "emails" [{"value",
// "primary"}] (the primary ones first), "active".
Result<oauth::UserFields> ParseUser(const jose::Json& body);

// A new App: exactly one of "isOAuthClient" (a confidential app) and "isOAuthResource" (a
// resource app), then the attributes of that kind (ParseAppAttributes).
Result<oauth::AppFields> ParseNewApp(const jose::Json& body);

// An App's attributes for an app of `kind`: "displayName" (required), "description",
// "accessTokenExpiry" (60..31556952 seconds); a resource app's "audience" (required) and "scopes"
// [{"value"}]; a confidential app's "clientType" ("confidential" only), "allowedGrants",
// "allowedScopes" [{"fqs"}], "allowedOperations", "assertionAlgorithms", "requireJti",
// "certificates" [{"certAlias", "x509Base64Certificate"?}], and the sender-constraint settings
// "dpopBoundAccessTokens", "tlsClientCertificateBoundAccessTokens", "tlsClientAuthSubjectDn" and
// "tlsClientAuthSanDns" (contract section 11). Lists may also be given as plain
// strings; duplicates are dropped. "active" is not read (ParseAppPatch reads it).
Result<oauth::AppFields> ParseAppAttributes(const jose::Json& body, store::AppKind kind);

// Applies a SCIM PatchOp (RFC 7644 3.5.2: add/replace/remove on top-level attributes, or
// add/replace with an object value and no path) to `resource`, a SCIM view. "add" of an array to
// an array attribute appends (3.5.2.1). Errors: kInvalidArgument, `resource` then unspecified.
Status ApplyPatch(jose::Json& resource, const jose::Json& patch);

// A PATCH of `current`: the PatchOp applied to its SCIM view (UserToJson, AppToJson), parsed
// back into the attributes the change leaves. The app's kind is `current`'s; its "active" is
// read too.
Result<oauth::UserFields> ParseUserPatch(const store::User& current, const jose::Json& patch);
Result<oauth::AppFields> ParseAppPatch(const store::App& current, const jose::Json& patch);

// A certificate upload: "certificateAlias" and "x509Base64Certificate" (base64 DER or PEM).
Result<oauth::NewCertificate> ParseCertificate(const jose::Json& body);

// A PATCH of a federation trust: the PatchOp applied to its SCIM view (FederationTrustToJson),
// then the whole trust read back by federation::TrustFromJson, which validates it (an error
// names the field). "id" and "meta" are read-only: a PatchOp changing "id" is refused.
Result<federation::Trust> ParseTrustPatch(const oauth::FederationTrust& current,
                                          const jose::Json& patch);

// AppStatusChanger {"active": true|false}.
Result<bool> ParseAppStatus(const jose::Json& body);

// AppClientSecretRegenerator {"appId": "<app id>"}: the app id.
Result<std::string> ParseSecretRegeneration(const jose::Json& body);

// ---- Queries ----

// "startIndex" (1-based, default 1) and "count" (0..1000, default 100).
Result<oauth::Page> ParsePage(const Query& query);
// "filter" of a user listing: userName eq "x" (RFC 7644 3.4.2.2), the only one supported.
Result<std::optional<std::string>> ParseUserFilter(const Query& query);
// "filter" of an app listing: displayName eq "x" or name eq "x".
Result<std::optional<oauth::AppFilter>> ParseAppFilter(const Query& query);
// "filter" of a federation trust listing: issuer eq "x" (contract section 10), the only one.
Result<std::optional<std::string>> ParseTrustFilter(const Query& query);
// An audit listing's "clientId", "outcome", "grant" (exact matches), "reason" (a reason code,
// matched exactly against the code part of each event's reason, never as a substring), "since",
// "until" (seconds) and "count" (1..1000).
Result<store::AuditFilter> ParseAuditQuery(const Query& query);
// A time window's "since" and "until" (seconds), each absent when not given.
struct TimeWindow {
  std::optional<int64_t> since, until;
};
Result<TimeWindow> ParseTimeWindow(const Query& query);

// ---- Answers ----

jose::Json UserToJson(const store::User& user);
// Never the secret hash; a confidential app's generated secret is added by AppCreatedToJson.
jose::Json AppToJson(const store::App& app);
jose::Json AppCreatedToJson(const oauth::AppWithSecret& created);
jose::Json AppStatusToJson(const store::App& app);
jose::Json SecretRegeneratedToJson(const oauth::AppWithSecret& regenerated);
// Alias, the DER (base64), both thumbprints, notAfter, and notBefore and subject (RFC 2253 text,
// XN_FLAG_RFC2253) read from the DER.
jose::Json CertificateToJson(const store::CertificateRecord& record);
// kid, alg, state and times; never private material.
jose::Json SigningKeyToJson(const oauth::SigningKeyStatus& key);
// With "rule" when the event is a refusal by an AssertionChecks rule (oauth::AssertionRuleOf).
jose::Json AuditEventToJson(const store::AuditEvent& event);
// {"schemas":[kTokenFailureSummarySchema],"since","until","total","reasons":[{"reason","count",
// "rule" when the code has one}]}.
jose::Json TokenFailureSummaryToJson(const oauth::TokenFailureSummary& summary);
// An IdentityPropagationTrust (federation::TrustToJson) with "meta"; with `with_warnings` (the
// answer to a creation or a change) also "warnings", the list of trust.warnings, empty or not.
jose::Json FederationTrustToJson(const oauth::FederationTrust& trust, bool with_warnings = false);
// {"schemas":[ListResponse], "totalResults", "startIndex", "itemsPerPage", "Resources"}.
jose::Json ListResponse(jose::Json resources, int start_index);

// An RFC 7644 3.12 error body: "schemas", "detail", "status" (a string), and "scimType" when
// given.
jose::Json ErrorToJson(int http_status, std::string_view detail, std::string_view scim_type = {});

}  // namespace tessera::http::scim

#endif  // TESSERA_HTTP_API_SCIM_H_
