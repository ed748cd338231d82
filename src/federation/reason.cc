#include "federation/reason.h"

namespace tessera::federation {

std::string_view ReasonText(FederationReason reason) {
  switch (reason) {
    case FederationReason::kOk:
      return "the outside token is accepted";
    case FederationReason::kTrustInactive:
      return "the trust is not active";
    case FederationReason::kClientNotAuthorized:
      return "the client may not present tokens of this trust";
    case FederationReason::kTooLarge:
      return "the outside token is too large";
    case FederationReason::kMalformed:
      return "the outside token is not a well-formed JWT";
    case FederationReason::kHeaderRejected:
      return "the outside token header is not accepted";
    case FederationReason::kAlgorithmRejected:
      return "the outside token's algorithm is not accepted";
    case FederationReason::kTypeRejected:
      return "the outside token's typ is not a token type";
    case FederationReason::kIssuerMissing:
      return "the outside token has no issuer";
    case FederationReason::kIssuerMismatch:
      return "the outside token's issuer is not the trust's issuer";
    case FederationReason::kKeysUnavailable:
      return "the issuer's signing keys are unavailable";
    case FederationReason::kNoKeyId:
      return "the outside token names no key (kid)";
    case FederationReason::kKeyNotFound:
      return "the outside token's signing key is not one of the issuer's keys";
    case FederationReason::kCertificateExpired:
      return "the trust's certificate is not valid now";
    case FederationReason::kAlgorithmNotAllowed:
      return "the outside token's algorithm is not the key's algorithm";
    case FederationReason::kSignatureInvalid:
      return "the outside token's signature is invalid";
    case FederationReason::kTimeClaimInvalid:
      return "the outside token's time claims are malformed";
    case FederationReason::kExpirationMissing:
      return "the outside token has no expiry (exp)";
    case FederationReason::kExpired:
      return "the outside token has expired";
    case FederationReason::kNotYetValid:
      return "the outside token is not valid yet";
    case FederationReason::kIssuedInFuture:
      return "the outside token is issued in the future";
    case FederationReason::kTimesInconsistent:
      return "the outside token expires before it is issued or valid";
    case FederationReason::kLifetimeTooLong:
      return "the outside token's lifetime is too long";
    case FederationReason::kNoLifetimeLeft:
      return "the outside token has no lifetime left to issue a token for";
    case FederationReason::kAudienceMissing:
      return "the outside token has no audience";
    case FederationReason::kAudienceMismatch:
      return "the outside token's audience is not one of the trust's audiences";
    case FederationReason::kConditionClaimMissing:
      return "a condition's claim is missing";
    case FederationReason::kConditionNotSatisfied:
      return "a condition is not satisfied";
    case FederationReason::kClientClaimMissing:
      return "the client claim is missing";
    case FederationReason::kClientNotAllowed:
      return "the client claim's value is not allowed";
    case FederationReason::kSubjectMissing:
      return "the subject claim is missing";
    case FederationReason::kJtiMissing:
      return "the outside token has no jti";
    case FederationReason::kJtiInvalid:
      return "the outside token's jti is malformed";
    case FederationReason::kScopeOutsideCeiling:
      return "a requested scope is outside the trust's allowed scopes";
  }
  return "unknown reason";  // not reached: the switch names every value
}

std::string_view ReasonCode(FederationReason reason) {
  switch (reason) {
    case FederationReason::kOk:
      return "ok";
    case FederationReason::kTrustInactive:
      return "trust_inactive";
    case FederationReason::kClientNotAuthorized:
      return "client_not_authorized";
    case FederationReason::kTooLarge:
      return "too_large";
    case FederationReason::kMalformed:
      return "malformed";
    case FederationReason::kHeaderRejected:
      return "header_rejected";
    case FederationReason::kAlgorithmRejected:
      return "algorithm_rejected";
    case FederationReason::kTypeRejected:
      return "type_rejected";
    case FederationReason::kIssuerMissing:
      return "issuer_missing";
    case FederationReason::kIssuerMismatch:
      return "issuer_mismatch";
    case FederationReason::kKeysUnavailable:
      return "keys_unavailable";
    case FederationReason::kNoKeyId:
      return "no_key_id";
    case FederationReason::kKeyNotFound:
      return "key_not_found";
    case FederationReason::kCertificateExpired:
      return "certificate_expired";
    case FederationReason::kAlgorithmNotAllowed:
      return "algorithm_not_allowed";
    case FederationReason::kSignatureInvalid:
      return "signature_invalid";
    case FederationReason::kTimeClaimInvalid:
      return "time_claim_invalid";
    case FederationReason::kExpirationMissing:
      return "expiration_missing";
    case FederationReason::kExpired:
      return "expired";
    case FederationReason::kNotYetValid:
      return "not_yet_valid";
    case FederationReason::kIssuedInFuture:
      return "issued_in_future";
    case FederationReason::kTimesInconsistent:
      return "times_inconsistent";
    case FederationReason::kLifetimeTooLong:
      return "lifetime_too_long";
    case FederationReason::kNoLifetimeLeft:
      return "no_lifetime_left";
    case FederationReason::kAudienceMissing:
      return "audience_missing";
    case FederationReason::kAudienceMismatch:
      return "audience_mismatch";
    case FederationReason::kConditionClaimMissing:
      return "condition_claim_missing";
    case FederationReason::kConditionNotSatisfied:
      return "condition_not_satisfied";
    case FederationReason::kClientClaimMissing:
      return "client_claim_missing";
    case FederationReason::kClientNotAllowed:
      return "client_not_allowed";
    case FederationReason::kSubjectMissing:
      return "subject_missing";
    case FederationReason::kJtiMissing:
      return "jti_missing";
    case FederationReason::kJtiInvalid:
      return "jti_invalid";
    case FederationReason::kScopeOutsideCeiling:
      return "scope_outside_ceiling";
  }
  return "unknown";  // not reached: the switch names every value
}

std::string RefusalMessage(FederationReason reason, std::string_view claim,
                           std::string_view detail) {
  const std::string c = "'" + std::string(claim) + "'";
  std::string m;
  // Rules about one claim name it in the sentence; the others use their fixed phrase.
  switch (reason) {
    case FederationReason::kConditionClaimMissing:
      m = claim.empty() ? std::string(ReasonText(reason))
                        : "condition on claim " + c + " not satisfied: the claim is missing";
      break;
    case FederationReason::kConditionNotSatisfied:
      m = claim.empty() ? std::string(ReasonText(reason))
                        : "condition on claim " + c + " not satisfied";
      break;
    case FederationReason::kClientClaimMissing:
      m = claim.empty() ? std::string(ReasonText(reason)) : "client claim " + c + " is missing";
      break;
    case FederationReason::kClientNotAllowed:
      m = claim.empty() ? std::string(ReasonText(reason))
                        : "client claim " + c + " holds a value not in clientClaimValues";
      break;
    case FederationReason::kSubjectMissing:
      m = claim.empty() ? std::string(ReasonText(reason))
                        : "subject claim " + c + " is missing, empty or not a string";
      break;
    case FederationReason::kTimeClaimInvalid:
      m = claim.empty() ? std::string(ReasonText(reason))
                        : "the outside token's " + c + " is not a NumericDate in seconds";
      break;
    case FederationReason::kOk:
    case FederationReason::kTrustInactive:
    case FederationReason::kClientNotAuthorized:
    case FederationReason::kTooLarge:
    case FederationReason::kMalformed:
    case FederationReason::kHeaderRejected:
    case FederationReason::kAlgorithmRejected:
    case FederationReason::kTypeRejected:
    case FederationReason::kIssuerMissing:
    case FederationReason::kIssuerMismatch:
    case FederationReason::kKeysUnavailable:
    case FederationReason::kNoKeyId:
    case FederationReason::kKeyNotFound:
    case FederationReason::kCertificateExpired:
    case FederationReason::kAlgorithmNotAllowed:
    case FederationReason::kSignatureInvalid:
    case FederationReason::kExpirationMissing:
    case FederationReason::kExpired:
    case FederationReason::kNotYetValid:
    case FederationReason::kIssuedInFuture:
    case FederationReason::kTimesInconsistent:
    case FederationReason::kLifetimeTooLong:
    case FederationReason::kNoLifetimeLeft:
    case FederationReason::kAudienceMissing:
    case FederationReason::kAudienceMismatch:
    case FederationReason::kJtiMissing:
    case FederationReason::kJtiInvalid:
    case FederationReason::kScopeOutsideCeiling:
      m = std::string(ReasonText(reason));
      if (!claim.empty()) m += " (claim " + c + ")";
      break;
  }
  if (!detail.empty()) {
    m += ": ";
    m += detail;
  }
  return m;
}

Status Refuse(FederationReason reason, std::string_view claim, std::string_view detail) {
  const StatusCode code = reason == FederationReason::kKeysUnavailable
                              ? StatusCode::kUnavailable
                              : StatusCode::kInvalidArgument;
  return Status(code, RefusalMessage(reason, claim, detail), static_cast<int>(reason));
}

}  // namespace tessera::federation
