// The token endpoint's side of federation (contract section 10): outside tokens as jwt-bearer
// assertions, as RFC 8693 subject tokens and as client assertions. The checks of the token itself
// are the federation library's (ValidateOutsideToken); here are the trust lookup, the subject
// mapping against this domain's users and apps, and what the issued token carries.
#include <algorithm>

#include "federation/reason.h"
#include "jose/jws.h"
#include "oauth/identifiers.h"
#include "oauth/token_service.h"

namespace tessera::oauth {
namespace {

using federation::FederationReason;

const std::string* FormValue(const ClientRequest& req, const char* name) {
  auto it = req.form.find(name);
  return it == req.form.end() ? nullptr : &it->second;
}

Reason StoreReason(const Status& s) {
  return s.code() == StatusCode::kUnavailable ? Reason::kStoreUnavailable : Reason::kInternal;
}

FederatedResult Refused(Reason reason, std::string detail, std::string note = {}) {
  FederatedResult r;
  r.match = FederatedMatch::kRefused;
  r.rejection = Rejection{reason, std::move(detail)};
  r.rejection.audit_note = std::move(note);
  return r;
}

// The one mapping of a FederationReason onto the token endpoint's reasons: no usable key is
// 503 (retry later; never a token), a scope outside the ceiling invalid_scope, any other rule
// invalid_grant naming the rule.
Reason ReasonFor(FederationReason why) {
  switch (why) {
    case FederationReason::kKeysUnavailable:
      return Reason::kFederatedKeysUnavailable;
    case FederationReason::kScopeOutsideCeiling:
      return Reason::kFederatedScopeOutsideCeiling;
    default:
      return Reason::kFederatedTokenRejected;
  }
}

bool Lists(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

std::string FederatedPrincipal::AuditNote() const {
  return "trust '" + trust.name + "' (" + trust.id + "), outside subject '" +
         who.outside_subject.substr(0, 256) + "'";
}

FederatedResult TokenService::ValidateFederated(std::string_view token,
                                                const std::string& presenting_client) const {
  FederatedResult out;
  if (trusts_ == nullptr || issuer_keys_ == nullptr) return out;
  // Most domains trust no outside issuer: then no token's issuer needs reading here (a second
  // parse of the token, about 2.5% of a jwt-bearer grant's instructions, docs/performance.md).
  Result<bool> any = trusts_->AnyTrust();
  if (!any.ok()) return Refused(StoreReason(any.status()), any.status().message());
  if (!*any) return out;
  // The unverified iss only chooses the trust (RFC 7519 7.2: nothing is trusted before the
  // signature); a token whose form the library refuses is no outside token here, and goes on
  // through the assertion rules, which say what is wrong with it.
  Result<std::string> iss = federation::PeekIssuer(token);
  if (!iss.ok()) return out;
  Result<std::shared_ptr<const FederationTrusts::TrustList>> trusts = trusts_->ForIssuer(*iss);
  if (!trusts.ok()) return Refused(StoreReason(trusts.status()), trusts.status().message());
  if ((*trusts)->empty()) return out;

  const bool client_auth = presenting_client.empty();
  const federation::SubjectType wanted =
      client_auth ? federation::SubjectType::kApp : federation::SubjectType::kUser;
  std::vector<const federation::Trust*> candidates;
  for (const federation::Trust& t : **trusts) {
    if (t.active && t.subject_type == wanted &&
        (client_auth || Lists(t.oauth_clients, presenting_client)))
      candidates.push_back(&t);
  }
  // None fits: the first trust of the issuer refuses it, naming the rule (inactive, or the client
  // not among its oauthClients).
  if (candidates.empty()) candidates.push_back(&(*trusts)->front());

  federation::OutsideTokenOptions options;
  options.presenting_client_id = presenting_client;
  std::optional<Status> first_failure;
  const federation::Trust* failed_trust = nullptr;
  for (const federation::Trust* trust : candidates) {
    Result<federation::FederatedIdentity> who =
        federation::ValidateOutsideToken(token, *trust, *issuer_keys_, clock_, options);
    if (!who.ok()) {
      // No key to verify with is an answer of its own (503): another trust's refusal must not
      // turn a passing outage into a definitive invalid_grant.
      if (!first_failure ||
          federation::FederationReasonOf(who.status()) == FederationReason::kKeysUnavailable) {
        first_failure = who.status();
        failed_trust = trust;
      }
      continue;
    }
    out.principal.trust = *trust;
    out.principal.who = std::move(who).value();
    break;
  }
  if (out.principal.trust.id.empty()) {
    const FederationReason why = federation::FederationReasonOf(*first_failure);
    FederatedResult refused =
        Refused(ReasonFor(why), first_failure->message(),
                "trust '" + failed_trust->name + "' (" + failed_trust->id + ")");
    refused.federation_reason = why;
    refused.trust_id = failed_trust->id;
    return refused;
  }
  out.trust_id = out.principal.trust.id;
  // A refusal after the token's own checks: by this trust.
  auto by_trust = [&out](Reason reason, std::string detail, std::string note = {}) {
    FederatedResult r = Refused(reason, std::move(detail), std::move(note));
    r.trust_id = out.trust_id;
    return r;
  };
  FederatedPrincipal& principal = out.principal;
  const federation::FederatedIdentity& who = principal.who;
  const std::string note = principal.AuditNote();

  if (client_auth) {
    // RFC 10070 under the strict profile: a client assertion names this issuer alone, whatever
    // else the trust's audiences accept. The signature has verified: the claims are the issuer's.
    if (config_.assertion_audience == AssertionAudience::kStrict) {
      Result<std::pair<jose::Json, jose::Json>> decoded = jose::DecodeUnverified(token);
      const Status s = decoded.ok()
                           ? CheckAssertionAudience(decoded->second,
                                                    AssertionKind::kClientAuthentication, config_)
                           : decoded.status();
      if (!s.ok()) return by_trust(Reason::kFederatedTokenRejected, s.message(), note);
    }
    // subjectType App: the client whose id is the client claim's value (in clientClaimValues).
    if (!IsSafeIdentifier(who.mapping_value)) {
      return by_trust(Reason::kUnknownClient, "the client claim names no client id", note);
    }
    Result<std::shared_ptr<const store::App>> app = directory_.FindClient(who.mapping_value);
    if (!app.ok()) {
      if (app.status().code() == StatusCode::kNotFound) {
        return by_trust(Reason::kUnknownClient,
                        "the client claim names unknown client " + who.mapping_value.substr(0, 128),
                        note);
      }
      return by_trust(StoreReason(app.status()), app.status().message(), note);
    }
    if (!(*app)->active) {
      return by_trust(Reason::kClientInactive, "client " + who.mapping_value + " is not active",
                      note);
    }
    principal.app = *app;
    out.match = FederatedMatch::kAccepted;
    return out;
  }

  // subjectType User: the user whose subjectMappingAttribute is the outside subject, or the
  // impersonated service user by id.
  const std::string shown = who.mapping_value.substr(0, 128);
  const std::string_view attribute = federation::SubjectMappingAttributeName(who.mapping_attribute);
  Result<std::shared_ptr<const store::User>> user = Status::NotFound("");
  switch (who.mapping_attribute) {
    case federation::SubjectMappingAttribute::kUserName:
      if (IsSafeIdentifier(who.mapping_value)) user = directory_.FindUser(who.mapping_value);
      break;
    case federation::SubjectMappingAttribute::kId:
      if (IsSafeIdentifier(who.mapping_value)) {
        Result<store::User> u = store_.GetUser(who.mapping_value);
        user = u.ok() ? Result<std::shared_ptr<const store::User>>(
                            std::make_shared<const store::User>(std::move(u).value()))
                      : Result<std::shared_ptr<const store::User>>(u.status());
      }
      break;
    case federation::SubjectMappingAttribute::kEmail: {
      Result<std::vector<store::User>> found = store_.FindUsersByEmail(who.mapping_value);
      if (!found.ok()) {
        user = found.status();
      } else if (found->size() > 1) {
        // Two users share the address: the outside subject names neither for certain.
        return by_trust(Reason::kFederatedUserUnknown,
                        "the outside subject maps to more than one user by email", note);
      } else if (found->size() == 1) {
        user = std::make_shared<const store::User>(std::move(found->front()));
      }
      break;
    }
  }
  if (!user.ok()) {
    if (user.status().code() == StatusCode::kNotFound) {
      return by_trust(Reason::kFederatedUserUnknown,
                      who.impersonating
                          ? "the impersonation rule's service user '" + shown + "' does not exist"
                          : "the outside subject maps to no user (subjectMappingAttribute " +
                                std::string(attribute) + ")",
                      note);
    }
    return by_trust(StoreReason(user.status()), user.status().message(), note);
  }
  if (!(*user)->active) {
    return by_trust(Reason::kFederatedUserInactive,
                    "the user the outside subject maps to is not active", note);
  }
  principal.user = *user;
  out.match = FederatedMatch::kAccepted;
  return out;
}

void TokenService::ApplyFederated(const FederatedPrincipal& principal, PreparedToken& p) const {
  const federation::FederatedIdentity& who = principal.who;
  p.user_grant = true;
  p.subject = principal.user->user_name;
  p.user_id = principal.user->id;
  p.expires_at_cap = who.expires_at_cap;
  // RFC 8693 4.1: the issued token's subject (the service user) acts for the outside subject.
  if (who.impersonating) p.act = jose::Json{{"sub", who.act_subject}, {"iss", who.act_issuer}};
  // Contract section 10: under jti "required" the outside token is single use, recorded with the
  // assertions' jtis (one atomic insert, batched, across nodes), only once every check passed.
  if (who.MustConsumeJti() && who.jti) {
    p.jtis.push_back(
        PendingJti{who.issuer, *who.jti, who.outside_expires_at, false, who.replay_until});
  }
  p.audit_note = principal.AuditNote();
}

ScopeResult TokenService::FederatedScopes(const federation::Trust& trust,
                                          const std::optional<std::string>& requested,
                                          const store::App& app,
                                          const std::vector<ResourceView>& resources) const {
  // The ceiling applies to what the request names (the expiry is a lifetime, not a scope); with
  // nothing named, the app's scopes are limited to it.
  std::vector<std::string> named;
  if (requested) {
    std::size_t i = 0;
    while (i < requested->size()) {
      const std::size_t end = std::min(requested->find(' ', i), requested->size());
      std::string t = requested->substr(i, end - i);
      if (!t.empty() && t.rfind(kScopeExpiryPrefix, 0) != 0) named.push_back(std::move(t));
      i = end + 1;
    }
  }
  if (Status s = federation::CheckScopeCeiling(trust, named); !s.ok())
    return Rejection{Reason::kFederatedScopeOutsideCeiling, s.message()};
  store::App limited = app;
  limited.allowed_scopes = federation::WithinScopeCeiling(trust, app.allowed_scopes);
  return ResolveScopes(requested, limited, resources, config_);
}

std::optional<Rejection> TokenService::PrepareTokenExchange(
    const ClientRequest& req, const store::App& app, PreparedToken& p,
    std::optional<federation::Trust>& trust) const {
  auto missing = [](const char* name) {
    return Rejection{Reason::kMissingParameter, std::string(name) + " missing"};
  };
  const std::string* subject_token = FormValue(req, "subject_token");
  const std::string* subject_token_type = FormValue(req, "subject_token_type");
  if (!subject_token) return missing("subject_token");
  if (!subject_token_type) return missing("subject_token_type");
  // RFC 8693 2.1: the subject token types an outside token can be; anything else (a SAML
  // assertion, a refresh token) is refused by name.
  if (!federation::SubjectTokenTypeFromUrn(*subject_token_type)) {
    return Rejection{Reason::kTokenTypeUnsupported,
                     "subject_token_type " + subject_token_type->substr(0, 128) +
                         " is not supported; use " + std::string(federation::kTokenTypeJwt) + ", " +
                         std::string(federation::kTokenTypeIdToken) + " or " +
                         std::string(federation::kTokenTypeAccessToken)};
  }
  if (const std::string* requested = FormValue(req, "requested_token_type");
      requested && *requested != federation::kTokenTypeAccessToken) {
    return Rejection{Reason::kTokenTypeUnsupported,
                     "requested_token_type " + requested->substr(0, 128) +
                         " is not supported; Tessera issues " +
                         std::string(federation::kTokenTypeAccessToken)};
  }
  // Delegation (RFC 8693 1.1) is not offered: the issued token speaks for the subject alone.
  if (FormValue(req, "actor_token") || FormValue(req, "actor_token_type")) {
    return Rejection{Reason::kMalformedRequest, "actor_token is not supported"};
  }
  FederatedResult f = ValidateFederated(*subject_token, app.client_id);
  if (f.match == FederatedMatch::kNoTrust) {
    // Contract section 10: a subject_token is an outside token or nothing.
    Result<std::string> iss = federation::PeekIssuer(*subject_token);
    return Rejection{Reason::kFederatedTokenRejected,
                     iss.ok() ? "the subject_token's issuer is not the issuer of any federation "
                                "trust"
                              : "subject_token: " + iss.status().message()};
  }
  if (f.match == FederatedMatch::kRefused) return f.rejection;
  ApplyFederated(f.principal, p);
  p.token_exchange = true;
  trust = std::move(f.principal.trust);
  return std::nullopt;
}

}  // namespace tessera::oauth
