// AdminService: the identity domain's administration (contract section 6), SCIM 2.0 shaped with
// IDCS attribute names: Users, Apps (confidential and resource), app activation, client and
// partner certificates, signing-key rotation, audit events.
//
// Requests and answers are JSON values; the http layer does the transport. Errors are Statuses
// whose code the http layer maps to the SCIM error shape:
//   kInvalidArgument -> 400 (the message says which attribute and why), kNotFound -> 404,
//   kAlreadyExists -> 409 (scimType "uniqueness"), kUnavailable -> 503.
// Every write invalidates this node's Directory and is audited.
//
// Thread safety: all methods may be called concurrently.
#ifndef TESSERA_OAUTH_ADMIN_SERVICE_H_
#define TESSERA_OAUTH_ADMIN_SERVICE_H_

#include <map>
#include <string>

#include "jose/json.h"
#include "oauth/audit.h"
#include "oauth/config.h"
#include "oauth/directory.h"
#include "oauth/signing_keys.h"
#include "store/store.h"
#include "tessera/clock.h"

namespace tessera::oauth {

inline constexpr char kScimErrorSchema[] = "urn:ietf:params:scim:api:messages:2.0:Error";
inline constexpr char kScimListSchema[] = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
inline constexpr char kScimPatchSchema[] = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

class AdminService {
 public:
  AdminService(store::Store& store, Directory& directory, SigningKeys& keys, AuditLog& audit,
               const DomainConfig& config, const Clock& clock);

  // `actor` (the administrator's client id) and `ecid` go to the audit trail.
  struct Context {
    std::string actor;
    std::string ecid;
  };

  Result<jose::Json> CreateUser(const Context& ctx, const jose::Json& body);
  Result<jose::Json> GetUser(const std::string& id);
  // query: "filter" (userName eq "x"), "startIndex" (1-based), "count".
  Result<jose::Json> ListUsers(const std::map<std::string, std::string>& query);
  Result<jose::Json> PatchUser(const Context& ctx, const std::string& id, const jose::Json& patch);
  Status DeleteUser(const Context& ctx, const std::string& id);

  // The answer of a confidential app's creation carries "clientSecret", shown only then.
  Result<jose::Json> CreateApp(const Context& ctx, const jose::Json& body);
  Result<jose::Json> GetApp(const std::string& id);
  Result<jose::Json> ListApps(const std::map<std::string, std::string>& query);
  Result<jose::Json> PatchApp(const Context& ctx, const std::string& id, const jose::Json& patch);
  Status DeleteApp(const Context& ctx, const std::string& id);
  Result<jose::Json> SetAppActive(const Context& ctx, const std::string& id,
                                  const jose::Json& body);

  Result<jose::Json> PutCertificate(const Context& ctx, store::CertificateKind kind,
                                    const jose::Json& body);
  Result<jose::Json> GetCertificate(store::CertificateKind kind, const std::string& alias);
  Result<jose::Json> ListCertificates(store::CertificateKind kind);
  Status DeleteCertificate(const Context& ctx, store::CertificateKind kind,
                           const std::string& alias);

  // POST /admin/v1/AppClientSecretRegenerator {"appId":..}: a new generated secret for a
  // confidential app, answered once ({"appId","clientSecret",...}); the old one stops working at
  // once on this node (the Directory is invalidated) and within the cache bound elsewhere.
  // kInvalidArgument without appId or for a resource app, kNotFound for an unknown app.
  Result<jose::Json> RegenerateClientSecret(const Context& ctx, const jose::Json& body);

  Result<jose::Json> RotateSigningKey(const Context& ctx);
  // Withdraws a signing key at once (SigningKeys::Revoke); the active key is replaced first.
  Result<jose::Json> RevokeSigningKey(const Context& ctx, const std::string& kid);
  // Every signing key, newest first: kid, alg, state (active | retired | revoked | expired),
  // and its times; never private material.
  Result<jose::Json> ListSigningKeys();
  // query: "clientId", "outcome", "since", "until" (seconds), "count".
  Result<jose::Json> ListAudit(const std::map<std::string, std::string>& query);

  // The bootstrap administrator app with this id and secret: created when absent; when present
  // and the secret differs from the stored one, the stored hash is replaced (so an operator
  // rotates it by restarting with a new secret); a matching secret stored with the older fast
  // hash is re-hashed with Argon2id. Operator-chosen, so always Argon2id (secrets.h).
  enum class BootstrapOutcome { kCreated, kUnchanged, kSecretReplaced, kHashUpgraded };
  Result<BootstrapOutcome> EnsureBootstrapAdmin(const std::string& client_id,
                                                const std::string& client_secret);

 private:
  Result<store::App> AppFromJson(const jose::Json& body, store::App base, bool creating,
                                 const Context& ctx);
  Status Audit(const Context& ctx, const std::string& action, const std::string& what);

  store::Store& store_;
  Directory& directory_;
  SigningKeys& keys_;
  AuditLog& audit_;
  const DomainConfig& config_;
  const Clock& clock_;
};

// SCIM view of records (also used by PATCH, which edits the view and parses it back).
jose::Json UserToJson(const store::User& user);
jose::Json AppToJson(const store::App& app);

// Applies a SCIM PatchOp (RFC 7644 3.5.2: add/replace/remove on top-level attributes, or replace
// with an object value and no path) to `resource`. Errors: kInvalidArgument.
Status ApplyScimPatch(jose::Json& resource, const jose::Json& patch);

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_ADMIN_SERVICE_H_
