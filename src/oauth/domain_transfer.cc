#include "oauth/domain_transfer.h"

#include <algorithm>
#include <functional>
#include <set>

#include "common/random.h"
#include "federation/trust_json.h"
#include "jose/algorithm.h"
#include "jose/keyio.h"
#include "oauth/config.h"
#include "oauth/federation_trusts.h"
#include "oauth/identifiers.h"
#include "oauth/secrets.h"

namespace tessera::oauth {
namespace {

using store::App;
using store::AppKind;
using store::CertificateKind;
using store::CertificateRecord;
using store::TrustTokenIssuerRecord;
using store::User;

constexpr std::size_t kMaxRecords = 10000;  // per kind: one import is one bounded request

Status Bad(const std::string& where, const std::string& what) {
  return Status::InvalidArgument(where + ": " + what);
}

// A supplied secret of the generated shape (43 base64url characters: 256 random bits) keeps the
// fast hash generated secrets have; any other may have been chosen by a person: Argon2id.
Result<std::string> HashSupplied(const std::string& secret) {
  const bool generated =
      secret.size() == 43 && std::all_of(secret.begin(), secret.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
      });
  if (generated) return HashSecret(secret);
  return HashChosenSecret(secret);
}

const std::string* Find(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

// The fields of two users that an import compares (not id, times).
std::vector<std::string> UserChanges(const User& have, const User& want) {
  std::vector<std::string> out;
  if (have.given_name != want.given_name || have.family_name != want.family_name)
    out.push_back("name");
  if (have.emails != want.emails) out.push_back("emails");
  if (have.active != want.active) out.push_back("active");
  return out;
}

std::vector<std::string> AppChanges(const App& have, const App& want) {
  std::vector<std::string> out;
  auto cmp = [&](bool differs, const char* name) {
    if (differs) out.push_back(name);
  };
  cmp(have.display_name != want.display_name, "displayName");
  cmp(have.description != want.description, "description");
  cmp(have.active != want.active, "active");
  cmp(have.is_admin != want.is_admin, "isAdmin");
  cmp(have.allowed_grants != want.allowed_grants, "allowedGrants");
  cmp(have.allowed_scopes != want.allowed_scopes, "allowedScopes");
  cmp(have.certificate_aliases != want.certificate_aliases, "certificates");
  cmp(have.allowed_operations != want.allowed_operations, "allowedOperations");
  cmp(have.assertion_algs != want.assertion_algs, "assertionAlgorithms");
  cmp(have.require_jti != want.require_jti, "requireJti");
  cmp(have.dpop_bound_access_tokens != want.dpop_bound_access_tokens, "dpopBoundAccessTokens");
  cmp(have.tls_client_certificate_bound_access_tokens !=
          want.tls_client_certificate_bound_access_tokens,
      "tlsClientCertificateBoundAccessTokens");
  cmp(have.tls_client_auth_subject_dn != want.tls_client_auth_subject_dn, "tlsClientAuthSubjectDn");
  cmp(have.tls_client_auth_san_dns != want.tls_client_auth_san_dns, "tlsClientAuthSanDns");
  cmp(have.access_token_expiry != want.access_token_expiry, "accessTokenExpiry");
  cmp(have.scopes != want.scopes, "scopes");
  return out;
}

// The wire names of the fields in which two trusts differ (not id).
std::vector<std::string> TrustChanges(const federation::Trust& have,
                                      const federation::Trust& want) {
  jose::Json a = federation::TrustToJson(have), b = federation::TrustToJson(want);
  std::set<std::string> keys;
  for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
  for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
  keys.erase("id");
  std::vector<std::string> out;
  for (const std::string& k : keys) {
    if (a.value(k, jose::Json()) != b.value(k, jose::Json())) out.push_back(k);
  }
  return out;
}

Status ValidateName(const std::string& where, const char* field, const std::string& value,
                    std::size_t max = 256) {
  if (value.empty()) return Bad(where, std::string("'") + field + "' is required");
  if (!IsSafeIdentifier(value, max))
    return Bad(where, std::string("'") + field + "' must be at most " + std::to_string(max) +
                          " characters without control characters");
  return Status::Ok();
}

Status ValidateApp(const App& a, const std::set<std::string>& client_aliases,
                   const std::set<std::string>& fqs) {
  const std::string where = a.kind == AppKind::kResource ? "resource app '" + a.audience + "'"
                                                         : "app '" + a.client_id + "'";
  TESSERA_RETURN_IF_ERROR(ValidateName(where, "displayName", a.display_name));
  if (a.access_token_expiry != 0 &&
      (a.access_token_expiry < kMinTokenLifetime || a.access_token_expiry > kMaxTokenLifetime))
    return Bad(where, "'accessTokenExpiry' must be 0 (unset) or from 60 to 31556952 seconds");
  if (a.kind == AppKind::kResource) {
    TESSERA_RETURN_IF_ERROR(ValidateName(where, "audience", a.audience, 1024));
    if (a.scopes.empty()) return Bad(where, "'scopes' needs at least one scope value");
    return Status::Ok();
  }
  TESSERA_RETURN_IF_ERROR(ValidateName(where, "name", a.client_id));
  if (!a.tls_client_auth_subject_dn.empty())
    TESSERA_RETURN_IF_ERROR(
        ValidateName(where, "tlsClientAuthSubjectDn", a.tls_client_auth_subject_dn, 1024));
  if (!a.tls_client_auth_san_dns.empty())
    TESSERA_RETURN_IF_ERROR(
        ValidateName(where, "tlsClientAuthSanDns", a.tls_client_auth_san_dns, 253));
  for (const auto& g : a.allowed_grants) {
    if (g != kGrantClientCredentials && g != kGrantJwtBearer && g != kGrantTokenExchange)
      return Bad(where, "allowedGrants: unknown grant '" + g + "'; allowed: client_credentials, " +
                            kGrantJwtBearer + ", " + kGrantTokenExchange);
  }
  for (const auto& op : a.allowed_operations) {
    if (op != "introspect" && op != "trustToken")
      return Bad(where, "allowedOperations: unknown operation '" + op +
                            "'; allowed: introspect, trustToken");
  }
  for (const auto& alg : a.assertion_algs) {
    auto parsed = jose::AlgorithmFromName(alg);
    if (!parsed || jose::FamilyOf(*parsed) == jose::AlgorithmFamily::kHmac)
      return Bad(where, "assertionAlgorithms: '" + alg +
                            "' is not allowed; allowed: RS256, PS256, ES256, EdDSA");
  }
  for (const auto& alias : a.certificate_aliases) {
    if (!client_aliases.count(alias))
      return Bad(where, "certificates: no client certificate with alias '" + alias +
                            "' in the domain or on the server");
  }
  for (const auto& s : a.allowed_scopes) {
    if (!fqs.count(s))
      return Bad(where, "allowedScopes: '" + s +
                            "' is no scope of a resource app in the domain or on the server");
  }
  return Status::Ok();
}

template <typename T>
Status Unique(const std::vector<T>& records, std::function<std::string(const T&)> key,
              const char* kind) {
  if (records.size() > kMaxRecords)
    return Status::InvalidArgument(std::string(kind) + ": at most 10000 records per import");
  std::set<std::string> seen;
  for (const auto& r : records) {
    if (!seen.insert(key(r)).second)
      return Status::InvalidArgument(std::string(kind) + " '" + key(r) +
                                     "' appears twice in the domain");
  }
  return Status::Ok();
}

}  // namespace

std::string AppSecretRef(const App& app) { return "app:" + app.client_id; }
std::string IssuerSecretRef(const TrustTokenIssuerRecord& issuer) {
  return "issuer:" + issuer.issuer;
}

const char* ActionName(PlanStep::Action action) {
  switch (action) {
    case PlanStep::Action::kCreate:
      return "create";
    case PlanStep::Action::kUpdate:
      return "update";
    case PlanStep::Action::kUnchanged:
      return "unchanged";
  }
  return "unchanged";
}

DomainTransfer::DomainTransfer(store::Store& store, Directory& directory, AuditLog& audit,
                               const Clock& clock)
    : store_(store), directory_(directory), audit_(audit), clock_(clock) {}

Result<DomainRecords> DomainTransfer::Export() {
  DomainRecords d;
  TESSERA_ASSIGN_OR_RETURN(d.users, store_.ListUsers(0, static_cast<int>(kMaxRecords)));
  TESSERA_ASSIGN_OR_RETURN(d.apps, store_.ListApps(0, static_cast<int>(kMaxRecords)));
  for (auto& a : d.apps) a.secret_hash.clear();
  TESSERA_ASSIGN_OR_RETURN(d.client_certificates,
                           store_.ListCertificates(CertificateKind::kClient));
  TESSERA_ASSIGN_OR_RETURN(d.partner_certificates,
                           store_.ListCertificates(CertificateKind::kPartner));
  TESSERA_ASSIGN_OR_RETURN(d.trust_issuers, store_.ListTrustTokenIssuers());
  for (auto& i : d.trust_issuers) i.shared_secret.clear();
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::FederationTrustRecord> trusts,
                           store_.ListFederationTrusts());
  for (const auto& t : trusts) {
    Result<federation::Trust> trust = federation::TrustFromDocument(t.document);
    if (!trust.ok()) {
      return Status::Internal("federation trust " + t.id +
                              " is stored unreadably: " + trust.status().message());
    }
    d.federation_trusts.push_back(std::move(trust).value());
  }
  return d;
}

Result<std::vector<PlanStep>> DomainTransfer::Import(
    const std::string& actor, const std::string& ecid, const DomainRecords& domain,
    const std::map<std::string, std::string>& secrets, bool dry_run) {
  const int64_t now = clock_.NowSeconds();
  // ---- 1. Within the document: unique natural keys.
  TESSERA_RETURN_IF_ERROR(Unique<User>(
      domain.users, [](const User& u) { return u.user_name; }, "user"));
  std::vector<App> clients, resources;
  for (const auto& a : domain.apps)
    (a.kind == AppKind::kResource ? resources : clients).push_back(a);
  TESSERA_RETURN_IF_ERROR(Unique<App>(
      clients, [](const App& a) { return a.client_id; }, "app"));
  TESSERA_RETURN_IF_ERROR(Unique<App>(
      resources, [](const App& a) { return a.audience; }, "resource app"));
  TESSERA_RETURN_IF_ERROR(Unique<CertificateRecord>(
      domain.client_certificates, [](const CertificateRecord& c) { return c.alias; },
      "certificate"));
  TESSERA_RETURN_IF_ERROR(Unique<CertificateRecord>(
      domain.partner_certificates, [](const CertificateRecord& c) { return c.alias; },
      "partner certificate"));
  TESSERA_RETURN_IF_ERROR(Unique<TrustTokenIssuerRecord>(
      domain.trust_issuers, [](const TrustTokenIssuerRecord& i) { return i.issuer; },
      "trust-token issuer"));
  TESSERA_RETURN_IF_ERROR(Unique<federation::Trust>(
      domain.federation_trusts, [](const federation::Trust& t) { return t.name; },
      "federation trust"));

  // ---- 2. The store as it is.
  TESSERA_ASSIGN_OR_RETURN(DomainRecords have, Export());
  std::map<std::string, User> users_by_name;
  std::set<std::string> user_ids, app_ids;
  for (const auto& u : have.users) {
    users_by_name[u.user_name] = u;
    user_ids.insert(u.id);
  }
  std::map<std::string, App> clients_by_id, resources_by_audience;
  for (const auto& a : have.apps) {
    app_ids.insert(a.id);
    if (a.kind == AppKind::kResource) {
      resources_by_audience[a.audience] = a;
    } else {
      clients_by_id[a.client_id] = a;
    }
  }
  std::map<std::string, CertificateRecord> certs[2];
  for (const auto& c : have.client_certificates) certs[0][c.alias] = c;
  for (const auto& c : have.partner_certificates) certs[1][c.alias] = c;
  std::map<std::string, TrustTokenIssuerRecord> issuers;
  for (const auto& i : have.trust_issuers) issuers[i.issuer] = i;
  std::map<std::string, federation::Trust> trusts_by_name;
  std::set<std::string> trust_ids;
  for (const auto& t : have.federation_trusts) {
    trusts_by_name[t.name] = t;
    trust_ids.insert(t.id);
  }

  // ---- 3. Every record checked, the writes prepared; nothing written yet.
  std::vector<PlanStep> plan;
  std::vector<std::function<Status()>> writes;
  auto step = [&](PlanStep::Action action, const char* kind, const std::string& name,
                  std::vector<std::string> changes = {}) {
    plan.push_back({action, kind, name, std::move(changes)});
  };

  // Certificates: the DER decides; thumbprints and not-after are recomputed from it.
  std::set<std::string> client_aliases;
  for (const auto& [alias, c] : certs[0]) client_aliases.insert(alias);
  for (int k = 0; k < 2; ++k) {
    const CertificateKind kind = k == 0 ? CertificateKind::kClient : CertificateKind::kPartner;
    const char* kind_name = k == 0 ? "certificate" : "partnerCertificate";
    for (const auto& want : k == 0 ? domain.client_certificates : domain.partner_certificates) {
      const std::string where = std::string(kind_name) + " '" + want.alias + "'";
      TESSERA_RETURN_IF_ERROR(ValidateName(where, "certificateAlias", want.alias));
      Result<jose::Certificate> cert = jose::LoadCertificate(want.der);
      if (!cert.ok())
        return Bad(where, "x509Base64Certificate refused: " + cert.status().message());
      CertificateRecord rec{want.alias, cert->der, cert->x5t, cert->x5t_s256, cert->not_after, now};
      if (k == 0) client_aliases.insert(want.alias);
      auto it = certs[k].find(want.alias);
      if (it == certs[k].end()) {
        step(PlanStep::Action::kCreate, kind_name, want.alias);
        writes.push_back([this, kind, rec] { return store_.PutCertificate(kind, rec); });
      } else if (it->second.der != rec.der) {
        // The store has no update of a certificate: replaced under the same alias, so the apps
        // that attach it trust the new one.
        step(PlanStep::Action::kUpdate, kind_name, want.alias, {"x509Base64Certificate"});
        writes.push_back([this, kind, rec] {
          Status del = store_.DeleteCertificate(kind, rec.alias);
          if (!del.ok() && del.code() != StatusCode::kNotFound) return del;
          return store_.PutCertificate(kind, rec);
        });
      } else {
        step(PlanStep::Action::kUnchanged, kind_name, want.alias);
      }
    }
  }

  // Resource apps first: the clients' allowedScopes refer to their scopes.
  std::set<std::string> fqs;
  for (const auto& [aud, r] : resources_by_audience) {
    for (const auto& s : r.scopes) fqs.insert(aud + s);
  }
  for (const auto& r : resources) {
    for (const auto& s : r.scopes) fqs.insert(r.audience + s);
  }
  auto plan_app = [&](const App& want, const App* existing) -> Status {
    TESSERA_RETURN_IF_ERROR(ValidateApp(want, client_aliases, fqs));
    const bool resource = want.kind == AppKind::kResource;
    const char* kind_name = "app";
    const std::string name = resource ? want.audience : want.client_id;
    const std::string* secret = resource ? nullptr : Find(secrets, AppSecretRef(want));
    if (secret != nullptr && (secret->size() < 16 || secret->size() > 1024))
      return Bad("app '" + name + "'", "the secret supplied for " + AppSecretRef(want) +
                                           " must be 16 to 1024 characters");
    if (existing == nullptr) {
      if (!resource && secret == nullptr)
        return Bad("app '" + name + "'", "its client secret is not supplied: give a value for '" +
                                             AppSecretRef(want) + "'");
      App rec = want;
      rec.id = want.id.empty() || app_ids.count(want.id) ? RandomUuid() : want.id;
      app_ids.insert(rec.id);
      if (secret != nullptr) {
        TESSERA_ASSIGN_OR_RETURN(rec.secret_hash, HashSupplied(*secret));
      }
      rec.created_at = rec.updated_at = now;
      step(PlanStep::Action::kCreate, kind_name, name);
      writes.push_back([this, rec] { return store_.CreateApp(rec); });
      return Status::Ok();
    }
    if (existing->kind != want.kind)
      return Bad("app '" + name + "'", "exists on the server as another kind of app");
    std::vector<std::string> changes = AppChanges(*existing, want);
    App rec = want;
    rec.id = existing->id;
    rec.client_id = existing->client_id;
    rec.created_at = existing->created_at;
    rec.updated_at = now;
    // The stored hash (Export cleared it) comes from the store itself at write time.
    const bool new_secret = secret != nullptr;
    if (new_secret) changes.push_back("clientSecret");
    if (changes.empty()) {
      step(PlanStep::Action::kUnchanged, kind_name, name);
      return Status::Ok();
    }
    step(PlanStep::Action::kUpdate, kind_name, name, changes);
    std::string hash;
    if (new_secret) {
      TESSERA_ASSIGN_OR_RETURN(hash, HashSupplied(*secret));
    }
    writes.push_back([this, rec, hash]() mutable -> Status {
      if (hash.empty()) {
        TESSERA_ASSIGN_OR_RETURN(App stored, store_.GetApp(rec.id));
        hash = stored.secret_hash;
      }
      rec.secret_hash = hash;
      return store_.UpdateApp(rec);
    });
    return Status::Ok();
  };
  for (const auto& r : resources) {
    auto it = resources_by_audience.find(r.audience);
    TESSERA_RETURN_IF_ERROR(plan_app(r, it == resources_by_audience.end() ? nullptr : &it->second));
  }
  for (const auto& want : domain.users) {
    const std::string where = "user '" + want.user_name + "'";
    TESSERA_RETURN_IF_ERROR(ValidateName(where, "userName", want.user_name));
    auto it = users_by_name.find(want.user_name);
    if (it == users_by_name.end()) {
      User rec = want;
      rec.id = want.id.empty() || user_ids.count(want.id) ? RandomUuid() : want.id;
      user_ids.insert(rec.id);
      rec.created_at = rec.updated_at = now;
      step(PlanStep::Action::kCreate, "user", want.user_name);
      writes.push_back([this, rec] { return store_.CreateUser(rec); });
      continue;
    }
    std::vector<std::string> changes = UserChanges(it->second, want);
    if (changes.empty()) {
      step(PlanStep::Action::kUnchanged, "user", want.user_name);
      continue;
    }
    User rec = want;
    rec.id = it->second.id;
    rec.created_at = it->second.created_at;
    rec.updated_at = now;
    step(PlanStep::Action::kUpdate, "user", want.user_name, changes);
    writes.push_back([this, rec] { return store_.UpdateUser(rec); });
  }
  for (const auto& c : clients) {
    auto it = clients_by_id.find(c.client_id);
    TESSERA_RETURN_IF_ERROR(plan_app(c, it == clients_by_id.end() ? nullptr : &it->second));
  }
  for (const auto& want : domain.trust_issuers) {
    const std::string where = "trustTokenIssuer '" + want.issuer + "'";
    TESSERA_RETURN_IF_ERROR(ValidateName(where, "issuer", want.issuer, 1024));
    TrustTokenIssuerRecord rec = want;
    rec.created_at = now;
    const bool hs256 = want.cert_der.empty();
    const std::string* secret = Find(secrets, IssuerSecretRef(want));
    if (!hs256) {
      Result<jose::Certificate> cert = jose::LoadCertificate(want.cert_der);
      if (!cert.ok())
        return Bad(where, "x509Base64Certificate refused: " + cert.status().message());
      TESSERA_RETURN_IF_ERROR(ValidateName(where, "certAlias", want.cert_alias));
      rec.cert_der = cert->der;
    } else if (secret != nullptr && secret->size() < 32) {
      return Bad(where, "the shared secret supplied for " + IssuerSecretRef(want) +
                            " must be at least 32 bytes (HS256)");
    }
    auto it = issuers.find(want.issuer);
    if (it == issuers.end()) {
      if (hs256 && secret == nullptr)
        return Bad(where, "its shared secret is not supplied: give a value for '" +
                              IssuerSecretRef(want) + "'");
      if (hs256) rec.shared_secret = *secret;
      step(PlanStep::Action::kCreate, "trustTokenIssuer", want.issuer);
      writes.push_back([this, rec] { return store_.PutTrustTokenIssuer(rec); });
      continue;
    }
    std::vector<std::string> changes;
    if (it->second.cert_alias != want.cert_alias) changes.push_back("certAlias");
    if (it->second.cert_der != rec.cert_der) changes.push_back("x509Base64Certificate");
    if (hs256 && secret != nullptr) {
      // Compared with the stored secret itself (kept for HS256), in constant time.
      TESSERA_ASSIGN_OR_RETURN(TrustTokenIssuerRecord stored,
                               store_.GetTrustTokenIssuer(want.issuer));
      if (!ConstantTimeEquals(stored.shared_secret, *secret)) changes.push_back("sharedSecret");
    }
    if (changes.empty()) {
      step(PlanStep::Action::kUnchanged, "trustTokenIssuer", want.issuer);
      continue;
    }
    step(PlanStep::Action::kUpdate, "trustTokenIssuer", want.issuer, changes);
    writes.push_back(
        [this, rec, hs256, secret_value = secret ? *secret : std::string()]() mutable -> Status {
          if (hs256) {
            if (secret_value.empty()) {
              TESSERA_ASSIGN_OR_RETURN(TrustTokenIssuerRecord stored,
                                       store_.GetTrustTokenIssuer(rec.issuer));
              secret_value = stored.shared_secret;
            }
            rec.shared_secret = secret_value;
          }
          Status del = store_.DeleteTrustTokenIssuer(rec.issuer);
          if (!del.ok() && del.code() != StatusCode::kNotFound) return del;
          return store_.PutTrustTokenIssuer(rec);
        });
  }

  // Federation trusts: the whole trust is validated as the admin API does (the message names the
  // field); one that exists under the name is replaced, keeping its id and creation time.
  for (const auto& want : domain.federation_trusts) {
    const std::string where = "federationTrust '" + want.name + "'";
    if (Status s = federation::ValidateTrust(want); !s.ok()) return Bad(where, s.message());
    federation::Trust rec = want;
    auto it = trusts_by_name.find(want.name);
    if (it == trusts_by_name.end()) {
      rec.id = want.id.empty() || trust_ids.count(want.id) ? RandomUuid() : want.id;
      trust_ids.insert(rec.id);
      step(PlanStep::Action::kCreate, "federationTrust", want.name);
      writes.push_back([this, rec, now] {
        return store_.CreateFederationTrust(FederationTrustRecordOf(rec, now, now));
      });
      continue;
    }
    rec.id = it->second.id;
    std::vector<std::string> changes = TrustChanges(it->second, rec);
    if (changes.empty()) {
      step(PlanStep::Action::kUnchanged, "federationTrust", want.name);
      continue;
    }
    step(PlanStep::Action::kUpdate, "federationTrust", want.name, std::move(changes));
    writes.push_back([this, rec, now]() -> Status {
      TESSERA_ASSIGN_OR_RETURN(store::FederationTrustRecord stored,
                               store_.GetFederationTrust(rec.id));
      return store_.UpdateFederationTrust(FederationTrustRecordOf(rec, stored.created_at, now));
    });
  }

  if (dry_run || writes.empty()) return plan;
  // ---- 4. The writes, in dependency order.
  for (auto& write : writes) {
    if (Status s = write(); !s.ok()) {
      directory_.Invalidate();
      return s.WithContext("import stopped after a store failure (run it again to complete it)");
    }
  }
  directory_.Invalidate();
  int created = 0, updated = 0;
  for (const auto& p : plan) {
    created += p.action == PlanStep::Action::kCreate;
    updated += p.action == PlanStep::Action::kUpdate;
  }
  store::AuditEvent e;
  e.time = now;
  e.ecid = ecid;
  e.client_id = actor;
  e.subject = std::to_string(created) + " created, " + std::to_string(updated) + " updated";
  e.grant = "admin";
  e.outcome = "domain.import";
  audit_.Record(std::move(e));
  return plan;
}

}  // namespace tessera::oauth
