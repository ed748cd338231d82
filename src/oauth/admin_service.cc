#include "oauth/admin_service.h"

#include <algorithm>

#include "common/random.h"
#include "federation/trust_json.h"
#include "jose/algorithm.h"
#include "jose/claims.h"
#include "jose/keyio.h"
#include "oauth/federation_trusts.h"
#include "oauth/identifiers.h"
#include "oauth/secrets.h"

namespace tessera::oauth {
namespace {

Status Bad(std::string msg) { return Status::InvalidArgument(std::move(msg)); }

const std::vector<std::string>& KnownGrants() {
  static const std::vector<std::string> kGrants = {kGrantClientCredentials, kGrantJwtBearer,
                                                   kGrantTokenExchange};
  return kGrants;
}

// The value rules of a confidential app's lists, in the order the attributes are read.
Status CheckGrants(const std::vector<std::string>& grants) {
  for (const auto& g : grants) {
    if (std::find(KnownGrants().begin(), KnownGrants().end(), g) == KnownGrants().end()) {
      return Bad("allowedGrants: unknown grant '" + g + "'; supported: client_credentials, " +
                 kGrantJwtBearer + ", " + kGrantTokenExchange);
    }
  }
  return Status::Ok();
}

Status CheckOperations(const std::vector<std::string>& operations) {
  for (const auto& op : operations) {
    if (op != "introspect" && op != "trustToken")
      return Bad("allowedOperations: unknown operation '" + op + "'");
  }
  return Status::Ok();
}

Status CheckAssertionAlgorithms(const std::vector<std::string>& algs) {
  for (const auto& alg : algs) {
    auto parsed = jose::AlgorithmFromName(alg);
    // Contract rule 2: never none, never an HMAC alg for a certificate.
    if (!parsed || jose::FamilyOf(*parsed) == jose::AlgorithmFamily::kHmac) {
      return Bad("assertionAlgorithms: '" + alg +
                 "' is not allowed; use RS256, PS256, ES256 or EdDSA");
    }
  }
  return Status::Ok();
}

void ApplyUserFields(const UserFields& f, store::User& u) {
  u.user_name = f.user_name;
  if (f.given_name) u.given_name = *f.given_name;
  if (f.family_name) u.family_name = *f.family_name;
  if (f.emails) u.emails = *f.emails;
  if (f.active) u.active = *f.active;
}

}  // namespace

AdminService::AdminService(store::Store& store, Directory& directory, SigningKeys& keys,
                           AuditLog& audit, const DomainConfig& /*config*/, const Clock& clock)
    : store_(store), directory_(directory), keys_(keys), audit_(audit), clock_(clock) {}

Status AdminService::Audit(const Context& ctx, const std::string& action, const std::string& what,
                           const std::string& detail) {
  directory_.Invalidate();
  store::AuditEvent e;
  e.time = clock_.NowSeconds();
  e.ecid = ctx.ecid;
  e.client_id = ctx.actor;
  e.subject = what.substr(0, 256);
  e.grant = "admin";
  e.outcome = action;
  e.reason = detail.substr(0, 1024);
  audit_.Record(std::move(e));
  return Status::Ok();
}

// ---- Users ----

Result<store::User> AdminService::CreateUser(const Context& ctx, const UserFields& fields) {
  store::User u;
  u.active = true;
  ApplyUserFields(fields, u);
  u.id = RandomUuid();
  u.created_at = u.updated_at = clock_.NowSeconds();
  Status s = store_.CreateUser(u);
  if (s.code() == StatusCode::kAlreadyExists)
    return Status::AlreadyExists("a user with userName '" + u.user_name + "' exists");
  TESSERA_RETURN_IF_ERROR(s);
  TESSERA_RETURN_IF_ERROR(Audit(ctx, "user.create", u.user_name));
  return u;
}

Result<store::User> AdminService::GetUser(const std::string& id) { return store_.GetUser(id); }

Result<std::vector<store::User>> AdminService::ListUsers(
    const std::optional<std::string>& user_name, const Page& page) {
  if (user_name) {
    std::vector<store::User> out;
    Result<store::User> u = store_.FindUserByName(*user_name);
    if (u.ok())
      out.push_back(std::move(u).value());
    else if (u.status().code() != StatusCode::kNotFound)
      return u.status();
    return out;
  }
  return store_.ListUsers(page.start - 1, page.count);
}

Result<store::User> AdminService::PatchUser(const Context& ctx, const std::string& id,
                                            const UserFields& fields) {
  TESSERA_ASSIGN_OR_RETURN(store::User u, store_.GetUser(id));
  ApplyUserFields(fields, u);
  u.updated_at = clock_.NowSeconds();
  Status s = store_.UpdateUser(u);
  if (s.code() == StatusCode::kAlreadyExists)
    return Status::AlreadyExists("a user with userName '" + u.user_name + "' exists");
  TESSERA_RETURN_IF_ERROR(s);
  TESSERA_RETURN_IF_ERROR(Audit(ctx, "user.update", u.user_name));
  return u;
}

Status AdminService::DeleteUser(const Context& ctx, const std::string& id) {
  TESSERA_ASSIGN_OR_RETURN(store::User u, store_.GetUser(id));
  TESSERA_RETURN_IF_ERROR(store_.DeleteUser(id));
  return Audit(ctx, "user.delete", u.user_name);
}

// ---- Certificates ----

Result<store::CertificateRecord> AdminService::PutCertificate(const Context& ctx,
                                                              store::CertificateKind kind,
                                                              const NewCertificate& given) {
  Result<jose::Certificate> cert = jose::LoadCertificate(given.x509_base64);
  if (!cert.ok()) return Bad("x509Base64Certificate refused: " + cert.status().message());
  const int64_t now = clock_.NowSeconds();
  if (cert->not_after < now)
    return Bad("x509Base64Certificate refused: the certificate expired at " +
               jose::FormatNumericDate(cert->not_after));
  store::CertificateRecord rec{given.alias,    cert->der,       cert->x5t,
                               cert->x5t_s256, cert->not_after, now};
  Status s = store_.PutCertificate(kind, rec);
  if (s.code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists("a certificate with alias '" + given.alias +
                                 "' exists; delete it first to replace it");
  }
  TESSERA_RETURN_IF_ERROR(s);
  TESSERA_RETURN_IF_ERROR(Audit(
      ctx,
      kind == store::CertificateKind::kClient ? "certificate.create" : "partner_certificate.create",
      given.alias));
  return rec;
}

Result<store::CertificateRecord> AdminService::GetCertificate(store::CertificateKind kind,
                                                              const std::string& alias) {
  return store_.GetCertificate(kind, alias);
}

Result<std::vector<store::CertificateRecord>> AdminService::ListCertificates(
    store::CertificateKind kind) {
  return store_.ListCertificates(kind);
}

Status AdminService::DeleteCertificate(const Context& ctx, store::CertificateKind kind,
                                       const std::string& alias) {
  TESSERA_RETURN_IF_ERROR(store_.DeleteCertificate(kind, alias));
  return Audit(
      ctx,
      kind == store::CertificateKind::kClient ? "certificate.delete" : "partner_certificate.delete",
      alias);
}

// ---- Apps ----

namespace {

// Edit distance, for suggesting the scope meant (inputs are at most 1024 bytes).
std::size_t Distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Every allowed scope must be a fully qualified scope (audience + value) of a resource app, or a
// client could be configured for a scope no request can ever be granted; the refusal lists the
// ones that exist and the nearest.
Status CheckAllowedScopes(store::Store& store, const std::vector<std::string>& scopes) {
  if (scopes.empty()) return Status::Ok();
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::App> apps, store.ListApps(0, 100000));
  std::vector<std::string> fqs;
  for (const auto& app : apps) {
    if (app.kind != store::AppKind::kResource) continue;
    for (const auto& v : app.scopes) fqs.push_back(app.audience + v);
  }
  for (const auto& s : scopes) {
    if (std::find(fqs.begin(), fqs.end(), s) != fqs.end()) continue;
    std::string msg = "allowedScopes: '" + s.substr(0, 256) +
                      "' is no scope of a resource app (audience + scope value)";
    if (fqs.empty()) return Bad(msg + "; no resource app exists yet: create one first");
    const std::string* nearest = &fqs.front();
    std::size_t best = Distance(s.substr(0, 1024), *nearest);
    std::string known;
    for (std::size_t i = 0; i < fqs.size(); ++i) {
      if (const std::size_t d = Distance(s.substr(0, 1024), fqs[i]); d < best) {
        best = d;
        nearest = &fqs[i];
      }
      if (i < 20) {
        if (!known.empty()) known += ", ";
        known += fqs[i];
      }
    }
    if (fqs.size() > 20)
      known.append(", ... (").append(std::to_string(fqs.size())).append(" in all)");
    std::string text = msg;
    text.append("; did you mean '").append(*nearest).append("'? Existing: ").append(known);
    return Bad(text);
  }
  return Status::Ok();
}

// A tls_client_auth identity (RFC 8705 2.1.2) is compared with what a certificate shows: bounded,
// no control characters; "" unsets it.
Status CheckTlsIdentity(std::string_view name, const std::string& value, size_t max_bytes) {
  if (!value.empty() && !IsSafeIdentifier(value, max_bytes))
    return Bad(std::string(name) + " must be at most " + std::to_string(max_bytes) +
               " bytes without control characters");
  return Status::Ok();
}

}  // namespace

Status AdminService::ApplyAppFields(const Context& ctx, const AppFields& f, store::App& a) {
  a.display_name = f.display_name;
  if (f.description) a.description = *f.description;
  a.access_token_expiry = f.access_token_expiry;
  if (a.kind == store::AppKind::kResource) {
    a.audience = f.audience;
    if (f.scopes) a.scopes = *f.scopes;
    if (a.scopes.empty())
      return Bad(
          "a resource app needs at least one entry in 'scopes', e.g. "
          "{\"value\":\"urn:opc:resource:consumer::all\"}");
    return Status::Ok();
  }
  if (f.allowed_grants) {
    TESSERA_RETURN_IF_ERROR(CheckGrants(*f.allowed_grants));
    a.allowed_grants = *f.allowed_grants;
  }
  if (f.allowed_scopes) {
    TESSERA_RETURN_IF_ERROR(CheckAllowedScopes(store_, *f.allowed_scopes));
    a.allowed_scopes = *f.allowed_scopes;
  }
  if (f.allowed_operations) {
    TESSERA_RETURN_IF_ERROR(CheckOperations(*f.allowed_operations));
    a.allowed_operations = *f.allowed_operations;
  }
  if (f.assertion_algs) {
    TESSERA_RETURN_IF_ERROR(CheckAssertionAlgorithms(*f.assertion_algs));
    a.assertion_algs = *f.assertion_algs;
  }
  if (f.require_jti) a.require_jti = *f.require_jti;
  if (f.dpop_bound_access_tokens) a.dpop_bound_access_tokens = *f.dpop_bound_access_tokens;
  if (f.tls_client_certificate_bound_access_tokens)
    a.tls_client_certificate_bound_access_tokens = *f.tls_client_certificate_bound_access_tokens;
  if (f.tls_client_auth_subject_dn) {
    TESSERA_RETURN_IF_ERROR(
        CheckTlsIdentity("tlsClientAuthSubjectDn", *f.tls_client_auth_subject_dn, 1024));
    a.tls_client_auth_subject_dn = *f.tls_client_auth_subject_dn;
  }
  if (f.tls_client_auth_san_dns) {
    TESSERA_RETURN_IF_ERROR(
        CheckTlsIdentity("tlsClientAuthSanDns", *f.tls_client_auth_san_dns, 253));
    a.tls_client_auth_san_dns = *f.tls_client_auth_san_dns;
  }
  if (f.certificates) TESSERA_RETURN_IF_ERROR(AttachCertificates(ctx, *f.certificates, a));
  return Status::Ok();
}

// Certificates are attached by alias; an entry may carry the certificate itself, stored first.
Status AdminService::AttachCertificates(const Context& ctx, const std::vector<CertificateRef>& refs,
                                        store::App& a) {
  std::vector<std::string> aliases;
  for (const CertificateRef& c : refs) {
    if (c.x509_base64) {
      Result<store::CertificateRecord> put =
          PutCertificate(ctx, store::CertificateKind::kClient, {c.alias, *c.x509_base64});
      if (!put.ok() && put.status().code() != StatusCode::kAlreadyExists) return put.status();
      if (!put.ok()) {
        // The alias exists: accept the same certificate again, refuse a different one.
        TESSERA_ASSIGN_OR_RETURN(store::CertificateRecord existing,
                                 store_.GetCertificate(store::CertificateKind::kClient, c.alias));
        Result<jose::Certificate> given = jose::LoadCertificate(*c.x509_base64);
        if (!given.ok() || given->der != existing.der) return put.status();
      }
    } else {
      Result<store::CertificateRecord> existing =
          store_.GetCertificate(store::CertificateKind::kClient, c.alias);
      if (!existing.ok() && existing.status().code() == StatusCode::kNotFound) {
        return Bad(
            "certificates: no client certificate with alias '" + c.alias +
            "'; upload it at /admin/v1/OAuthClientCertificates or include x509Base64Certificate");
      }
      TESSERA_RETURN_IF_ERROR(existing.status());
    }
    if (std::find(aliases.begin(), aliases.end(), c.alias) == aliases.end())
      aliases.push_back(c.alias);
  }
  a.certificate_aliases = std::move(aliases);
  return Status::Ok();
}

Result<AppWithSecret> AdminService::CreateApp(const Context& ctx, const AppFields& fields) {
  AppWithSecret out;
  store::App& a = out.app;
  a.active = false;  // contract section 6: new apps are inactive until activated
  a.kind = fields.kind;
  TESSERA_RETURN_IF_ERROR(ApplyAppFields(ctx, fields, a));
  a.id = RandomUuid();
  a.created_at = a.updated_at = clock_.NowSeconds();
  if (a.kind == store::AppKind::kConfidential) {
    a.client_id = GenerateClientId();
    out.client_secret = GenerateClientSecret();
    TESSERA_ASSIGN_OR_RETURN(a.secret_hash, HashSecret(out.client_secret));
  }
  TESSERA_RETURN_IF_ERROR(store_.CreateApp(a));
  TESSERA_RETURN_IF_ERROR(Audit(ctx, "app.create", a.display_name));
  return out;
}

Result<store::App> AdminService::GetApp(const std::string& id) { return store_.GetApp(id); }

Result<std::vector<store::App>> AdminService::ListApps(const std::optional<AppFilter>& filter,
                                                       const Page& page) {
  if (!filter) return store_.ListApps(page.start - 1, page.count);
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::App> apps, store_.ListApps(0, 100000));
  std::vector<store::App> out;
  for (auto& a : apps) {
    const std::string& value =
        filter->field == AppFilterField::kClientId ? a.client_id : a.display_name;
    if (value == filter->value) out.push_back(std::move(a));
  }
  return out;
}

Result<store::App> AdminService::PatchApp(const Context& ctx, const std::string& id,
                                          const AppFields& fields) {
  TESSERA_ASSIGN_OR_RETURN(store::App a, store_.GetApp(id));
  // Identity, secret, role and kind are not patchable; activation has its own endpoint but
  // "active" in a PATCH is honoured too.
  TESSERA_RETURN_IF_ERROR(ApplyAppFields(ctx, fields, a));
  if (fields.active) a.active = *fields.active;
  a.updated_at = clock_.NowSeconds();
  TESSERA_RETURN_IF_ERROR(store_.UpdateApp(a));
  TESSERA_RETURN_IF_ERROR(Audit(ctx, "app.update", a.display_name));
  return a;
}

Status AdminService::DeleteApp(const Context& ctx, const std::string& id) {
  TESSERA_ASSIGN_OR_RETURN(store::App a, store_.GetApp(id));
  TESSERA_RETURN_IF_ERROR(store_.DeleteApp(id));
  return Audit(ctx, "app.delete", a.display_name);
}

Result<store::App> AdminService::SetAppActive(const Context& ctx, const std::string& id,
                                              bool active) {
  TESSERA_ASSIGN_OR_RETURN(store::App a, store_.GetApp(id));
  a.active = active;
  a.updated_at = clock_.NowSeconds();
  TESSERA_RETURN_IF_ERROR(store_.UpdateApp(a));
  TESSERA_RETURN_IF_ERROR(Audit(ctx, a.active ? "app.activate" : "app.deactivate", a.display_name));
  return a;
}

Result<std::string> AdminService::RotateSigningKey(const Context& ctx) {
  TESSERA_ASSIGN_OR_RETURN(std::string kid, keys_.Rotate());
  TESSERA_RETURN_IF_ERROR(Audit(ctx, "signing_key.rotate", kid));
  return kid;
}

Result<std::string> AdminService::RevokeSigningKey(const Context& ctx, const std::string& kid) {
  TESSERA_ASSIGN_OR_RETURN(std::string active, keys_.Revoke(kid));
  TESSERA_RETURN_IF_ERROR(Audit(ctx, "signing_key.revoke", kid));
  return active;
}

Result<std::vector<SigningKeyStatus>> AdminService::ListSigningKeys() {
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::SigningKeyRecord> recs, keys_.List());
  const int64_t now = clock_.NowSeconds();
  std::vector<SigningKeyStatus> out;
  for (auto& k : recs) {
    const SigningKeyState state = k.revoked_at != 0       ? SigningKeyState::kRevoked
                                  : k.retired_at == 0     ? SigningKeyState::kActive
                                  : k.publish_until < now ? SigningKeyState::kExpired
                                                          : SigningKeyState::kRetired;
    out.push_back({std::move(k), state});
  }
  return out;
}

Result<AppWithSecret> AdminService::RegenerateClientSecret(const Context& ctx,
                                                           const std::string& id) {
  AppWithSecret out;
  TESSERA_ASSIGN_OR_RETURN(out.app, store_.GetApp(id));
  store::App& a = out.app;
  if (a.kind != store::AppKind::kConfidential)
    return Bad("app " + id + " is a resource app: it has no client secret");
  out.client_secret = GenerateClientSecret();
  // Generated: the fast hash suffices (secrets.h).
  TESSERA_ASSIGN_OR_RETURN(a.secret_hash, HashSecret(out.client_secret));
  a.updated_at = clock_.NowSeconds();
  TESSERA_RETURN_IF_ERROR(store_.UpdateApp(a));
  // Audit invalidates this node's Directory: the old secret is refused from the next request.
  TESSERA_RETURN_IF_ERROR(Audit(ctx, "app.secret_regenerate", a.display_name));
  return out;
}

Result<std::vector<store::AuditEvent>> AdminService::ListAudit(const store::AuditFilter& filter) {
  audit_.Flush();  // read-your-writes for the trail
  return store_.ListAudit(filter);
}

Result<TokenFailureSummary> AdminService::SummarizeTokenFailures(std::optional<int64_t> since,
                                                                 std::optional<int64_t> until) {
  TokenFailureSummary out;
  out.until = until.value_or(clock_.NowSeconds());
  out.since = since.value_or(out.until - TokenFailureSummary::kDefaultWindow);
  if (out.since > out.until) return Status::InvalidArgument("since must not be after until");
  audit_.Flush();  // read-your-writes, as ListAudit
  TESSERA_ASSIGN_OR_RETURN(
      std::vector<store::ReasonCount> groups,
      store_.CountRejectionsByReason(out.since, out.until, TokenFailureSummary::kMaxGroups));
  // The total counts every refusal, also those of groups beyond the bound.
  store::AuditFilter all;
  all.outcome = "rejected";
  all.since = out.since;
  all.until = out.until;
  TESSERA_ASSIGN_OR_RETURN(out.total, store_.CountAudit(all));
  out.reasons.reserve(groups.size());
  for (store::ReasonCount& g : groups) {
    std::optional<Reason> reason = ReasonFromCode(g.reason_code);
    out.reasons.push_back(
        {std::move(g.reason_code), g.count, reason ? AssertionRule(*reason) : std::nullopt});
  }
  return out;
}

Result<AdminService::BootstrapOutcome> AdminService::EnsureBootstrapAdmin(
    const std::string& client_id, const std::string& client_secret, bool retried) {
  if (client_secret.size() < 16)
    return Status::InvalidArgument("TESSERA_ADMIN_CLIENT_SECRET must be at least 16 characters");
  Result<store::App> existing = store_.FindAppByClientId(client_id);
  if (existing.ok()) {
    const bool same = VerifySecret(client_secret, existing->secret_hash);
    if (same && IsChosenSecretHash(existing->secret_hash)) return BootstrapOutcome::kUnchanged;
    // A new secret at start replaces the stored one: the operator's way to rotate it.
    store::App a = std::move(existing).value();
    a.secret_hash = HashChosenSecret(client_secret);
    a.updated_at = clock_.NowSeconds();
    TESSERA_RETURN_IF_ERROR(store_.UpdateApp(a));
    TESSERA_RETURN_IF_ERROR(Audit(
        {"bootstrap", ""}, same ? "app.secret_rehash" : "app.secret_replace", a.display_name));
    return same ? BootstrapOutcome::kHashUpgraded : BootstrapOutcome::kSecretReplaced;
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  store::App a;
  a.id = RandomUuid();
  a.client_id = client_id;
  a.display_name = "Tessera administrator";
  a.kind = store::AppKind::kConfidential;
  a.active = true;
  a.is_admin = true;
  a.secret_hash = HashChosenSecret(client_secret);
  a.allowed_grants = {kGrantClientCredentials};
  a.created_at = a.updated_at = clock_.NowSeconds();
  if (Status created = store_.CreateApp(a); !created.ok()) {
    // Nodes sharing a store that start together race here: the one whose insert lost finds the
    // winner's app, and checks it as an existing one (once: it exists now).
    if (created.code() == StatusCode::kAlreadyExists && !retried)
      return EnsureBootstrapAdmin(client_id, client_secret, /*retried=*/true);
    return created;
  }
  TESSERA_RETURN_IF_ERROR(Audit({"bootstrap", ""}, "app.create", a.display_name));
  return BootstrapOutcome::kCreated;
}

// ---- Federation trusts ----

namespace {

Result<FederationTrust> DecodeTrust(store::FederationTrustRecord record) {
  Result<federation::Trust> trust = federation::TrustFromDocument(record.document);
  if (!trust.ok()) {
    // Only this service writes the document: a refusal is a damaged store, not the caller's.
    return Status::Internal("federation trust " + record.id +
                            " is stored unreadably: " + trust.status().message());
  }
  return FederationTrust{std::move(record), std::move(trust).value(), {}};
}

Status TrustNameTaken(const Status& s, const std::string& name) {
  if (s.code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists("a federation trust named '" + name + "' exists");
  }
  return s;
}

}  // namespace

Result<FederationTrust> AdminService::CreateFederationTrust(const Context& ctx,
                                                            federation::Trust trust) {
  TESSERA_RETURN_IF_ERROR(federation::ValidateTrust(trust));
  trust.id = RandomUuid();
  const int64_t now = clock_.NowSeconds();
  store::FederationTrustRecord record = FederationTrustRecordOf(trust, now, now);
  TESSERA_RETURN_IF_ERROR(TrustNameTaken(store_.CreateFederationTrust(record), trust.name));
  TESSERA_RETURN_IF_ERROR(
      Audit(ctx, "federation_trust.create", record.id, "issuer " + record.issuer));
  std::vector<std::string> warnings = federation::TrustWarnings(trust);
  return FederationTrust{std::move(record), std::move(trust), std::move(warnings)};
}

Result<FederationTrust> AdminService::GetFederationTrust(const std::string& id) {
  TESSERA_ASSIGN_OR_RETURN(store::FederationTrustRecord record, store_.GetFederationTrust(id));
  return DecodeTrust(std::move(record));
}

Result<std::vector<FederationTrust>> AdminService::ListFederationTrusts(
    const std::optional<std::string>& issuer) {
  TESSERA_ASSIGN_OR_RETURN(
      std::vector<store::FederationTrustRecord> records,
      issuer ? store_.FindFederationTrustsByIssuer(*issuer) : store_.ListFederationTrusts());
  std::vector<FederationTrust> out;
  out.reserve(records.size());
  for (store::FederationTrustRecord& r : records) {
    TESSERA_ASSIGN_OR_RETURN(FederationTrust t, DecodeTrust(std::move(r)));
    out.push_back(std::move(t));
  }
  return out;
}

Result<FederationTrust> AdminService::UpdateFederationTrust(const Context& ctx,
                                                            const std::string& id,
                                                            federation::Trust trust) {
  TESSERA_RETURN_IF_ERROR(federation::ValidateTrust(trust));
  TESSERA_ASSIGN_OR_RETURN(store::FederationTrustRecord current, store_.GetFederationTrust(id));
  trust.id = current.id;
  store::FederationTrustRecord record =
      FederationTrustRecordOf(trust, current.created_at, clock_.NowSeconds());
  TESSERA_RETURN_IF_ERROR(TrustNameTaken(store_.UpdateFederationTrust(record), trust.name));
  std::string detail = "issuer " + record.issuer;
  if (current.issuer != record.issuer) detail += " (was " + current.issuer + ")";
  if (current.active != record.active) detail += record.active ? ", activated" : ", deactivated";
  TESSERA_RETURN_IF_ERROR(Audit(ctx, "federation_trust.update", record.id, detail));
  std::vector<std::string> warnings = federation::TrustWarnings(trust);
  return FederationTrust{std::move(record), std::move(trust), std::move(warnings)};
}

Status AdminService::DeleteFederationTrust(const Context& ctx, const std::string& id) {
  TESSERA_ASSIGN_OR_RETURN(store::FederationTrustRecord current, store_.GetFederationTrust(id));
  TESSERA_RETURN_IF_ERROR(store_.DeleteFederationTrust(id));
  return Audit(ctx, "federation_trust.delete", current.id, "issuer " + current.issuer);
}

}  // namespace tessera::oauth
