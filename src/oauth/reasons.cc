#include "oauth/reasons.h"

namespace tessera::oauth {
namespace {

// The phrase of the proof rule that failed; `fallback`'s when the rejection names none.
std::string ProofRuleText(DpopError e, DpopError fallback) {
  return std::string(DpopErrorText(e == DpopError::kOk ? fallback : e));
}

}  // namespace

std::string_view ReasonCode(Reason reason) {
  switch (reason) {
    case Reason::kMalformedRequest:
      return "malformed_request";
    case Reason::kMissingParameter:
      return "missing_parameter";
    case Reason::kUnsupportedGrantType:
      return "unsupported_grant_type";
    case Reason::kNoClientAuthentication:
      return "no_client_authentication";
    case Reason::kMultipleClientAuthentication:
      return "multiple_client_authentication";
    case Reason::kBadAuthorizationHeader:
      return "bad_authorization_header";
    case Reason::kUnknownClientAssertionType:
      return "unknown_client_assertion_type";
    case Reason::kUnknownClient:
      return "unknown_client";
    case Reason::kBadClientSecret:
      return "bad_client_secret";
    case Reason::kClientInactive:
      return "client_inactive";
    case Reason::kClientIdMismatch:
      return "client_id_mismatch";
    case Reason::kClientAssertionNoSecretAuth:
      return "client_has_no_secret";
    case Reason::kClientCertificateMismatch:
      return "client_certificate_mismatch";
    case Reason::kClientCertificateRequired:
      return "client_certificate_required";
    case Reason::kGrantNotAllowed:
      return "grant_not_allowed";
    case Reason::kAssertionMalformed:
      return "assertion_malformed";
    case Reason::kAssertionHeaderRejected:
      return "assertion_header_rejected";
    case Reason::kAssertionAlgNotAllowed:
      return "assertion_alg_not_allowed";
    case Reason::kAssertionNoKeyReference:
      return "assertion_no_key_reference";
    case Reason::kAssertionKeyNotFound:
      return "assertion_key_not_found";
    case Reason::kAssertionCertificateExpired:
      return "assertion_certificate_expired";
    case Reason::kAssertionSignatureInvalid:
      return "assertion_signature_invalid";
    case Reason::kAssertionIssuerMismatch:
      return "assertion_issuer_mismatch";
    case Reason::kAssertionSubjectMismatch:
      return "assertion_subject_mismatch";
    case Reason::kAssertionAudienceRejected:
      return "assertion_audience_rejected";
    case Reason::kAssertionTimeClaimInvalid:
      return "assertion_time_claim_invalid";
    case Reason::kAssertionExpired:
      return "assertion_expired";
    case Reason::kAssertionNotYetValid:
      return "assertion_not_yet_valid";
    case Reason::kAssertionIssuedInFuture:
      return "assertion_issued_in_future";
    case Reason::kAssertionLifetimeTooLong:
      return "assertion_lifetime_too_long";
    case Reason::kAssertionJtiMissing:
      return "assertion_jti_missing";
    case Reason::kAssertionJtiInvalid:
      return "assertion_jti_invalid";
    case Reason::kAssertionJtiReplayed:
      return "assertion_jti_replayed";
    case Reason::kAssertionSubjectMissing:
      return "assertion_subject_missing";
    case Reason::kAssertionUserUnknown:
      return "assertion_user_unknown";
    case Reason::kAssertionUserInactive:
      return "assertion_user_inactive";
    case Reason::kFederatedTokenRejected:
      return "federated_token_rejected";
    case Reason::kFederatedKeysUnavailable:
      return "federated_keys_unavailable";
    case Reason::kFederatedUserUnknown:
      return "federated_user_unknown";
    case Reason::kFederatedUserInactive:
      return "federated_user_inactive";
    case Reason::kFederatedScopeOutsideCeiling:
      return "federated_scope_outside_ceiling";
    case Reason::kTokenTypeUnsupported:
      return "token_type_unsupported";
    case Reason::kTargetInvalid:
      return "target_invalid";
    case Reason::kScopeNotAllowed:
      return "scope_not_allowed";
    case Reason::kScopeUnknown:
      return "scope_unknown";
    case Reason::kScopeExpiryInvalid:
      return "scope_expiry_invalid";
    case Reason::kScopeAdminNotAllowed:
      return "scope_admin_not_allowed";
    case Reason::kScopeResourceInactive:
      return "scope_resource_inactive";
    case Reason::kDpopProofInvalid:
      return "dpop_proof_invalid";
    case Reason::kDpopProofRequired:
      return "dpop_proof_required";
    case Reason::kDpopProofReplayed:
      return "dpop_proof_replayed";
    case Reason::kDpopNonceRequired:
      return "dpop_nonce_required";
    case Reason::kRateLimited:
      return "rate_limited";
    case Reason::kStoreUnavailable:
      return "store_unavailable";
    case Reason::kInternal:
      return "internal";
  }
  return "unknown";
}

std::optional<Reason> ReasonFromCode(std::string_view code) {
  // kInternal is the enum's last value (reasons_test.cc holds it there).
  for (int i = 0; i <= static_cast<int>(Reason::kInternal); ++i) {
    const Reason r = static_cast<Reason>(i);
    if (ReasonCode(r) == code) return r;
  }
  return std::nullopt;
}

std::optional<int> AssertionRule(Reason reason) {
  switch (reason) {
    case Reason::kAssertionMalformed:
      return 1;
    case Reason::kAssertionHeaderRejected:
    case Reason::kAssertionAlgNotAllowed:
      return 2;
    case Reason::kAssertionNoKeyReference:
    case Reason::kAssertionKeyNotFound:
    case Reason::kAssertionCertificateExpired:
    case Reason::kAssertionSignatureInvalid:
      return 3;
    case Reason::kAssertionIssuerMismatch:
    case Reason::kAssertionSubjectMismatch:
      return 4;
    case Reason::kAssertionAudienceRejected:
      return 5;
    case Reason::kAssertionTimeClaimInvalid:
    case Reason::kAssertionExpired:
    case Reason::kAssertionNotYetValid:
    case Reason::kAssertionIssuedInFuture:
    case Reason::kAssertionLifetimeTooLong:
      return 6;
    case Reason::kAssertionJtiMissing:
    case Reason::kAssertionJtiInvalid:
    case Reason::kAssertionJtiReplayed:
      return 7;
    case Reason::kAssertionSubjectMissing:
    case Reason::kAssertionUserUnknown:
    case Reason::kAssertionUserInactive:
      return 8;
    case Reason::kScopeNotAllowed:
    case Reason::kScopeUnknown:
    case Reason::kScopeExpiryInvalid:
    case Reason::kScopeAdminNotAllowed:
    case Reason::kScopeResourceInactive:
    case Reason::kFederatedScopeOutsideCeiling:
      return 9;
    case Reason::kFederatedUserUnknown:
    case Reason::kFederatedUserInactive:
      return 10;
    case Reason::kDpopProofInvalid:
    case Reason::kDpopProofRequired:
    case Reason::kDpopProofReplayed:
    case Reason::kDpopNonceRequired:
      return 11;
    case Reason::kMalformedRequest:
    case Reason::kMissingParameter:
    case Reason::kUnsupportedGrantType:
    case Reason::kNoClientAuthentication:
    case Reason::kMultipleClientAuthentication:
    case Reason::kBadAuthorizationHeader:
    case Reason::kUnknownClientAssertionType:
    case Reason::kUnknownClient:
    case Reason::kBadClientSecret:
    case Reason::kClientInactive:
    case Reason::kClientIdMismatch:
    case Reason::kClientAssertionNoSecretAuth:
    case Reason::kClientCertificateMismatch:
    case Reason::kClientCertificateRequired:
    case Reason::kGrantNotAllowed:
    case Reason::kFederatedTokenRejected:
    case Reason::kFederatedKeysUnavailable:
    case Reason::kTokenTypeUnsupported:
    case Reason::kTargetInvalid:
    case Reason::kRateLimited:
    case Reason::kStoreUnavailable:
    case Reason::kInternal:
      return std::nullopt;
  }
  return std::nullopt;
}

WireError ToWireError(const Rejection& r) {
  constexpr std::string_view kClientAuthFailed = "Client authentication failed.";
  if (r.client_assertion) {
    // RFC 7523 3.2 / RFC 7521 4.2.1: an invalid client assertion is invalid_client, and which
    // rule failed is not told before the client is authenticated (docs/security.md, errors).
    return {401, "invalid_client", std::string(kClientAuthFailed), false};
  }
  switch (r.reason) {
    case Reason::kMalformedRequest:
    case Reason::kMissingParameter:
    case Reason::kClientCertificateRequired:
      return {400, "invalid_request", r.detail, false};
    case Reason::kUnsupportedGrantType:
      return {400, "unsupported_grant_type", r.detail, false};
    case Reason::kMultipleClientAuthentication:
    case Reason::kNoClientAuthentication:
    case Reason::kBadAuthorizationHeader:
    case Reason::kUnknownClientAssertionType:
    case Reason::kUnknownClient:
    case Reason::kBadClientSecret:
    case Reason::kClientInactive:
    case Reason::kClientIdMismatch:
    case Reason::kClientAssertionNoSecretAuth:
    case Reason::kClientCertificateMismatch:
      return {401, "invalid_client", std::string(kClientAuthFailed), true};
    case Reason::kGrantNotAllowed:
      return {400, "unauthorized_client", r.detail, false};
    case Reason::kAssertionMalformed:
    case Reason::kAssertionHeaderRejected:
    case Reason::kAssertionAlgNotAllowed:
    case Reason::kAssertionNoKeyReference:
    case Reason::kAssertionKeyNotFound:
    case Reason::kAssertionCertificateExpired:
    case Reason::kAssertionSignatureInvalid:
    case Reason::kAssertionIssuerMismatch:
    case Reason::kAssertionSubjectMismatch:
    case Reason::kAssertionAudienceRejected:
    case Reason::kAssertionTimeClaimInvalid:
    case Reason::kAssertionExpired:
    case Reason::kAssertionNotYetValid:
    case Reason::kAssertionIssuedInFuture:
    case Reason::kAssertionLifetimeTooLong:
    case Reason::kAssertionJtiMissing:
    case Reason::kAssertionJtiInvalid:
    case Reason::kAssertionJtiReplayed:
    case Reason::kAssertionSubjectMissing:
    case Reason::kAssertionUserUnknown:
    case Reason::kAssertionUserInactive:
    case Reason::kFederatedTokenRejected:
    case Reason::kFederatedUserUnknown:
    case Reason::kFederatedUserInactive:
      // RFC 7523 3.1: an invalid grant assertion is invalid_grant. The client is authenticated
      // by now, so the rule that failed is told, to spare integrators days of guessing.
      return {400, "invalid_grant", r.detail, false};
    case Reason::kScopeNotAllowed:
    case Reason::kFederatedScopeOutsideCeiling:
    case Reason::kScopeUnknown:
    case Reason::kScopeExpiryInvalid:
    case Reason::kScopeAdminNotAllowed:
    case Reason::kScopeResourceInactive:
      return {400, "invalid_scope", r.detail, false};
    case Reason::kTokenTypeUnsupported:
      // RFC 8693 2.2.2: an unsupported subject_token_type or requested_token_type.
      return {400, "invalid_request", r.detail, false};
    case Reason::kTargetInvalid:
      return {400, "invalid_target", r.detail, false};
    case Reason::kFederatedKeysUnavailable:
      // Contract section 10: no usable key is never a token; the client may retry.
      return {503, "temporarily_unavailable",
              "The outside issuer's signing keys are unavailable; retry later.", false};
    // RFC 9449 5.2 and 8: the proof's own errors. The description is the rule's fixed phrase:
    // the detail may quote the proof (htu, jti), which is for the log and the audit trail.
    case Reason::kDpopProofInvalid:
      return {400, "invalid_dpop_proof", ProofRuleText(r.dpop_error, DpopError::kMalformed), false};
    case Reason::kDpopProofRequired:
      return {400, "invalid_dpop_proof", std::string(DpopErrorText(DpopError::kProofMissing)),
              false};
    case Reason::kDpopProofReplayed:
      return {400, "invalid_dpop_proof", std::string(DpopErrorText(DpopError::kReplayed)), false};
    case Reason::kDpopNonceRequired:
      return {400, "use_dpop_nonce", ProofRuleText(r.dpop_error, DpopError::kNonceMissing), false};
    case Reason::kRateLimited:
      // RFC 6585 4: 429 with Retry-After; the detail is a fixed phrase naming no client.
      return {429, "temporarily_unavailable", r.detail, false};
    case Reason::kStoreUnavailable:
      return {503, "temporarily_unavailable",
              "The service is temporarily unavailable; retry later.", false};
    case Reason::kInternal:
      return {500, "server_error", "Internal error.", false};
  }
  return {500, "server_error", "Internal error.", false};
}

}  // namespace tessera::oauth
