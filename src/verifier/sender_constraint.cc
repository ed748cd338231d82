#include "verifier/sender_constraint.h"

#include "common/random.h"
#include "jose/json.h"
#include "jose/keyio.h"
#include "oauth/dpop_nonce.h"

namespace tessera::verifier {
namespace {

using oauth::DpopError;

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// RFC 9110 11.2: token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool IsToken68(std::string_view s) {
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
    if (!ok) break;
  }
  if (i == 0) return false;
  for (; i < s.size(); ++i) {
    if (s[i] != '=') return false;
  }
  return true;
}

Status BadConfirmation(const std::string& detail) {
  return Status::InvalidArgument(
      std::string(SenderErrorText(SenderError::kBadConfirmation)) + ": " + detail,
      static_cast<int>(SenderError::kBadConfirmation));
}

// A quoted-string parameter value. Every value put here is a fixed phrase, an algorithm list or
// the configured realm, none of which holds '"' or '\' (checked at Create and in the tests).
std::string Param(std::string_view name, std::string_view value) {
  return std::string(name) + "=\"" + std::string(value) + "\"";
}

}  // namespace

Credentials ParseAuthorization(std::string_view authorization) {
  const std::size_t space = authorization.find(' ');
  const std::string_view scheme = authorization.substr(0, space);
  AuthScheme kind = AuthScheme::kOther;
  if (EqualsNoCase(scheme, "bearer")) kind = AuthScheme::kBearer;
  if (EqualsNoCase(scheme, "dpop")) kind = AuthScheme::kDpop;
  if (scheme.empty()) return {};
  if (kind == AuthScheme::kOther) return {AuthScheme::kOther, {}};
  if (space == std::string_view::npos) return {};
  std::string_view token = authorization.substr(space);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (!IsToken68(token)) return {};
  return {kind, token};
}

std::string_view SenderErrorText(SenderError e) {
  switch (e) {
    case SenderError::kOk:
      return "the request satisfies the token's confirmation";
    case SenderError::kNoCredentials:
      return "no access token";
    case SenderError::kUnsupportedScheme:
      return "the Authorization scheme is neither Bearer nor DPoP";
    case SenderError::kBadConfirmation:
      return "the token's cnf claim is malformed or uses an unsupported confirmation method";
    case SenderError::kBoundTokenAsBearer:
      return "the access token is DPoP-bound: present it with the DPoP scheme and a proof";
    case SenderError::kUnboundTokenAsDpop:
      return "the access token is not DPoP-bound: present it with the Bearer scheme";
    case SenderError::kProofInvalid:
      return "invalid DPoP proof";
    case SenderError::kNonceRequired:
      return "a DPoP proof with the server's current nonce is required";
    case SenderError::kProofKeyMismatch:
      return "the DPoP proof key is not the key the access token is bound to";
    case SenderError::kProofReplayed:
      return "the DPoP proof was already used";
    case SenderError::kReplayCacheFull:
      return "DPoP proofs cannot be checked for replay now; retry later";
    case SenderError::kCertificateMissing:
      return "the access token is bound to a client certificate and none was presented";
    case SenderError::kCertificateMismatch:
      return "the client certificate is not the one the access token is bound to";
  }
  return "unknown sender-constraint error";  // unreachable: the switch covers every value
}

Result<Confirmation> ConfirmationFromClaims(std::string_view claims_json) {
  Result<jose::Json> claims = jose::ParseStrictJson(claims_json);
  if (!claims.ok()) return BadConfirmation("claims are not a JSON object");
  return ConfirmationOfClaims(*claims);
}

Result<Confirmation> ConfirmationOfClaims(const jose::Json& claims) {
  if (!claims.is_object()) return BadConfirmation("claims are not a JSON object");
  Confirmation out;
  const auto cnf = claims.find("cnf");
  if (cnf == claims.end()) return out;
  if (!cnf->is_object()) return BadConfirmation("cnf is not an object");
  for (const auto& [name, value] : cnf->items()) {
    std::string* target = name == "jkt" ? &out.jkt : name == "x5t#S256" ? &out.x5t_s256 : nullptr;
    // RFC 7800 3.1: other methods ("jwk", "jwe", "kid", "jku") exist; a token bound by one this
    // server cannot check must not pass as an unbound one.
    if (target == nullptr) return BadConfirmation("confirmation method \"" + name + "\"");
    if (!value.is_string() || value.get<std::string>().empty() ||
        value.get<std::string>().size() > 128) {
      return BadConfirmation("cnf." + name + " is not a thumbprint");
    }
    *target = value.get<std::string>();
  }
  return out;
}

Result<SenderConstraint> SenderConstraint::Create(SenderConstraintOptions options,
                                                  oauth::ProofReplayCache& replay,
                                                  const Clock& clock) {
  if (options.realm.find_first_of("\"\\") != std::string::npos) {
    return Status::InvalidArgument("the realm may not hold '\"' or '\\'");
  }
  TESSERA_ASSIGN_OR_RETURN(oauth::DpopValidator validator,
                           oauth::DpopValidator::Create(options.dpop, clock));
  return SenderConstraint(std::move(options), validator, replay, clock);
}

std::vector<std::string> SenderConstraint::Challenges() const {
  return {
      "Bearer " + Param("realm", options_.realm),
      "DPoP " + Param("realm", options_.realm) + ", " + Param("algs", validator_.AlgorithmsText())};
}

SenderDecision SenderConstraint::Refuse(SenderError error, AuthScheme scheme, std::string detail,
                                        DpopError dpop_error) const {
  SenderDecision d;
  d.error = error;
  d.dpop_error = dpop_error;
  d.detail = std::move(detail);
  d.http_status = 401;
  const std::string_view description =
      dpop_error != DpopError::kOk ? oauth::DpopErrorText(dpop_error) : SenderErrorText(error);
  switch (error) {
    case SenderError::kOk:
      d.http_status = 200;
      return d;
    case SenderError::kReplayCacheFull:
      d.http_status = 503;  // the server's state, not the client's fault: no challenge
      return d;
    case SenderError::kNoCredentials:
    case SenderError::kUnsupportedScheme:
      // RFC 6750 3.1: without credentials the challenge carries no error code.
      d.challenges = Challenges();
      return d;
    case SenderError::kBadConfirmation:
    case SenderError::kBoundTokenAsBearer:
    case SenderError::kUnboundTokenAsDpop:
    case SenderError::kProofInvalid:
    case SenderError::kNonceRequired:
    case SenderError::kProofKeyMismatch:
    case SenderError::kProofReplayed:
    case SenderError::kCertificateMissing:
    case SenderError::kCertificateMismatch:
      break;
  }
  if (scheme == AuthScheme::kDpop) {
    // RFC 9449 7.1: proof errors are invalid_dpop_proof, nonce demands use_dpop_nonce (section
    // 9), and what is wrong with the token itself invalid_token.
    std::string_view code = "invalid_dpop_proof";
    if (error == SenderError::kNonceRequired) code = "use_dpop_nonce";
    if (error == SenderError::kBadConfirmation || error == SenderError::kUnboundTokenAsDpop ||
        error == SenderError::kCertificateMissing || error == SenderError::kCertificateMismatch) {
      code = "invalid_token";
    }
    d.error_code = code;
    d.challenges = {"DPoP " + Param("realm", options_.realm) + ", " + Param("error", code) + ", " +
                    Param("error_description", description) + ", " +
                    Param("algs", validator_.AlgorithmsText())};
    if (error == SenderError::kNonceRequired && options_.dpop.nonces != nullptr) {
      d.dpop_nonce = options_.dpop.nonces->Issue();
    }
    return d;
  }
  // RFC 6750 3.1 for the Bearer scheme, and the DPoP challenge so the client can switch.
  d.error_code = "invalid_token";
  d.challenges = {
      "Bearer " + Param("realm", options_.realm) + ", " + Param("error", "invalid_token") + ", " +
          Param("error_description", description),
      "DPoP " + Param("realm", options_.realm) + ", " + Param("algs", validator_.AlgorithmsText())};
  return d;
}

SenderDecision SenderConstraint::Check(const Confirmation& cnf, const Credentials& credentials,
                                       const ProtectedRequest& request) const {
  const AuthScheme scheme = credentials.scheme;
  switch (scheme) {
    case AuthScheme::kNone:
      return Refuse(SenderError::kNoCredentials, scheme, "no Authorization credentials");
    case AuthScheme::kOther:
      return Refuse(SenderError::kUnsupportedScheme, scheme, "Authorization scheme");
    case AuthScheme::kBearer:
    case AuthScheme::kDpop:
      break;
  }
  // RFC 9449 7.2: a DPoP-bound token must never work as a plain bearer token.
  if (!cnf.jkt.empty() && scheme == AuthScheme::kBearer) {
    return Refuse(SenderError::kBoundTokenAsBearer, scheme, "cnf.jkt token under Bearer");
  }
  if (cnf.jkt.empty() && scheme == AuthScheme::kDpop) {
    return Refuse(SenderError::kUnboundTokenAsDpop, scheme, "no cnf.jkt");
  }

  // RFC 8705 3: the certificate of this connection is the one the token was issued to.
  if (!cnf.x5t_s256.empty()) {
    if (!request.client_certificate_der) {
      return Refuse(SenderError::kCertificateMissing, scheme, "no client certificate");
    }
    if (!ConstantTimeEquals(jose::X5tS256Of(*request.client_certificate_der), cnf.x5t_s256)) {
      return Refuse(SenderError::kCertificateMismatch, scheme,
                    "certificate x5t#S256 " + jose::X5tS256Of(*request.client_certificate_der));
    }
  }

  if (!cnf.jkt.empty()) {
    Result<oauth::DpopProof> proof = validator_.Validate({.proofs = request.dpop_proofs,
                                                          .method = request.method,
                                                          .url = request.url,
                                                          .access_token = credentials.token});
    if (!proof.ok()) {
      const DpopError e = oauth::DpopErrorOf(proof.status());
      return Refuse(
          oauth::DpopErrorWantsNonce(e) ? SenderError::kNonceRequired : SenderError::kProofInvalid,
          scheme, proof.status().message(), e);
    }
    // RFC 9449 4.3 item 12, second half.
    if (!ConstantTimeEquals(proof->jkt, cnf.jkt)) {
      return Refuse(SenderError::kProofKeyMismatch, scheme, "proof jkt " + proof->jkt);
    }
    // RFC 9449 11.1: recorded last, so only a proof that passed every check spends its jti.
    if (Status s = replay_->Record(*proof, clock_->NowSeconds()); !s.ok()) {
      const DpopError e = oauth::DpopErrorOf(s);
      return Refuse(e == DpopError::kReplayCacheFull ? SenderError::kReplayCacheFull
                                                     : SenderError::kProofReplayed,
                    scheme, s.message(), e);
    }
  }
  return SenderDecision{};
}

}  // namespace tessera::verifier
