// AdminService: the identity domain's administration (contract section 6): Users, Apps
// (confidential and resource), app activation, client and partner certificates, signing-key
// rotation, audit events; and federation trusts (contract section 10).
//
// Inputs are typed (the attribute values a request gives, already parsed from the wire by
// http/api/scim.h); answers are store records. Errors are Statuses whose code the http layer
// maps to the wire: kInvalidArgument (the message says which attribute and why), kNotFound,
// kAlreadyExists, kUnavailable.
// Every write invalidates this node's Directory and is audited.
//
// Thread safety: all methods may be called concurrently.
#ifndef TESSERA_OAUTH_ADMIN_SERVICE_H_
#define TESSERA_OAUTH_ADMIN_SERVICE_H_

#include <optional>
#include <string>
#include <vector>

#include "federation/trust.h"
#include "oauth/audit.h"
#include "oauth/config.h"
#include "oauth/directory.h"
#include "oauth/signing_keys.h"
#include "store/store.h"
#include "tessera/clock.h"

namespace tessera::oauth {

// A User's attributes as a request gives them. On creation an absent optional takes its default
// (empty names and emails, active); on a change it leaves the stored value.
struct UserFields {
  std::string user_name;  // required, non-empty
  std::optional<std::string> given_name;
  std::optional<std::string> family_name;
  std::optional<std::vector<std::string>> emails;  // the primary first
  std::optional<bool> active;
};

// A client certificate an app attaches by alias, optionally uploading it (base64 DER or PEM).
struct CertificateRef {
  std::string alias;
  std::optional<std::string> x509_base64;
};

// An App's attributes as a request gives them; `kind` selects which of them apply (a resource
// app's audience and scopes, or a confidential app's grants, scopes, operations, algorithms and
// certificates). An absent optional leaves the stored value (empty on creation).
struct AppFields {
  store::AppKind kind = store::AppKind::kConfidential;
  std::string display_name;  // required, non-empty
  std::optional<std::string> description;
  int64_t access_token_expiry = 0;  // 0 = unset (absent resets it)
  // Resource apps.
  std::string audience;  // required for a resource app
  std::optional<std::vector<std::string>> scopes;
  // Confidential apps.
  std::optional<std::vector<std::string>> allowed_grants;
  std::optional<std::vector<std::string>> allowed_scopes;
  std::optional<std::vector<std::string>> allowed_operations;
  std::optional<std::vector<std::string>> assertion_algs;
  std::optional<bool> require_jti;
  std::optional<std::vector<CertificateRef>> certificates;
  // Sender constraint (contract section 11; store::App says what each means).
  std::optional<bool> dpop_bound_access_tokens;
  std::optional<bool> tls_client_certificate_bound_access_tokens;
  std::optional<std::string> tls_client_auth_subject_dn;  // "" clears it
  std::optional<std::string> tls_client_auth_san_dns;     // "" clears it
  // Honoured on a change only: a new app is inactive until activated (contract section 6).
  std::optional<bool> active;
};

// A certificate to store under an alias: base64 DER or PEM, as x509Base64Certificate carries it.
struct NewCertificate {
  std::string alias;
  std::string x509_base64;
};

// Paging of a listing: `start` is 1-based.
struct Page {
  int start = 1;
  int count = 100;
};

// Which attribute an app listing's equality filter names.
enum class AppFilterField { kDisplayName, kClientId };
struct AppFilter {
  AppFilterField field = AppFilterField::kDisplayName;
  std::string value;
};

enum class SigningKeyState { kActive, kRetired, kRevoked, kExpired };
struct SigningKeyStatus {
  store::SigningKeyRecord key;  // private_pem must not leave the service's caller
  SigningKeyState state = SigningKeyState::kActive;
};

// A confidential app with the secret just generated for it, shown only in this answer.
struct AppWithSecret {
  store::App app;
  std::string client_secret;  // empty for a resource app
};

// A federation trust as stored and decoded. `warnings` is TrustWarnings(trust) for the answer to
// a creation or a change, empty otherwise.
struct FederationTrust {
  store::FederationTrustRecord record;
  federation::Trust trust;
  std::vector<std::string> warnings;
};

// Token-endpoint refusals over a time window, by reason code (GET /admin/v1/TokenFailureSummary).
struct TokenFailureSummary {
  int64_t since = 0, until = 0;  // the window, both bounds inclusive (seconds)
  int64_t total = 0;             // every refusal in the window, grouped or not
  struct Group {
    std::string reason_code;
    int64_t count = 0;
    std::optional<int> rule;  // AssertionRule of the code, when it names one
  };
  std::vector<Group> reasons;  // by count descending, then code; at most kMaxGroups
  static constexpr int kMaxGroups = 200;
  static constexpr int64_t kDefaultWindow = 24 * 3600;
};

class AdminService {
 public:
  AdminService(store::Store& store, Directory& directory, SigningKeys& keys, AuditLog& audit,
               const DomainConfig& config, const Clock& clock);

  // `actor` (the administrator's client id) and `ecid` go to the audit trail.
  struct Context {
    std::string actor;
    std::string ecid;
  };

  Result<store::User> CreateUser(const Context& ctx, const UserFields& fields);
  Result<store::User> GetUser(const std::string& id);
  // With `user_name`, the one user of that name (or none); else a page ordered by userName.
  Result<std::vector<store::User>> ListUsers(const std::optional<std::string>& user_name,
                                             const Page& page);
  // Applies `fields` (the user's attributes after the change) to the stored user.
  Result<store::User> PatchUser(const Context& ctx, const std::string& id,
                                const UserFields& fields);
  Status DeleteUser(const Context& ctx, const std::string& id);

  // A confidential app's creation answers its generated client secret, shown only then.
  // kInvalidArgument for an unknown grant or operation, an assertion algorithm that is not
  // allowed, a resource app without scopes, or an unknown certificate alias.
  Result<AppWithSecret> CreateApp(const Context& ctx, const AppFields& fields);
  Result<store::App> GetApp(const std::string& id);
  // With `filter`, every app it matches (no paging); else a page.
  Result<std::vector<store::App>> ListApps(const std::optional<AppFilter>& filter,
                                           const Page& page);
  // Applies `fields` (the app's attributes after the change; `kind` is the stored one) to the
  // stored app. Identity, secret, role and kind are not changed.
  Result<store::App> PatchApp(const Context& ctx, const std::string& id, const AppFields& fields);
  Status DeleteApp(const Context& ctx, const std::string& id);
  Result<store::App> SetAppActive(const Context& ctx, const std::string& id, bool active);

  // kInvalidArgument when the certificate cannot be read or has expired; kAlreadyExists when the
  // alias is taken.
  Result<store::CertificateRecord> PutCertificate(const Context& ctx, store::CertificateKind kind,
                                                  const NewCertificate& cert);
  Result<store::CertificateRecord> GetCertificate(store::CertificateKind kind,
                                                  const std::string& alias);
  Result<std::vector<store::CertificateRecord>> ListCertificates(store::CertificateKind kind);
  Status DeleteCertificate(const Context& ctx, store::CertificateKind kind,
                           const std::string& alias);

  // A new generated secret for a confidential app, answered once; the old one stops working at
  // once on this node (the Directory is invalidated) and within the cache bound elsewhere.
  // kInvalidArgument for a resource app, kNotFound for an unknown app.
  Result<AppWithSecret> RegenerateClientSecret(const Context& ctx, const std::string& app_id);

  // The new active key's kid.
  Result<std::string> RotateSigningKey(const Context& ctx);
  // Withdraws a signing key at once (SigningKeys::Revoke); the active key is replaced first.
  // Answers the active kid.
  Result<std::string> RevokeSigningKey(const Context& ctx, const std::string& kid);
  // Every signing key, newest first, with its state now.
  Result<std::vector<SigningKeyStatus>> ListSigningKeys();
  // The audit trail's events matching `filter`, this node's pending ones included.
  Result<std::vector<store::AuditEvent>> ListAudit(const store::AuditFilter& filter);
  // The refusals ("rejected" audit events, this node's pending ones included) with since <= time
  // <= until, grouped by reason code. An absent `until` is now (the clock), an absent `since`
  // until - 24 h; kInvalidArgument when since > until.
  Result<TokenFailureSummary> SummarizeTokenFailures(std::optional<int64_t> since,
                                                     std::optional<int64_t> until);

  // Federation trusts. `trust` comes from federation::TrustFromJson (validated there, and again
  // here: ValidateTrust's kInvalidArgument names the field). The store assigns the id on
  // creation; a change keeps the id and the creation time. kAlreadyExists when the name is
  // another trust's, kNotFound for an unknown id. Each change is audited
  // ("federation_trust.create|update|delete", subject the trust id, reason its issuer).
  Result<FederationTrust> CreateFederationTrust(const Context& ctx, federation::Trust trust);
  Result<FederationTrust> GetFederationTrust(const std::string& id);
  // With `issuer`, the trusts of exactly that issuer; else every trust; by creation time.
  Result<std::vector<FederationTrust>> ListFederationTrusts(
      const std::optional<std::string>& issuer);
  Result<FederationTrust> UpdateFederationTrust(const Context& ctx, const std::string& id,
                                                federation::Trust trust);
  Status DeleteFederationTrust(const Context& ctx, const std::string& id);

  // The bootstrap administrator app with this id and secret: created when absent; when present
  // and the secret differs from the stored one, the stored hash is replaced (so an operator
  // rotates it by restarting with a new secret); a matching secret stored with the older fast
  // hash is re-hashed with Argon2id. Operator-chosen, so always Argon2id (secrets.h). Nodes
  // sharing a store may call it together: the one that loses the creation race takes the
  // winner's app as existing (`retried` is that second look, internal).
  enum class BootstrapOutcome { kCreated, kUnchanged, kSecretReplaced, kHashUpgraded };
  Result<BootstrapOutcome> EnsureBootstrapAdmin(const std::string& client_id,
                                                const std::string& client_secret,
                                                bool retried = false);

 private:
  // Applies `fields` to `app` (kind set), checking the values and attaching certificates.
  Status ApplyAppFields(const Context& ctx, const AppFields& fields, store::App& app);
  Status AttachCertificates(const Context& ctx, const std::vector<CertificateRef>& refs,
                            store::App& app);
  Status Audit(const Context& ctx, const std::string& action, const std::string& what,
               const std::string& detail = "");

  store::Store& store_;
  Directory& directory_;
  SigningKeys& keys_;
  AuditLog& audit_;
  const Clock& clock_;
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_ADMIN_SERVICE_H_
