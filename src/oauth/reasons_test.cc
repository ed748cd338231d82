// The one mapping from a Reason to the wire (RFC 6749 5.2, RFC 7521 4.1.1/4.2.1, RFC 7523 3.1/3.2):
// every reason, its code, its OAuth error, its HTTP status and what its description may tell.
#include "oauth/reasons.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::oauth {
namespace {

constexpr std::string_view kClientAuthFailed = "Client authentication failed.";
constexpr char kDetail[] = "the precise detail";

struct Row {
  Reason reason;
  std::string_view code;
  int http_status;
  std::string_view error;
  // The description on the wire: the Rejection's detail, or this fixed text when set.
  std::string_view fixed_description;
  bool www_authenticate;
};

// Every reason, in the enum's order.
const std::vector<Row>& Table() {
  static const std::vector<Row> rows = {
      {Reason::kMalformedRequest, "malformed_request", 400, "invalid_request", {}, false},
      {Reason::kMissingParameter, "missing_parameter", 400, "invalid_request", {}, false},
      {Reason::kUnsupportedGrantType,
       "unsupported_grant_type",
       400,
       "unsupported_grant_type",
       {},
       false},
      {Reason::kNoClientAuthentication, "no_client_authentication", 401, "invalid_client",
       kClientAuthFailed, true},
      {Reason::kMultipleClientAuthentication, "multiple_client_authentication", 401,
       "invalid_client", kClientAuthFailed, true},
      {Reason::kBadAuthorizationHeader, "bad_authorization_header", 401, "invalid_client",
       kClientAuthFailed, true},
      {Reason::kUnknownClientAssertionType, "unknown_client_assertion_type", 401, "invalid_client",
       kClientAuthFailed, true},
      {Reason::kUnknownClient, "unknown_client", 401, "invalid_client", kClientAuthFailed, true},
      {Reason::kBadClientSecret, "bad_client_secret", 401, "invalid_client", kClientAuthFailed,
       true},
      {Reason::kClientInactive, "client_inactive", 401, "invalid_client", kClientAuthFailed, true},
      {Reason::kClientIdMismatch, "client_id_mismatch", 401, "invalid_client", kClientAuthFailed,
       true},
      {Reason::kClientAssertionNoSecretAuth, "client_has_no_secret", 401, "invalid_client",
       kClientAuthFailed, true},
      {Reason::kClientCertificateMismatch, "client_certificate_mismatch", 401, "invalid_client",
       kClientAuthFailed, true},
      {Reason::kClientCertificateRequired,
       "client_certificate_required",
       400,
       "invalid_request",
       {},
       false},
      {Reason::kGrantNotAllowed, "grant_not_allowed", 400, "unauthorized_client", {}, false},
      {Reason::kAssertionMalformed, "assertion_malformed", 400, "invalid_grant", {}, false},
      {Reason::kAssertionHeaderRejected,
       "assertion_header_rejected",
       400,
       "invalid_grant",
       {},
       false},
      {Reason::kAssertionAlgNotAllowed,
       "assertion_alg_not_allowed",
       400,
       "invalid_grant",
       {},
       false},
      {Reason::kAssertionNoKeyReference,
       "assertion_no_key_reference",
       400,
       "invalid_grant",
       {},
       false},
      {Reason::kAssertionKeyNotFound, "assertion_key_not_found", 400, "invalid_grant", {}, false},
      {Reason::kAssertionCertificateExpired,
       "assertion_certificate_expired",
       400,
       "invalid_grant",
       {},
       false},
      {Reason::kAssertionSignatureInvalid,
       "assertion_signature_invalid",
       400,
       "invalid_grant",
       {},
       false},
      {Reason::kAssertionIssuerMismatch,
       "assertion_issuer_mismatch",
       400,
       "invalid_grant",
       {},
       false},
      {Reason::kAssertionSubjectMismatch,
       "assertion_subject_mismatch",
       400,
       "invalid_grant",
       {},
       false},
      {Reason::kAssertionAudienceRejected,
       "assertion_audience_rejected",
       400,
       "invalid_grant",
       {},
       false},
      {Reason::kAssertionTimeClaimInvalid,
       "assertion_time_claim_invalid",
       400,
       "invalid_grant",
       {},
       false},
      {Reason::kAssertionExpired, "assertion_expired", 400, "invalid_grant", {}, false},
      {Reason::kAssertionNotYetValid, "assertion_not_yet_valid", 400, "invalid_grant", {}, false},
      {Reason::kAssertionIssuedInFuture,
       "assertion_issued_in_future",
       400,
       "invalid_grant",
       {},
       false},
      {Reason::kAssertionLifetimeTooLong,
       "assertion_lifetime_too_long",
       400,
       "invalid_grant",
       {},
       false},
      {Reason::kAssertionJtiMissing, "assertion_jti_missing", 400, "invalid_grant", {}, false},
      {Reason::kAssertionJtiInvalid, "assertion_jti_invalid", 400, "invalid_grant", {}, false},
      {Reason::kAssertionJtiReplayed, "assertion_jti_replayed", 400, "invalid_grant", {}, false},
      {Reason::kAssertionSubjectMissing,
       "assertion_subject_missing",
       400,
       "invalid_grant",
       {},
       false},
      {Reason::kAssertionUserUnknown, "assertion_user_unknown", 400, "invalid_grant", {}, false},
      {Reason::kAssertionUserInactive, "assertion_user_inactive", 400, "invalid_grant", {}, false},
      {Reason::kFederatedTokenRejected,
       "federated_token_rejected",
       400,
       "invalid_grant",
       {},
       false},
      {Reason::kFederatedKeysUnavailable, "federated_keys_unavailable", 503,
       "temporarily_unavailable", "The outside issuer's signing keys are unavailable; retry later.",
       false},
      {Reason::kFederatedUserUnknown, "federated_user_unknown", 400, "invalid_grant", {}, false},
      {Reason::kFederatedUserInactive, "federated_user_inactive", 400, "invalid_grant", {}, false},
      {Reason::kFederatedScopeOutsideCeiling,
       "federated_scope_outside_ceiling",
       400,
       "invalid_scope",
       {},
       false},
      {Reason::kTokenTypeUnsupported, "token_type_unsupported", 400, "invalid_request", {}, false},
      {Reason::kTargetInvalid, "target_invalid", 400, "invalid_target", {}, false},
      {Reason::kScopeNotAllowed, "scope_not_allowed", 400, "invalid_scope", {}, false},
      {Reason::kScopeUnknown, "scope_unknown", 400, "invalid_scope", {}, false},
      {Reason::kScopeExpiryInvalid, "scope_expiry_invalid", 400, "invalid_scope", {}, false},
      {Reason::kScopeAdminNotAllowed, "scope_admin_not_allowed", 400, "invalid_scope", {}, false},
      {Reason::kScopeResourceInactive, "scope_resource_inactive", 400, "invalid_scope", {}, false},
      {Reason::kDpopProofInvalid, "dpop_proof_invalid", 400, "invalid_dpop_proof",
       "DPoP proof is not a well-formed JWT", false},
      {Reason::kDpopProofRequired, "dpop_proof_required", 400, "invalid_dpop_proof",
       "DPoP proof missing", false},
      {Reason::kDpopProofReplayed, "dpop_proof_replayed", 400, "invalid_dpop_proof",
       "DPoP proof already used", false},
      {Reason::kDpopNonceRequired, "dpop_nonce_required", 400, "use_dpop_nonce",
       "DPoP proof nonce required", false},
      {Reason::kRateLimited, "rate_limited", 429, "temporarily_unavailable", {}, false},
      {Reason::kStoreUnavailable, "store_unavailable", 503, "temporarily_unavailable",
       "The service is temporarily unavailable; retry later.", false},
      {Reason::kInternal, "internal", 500, "server_error", "Internal error.", false},
  };
  return rows;
}

TEST(ReasonsTest, TheTableNamesEveryReasonOnce) {
  // kInternal is the enum's last value: a reason added after it, or missing here, fails.
  ASSERT_EQ(Table().size(), static_cast<std::size_t>(Reason::kInternal) + 1);
  for (std::size_t i = 0; i < Table().size(); ++i)
    EXPECT_EQ(static_cast<std::size_t>(Table()[i].reason), i) << Table()[i].code;
  std::set<std::string_view> codes;
  for (const Row& row : Table()) EXPECT_TRUE(codes.insert(row.code).second) << row.code;
}

TEST(ReasonsTest, EachReasonMapsToItsErrorAndStatus) {
  for (const Row& row : Table()) {
    EXPECT_EQ(ReasonCode(row.reason), row.code);
    const WireError w = ToWireError({row.reason, kDetail, false});
    EXPECT_EQ(w.http_status, row.http_status) << row.code;
    EXPECT_EQ(w.error, row.error) << row.code;
    EXPECT_EQ(w.description,
              row.fixed_description.empty() ? std::string_view(kDetail) : row.fixed_description)
        << row.code;
    EXPECT_EQ(w.www_authenticate, row.www_authenticate) << row.code;
  }
}

// RFC 7523 3.2 / RFC 7521 4.2.1: a client assertion that fails any rule is invalid_client, and
// which rule failed is not told before the client is authenticated.
TEST(ReasonsTest, ARejectedClientAssertionIsTheUniformClientFailure) {
  for (const Row& row : Table()) {
    const WireError w = ToWireError({row.reason, kDetail, true});
    EXPECT_EQ(w.http_status, 401) << row.code;
    EXPECT_EQ(w.error, "invalid_client") << row.code;
    EXPECT_EQ(w.description, kClientAuthFailed) << row.code;
    EXPECT_FALSE(w.www_authenticate) << row.code;
  }
}

TEST(ReasonsTest, EveryReasonMapsToTheWire) {
  for (int i = 0; i <= static_cast<int>(Reason::kInternal); ++i) {
    const Reason r = static_cast<Reason>(i);
    EXPECT_NE(ReasonCode(r), "unknown") << i;
    const WireError w = ToWireError({r, "detail", false});
    EXPECT_GE(w.http_status, 400) << ReasonCode(r);
    // Client-authentication failures never tell which check failed.
    if (w.error == "invalid_client") {
      EXPECT_EQ(w.description, "Client authentication failed.");
    }
    // A rejected client assertion is invalid_client whatever the rule.
    EXPECT_EQ(ToWireError({r, "detail", true}).error, "invalid_client");
  }
  EXPECT_EQ(
      ToWireError({Reason::kAssertionJtiReplayed, "assertion jti was already used", false}).error,
      "invalid_grant");
  EXPECT_EQ(ToWireError({Reason::kGrantNotAllowed, "", false}).error, "unauthorized_client");
  EXPECT_EQ(ToWireError({Reason::kStoreUnavailable, "", false}).http_status, 503);
}

TEST(ReasonsTest, EveryCodeNamesItsReasonBack) {
  for (const Row& row : Table()) EXPECT_EQ(ReasonFromCode(row.code), row.reason) << row.code;
  for (std::string_view other : {"", "unknown", "assertion", "assertion_expired ",
                                 "Assertion_expired", "assertion_expired: assertion expired"}) {
    EXPECT_EQ(ReasonFromCode(other), std::nullopt) << other;
  }
}

// The rule numbers of POST /admin/v1/AssertionChecks (contract sections 2, 10, 11); the check
// service itself is held to them in client_auth_test.cc.
TEST(ReasonsTest, AssertionRuleNamesTheRuleThatReportsTheReason) {
  const std::vector<std::pair<Reason, int>> rules = {
      {Reason::kAssertionMalformed, 1},
      {Reason::kAssertionHeaderRejected, 2},
      {Reason::kAssertionAlgNotAllowed, 2},
      {Reason::kAssertionNoKeyReference, 3},
      {Reason::kAssertionKeyNotFound, 3},
      {Reason::kAssertionCertificateExpired, 3},
      {Reason::kAssertionSignatureInvalid, 3},
      {Reason::kAssertionIssuerMismatch, 4},
      {Reason::kAssertionSubjectMismatch, 4},
      {Reason::kAssertionAudienceRejected, 5},
      {Reason::kAssertionTimeClaimInvalid, 6},
      {Reason::kAssertionExpired, 6},
      {Reason::kAssertionNotYetValid, 6},
      {Reason::kAssertionIssuedInFuture, 6},
      {Reason::kAssertionLifetimeTooLong, 6},
      {Reason::kAssertionJtiMissing, 7},
      {Reason::kAssertionJtiInvalid, 7},
      {Reason::kAssertionJtiReplayed, 7},
      {Reason::kAssertionSubjectMissing, 8},
      {Reason::kAssertionUserUnknown, 8},
      {Reason::kAssertionUserInactive, 8},
      {Reason::kScopeNotAllowed, 9},
      {Reason::kScopeUnknown, 9},
      {Reason::kScopeExpiryInvalid, 9},
      {Reason::kScopeAdminNotAllowed, 9},
      {Reason::kScopeResourceInactive, 9},
      {Reason::kFederatedScopeOutsideCeiling, 9},
      {Reason::kFederatedUserUnknown, 10},
      {Reason::kFederatedUserInactive, 10},
      {Reason::kDpopProofInvalid, 11},
      {Reason::kDpopProofRequired, 11},
      {Reason::kDpopProofReplayed, 11},
      {Reason::kDpopNonceRequired, 11},
  };
  std::set<Reason> mapped;
  for (const auto& [reason, rule] : rules) {
    EXPECT_EQ(AssertionRule(reason), rule) << ReasonCode(reason);
    mapped.insert(reason);
  }
  // Every other reason belongs to no rule: the client, the grant, the request's shape, an outside
  // token's refusal (several rules share it), the server.
  for (const Row& row : Table()) {
    if (!mapped.contains(row.reason)) {
      EXPECT_EQ(AssertionRule(row.reason), std::nullopt) << row.code;
    }
  }
  EXPECT_EQ(AssertionRule(Reason::kUnknownClient), std::nullopt);
  EXPECT_EQ(AssertionRule(Reason::kFederatedTokenRejected), std::nullopt);
}

// RFC 9449 5.2: the description names the proof rule that failed with its fixed phrase; the
// detail, which may quote the proof, stays in the log.
TEST(ReasonsTest, ADpopRejectionNamesTheRuleNotTheProof) {
  Rejection r{Reason::kDpopProofInvalid, "htu 'https://evil.example/x' is not ...", false};
  r.dpop_error = DpopError::kHtuMismatch;
  const WireError w = ToWireError(r);
  EXPECT_EQ(w.error, "invalid_dpop_proof");
  EXPECT_EQ(w.description, DpopErrorText(DpopError::kHtuMismatch));
  r.reason = Reason::kDpopNonceRequired;
  r.dpop_error = DpopError::kNonceInvalid;
  EXPECT_EQ(ToWireError(r).error, "use_dpop_nonce");
  EXPECT_EQ(ToWireError(r).description, DpopErrorText(DpopError::kNonceInvalid));
}

}  // namespace
}  // namespace tessera::oauth
