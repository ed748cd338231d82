#include "oauth/token_service.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "common/random.h"
#include "jose/claims.h"
#include "jose/jws.h"
#include "jose/keyio.h"
#include "oauth/dpop_nonce.h"
#include "oauth/identifiers.h"
#include "oauth/secrets.h"
#include "oauth/tls_client_auth.h"

namespace tessera::oauth {
namespace {

Rejection Reject(Reason r, std::string detail, bool client_assertion = false) {
  return Rejection{r, std::move(detail), client_assertion};
}

const std::string* FormValue(const ClientRequest& req, const char* name) {
  auto it = req.form.find(name);
  return it == req.form.end() ? nullptr : &it->second;
}

bool Has(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Reason StoreReason(const Status& s) {
  return s.code() == StatusCode::kUnavailable ? Reason::kStoreUnavailable : Reason::kInternal;
}

Rejection RateLimited(const char* detail, int64_t wait) {
  Rejection r = Reject(Reason::kRateLimited, detail);
  r.retry_after = wait;
  return r;
}

// RFC 8693 2.1: "resource" (RFC 8707) and "audience" name where the issued token is to be used.
// Each given must be the audience of a granted scope (or, for the administrator scope, this
// domain's issuer); the token is then limited to the scopes of those audiences. Anything else
// is invalid_target (RFC 8693 2.2.2).
std::optional<Rejection> LimitToTargets(const ClientRequest& req, const DomainConfig& config,
                                        GrantedScopes& g) {
  std::vector<std::string> targets;
  for (const char* name : {"resource", "audience"}) {
    if (const std::string* v = FormValue(req, name)) targets.push_back(*v);
  }
  if (targets.empty()) return std::nullopt;
  for (const std::string& t : targets) {
    const bool known = Has(g.audiences, t) || (g.admin && t == config.issuer);
    if (!known) {
      return Reject(Reason::kTargetInvalid,
                    "resource/audience '" + t.substr(0, 128) +
                        "' is not the audience of any scope granted to this client");
    }
  }
  GrantedScopes kept;
  kept.lifetime = g.lifetime;
  kept.admin = g.admin && Has(targets, config.issuer);
  for (std::size_t i = 0; i < g.fqs.size(); ++i) {
    // A fully qualified scope is its resource's audience followed by the value.
    const std::string audience = g.fqs[i].substr(0, g.fqs[i].size() - g.values[i].size());
    if (!Has(targets, audience)) continue;
    kept.fqs.push_back(g.fqs[i]);
    kept.values.push_back(g.values[i]);
    if (!Has(kept.audiences, audience)) kept.audiences.push_back(audience);
  }
  g = std::move(kept);
  return std::nullopt;
}

}  // namespace

std::string DpopJtiIssuer(std::string_view jkt) { return "dpop:" + std::string(jkt); }

TokenService::TokenService(store::Store& store, Directory& directory, SigningKeys& keys,
                           AuditLog& audit, const DomainConfig& config, const Clock& clock,
                           ClientAuthLimits limits)
    : store_(store),
      directory_(directory),
      keys_(keys),
      audit_(audit),
      config_(config),
      clock_(clock),
      limits_(limits),
      validator_(directory, config, clock) {}

std::variant<AuthenticatedClient, Rejection> TokenService::AuthenticateCounted(
    const ClientRequest& req) const {
  RateLimiter* failures = limits_.failures_per_address;
  if (failures != nullptr) {
    if (const int64_t wait = failures->Peek(req.remote_address); wait > 0) {
      return RateLimited("too many failed client authentications from this address; retry later",
                         wait);
    }
  }
  auto auth = Authenticate(req);
  if (auto* r = std::get_if<Rejection>(&auth);
      r && failures != nullptr && r->reason != Reason::kStoreUnavailable &&
      r->reason != Reason::kFederatedKeysUnavailable && r->reason != Reason::kInternal) {
    (void)failures->Allow(req.remote_address);  // the outcome is answered; the count is kept
  }
  return auth;
}

std::variant<AuthenticatedClient, Rejection> TokenService::Authenticate(
    const ClientRequest& req) const {
  if (req.bad_authorization) {
    return Reject(Reason::kBadAuthorizationHeader, "Authorization header is not valid HTTP Basic");
  }
  const std::string* form_id = FormValue(req, "client_id");
  const std::string* form_secret = FormValue(req, "client_secret");
  const std::string* assertion_type = FormValue(req, "client_assertion_type");
  const std::string* assertion = FormValue(req, "client_assertion");
  const int methods =
      (req.basic ? 1 : 0) + (form_secret ? 1 : 0) + ((assertion || assertion_type) ? 1 : 0);
  // RFC 6749 2.3: "The client MUST NOT use more than one authentication method in each request."
  if (methods > 1)
    return Reject(Reason::kMultipleClientAuthentication,
                  "more than one client authentication method");
  if (methods == 0) {
    // RFC 8705 2: "the client_id parameter ... to identify the client", the certificate being
    // the credential. A certificate next to another method is no method of its own: it may be
    // there to bind the token (RFC 8705 3).
    if (form_id && !req.client_certificate_der.empty()) {
      return AuthenticateByCertificate(req, *form_id);
    }
    return Reject(Reason::kNoClientAuthentication, "no client authentication");
  }

  if (assertion || assertion_type) {
    if (!assertion_type || *assertion_type != kClientAssertionTypeJwt) {
      return Reject(Reason::kUnknownClientAssertionType,
                    "client_assertion_type must be " + std::string(kClientAssertionTypeJwt));
    }
    if (!assertion) return Reject(Reason::kMissingParameter, "client_assertion missing");
    // Contract section 10: a client assertion whose iss is a trust's issuer is an outside token
    // of a subjectType App trust, which authenticates the app its client claim names.
    if (FederatedResult f = ValidateFederated(*assertion, std::string());
        f.match != FederatedMatch::kNoTrust) {
      if (f.match == FederatedMatch::kRefused) {
        Rejection r = std::move(f.rejection);
        // RFC 7523 3.2: invalid_client, the rule not told before the client is authenticated
        // (it goes to the log and the audit trail). No key to verify with, or the store
        // failing, is the server's trouble: 503, never a token.
        r.client_assertion = r.reason != Reason::kFederatedKeysUnavailable &&
                             r.reason != Reason::kStoreUnavailable && r.reason != Reason::kInternal;
        return r;
      }
      const federation::FederatedIdentity& who = f.principal.who;
      const std::string& client_id = f.principal.app->client_id;
      if (form_id && *form_id != client_id) {
        Rejection r = Reject(Reason::kClientIdMismatch,
                             "client_id does not match the client the outside token names");
        r.audit_note = f.principal.AuditNote();
        return r;
      }
      AuthenticatedClient out{f.principal.app, std::nullopt};
      if (who.MustConsumeJti() && who.jti) {
        out.assertion_jti =
            PendingJti{who.issuer, *who.jti, who.outside_expires_at, true, who.replay_until};
      }
      return out;
    }
    // The unverified iss only picks the app whose certificates may verify it (docs/security.md).
    Result<std::pair<jose::Json, jose::Json>> peek = jose::DecodeUnverified(*assertion);
    std::string unverified_iss;
    if (peek.ok()) {
      if (auto it = peek->second.find("iss"); it != peek->second.end() && it->is_string())
        unverified_iss = *it;
    }
    if (unverified_iss.empty())
      return Reject(Reason::kAssertionMalformed, "client assertion without iss", true);
    if (!IsSafeIdentifier(unverified_iss))
      return Reject(Reason::kUnknownClient, "client assertion iss is not a client id");
    if (form_id && *form_id != unverified_iss) {
      return Reject(Reason::kClientIdMismatch,
                    "client_id does not match the client assertion's iss");
    }
    Result<std::shared_ptr<const store::App>> app = directory_.FindClient(unverified_iss);
    if (!app.ok()) {
      if (app.status().code() == StatusCode::kNotFound)
        return Reject(Reason::kUnknownClient, "unknown client " + unverified_iss.substr(0, 128));
      return Reject(StoreReason(app.status()), app.status().message());
    }
    AssertionResult result =
        validator_.Validate(*assertion, **app, AssertionKind::kClientAuthentication);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    if (!(*app)->active)
      return Reject(Reason::kClientInactive, "client " + unverified_iss + " is not active");
    auto& v = std::get<ValidatedAssertion>(result);
    AuthenticatedClient out{*app, std::nullopt};
    if (!v.jti.empty()) out.assertion_jti = PendingJti{v.issuer, v.jti, v.expires_at, true};
    return out;
  }

  const bool basic = req.basic.has_value();
  const std::string& id = basic ? req.basic->client_id : (form_id ? *form_id : std::string());
  const std::string& secret = basic ? req.basic->client_secret : *form_secret;
  if (id.empty()) return Reject(Reason::kMissingParameter, "client_id missing");
  if (!IsSafeIdentifier(id))
    return Reject(Reason::kUnknownClient, "client id is not a valid identifier");
  // RFC 7521 4.2: a client_id parameter, if present, must identify the same client.
  if (basic && form_id && *form_id != id)
    return Reject(Reason::kClientIdMismatch, "client_id does not match the Basic credentials");
  Result<std::shared_ptr<const store::App>> app = directory_.FindClient(id);
  if (!app.ok()) {
    if (app.status().code() == StatusCode::kNotFound)
      return Reject(Reason::kUnknownClient, "unknown client " + id.substr(0, 128));
    return Reject(StoreReason(app.status()), app.status().message());
  }
  if ((*app)->secret_hash.empty())
    return Reject(Reason::kClientAssertionNoSecretAuth, "client " + id + " has no secret");
  if (!VerifySecret(secret, (*app)->secret_hash))
    return Reject(Reason::kBadClientSecret, "wrong secret for client " + id);
  // Only after the secret matched: an inactive app is not told apart from a wrong secret before.
  if (!(*app)->active) return Reject(Reason::kClientInactive, "client " + id + " is not active");
  return AuthenticatedClient{*app, std::nullopt};
}

std::variant<AuthenticatedClient, Rejection> TokenService::AuthenticateByCertificate(
    const ClientRequest& req, const std::string& id) const {
  if (id.empty()) return Reject(Reason::kMissingParameter, "client_id missing");
  if (!IsSafeIdentifier(id))
    return Reject(Reason::kUnknownClient, "client id is not a valid identifier");
  Result<std::shared_ptr<const store::App>> found = directory_.FindClient(id);
  if (!found.ok()) {
    if (found.status().code() == StatusCode::kNotFound)
      return Reject(Reason::kUnknownClient, "unknown client " + id.substr(0, 128));
    return Reject(StoreReason(found.status()), found.status().message());
  }
  const store::App& app = **found;
  const std::string& der = req.client_certificate_der;
  // RFC 8705 2.1: tls_client_auth, for an app that names its certificate by subject DN and/or
  // SAN dNSName (each one set must match), only for a certificate chaining to the client CA.
  const std::string& want_dn = app.tls_client_auth_subject_dn;
  const std::string& want_san = app.tls_client_auth_san_dns;
  bool matched = false;
  if ((!want_dn.empty() || !want_san.empty()) && req.client_certificate_chained) {
    matched = (want_dn.empty() || SubjectDnMatches(want_dn, der)) &&
              (want_san.empty() || SanDnsMatches(want_san, der));
  }
  // RFC 8705 2.2: self_signed_tls_client_auth, the certificate itself registered: one attached
  // to the app by alias, valid now, compared by SHA-256 thumbprint (RFC 8705 3.1's x5t#S256).
  if (!matched) {
    const std::string thumbprint = jose::X5tS256Of(der);
    const int64_t now = clock_.NowSeconds();
    for (const std::string& alias : app.certificate_aliases) {
      Result<std::shared_ptr<const NamedCertificate>> cert = directory_.ClientCertificate(alias);
      if (!cert.ok()) {
        if (cert.status().code() == StatusCode::kNotFound) continue;
        return Reject(StoreReason(cert.status()), cert.status().message());
      }
      const std::string& attached = (*cert)->cert.x5t_s256;
      if (attached.size() == thumbprint.size() &&
          CRYPTO_memcmp(attached.data(), thumbprint.data(), thumbprint.size()) == 0 &&
          (*cert)->cert.IsValidAt(now)) {
        matched = true;
        break;
      }
    }
  }
  if (!matched) {
    return Reject(Reason::kClientCertificateMismatch,
                  "client certificate (subject " + CertificateSubjectText(der).substr(0, 256) +
                      ", x5t#S256 " + jose::X5tS256Of(der) + ", " +
                      (req.client_certificate_chained ? "chains" : "does not chain") +
                      " to the client CA) matches neither the tlsClientAuthSubjectDn / "
                      "tlsClientAuthSanDns of client " +
                      id + " nor a valid certificate attached to it");
  }
  // Only after the certificate matched, as for a secret.
  if (!app.active) return Reject(Reason::kClientInactive, "client " + id + " is not active");
  return AuthenticatedClient{*found, std::nullopt};
}

std::variant<AuthenticatedClient, Rejection> TokenService::AuthenticateAndRecord(
    const ClientRequest& req) const {
  auto auth = AuthenticateCounted(req);
  if (auto* client = std::get_if<AuthenticatedClient>(&auth); client && client->assertion_jti) {
    if (auto r = RecordJti(*client->assertion_jti)) return *r;
    client->assertion_jti.reset();
  }
  return auth;
}

std::optional<Rejection> TokenService::RecordJti(const PendingJti& p) const {
  const std::vector<PendingJti> one = {p};
  return RecordJtis({&one}).front();
}

std::vector<std::optional<Rejection>> TokenService::RecordJtis(
    const std::vector<const std::vector<PendingJti>*>& requests) const {
  std::vector<std::optional<Rejection>> out(requests.size());
  std::vector<size_t> live(requests.size());
  for (size_t i = 0; i < live.size(); ++i) live[i] = i;
  for (size_t round = 0; !live.empty(); ++round) {
    std::vector<store::JtiRecord> records;
    std::vector<size_t> owners;
    for (size_t i : live) {
      if (round >= requests[i]->size()) continue;
      const PendingJti& p = (*requests[i])[round];
      // RFC 7523 3 item 7, docs/security.md: one atomic insert keyed by (iss, jti), kept until
      // exp plus the skew; false means it was already there.
      records.push_back(
          {p.issuer, p.jti, p.keep_until != 0 ? p.keep_until : p.expires_at + config_.clock_skew});
      owners.push_back(i);
    }
    if (records.empty()) break;
    Result<std::vector<bool>> fresh = store_.ConsumeJtis(records);
    std::vector<size_t> next;
    for (size_t k = 0; k < owners.size(); ++k) {
      const size_t i = owners[k];
      const PendingJti& p = (*requests[i])[round];
      if (!fresh.ok()) {
        out[i] =
            Reject(StoreReason(fresh.status()), "recording the jti: " + fresh.status().message());
      } else if (!(*fresh)[k]) {
        out[i] = ReplayRejection(p);
      } else {
        next.push_back(i);
      }
    }
    live = std::move(next);
  }
  return out;
}

Rejection TokenService::ReplayRejection(const PendingJti& p) {
  if (p.dpop_proof) {
    // RFC 9449 11.1: a proof is accepted once, on whichever node saw it first.
    return Reject(Reason::kDpopProofReplayed, "DPoP proof jti was already used (jti '" +
                                                  p.jti.substr(0, 64) + "' of key " +
                                                  p.issuer.substr(5) + ")");
  }
  return Reject(Reason::kAssertionJtiReplayed,
                "assertion jti was already used (jti '" + p.jti.substr(0, 64) + "' of issuer " +
                    p.issuer + ")",
                p.client_assertion);
}

Outcome TokenService::Finish(const ClientRequest& req, const std::string& client_id,
                             const std::string& subject, const std::string& grant, Outcome outcome,
                             const std::string& note) {
  store::AuditEvent e;
  e.time = clock_.NowSeconds();
  e.ecid = req.ecid;
  e.client_id = client_id.substr(0, 256);
  e.subject = subject.substr(0, 256);
  e.grant = grant.substr(0, 128);
  if (outcome.rejection) {
    e.outcome = "rejected";
    e.reason =
        std::string(ReasonCode(outcome.rejection->reason)) + ": " + outcome.rejection->detail;
    const std::string& why =
        outcome.rejection->audit_note.empty() ? note : outcome.rejection->audit_note;
    if (!why.empty()) e.reason += " (" + why + ")";
  } else {
    e.outcome = "issued";
    e.reason = note;
  }
  audit_.Record(std::move(e));
  return outcome;
}

Result<std::string> TokenService::Mint(const store::App& client, const PreparedToken& p,
                                       int64_t lifetime, const char* gtp, int64_t now) {
  const GrantedScopes& scopes = p.scopes;
  const bool user = p.user_grant;
  // Written member by member rather than built as a Json and serialised: this runs once per
  // token. The members are in byte order, the order DumpCompact gives an object's members.
  jose::JsonObjectWriter claims;
  // RFC 8693 4.1: the outside subject the (impersonated) subject acts for.
  if (p.act) claims.Value("act", *p.act);
  if (scopes.audiences.empty()) {
    claims.String("aud", config_.issuer);
  } else if (scopes.admin) {
    std::vector<std::string> aud = scopes.audiences;
    aud.push_back(config_.issuer);
    claims.Value("aud", aud);
  } else if (scopes.audiences.size() == 1) {
    claims.String("aud", scopes.audiences.front());
  } else {
    claims.Value("aud", scopes.audiences);
  }
  claims.String("client_id", client.client_id).String("client_name", client.display_name);
  // The confirmation (RFC 7800 3.1) of a bound token: RFC 9449 6.1 names the DPoP proof's key by
  // thumbprint, RFC 8705 3.1 the client certificate.
  if (!p.jkt.empty() || !p.certificate_thumbprint.empty()) {
    jose::JsonObjectWriter cnf;
    if (!p.jkt.empty()) cnf.String("jkt", p.jkt);
    if (!p.certificate_thumbprint.empty()) cnf.String("x5t#S256", p.certificate_thumbprint);
    claims.Raw("cnf", cnf.Finish());
  }
  claims.Int("exp", now + lifetime)
      .String("gtp", gtp)
      .Int("iat", now)
      .String("iss", config_.issuer)
      .String("jti", RandomUuid())
      .String("scope", scopes.TokenScope())
      .String("sub", p.subject)
      .String("sub_type", user ? "user" : "client")
      .String("tok_type", "AT");
  if (user) claims.String("user_id", p.user_id);
  return keys_.SignPayload(claims.Finish());
}

std::variant<PreparedToken, Outcome> TokenService::Prepare(const ClientRequest& req) {
  const bool basic = req.basic.has_value();
  const std::string* grant = FormValue(req, "grant_type");
  const std::string grant_name = grant ? *grant : "";
  auto auth = AuthenticateCounted(req);
  if (auto* r = std::get_if<Rejection>(&auth)) {
    // A flood is answered without an audit row each: the store is not the flood's to fill.
    if (r->reason == Reason::kRateLimited) return Outcome::Fail(*r, basic);
    std::string who = req.basic ? req.basic->client_id
                                : (FormValue(req, "client_id") ? *FormValue(req, "client_id") : "");
    return Finish(req, who, "", grant_name, Outcome::Fail(*r, basic));
  }
  AuthenticatedClient& client = std::get<AuthenticatedClient>(auth);
  const store::App& app = *client.app;
  // Counted only now that the client has proved who it is: nobody spends another's budget.
  if (limits_.token_requests_per_client != nullptr) {
    if (const int64_t wait = limits_.token_requests_per_client->Allow(app.client_id); wait > 0) {
      return Outcome::Fail(
          RateLimited("too many token requests for this client; retry later", wait), basic);
    }
  }
  auto fail = [&](Rejection r, const std::string& subject = "") {
    return Finish(req, app.client_id, subject, grant_name, Outcome::Fail(std::move(r), basic));
  };
  if (!grant) return fail(Reject(Reason::kMissingParameter, "grant_type missing"));
  const bool is_cc = *grant == kGrantClientCredentials;
  const bool is_jwt = *grant == kGrantJwtBearer;
  const bool is_tx = *grant == kGrantTokenExchange;
  if (!is_cc && !is_jwt && !is_tx)
    return fail(Reject(Reason::kUnsupportedGrantType,
                       "grant_type " + grant->substr(0, 128) + " is not supported"));
  if (!Has(app.allowed_grants, *grant)) {
    return fail(
        Reject(Reason::kGrantNotAllowed,
               "grant " + *grant + " is not among the allowed grants of client " + app.client_id));
  }

  PreparedToken p;
  // RFC 8705 3: "the authorization server ... binds the issued access token to the client
  // certificate"; any certificate presented on the connection, chained or self-signed.
  if (app.tls_client_certificate_bound_access_tokens) {
    if (req.client_certificate_der.empty()) {
      return fail(Reject(Reason::kClientCertificateRequired,
                         "client " + app.client_id +
                             " receives certificate-bound tokens "
                             "(tlsClientCertificateBoundAccessTokens) and presented no TLS "
                             "client certificate"));
    }
    p.certificate_thumbprint = jose::X5tS256Of(req.client_certificate_der);
  }
  p.grant = grant_name;
  p.user_grant = is_jwt;
  p.subject = app.client_id;
  // Last, after every other check: the jti(s), so a request rejected for any other reason never
  // burns one. The client's own assertion is recorded first.
  if (client.assertion_jti) p.jtis.push_back(std::move(*client.assertion_jti));
  // The trust of an outside token: its scope ceiling applies below.
  std::optional<federation::Trust> trust;
  if (is_jwt) {
    const std::string* assertion = FormValue(req, "assertion");
    if (!assertion) return fail(Reject(Reason::kMissingParameter, "assertion missing"));
    // Contract section 10: an assertion whose iss is a trust's issuer is an outside token; any
    // other goes through the assertion rules of section 2, unchanged.
    FederatedResult f = ValidateFederated(*assertion, app.client_id);
    if (f.match == FederatedMatch::kRefused) return fail(f.rejection);
    if (f.match == FederatedMatch::kAccepted) {
      ApplyFederated(f.principal, p);
      trust = std::move(f.principal.trust);
    } else {
      AssertionResult result = validator_.Validate(*assertion, app, AssertionKind::kUserGrant);
      if (auto* r = std::get_if<Rejection>(&result)) return fail(*r);
      auto& v = std::get<ValidatedAssertion>(result);
      p.subject = v.user->user_name;
      p.user_id = v.user->id;
      if (!v.jti.empty()) p.jtis.push_back(PendingJti{v.issuer, v.jti, v.expires_at, false});
    }
  }
  if (is_tx) {
    if (std::optional<Rejection> r = PrepareTokenExchange(req, app, p, trust)) {
      return fail(*r, p.subject);
    }
  }
  auto fail_noted = [&](Rejection r) {
    if (r.audit_note.empty()) r.audit_note = p.audit_note;
    return fail(std::move(r), p.subject);
  };

  Result<std::shared_ptr<const std::vector<ResourceView>>> resources = directory_.Resources();
  if (!resources.ok())
    return fail_noted(Reject(StoreReason(resources.status()), resources.status().message()));
  const std::string* scope = FormValue(req, "scope");
  if (scope) p.requested_scope = *scope;
  ScopeResult scopes = trust ? FederatedScopes(*trust, p.requested_scope, app, **resources)
                             : ResolveScopes(p.requested_scope, app, **resources, config_);
  if (auto* r = std::get_if<Rejection>(&scopes)) return fail_noted(*r);
  p.scopes = std::move(std::get<GrantedScopes>(scopes));
  if (is_tx) {
    if (std::optional<Rejection> r = LimitToTargets(req, config_, p.scopes)) return fail_noted(*r);
  }

  // The proof last of all but the jtis: a request refused for anything else spends no proof.
  auto dpop = CheckDpopProof(req, app);
  if (auto* r = std::get_if<Rejection>(&dpop)) return fail(std::move(*r), p.subject);
  if (auto& proof = std::get<std::optional<DpopProof>>(dpop)) {
    // Kept until the proof's iat leaves the window (replay_until); RecordJtis adds the skew.
    p.jtis.push_back(PendingJti{.issuer = DpopJtiIssuer(proof->jkt),
                                .jti = proof->jti,
                                .expires_at = proof->replay_until,
                                .dpop_proof = true});
    p.jkt = std::move(proof->jkt);
  }
  p.app = std::move(client.app);
  return p;
}

Result<DpopProof> TokenService::ValidateDpopProof(const DpopRequest& request,
                                                  std::string* fresh_nonce) {
  DpopOptions options;
  options.key_cache = dpop_keys_;
  // RFC 9449 8: nonces come from the active signing key, so any node issues and accepts them;
  // a rotation makes the clients of the old key's nonces ask once more.
  std::optional<DpopNonces> nonces;
  if (config_.dpop_nonce) {
    TESSERA_ASSIGN_OR_RETURN(std::shared_ptr<const LoadedKey> key, keys_.Active());
    TESSERA_ASSIGN_OR_RETURN(DpopNonces made, DpopNonces::Create(key->dpop_nonce_key, clock_));
    nonces.emplace(std::move(made));
    options.nonces = &*nonces;
  }
  TESSERA_ASSIGN_OR_RETURN(DpopValidator validator, DpopValidator::Create(options, clock_));
  Result<DpopProof> proof = validator.Validate(request);
  if (!proof.ok() && nonces && fresh_nonce != nullptr &&
      DpopErrorWantsNonce(DpopErrorOf(proof.status()))) {
    *fresh_nonce = nonces->Issue();
  }
  return proof;
}

std::variant<std::optional<DpopProof>, Rejection> TokenService::CheckDpopProof(
    const ClientRequest& req, const store::App& app) {
  if (req.dpop_proofs.empty()) {
    // RFC 9449 5.2: an app registered with dpop_bound_access_tokens gets no Bearer token.
    if (app.dpop_bound_access_tokens) {
      Rejection r =
          Reject(Reason::kDpopProofRequired,
                 "client " + app.client_id + " requires DPoP-bound tokens and sent no proof");
      r.dpop_error = DpopError::kProofMissing;
      return r;
    }
    return std::optional<DpopProof>();
  }
  const std::vector<std::string_view> proofs(req.dpop_proofs.begin(), req.dpop_proofs.end());
  std::string nonce;
  Result<DpopProof> proof =
      ValidateDpopProof({.proofs = proofs, .method = req.method, .url = req.url}, &nonce);
  if (proof.ok()) return std::optional<DpopProof>(std::move(proof).value());
  // The validator refuses with kInvalidArgument; anything else is the key store failing.
  if (proof.status().code() != StatusCode::kInvalidArgument) {
    return Reject(StoreReason(proof.status()), "DPoP nonces: " + proof.status().message());
  }
  const DpopError why = DpopErrorOf(proof.status());
  Rejection r =
      Reject(DpopErrorWantsNonce(why) ? Reason::kDpopNonceRequired : Reason::kDpopProofInvalid,
             std::string(DpopErrorCode(why)) + ": " + proof.status().message());
  r.dpop_error = why;
  r.dpop_nonce = std::move(nonce);
  return r;
}

Outcome TokenService::Complete(const ClientRequest& req, const PreparedToken& p,
                               std::optional<Rejection> jti_rejection) {
  const bool basic = req.basic.has_value();
  const store::App& app = *p.app;
  auto fail = [&](Rejection r) {
    return Finish(req, app.client_id, p.subject, p.grant, Outcome::Fail(std::move(r), basic),
                  p.audit_note);
  };
  if (jti_rejection) return fail(std::move(*jti_rejection));
  const int64_t now = clock_.NowSeconds();
  int64_t lifetime = p.scopes.lifetime;
  // Contract section 10: a token issued for an outside token never outlives it (nor the
  // trust's maxTokenLifetime): federation::IssuedExpiry, at the time of minting.
  if (p.expires_at_cap != 0) {
    lifetime = std::min(lifetime, p.expires_at_cap - now);
    if (lifetime <= 0) {
      return fail(
          Reject(Reason::kFederatedTokenRejected,
                 federation::RefusalMessage(federation::FederationReason::kNoLifetimeLeft)));
    }
  }
  const char* gtp = p.token_exchange ? "te" : p.user_grant ? "jwt" : "cc";
  Result<std::string> token = Mint(app, p, lifetime, gtp, now);
  if (!token.ok()) {
    return fail(Reject(token.status().code() == StatusCode::kUnavailable ? Reason::kStoreUnavailable
                                                                         : Reason::kInternal,
                       "minting: " + token.status().message()));
  }
  // Members in byte order, as for the claims (Mint).
  jose::JsonObjectWriter body;
  body.String("access_token", *token).Int("expires_in", lifetime);
  // RFC 8693 2.2.1: the type of the token issued (an access token; the only one Tessera issues).
  if (p.token_exchange) body.String("issued_token_type", federation::kTokenTypeAccessToken);
  const std::string response_scope = p.scopes.ResponseScope();
  if (!p.requested_scope || *p.requested_scope != response_scope) {
    body.String("scope", response_scope);
  }
  // RFC 9449 5: a token bound to a DPoP key is answered with token_type "DPoP".
  body.String("token_type", p.jkt.empty() ? "Bearer" : "DPoP");
  return Finish(req, app.client_id, p.subject, p.grant, Outcome::Ok(body.Finish(), basic),
                p.audit_note);
}

Result<AccessTokenInfo> TokenService::VerifyAccessToken(std::string_view token) {
  TESSERA_ASSIGN_OR_RETURN(jose::Jws jws, jose::ParseJwt(token));
  if (!jws.kid) return Status::InvalidArgument("token has no kid");
  TESSERA_ASSIGN_OR_RETURN(std::shared_ptr<const LoadedKey> key, keys_.Find(*jws.kid));
  TESSERA_RETURN_IF_ERROR(jose::Verify(jws, key->public_key));
  const jose::Json& c = jws.claims;
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> iss, jose::StringClaim(c, "iss"));
  if (!iss || *iss != config_.issuer)
    return Status::InvalidArgument("token not issued by " + config_.issuer);
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> tok_type, jose::StringClaim(c, "tok_type"));
  if (!tok_type || *tok_type != "AT") return Status::InvalidArgument("not an access token");
  jose::TimeRules rules;
  rules.now = clock_.NowSeconds();
  rules.skew = 0;  // our own clock minted it
  rules.max_lifetime = 0;
  TESSERA_RETURN_IF_ERROR(jose::CheckTimes(c, rules));
  AccessTokenInfo info;
  info.claims = c;
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> jti, jose::StringClaim(c, "jti"));
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> client_id, jose::StringClaim(c, "client_id"));
  if (!jti || !client_id) return Status::InvalidArgument("token lacks jti or client_id");
  info.jti = *jti;
  info.client_id = *client_id;
  info.exp = jose::NumericDateClaim(c, "exp").value().value_or(0);
  TESSERA_ASSIGN_OR_RETURN(bool revoked, store_.IsRevoked(info.jti));
  if (revoked) return Status::PermissionDenied("token was revoked");
  return info;
}

Status TokenService::CheckPrincipalsLive(const jose::Json& claims) {
  // A claim that is absent or not an identifier names nobody: the same answer as a deleted one.
  auto named = [&](const char* name) -> std::string {
    Result<std::optional<std::string>> v = jose::StringClaim(claims, name);
    return v.ok() && v->has_value() && IsSafeIdentifier(**v) ? **v : std::string();
  };
  auto gone = [](const Status& s, std::string why) {
    return s.code() == StatusCode::kNotFound ? Status::FailedPrecondition(std::move(why)) : s;
  };
  const std::string client_id = named("client_id");
  if (client_id.empty()) return Status::FailedPrecondition("the token names no client");
  Result<std::shared_ptr<const store::App>> app = directory_.FindClient(client_id);
  if (!app.ok()) return gone(app.status(), "client " + client_id + " no longer exists");
  if (!(*app)->active) return Status::FailedPrecondition("client " + client_id + " is not active");
  if (claims.find("user_id") == claims.end()) return Status::Ok();
  const std::string user_id = named("user_id");
  const std::string user_name = named("sub");
  if (user_id.empty() || user_name.empty())
    return Status::FailedPrecondition("the token names no user");
  Result<std::shared_ptr<const store::User>> user = directory_.FindUser(user_name);
  if (!user.ok() || (*user)->id != user_id) {
    return gone(user.ok() ? Status::NotFound("") : user.status(),
                "user '" + user_name + "' no longer exists");
  }
  if (!(*user)->active) return Status::FailedPrecondition("user '" + user_name + "' is not active");
  return Status::Ok();
}

Outcome TokenService::Introspect(const ClientRequest& req) {
  const bool basic = req.basic.has_value();
  auto auth = AuthenticateAndRecord(req);
  if (auto* r = std::get_if<Rejection>(&auth)) return Outcome::Fail(*r, basic);
  AuthenticatedClient& client = std::get<AuthenticatedClient>(auth);
  const std::string* token = FormValue(req, "token");
  if (!token) return Outcome::Fail(Reject(Reason::kMissingParameter, "token missing"), basic);
  Result<AccessTokenInfo> info = VerifyAccessToken(*token);
  // RFC 7662 2.2: "active" also says the token is still in force: not once its user or client
  // has been deactivated or deleted.
  const Status live = info.ok() ? CheckPrincipalsLive(info->claims) : info.status();
  const std::string inactive = R"({"active":false})";
  if (!live.ok()) {
    if (live.code() == StatusCode::kUnavailable)
      return Outcome::Fail(Reject(Reason::kStoreUnavailable, live.message()), basic);
    return Outcome::Ok(inactive, basic);
  }
  // RFC 7662 2.2: a client may learn about its own tokens; the "introspect" operation lets an
  // app (a resource server) introspect any.
  if (info->client_id != client.app->client_id &&
      !Has(client.app->allowed_operations, "introspect")) {
    return Outcome::Ok(inactive, basic);
  }
  const jose::Json& c = info->claims;
  jose::Json body = {{"active", true}, {"token_type", "Bearer"}};
  for (const char* k : {"scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "sub_type",
                        "user_id", "cnf"}) {
    if (auto it = c.find(k); it != c.end()) body[k] = *it;
  }
  // RFC 9449 6.2: a resource server learns the binding from "cnf"; the token type follows it.
  if (auto cnf = c.find("cnf"); cnf != c.end() && cnf->is_object() && cnf->contains("jkt"))
    body["token_type"] = "DPoP";
  return Outcome::Ok(jose::DumpCompact(body), basic);
}

Outcome TokenService::Revoke(const ClientRequest& req) {
  const bool basic = req.basic.has_value();
  auto auth = AuthenticateAndRecord(req);
  if (auto* r = std::get_if<Rejection>(&auth)) return Outcome::Fail(*r, basic);
  AuthenticatedClient& client = std::get<AuthenticatedClient>(auth);
  const std::string* token = FormValue(req, "token");
  if (!token) return Outcome::Fail(Reject(Reason::kMissingParameter, "token missing"), basic);
  Result<AccessTokenInfo> info = VerifyAccessToken(*token);
  // RFC 7009 2.2: an invalid or unknown token is answered 200 as well.
  if (info.ok() && (info->client_id == client.app->client_id || client.app->is_admin)) {
    if (Status s = store_.RevokeToken(info->jti, info->exp); !s.ok()) {
      return Outcome::Fail(Reject(StoreReason(s), "revocation: " + s.message()), basic);
    }
  }
  return Outcome::Ok("", basic);
}

}  // namespace tessera::oauth
