#include "oauth/assertion_checks.h"

#include <algorithm>

#include "federation/conditions.h"
#include "federation/reason.h"
#include "jose/jws.h"
#include "oauth/scopes.h"
#include "oauth/secrets.h"

namespace tessera::oauth {
namespace {

using jose::Json;

std::string_view ResultName(RuleResult r) {
  switch (r) {
    case RuleResult::kPass:
      return "pass";
    case RuleResult::kFail:
      return "fail";
    case RuleResult::kNotChecked:
      return "not_checked";
  }
  return "fail";
}

Json RuleJson(const RuleOutcome& r) {
  Json j = {{"rule", r.rule},
            {"name", r.name},
            {"result", ResultName(r.result)},
            {"passed", r.passed()},
            {"detail", r.detail}};
  if (r.reason) j["reason"] = std::string(ReasonCode(*r.reason));
  if (r.result == RuleResult::kFail) j["fix"] = r.fix;
  return j;
}

Rejection RateLimited(const char* what, int64_t wait) {
  Rejection r{Reason::kRateLimited,
              std::string("too many assertion checks ") + what + "; retry later", false};
  r.retry_after = wait;
  return r;
}

}  // namespace

AssertionCheckService::AssertionCheckService(store::Store& store, Directory& directory,
                                             TokenService& tokens, const DomainConfig& config,
                                             const Clock& clock, AssertionCheckLimits limits)
    : store_(store),
      directory_(directory),
      tokens_(tokens),
      config_(config),
      per_address_(clock, limits.per_address_rate, limits.per_address_burst),
      per_client_(clock, limits.per_client_rate, limits.per_client_burst) {}

std::optional<Rejection> AssertionCheckService::AdmitAddress(const std::string& remote_address) {
  if (const int64_t wait = per_address_.Allow(remote_address); wait > 0) {
    return RateLimited("from this address", wait);
  }
  return std::nullopt;
}

std::variant<std::shared_ptr<const store::App>, Rejection> AssertionCheckService::AdmitClient(
    const ClientCredentials& basic) {
  ClientRequest request;
  request.basic = basic;
  // The token endpoint's own checks, inactive app included: one answer for every failure.
  auto auth = tokens_.Authenticate(request);
  if (auto* r = std::get_if<Rejection>(&auth)) return *r;
  std::shared_ptr<const store::App> app = std::get<AuthenticatedClient>(auth).app;
  // Counted only now: nobody spends another client's budget by naming it.
  if (const int64_t wait = per_client_.Allow(app->client_id); wait > 0) {
    return RateLimited("for this client", wait);
  }
  return app;
}

Json AssertionCheckService::Run(const AssertionCheckRequest& req, ReportDepth depth) const {
  std::vector<RuleOutcome> rules;
  auto add = [&](int n, const char* name, bool passed, std::optional<Reason> reason,
                 std::string detail, std::string fix) {
    rules.push_back({n, name, passed ? RuleResult::kPass : RuleResult::kFail, reason,
                     std::move(detail), std::move(fix)});
  };
  Json out = {{"clientId", req.client_id}};

  // The client the assertion is for (rule 4 compares iss with it).
  Result<std::shared_ptr<const store::App>> app = directory_.FindClient(req.client_id);
  if (!app.ok()) {
    const bool missing = app.status().code() == StatusCode::kNotFound;
    add(0, "client", false, missing ? Reason::kUnknownClient : Reason::kStoreUnavailable,
        missing ? "no confidential app has client id '" + req.client_id.substr(0, 128) + "'"
                : app.status().message(),
        missing ? "use the client id (the app's 'name') shown when the app was created"
                : "retry later");
  } else {
    const store::App& a = **app;
    add(0, "client", true, std::nullopt, "client " + a.client_id + " (" + a.display_name + ")", "");
    if (!a.active) {
      add(0, "client active", false, Reason::kClientInactive, "the app is not active",
          "activate it: tessera admin apps activate " + a.id);
    } else {
      add(0, "client active", true, std::nullopt, "", "");
    }
    const bool jwt_allowed = std::find(a.allowed_grants.begin(), a.allowed_grants.end(),
                                       kGrantJwtBearer) != a.allowed_grants.end();
    if (!jwt_allowed) {
      add(0, "grant", false, Reason::kGrantNotAllowed,
          "the app's allowedGrants lack " + std::string(kGrantJwtBearer),
          "allow the grant: tessera admin apps update " + a.id +
              " --grant client_credentials --grant urn:ietf:params:oauth:grant-type:jwt-bearer");
    } else {
      add(0, "grant", true, std::nullopt, "", "");
    }

    std::optional<federation::Trust> trust;
    bool unsigned_claims = false;
    const bool outside = ExplainOutsideToken(req, a, depth, rules, out, trust, unsigned_claims);
    std::vector<RuleOutcome> report;
    AssertionResult result = Rejection{Reason::kInternal, "an outside token"};
    if (!outside) {
      result =
          tokens_.validator().Validate(req.assertion, a, AssertionKind::kUserGrant, &report, depth);
      // Rule 3 passes only once the signature verified with a certificate the rule allows.
      unsigned_claims = depth == ReportDepth::kUntilSignatureFails &&
                        std::none_of(report.begin(), report.end(), [](const RuleOutcome& r) {
                          return r.rule == 3 && r.passed();
                        });
    }
    rules.insert(rules.end(), report.begin(), report.end());
    // Rule 7's single use: looked up, never consumed here.
    if (auto* v = std::get_if<ValidatedAssertion>(&result); v && !v->jti.empty()) {
      Result<bool> used = store_.IsJtiUsed(v->issuer, v->jti);
      if (!used.ok()) {
        add(7, "jti unused", false, Reason::kStoreUnavailable, used.status().message(),
            "retry later");
      } else if (*used) {
        add(7, "jti unused", false, Reason::kAssertionJtiReplayed, "assertion jti was already used",
            "sign a new assertion with a new jti (a random UUID) for every token request");
      } else {
        add(7, "jti unused", true, std::nullopt, "", "");
      }
    }
    // A rejection needs nothing more here: report mode already recorded every failed rule.

    // Rule 9: scopes (not told about for claims nobody signed).
    if (unsigned_claims) {
      rules.push_back({9, "scope", RuleResult::kNotChecked, std::nullopt,
                       "not checked: the assertion's signature was not verified", ""});
    } else if (Result<std::shared_ptr<const std::vector<ResourceView>>> resources =
                   directory_.Resources();
               !resources.ok()) {
      add(9, "scope", false, Reason::kStoreUnavailable, resources.status().message(),
          "retry later");
    } else {
      ScopeResult scopes = trust ? tokens_.FederatedScopes(*trust, req.scope, a, **resources)
                                 : ResolveScopes(req.scope, a, **resources, config_);
      if (auto* r = std::get_if<Rejection>(&scopes)) {
        add(9, "scope", false, r->reason, r->detail,
            r->reason == Reason::kScopeExpiryInvalid
                ? "use urn:opc:resource:expiry=N with 60 <= N <= 31556952"
                : "request a fully qualified scope (resource audience + scope value) listed in the "
                  "app's allowedScopes (tessera admin apps get " +
                      a.id + "), or allow it: tessera admin apps update " + a.id + " --scope FQS");
      } else {
        const GrantedScopes& g = std::get<GrantedScopes>(scopes);
        add(9, "scope", true, std::nullopt,
            "granted: " + g.ResponseScope() + "; lifetime " + std::to_string(g.lifetime) + " s",
            "");
      }
    }
  }

  // In rule order (the validator records some rules late, e.g. the jti lookup above).
  std::stable_sort(rules.begin(), rules.end(),
                   [](const RuleOutcome& x, const RuleOutcome& y) { return x.rule < y.rule; });
  bool passed = true;
  Json list = Json::array();
  for (const auto& r : rules) {
    passed = passed && r.passed();
    list.push_back(RuleJson(r));
  }
  out["passed"] = passed;
  out["rules"] = list;
  return out;
}

bool AssertionCheckService::ExplainOutsideToken(const AssertionCheckRequest& req,
                                                const store::App& app, ReportDepth depth,
                                                std::vector<RuleOutcome>& rules, Json& out,
                                                std::optional<federation::Trust>& trust,
                                                bool& unsigned_claims) const {
  using federation::FederationReason;
  FederationTrusts* trusts = tokens_.federation_trusts();
  if (trusts == nullptr) return false;
  Result<std::string> iss = federation::PeekIssuer(req.assertion);
  if (!iss.ok()) return false;
  Result<std::shared_ptr<const FederationTrusts::TrustList>> list = trusts->ForIssuer(*iss);
  if (list.ok() && (*list)->empty()) return false;
  auto add = [&](int n, std::string name, RuleResult result, std::optional<Reason> reason,
                 std::string detail, std::string fix) {
    rules.push_back({n, std::move(name), result, reason, std::move(detail), std::move(fix)});
  };
  if (!list.ok()) {
    add(1, "trust", RuleResult::kFail, Reason::kStoreUnavailable, list.status().message(),
        "retry later");
    return true;
  }
  out["outsideToken"] = true;
  const FederatedResult f = tokens_.ValidateFederated(req.assertion, app.client_id);
  // Which trust judged it: the accepted one, or the one the refusal names.
  const federation::Trust* judged = nullptr;
  for (const federation::Trust& t : **list) {
    if (!f.trust_id.empty() && t.id == f.trust_id) judged = &t;
  }
  out["trust"] = judged ? Json{{"id", judged->id}, {"name", judged->name}} : Json(nullptr);
  const std::string trust_text =
      judged ? "trust '" + judged->name + "' (" + judged->id + ") for issuer " + *iss : *iss;
  const FederationReason why = f.federation_reason;
  // The checks run in FederationReason order: a refusal after kSignatureInvalid (or after the
  // library's checks: the mapping) came from verified claims.
  const bool signed_ok =
      f.match == FederatedMatch::kAccepted || why == FederationReason::kOk ||
      static_cast<int>(why) > static_cast<int>(FederationReason::kSignatureInvalid);
  unsigned_claims = !signed_ok;
  if (why == FederationReason::kTrustInactive || why == FederationReason::kClientNotAuthorized) {
    add(1, "trust", RuleResult::kFail, f.rejection.reason, trust_text + ": " + f.rejection.detail,
        "activate the trust, and list client " + app.client_id + " in its oauthClients");
    return true;
  }
  add(1, "trust", RuleResult::kPass, std::nullopt, trust_text, "");
  if (!signed_ok) {
    add(5, "outside token signature", RuleResult::kFail, f.rejection.reason, f.rejection.detail,
        f.rejection.reason == Reason::kFederatedKeysUnavailable
            ? "check that the trust's key endpoint answers (publicKeyEndpoint or the issuer's "
              "discovery document)"
            : "present an unmodified token of the issuer, signed with a key its JWK Set "
              "publishes (by kid)");
  } else {
    add(5, "outside token signature", RuleResult::kPass, std::nullopt, "", "");
  }
  // Each condition, evaluated on the verified claims only.
  if (judged != nullptr) {
    Result<std::pair<jose::Json, jose::Json>> decoded = jose::DecodeUnverified(req.assertion);
    for (const federation::ClaimCondition& c : judged->conditions) {
      const std::string name = "condition on claim '" + c.claim + "'";
      if (!signed_ok || !decoded.ok()) {
        if (depth == ReportDepth::kUntilSignatureFails || !decoded.ok()) {
          add(8, name, RuleResult::kNotChecked, std::nullopt,
              "not checked: the token's signature was not verified", "");
          continue;
        }
      }
      switch (federation::EvaluateCondition(c, decoded->second)) {
        case federation::ConditionOutcome::kSatisfied:
          add(8, name, RuleResult::kPass, std::nullopt, "", "");
          break;
        case federation::ConditionOutcome::kClaimMissing:
          add(8, name, RuleResult::kFail, Reason::kFederatedTokenRejected,
              federation::RefusalMessage(FederationReason::kConditionClaimMissing, c.claim),
              "the outside token lacks the claim; check the trust's claim path");
          break;
        case federation::ConditionOutcome::kNotSatisfied:
          add(8, name, RuleResult::kFail, Reason::kFederatedTokenRejected,
              federation::RefusalMessage(FederationReason::kConditionNotSatisfied, c.claim),
              "the claim's value is not among the condition's values (compared as text; "
              "objects never match)");
          break;
      }
    }
  }
  if (f.match == FederatedMatch::kAccepted) {
    trust = f.principal.trust;
    const federation::FederatedIdentity& who = f.principal.who;
    add(10, "mapping", RuleResult::kPass, std::nullopt,
        "outside subject '" + who.outside_subject.substr(0, 128) + "' -> user '" +
            f.principal.user->user_name + "'" +
            (who.impersonating
                 ? " (service user by impersonation rule " +
                       std::to_string(who.impersonation_rule) + ")"
                 : " (by " +
                       std::string(federation::SubjectMappingAttributeName(who.mapping_attribute)) +
                       ")"),
        "");
    if (who.MustConsumeJti() && who.jti) {
      Result<bool> used = store_.IsJtiUsed(who.issuer, *who.jti);
      if (!used.ok()) {
        add(12, "jti", RuleResult::kFail, Reason::kStoreUnavailable, used.status().message(),
            "retry later");
      } else if (*used) {
        add(12, "jti", RuleResult::kFail, Reason::kAssertionJtiReplayed,
            "jti policy required: this outside token was already used",
            "present a new token of the issuer");
      } else {
        add(12, "jti", RuleResult::kPass, std::nullopt,
            "jti policy required: single use, not used yet", "");
      }
    } else {
      add(12, "jti", RuleResult::kPass, std::nullopt,
          "jti policy reuse-until-exp: the token may be presented again until it expires", "");
    }
    return true;
  }
  if (signed_ok) {
    const bool mapping = f.rejection.reason == Reason::kFederatedUserUnknown ||
                         f.rejection.reason == Reason::kFederatedUserInactive;
    add(mapping ? 10 : 6, mapping ? "mapping" : "outside token", RuleResult::kFail,
        f.rejection.reason, f.rejection.detail,
        mapping ? "create or activate the user the outside subject names, or change the trust's "
                  "subjectMappingAttribute"
                : "see docs/federation.md, \"The checks in order\"");
  }
  return true;
}

std::string AssertionCheckService::ExplainBasicFailure(const ClientCredentials& decoded,
                                                       const ClientCredentials& raw) const {
  static constexpr char kEncode[] =
      "the Basic credentials were not URL-encoded: encode the client id and the secret with "
      "application/x-www-form-urlencoded before joining them with ':' and base64 (RFC 6749 2.3.1)";
  Result<std::shared_ptr<const store::App>> app = directory_.FindClient(decoded.client_id);
  if (!app.ok()) {
    if (raw.client_id != decoded.client_id && directory_.FindClient(raw.client_id).ok())
      return kEncode;
    if (app.status().code() != StatusCode::kNotFound)
      return "the store is unavailable; retry later";
    return "unknown client id '" + decoded.client_id.substr(0, 128) + "'";
  }
  const store::App& a = **app;
  if (VerifySecret(decoded.client_secret, a.secret_hash)) {
    return a.active ? "the credentials are valid" : "the app is not active";
  }
  if (raw.client_secret != decoded.client_secret && VerifySecret(raw.client_secret, a.secret_hash))
    return kEncode;
  return "wrong client secret for client " + a.client_id;
}

}  // namespace tessera::oauth
