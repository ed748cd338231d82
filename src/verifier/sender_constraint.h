// Sender-constrained access tokens at a resource server: the "cnf" claim of a verified token
// (RFC 7800 3.1) decides what else the request must show.
//
//   token's cnf           | Authorization  | required
//   ----------------------+----------------+------------------------------------------------------
//   none                  | Bearer         | nothing more (an ordinary bearer token)
//   none                  | DPoP           | refused: no key to match the proof's (RFC 9449 7.1,
//                         |                | 4.3 item 12)
//   {"jkt": T}            | DPoP           | one valid proof for this request (RFC 9449 4.3 items
//                         |                | 1-12, "ath" of this token) whose jwk thumbprint is T,
//                         |                | and a jti not seen before within its window (11.1)
//   {"jkt": T}            | Bearer         | refused: no downgrade (RFC 9449 7.2)
//   {"x5t#S256": C}       | Bearer or DPoP | a client certificate on the TLS connection whose
//                         |                | SHA-256 thumbprint is C (RFC 8705 3)
//   other members         | any            | refused: a confirmation method this server does not
//                         |                | know cannot be checked, so the token is not usable
//
// Every refusal is one SenderError, a 401 (503 when the replay cache is full) and the
// WWW-Authenticate challenges to send, one field value per challenge:
//   - under the DPoP scheme: DPoP realm="...", error="invalid_dpop_proof" (the proof fails a
//     check), "use_dpop_nonce" (with a fresh DPoP-Nonce header, RFC 9449 9) or "invalid_token"
//     (the token itself does not fit), error_description, algs="ES256 ..." (RFC 9449 7.1);
//   - under Bearer: Bearer realm="...", error="invalid_token", error_description (RFC 6750 3.1),
//     then DPoP realm="...", algs="..." so the client learns DPoP is accepted.
// Descriptions are fixed phrases (SenderErrorText, oauth::DpopErrorText): nothing from the
// request is echoed. `detail` carries the precise values for logs.
//
// Example (after the token's signature and claims are verified):
//   Credentials creds = ParseAuthorization(request.Header("authorization").value_or(""));
//   TESSERA_ASSIGN_OR_RETURN(Confirmation cnf, ConfirmationFromClaims(principal.claims_json));
//   SenderDecision d = sender.Check(cnf, creds, {.dpop_proofs = request.Headers("dpop"),
//                                                .method = request.Method(),
//                                                .url = external_base + request.Target(),
//                                                .client_certificate_der = tls_peer_cert});
//   if (!d.ok()) return Refuse(d.http_status, d.challenges, d.dpop_nonce);
//
// Thread safety: Check may run concurrently (the replay cache is thread-safe). The Clock and the
// replay cache (and options.dpop.nonces) must outlive the object.
#ifndef TESSERA_VERIFIER_SENDER_CONSTRAINT_H_
#define TESSERA_VERIFIER_SENDER_CONSTRAINT_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jose/json.h"
#include "oauth/dpop.h"
#include "oauth/dpop_replay.h"
#include "tessera/clock.h"
#include "tessera/status.h"

namespace tessera::verifier {

enum class AuthScheme {
  kNone,    // no Authorization header, or nothing after the scheme
  kBearer,  // RFC 6750 2.1
  kDpop,    // RFC 9449 7.1
  kOther,   // Basic, Negotiate, ...
};

struct Credentials {
  AuthScheme scheme = AuthScheme::kNone;
  std::string_view token;  // points into the header value
};

// "Bearer <token>" or "DPoP <token>", the scheme compared case-insensitively (RFC 9110 11.1),
// one or more spaces, a token68 (RFC 9110 11.2), trailing spaces ignored. Another scheme is
// kOther; an empty header, or Bearer/DPoP without a well-formed token68, kNone.
Credentials ParseAuthorization(std::string_view authorization);

// The confirmation of a verified token (RFC 7800 3.1).
struct Confirmation {
  std::string jkt;       // RFC 9449 6.1: the RFC 7638 thumbprint of the DPoP key
  std::string x5t_s256;  // RFC 8705 3.1: base64url SHA-256 of the client certificate's DER
  bool bound() const { return !jkt.empty() || !x5t_s256.empty(); }
};

// Why a request does not satisfy its token's confirmation. SenderErrorText has a phrase for each
// (its switch has no default).
enum class SenderError : int {
  kOk = 0,
  kNoCredentials,        // RFC 6750 3.1: no Authorization credentials (no error code is sent)
  kUnsupportedScheme,    // RFC 6750 3.1: a scheme other than Bearer or DPoP
  kBadConfirmation,      // RFC 7800 3.1: "cnf" not an object, a member of the wrong type, or a
                         // confirmation method this server does not implement
  kBoundTokenAsBearer,   // RFC 9449 7.2: a DPoP-bound token presented as Bearer (downgrade)
  kUnboundTokenAsDpop,   // RFC 9449 7.1 / 4.3 item 12: the DPoP scheme with a token bound to no key
  kProofInvalid,         // RFC 9449 4.3 items 1-12: the proof fails a check (dpop_error says which)
  kNonceRequired,        // RFC 9449 9: the proof lacks a current server nonce (use_dpop_nonce)
  kProofKeyMismatch,     // RFC 9449 4.3 item 12: the proof's jwk is not the key in cnf.jkt
  kProofReplayed,        // RFC 9449 11.1: the proof's jti was already used
  kReplayCacheFull,      // RFC 9449 11.1: the jti cannot be recorded; refused, 503
  kCertificateMissing,   // RFC 8705 3: a certificate-bound token without a client certificate
  kCertificateMismatch,  // RFC 8705 3: the client certificate is not the one in cnf
};

// A fixed phrase for `e`, safe in a quoted header parameter (no '"' or '\').
std::string_view SenderErrorText(SenderError e);

// The "cnf" of a verified claims set (compact JSON, e.g. verifier::Principal::claims_json).
// No "cnf": an unbound Confirmation. Errors: kInvalidArgument with reason kBadConfirmation (read it
// with SenderErrorOf) for claims that are not a JSON object, a "cnf" that is not an object, a
// "jkt" or "x5t#S256" that is not a non-empty string, or any other member of "cnf".
Result<Confirmation> ConfirmationFromClaims(std::string_view claims_json);
// The same for claims already parsed (the verifier's own, read once for every check).
Result<Confirmation> ConfirmationOfClaims(const jose::Json& claims);

inline SenderError SenderErrorOf(const Status& s) { return static_cast<SenderError>(s.reason()); }

// The request facts the check needs.
struct ProtectedRequest {
  std::vector<std::string_view> dpop_proofs = {};  // every "DPoP" header field value
  std::string_view method = {};
  std::string_view url = {};  // the absolute URI as the client addressed it (see oauth/dpop.h)
  // The DER of the client certificate the TLS connection presented (or a trusted proxy
  // forwarded); nullopt when none.
  std::optional<std::string_view> client_certificate_der = std::nullopt;
};

struct SenderDecision {
  SenderError error = SenderError::kOk;
  oauth::DpopError dpop_error = oauth::DpopError::kOk;  // for kProofInvalid and its kin
  std::string detail;                                   // for logs; may quote request values
  int http_status = 200;                                // 401, or 503 for kReplayCacheFull
  std::vector<std::string> challenges;                  // WWW-Authenticate values, in order
  std::string dpop_nonce;                               // the DPoP-Nonce header to add, or ""
  // The error code of the first challenge ("invalid_token", "invalid_dpop_proof",
  // "use_dpop_nonce"); "" when there is none (admitted, no credentials, 503).
  std::string error_code;
  bool ok() const { return error == SenderError::kOk; }
};

struct SenderConstraintOptions {
  oauth::DpopOptions dpop;  // algorithms (the "algs" of the challenge), windows, nonces
  std::string realm = "tessera";
};

class SenderConstraint {
 public:
  // Errors: what oauth::DpopValidator::Create reports; kInvalidArgument for a realm holding '"'
  // or '\'.
  static Result<SenderConstraint> Create(SenderConstraintOptions options,
                                         oauth::ProofReplayCache& replay, const Clock& clock);

  // Decides whether `request`, carrying `credentials`, may use a token confirmed by `cnf` (the
  // table above). REQUIRES: the token in `credentials` is the one whose claims gave `cnf`, and it
  // has been verified.
  SenderDecision Check(const Confirmation& cnf, const Credentials& credentials,
                       const ProtectedRequest& request) const;

  // The challenges for a request that brought no usable credentials (RFC 6750 3: no error
  // code): Bearer realm="..." and DPoP realm="...", algs="...".
  std::vector<std::string> Challenges() const;

  // The accepted proof algorithms, space-separated: the "algs" of the DPoP challenges.
  std::string Algorithms() const { return validator_.AlgorithmsText(); }

 private:
  SenderConstraint(SenderConstraintOptions options, oauth::DpopValidator validator,
                   oauth::ProofReplayCache& replay, const Clock& clock)
      : options_(std::move(options)),
        validator_(std::move(validator)),
        replay_(&replay),
        clock_(&clock) {}

  SenderDecision Refuse(SenderError error, AuthScheme scheme, std::string detail,
                        oauth::DpopError dpop_error = oauth::DpopError::kOk) const;

  SenderConstraintOptions options_;
  oauth::DpopValidator validator_;
  oauth::ProofReplayCache* replay_;
  const Clock* clock_;
};

}  // namespace tessera::verifier

#endif  // TESSERA_VERIFIER_SENDER_CONSTRAINT_H_
