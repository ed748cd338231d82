#include "federation/outside_token.h"

#include <algorithm>
#include <cctype>

#include "jose/claims.h"
#include "jose/error.h"
#include "jose/jws.h"

namespace tessera::federation {
namespace {

using jose::JoseError;
using jose::Json;
using R = FederationReason;

// Step 2: the parse, with the jose reason folded into the federation one.
Result<jose::Jws> Parse(std::string_view token, std::size_t max_bytes) {
  if (token.size() > max_bytes) {
    return Refuse(R::kTooLarge, {},
                  std::to_string(token.size()) + " bytes, at most " + std::to_string(max_bytes));
  }
  Result<jose::Jws> jws = jose::ParseJwt(token, {.max_bytes = max_bytes});
  if (!jws.ok()) {
    const Status status = jws.status();
    const std::string& detail = status.message();
    switch (jose::JoseErrorOf(status)) {
      case JoseError::kTooLarge:
        return Refuse(R::kTooLarge, {}, detail);
      case JoseError::kAlgMissing:
      case JoseError::kAlgNone:
      case JoseError::kAlgUnknown:
      case JoseError::kAlgNotAllowed:
        return Refuse(R::kAlgorithmRejected, {}, detail);
      case JoseError::kCritUnsupported:
      case JoseError::kCritMalformed:
      case JoseError::kUnencodedPayload:
      case JoseError::kKeyHeaderForbidden:
      case JoseError::kUnsupportedHeader:
      case JoseError::kBadHeaderValue:
        return Refuse(R::kHeaderRejected, {}, detail);
      default:  // every syntax reason: segments, base64url, JSON, empty signature
        return Refuse(R::kMalformed, {}, detail);
    }
  }
  // RFC 8725 2.1: an outside issuer shares no secret with this domain, so an HMAC "signature"
  // could only be keyed with something public (its public key bytes).
  if (jose::FamilyOf(jws->alg) == jose::AlgorithmFamily::kHmac) {
    return Refuse(R::kAlgorithmRejected, {},
                  std::string(jose::AlgorithmName(jws->alg)) + " (HMAC) is never accepted");
  }
  return jws;
}

// Step 3. typ is a media type: case-insensitive, "application/" optional (RFC 7515 4.1.9).
Status CheckType(const std::optional<std::string>& typ) {
  if (!typ) return Status::Ok();
  std::string t = *typ;
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (t.rfind("application/", 0) == 0) t.erase(0, sizeof("application/") - 1);
  if (t == "jwt" || t == "jose" || t == "at+jwt") return Status::Ok();
  return Refuse(R::kTypeRejected, {},
                "typ \"" + typ->substr(0, 64) + "\"; accepted: JWT, JOSE, at+jwt or none");
}

Result<std::string> Issuer(const Json& claims) {
  auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->is_string() || iss->get_ref<const std::string&>().empty()) {
    return Refuse(R::kIssuerMissing);
  }
  return iss->get<std::string>();
}

Status TimeRefusal(const Status& s) {
  switch (jose::JoseErrorOf(s)) {
    case JoseError::kClaimMissing:
      return Refuse(R::kExpirationMissing);
    case JoseError::kExpired:
      return Refuse(R::kExpired, {}, s.message());
    case JoseError::kNotYetValid:
      return Refuse(R::kNotYetValid, {}, s.message());
    case JoseError::kIssuedInFuture:
      return Refuse(R::kIssuedInFuture, {}, s.message());
    case JoseError::kLifetimeTooLong:
      return Refuse(R::kLifetimeTooLong, {}, s.message());
    case JoseError::kTimesInconsistent:
      return Refuse(R::kTimesInconsistent, {}, s.message());
    default:  // kClaimType, kClaimMilliseconds
      return Refuse(R::kTimeClaimInvalid, {}, s.message());
  }
}

// A string claim at a claim path, nullopt when absent, empty, not a string or too long.
std::optional<std::string> StringAt(const Json& claims, std::string_view path,
                                    std::size_t max_bytes) {
  const Json* v = FindClaim(claims, path);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  const std::string& s = v->get_ref<const std::string&>();
  if (s.empty() || s.size() > max_bytes) return std::nullopt;
  return s;
}

}  // namespace

std::optional<SubjectTokenType> SubjectTokenTypeFromUrn(std::string_view urn) {
  if (urn == kTokenTypeJwt) return SubjectTokenType::kJwt;
  if (urn == kTokenTypeIdToken) return SubjectTokenType::kIdToken;
  if (urn == kTokenTypeAccessToken) return SubjectTokenType::kAccessToken;
  return std::nullopt;
}

Result<std::string> PeekIssuer(std::string_view token, std::size_t max_token_bytes) {
  TESSERA_ASSIGN_OR_RETURN(jose::Jws jws, Parse(token, max_token_bytes));
  return Issuer(jws.claims);
}

Result<FederatedIdentity> ValidateOutsideToken(std::string_view token, const Trust& trust,
                                               const KeySource& keys, const Clock& clock,
                                               const OutsideTokenOptions& options) {
  // Step 1: the trust's own state and who presents the token, before any work on the token.
  if (!trust.active) return Refuse(R::kTrustInactive, {}, "trust \"" + trust.name + "\"");
  if (trust.subject_type == SubjectType::kUser) {
    const auto& allowed = trust.oauth_clients;
    if (options.presenting_client_id.empty() ||
        std::find(allowed.begin(), allowed.end(), options.presenting_client_id) == allowed.end()) {
      const std::string detail = "client \"" + options.presenting_client_id +
                                 "\" is not in oauthClients of trust \"" + trust.name + "\"";
      return Refuse(R::kClientNotAuthorized, {}, detail);
    }
  } else if (!options.presenting_client_id.empty()) {
    // RFC 8725 3.12: the two uses stay disjoint. An App trust's token authenticates an app; it
    // is never the subject of a grant presented by another one.
    return Refuse(
        R::kClientNotAuthorized, {},
        "trust \"" + trust.name + "\" (subjectType App) serves client authentication only");
  }

  // Steps 2-4: form, type, issuer (unverified: a lookup hint only).
  TESSERA_ASSIGN_OR_RETURN(jose::Jws jws, Parse(token, options.max_token_bytes));
  TESSERA_RETURN_IF_ERROR(CheckType(jws.typ));
  TESSERA_ASSIGN_OR_RETURN(std::string iss, Issuer(jws.claims));
  if (iss != trust.issuer) {
    // The value is not echoed: it is unverified (RFC 7519 7.2).
    return Refuse(R::kIssuerMismatch, {}, "expected \"" + trust.issuer + "\"");
  }

  // Step 5: the trust's key, pinned to its algorithm; the header's alg only has to agree.
  TESSERA_ASSIGN_OR_RETURN(jose::Key key, keys.Find(trust, jws.kid));
  if (Status s = key.Verify(jws.alg, jws.signing_input, jws.signature); !s.ok()) {
    if (jose::JoseErrorOf(s) == JoseError::kAlgNotAllowed) {
      return Refuse(R::kAlgorithmNotAllowed, {},
                    std::string(jose::AlgorithmName(jws.alg)) + " with a key pinned to " +
                        key.algorithms().ToString());
    }
    return Refuse(R::kSignatureInvalid);
  }
  const Json& claims = jws.claims;  // verified from here on

  // Step 6: time, with the trust's skew, applied once per comparison.
  const int64_t now = clock.NowSeconds();
  if (Status s = jose::CheckTimes(claims, {.now = now,
                                           .skew = trust.clock_skew_seconds,
                                           .max_lifetime = options.max_outside_lifetime_seconds,
                                           .require_exp = true});
      !s.ok()) {
    return TimeRefusal(s);
  }
  const int64_t exp = claims.at("exp").get<int64_t>();

  // Step 7: audience.
  if (Status s = jose::CheckAudience(claims, trust.audiences); !s.ok()) {
    if (jose::JoseErrorOf(s) == JoseError::kClaimMissing) return Refuse(R::kAudienceMissing);
    return Refuse(R::kAudienceMismatch, "aud", s.message());
  }

  // Step 8: the trust's conditions, all of them.
  for (const ClaimCondition& c : trust.conditions) {
    switch (EvaluateCondition(c, claims)) {
      case ConditionOutcome::kSatisfied:
        break;
      case ConditionOutcome::kClaimMissing:
        return Refuse(R::kConditionClaimMissing, c.claim);
      case ConditionOutcome::kNotSatisfied:
        return Refuse(R::kConditionNotSatisfied, c.claim);
    }
  }

  FederatedIdentity id;
  id.trust_id = trust.id;
  id.trust_name = trust.name;
  id.issuer = iss;
  id.key_id = jws.kid.value_or("");
  id.subject_type = trust.subject_type;

  // Step 9: the outside token's client.
  if (!trust.client_claim_name.empty()) {
    const Json* v = FindClaim(claims, trust.client_claim_name);
    if (v == nullptr || !v->is_string()) {
      return Refuse(R::kClientClaimMissing, trust.client_claim_name);
    }
    const std::string& value = v->get_ref<const std::string&>();
    const auto& allowed = trust.client_claim_values;
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
      return Refuse(R::kClientNotAllowed, trust.client_claim_name);
    }
    id.client_claim_value = value;
  }

  // Step 10: the outside subject.
  std::optional<std::string> subject = StringAt(claims, trust.subject_claim_name, kMaxSubjectBytes);
  if (!subject) return Refuse(R::kSubjectMissing, trust.subject_claim_name);
  id.outside_subject = *subject;
  if (trust.subject_type == SubjectType::kApp) {
    // Federated client authentication: the client claim names the app (ValidateTrust makes
    // clientClaimName required for App trusts).
    id.mapping_attribute = SubjectMappingAttribute::kId;
    id.mapping_value = id.client_claim_value.value_or("");
  } else {
    id.mapping_attribute = trust.subject_mapping_attribute;
    id.mapping_value = *subject;
  }

  // Step 11: impersonation, first matching rule wins (the administrator's order).
  if (trust.allow_impersonation && trust.subject_type == SubjectType::kUser) {
    for (std::size_t i = 0; i < trust.impersonation_service_users.size(); ++i) {
      const ImpersonationServiceUser& u = trust.impersonation_service_users[i];
      Result<ImpersonationRule> rule = ParseImpersonationRule(u.rule);
      if (!rule.ok()) continue;  // ValidateTrust refuses such a trust; never a blanket match
      if (RuleMatches(*rule, claims)) {
        id.impersonating = true;
        id.impersonation_rule = i;
        id.mapping_attribute = SubjectMappingAttribute::kId;
        id.mapping_value = u.value;
        // RFC 8693 4.1: "act" names the party acting, the outside subject and its issuer.
        id.act_subject = *subject;
        id.act_issuer = iss;
        break;
      }
    }
  }

  // Step 12: jti. RFC 7523 3 item 7: single use until exp (+ skew, the longest we accept it).
  Result<std::optional<std::string>> jti = jose::StringClaim(claims, "jti", kMaxJtiBytes);
  if (!jti.ok() || (jti->has_value() && (*jti)->empty())) {
    return Refuse(R::kJtiInvalid, {}, jti.ok() ? "empty" : jti.status().message());
  }
  if (!jti->has_value() && trust.jti == JtiPolicy::kRequired) return Refuse(R::kJtiMissing);
  id.jti = *jti;
  id.jti_policy = trust.jti;
  id.replay_until = exp + trust.clock_skew_seconds;

  // Step 13: the cap. The issued token never outlives the outside one.
  id.outside_expires_at = exp;
  id.expires_at_cap = exp;
  if (trust.max_token_lifetime) {
    id.expires_at_cap = std::min(id.expires_at_cap, now + *trust.max_token_lifetime);
  }
  if (id.expires_at_cap <= now) {
    return Refuse(R::kNoLifetimeLeft, {},
                  "exp " + jose::FormatNumericDate(exp) + " is within the clock skew");
  }
  return id;
}

int64_t IssuedExpiry(const FederatedIdentity& identity, int64_t now, int64_t requested_lifetime) {
  return std::min(now + requested_lifetime, identity.expires_at_cap);
}

Status CheckScopeCeiling(const Trust& trust, const std::vector<std::string>& requested) {
  if (trust.allowed_scopes.empty()) return Status::Ok();
  for (const std::string& scope : requested) {
    if (std::find(trust.allowed_scopes.begin(), trust.allowed_scopes.end(), scope) ==
        trust.allowed_scopes.end()) {
      return Refuse(R::kScopeOutsideCeiling, {},
                    "\"" + scope + "\" is not in allowedScopes of trust \"" + trust.name + "\"");
    }
  }
  return Status::Ok();
}

std::vector<std::string> WithinScopeCeiling(const Trust& trust,
                                            const std::vector<std::string>& candidates) {
  if (trust.allowed_scopes.empty()) return candidates;
  std::vector<std::string> out;
  for (const std::string& scope : candidates) {
    if (std::find(trust.allowed_scopes.begin(), trust.allowed_scopes.end(), scope) !=
        trust.allowed_scopes.end()) {
      out.push_back(scope);
    }
  }
  return out;
}

}  // namespace tessera::federation
