// DPoP proof validation (RFC 9449 section 4.3), shared by the token endpoint and the resource
// side (the verifier library and the gateway).
//
// A DPoP proof is a JWT the client signs with a key of its own for one HTTP request; its public
// key travels in the proof's "jwk" header and the access token is bound to that key's RFC 7638
// thumbprint ("cnf":{"jkt":...}, RFC 9449 6.1). DpopValidator::Validate applies the checks of
// RFC 9449 4.3, in this order, each failure being one DpopError (the Status reason; read it with
// DpopErrorOf):
//    1. exactly one DPoP header field, holding one value (item 1);
//    2. a single well-formed compact JWS: bounded size, strict base64url, strict JSON objects, no
//       "crit"/"b64"/"zip"/"cty"/"enc", and no key header other than "jwk" (item 2);
//    3. header "typ" is exactly "dpop+jwt" (item 4);
//    4. header "alg" is an asymmetric algorithm in the configured list, never "none" or HMAC
//       (item 5);
//    5. header "jwk" is a JSON object without private members ("d", "p", "q", "dp", "dq", "qi",
//       "oth", "k") (item 7), an acceptable public key (RSA >= 2048 bits, P-256/384/521,
//       Ed25519), of a type the "alg" suits (an RSA jwk never verifies ES256; a jwk "alg" member
//       pins it), and the signature verifies with it (item 6);
//    6. claims "jti" (a non-empty string of bounded length), "htm", "htu" (strings) and "iat" (a
//       NumericDate in seconds) are present (item 3, section 4.2);
//    7. "htm" equals the request method, case-sensitively (item 8);
//    8. "htu" equals the request URI, both without query and fragment, after RFC 3986 6.2.2 and
//       6.2.3 normalisation: scheme and host lower-cased, default port dropped, empty path "/",
//       percent-encodings upper-cased and unreserved ones decoded, dot segments removed (item 9);
//    9. when server nonces are on, "nonce" is one the server issued and still accepts (item 10);
//   10. now - max_age_seconds <= iat <= now + clock_skew_seconds (item 11, section 11.1);
//   11. when an access token accompanies the proof (resource side), "ath" equals the base64url
//       SHA-256 of that token (item 12). At the token endpoint no token is given and "ath" is
//       not looked at.
// The second half of item 12 (the token's "cnf.jkt" equals DpopProof::jkt) and the single use of
// "jti" (section 11.1) belong to the caller: the validator returns the thumbprint and the jti, and
// ProofReplayCache (dpop_replay.h) records the jti until DpopProof::replay_until.
//
// Example (token endpoint):
//   DpopOptions options;                       // algorithms = dpop_signing_alg_values_supported
//   options.nonces = cluster_nonces;           // dpop_nonce = "on"; nullptr when "off"
//   TESSERA_ASSIGN_OR_RETURN(DpopValidator validator, DpopValidator::Create(options, clock));
//   Result<DpopProof> proof = validator.Validate({.proofs = dpop_headers, .method = "POST",
//                                                 .url = "https://as.example/oauth2/v1/token"});
//   if (!proof.ok()) {
//     DpopError why = DpopErrorOf(proof.status());
//     // 400 use_dpop_nonce (with DPoP-Nonce) if DpopErrorWantsNonce(why), else invalid_dpop_proof
//   }
//   ... record proof->jti until proof->replay_until; mint a token with cnf.jkt = proof->jkt ...
//
// Thread safety: a DpopValidator is immutable; Validate may run concurrently. The Clock and the
// DpopNonces it points to must outlive it.
#ifndef TESSERA_OAUTH_DPOP_H_
#define TESSERA_OAUTH_DPOP_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "jose/algorithm.h"
#include "jose/key.h"
#include "tessera/clock.h"
#include "tessera/status.h"

namespace tessera::oauth {

class DpopNonces;

// Why a DPoP proof was refused: one value per check, with the RFC 9449 rule it implements.
// DpopErrorText has a phrase for each (its switch has no default, so -Wswitch flags a new value).
enum class DpopError : int {
  kOk = 0,            // the proof is valid
  kProofMissing,      // 4.3 item 1: no DPoP header field where one is required
  kMultipleProofs,    // 4.3 item 1: more than one DPoP header field, or a comma-joined list
  kMalformed,         // 4.3 item 2: not one compact JWS of strict base64url and JSON objects
  kHeaderRejected,    // 4.3 item 2: crit/b64/zip/cty/enc, a jku/x5u/x5c key header, bad kid
  kWrongType,         // 4.3 item 4: header "typ" is not "dpop+jwt"
  kAlgNotAllowed,     // 4.3 item 5: "alg" none, unknown, symmetric or not in the allowed list
  kJwkMissing,        // 4.2 / 4.3 item 6: no "jwk" header, or not a JSON object
  kJwkPrivate,        // 4.3 item 7: the "jwk" holds private key members
  kJwkInvalid,        // 4.3 item 6: the "jwk" is not an acceptable public key
  kAlgKeyMismatch,    // 4.3 item 6: "alg" does not suit the jwk's key type, curve or "alg"
  kSignatureInvalid,  // 4.3 item 6: the signature does not verify with the jwk
  kClaimMissing,      // 4.3 item 3: "jti", "htm", "htu" or "iat" absent (4.2)
  kClaimType,         // 4.3 item 3: a claim of the wrong JSON type, "iat" in milliseconds
  kJtiInvalid,        // 4.2: "jti" empty or longer than max_jti_length
  kHtmMismatch,       // 4.3 item 8: "htm" is not the request method
  kHtuInvalid,        // 4.3 item 9: "htu" is not an absolute http(s) URI
  kHtuMismatch,       // 4.3 item 9: "htu" is not the request URI (query and fragment ignored)
  kNonceMissing,      // 4.3 item 10: the server asks for nonces and the proof has none
  kNonceInvalid,      // 4.3 item 10: the nonce is not one the server issued, or too old
  kIatTooOld,         // 4.3 item 11: iat < now - max_age_seconds
  kIatInFuture,       // 4.3 item 11: iat > now + clock_skew_seconds
  kAthMissing,        // 4.3 item 12: an access token is presented and the proof has no "ath"
  kAthMismatch,       // 4.3 item 12: "ath" is not the base64url SHA-256 of the access token
  kReplayed,          // 11.1: this jti (for this key) was already accepted within its window
  kReplayCacheFull,   // 11.1: the replay cache is full of live entries; refused, fail closed
};

// A short fixed phrase for `e` ("htu does not match the request URI"). Safe to put on the wire
// (it names no value from the request).
std::string_view DpopErrorText(DpopError e);

// A stable snake_case code for logs and metrics ("htu_mismatch").
std::string_view DpopErrorCode(DpopError e);

// A failed Status (kInvalidArgument; kResourceExhausted for kReplayCacheFull) with reason `e`
// and message "<text>: <detail>" (or "<text>").
Status DpopFailure(DpopError e, std::string_view detail = {});

// The DpopError carried by `s` (kOk for an OK status). REQUIRES: `s` came from this module.
inline DpopError DpopErrorOf(const Status& s) { return static_cast<DpopError>(s.reason()); }

// True when RFC 9449 section 8/9 answers the error with "use_dpop_nonce" and a fresh
// DPoP-Nonce header, rather than "invalid_dpop_proof".
bool DpopErrorWantsNonce(DpopError e);

// The default dpop_signing_alg_values_supported.
inline constexpr jose::AlgorithmSet kDefaultDpopAlgorithms = {
    jose::Algorithm::kRS256, jose::Algorithm::kPS256, jose::Algorithm::kES256,
    jose::Algorithm::kEdDSA};

// The public keys of proofs that passed every check, by their "jwk" header member (its compact
// JSON text), each with the algorithms it may verify and its RFC 7638 thumbprint. A client signs
// its proofs with one key for as long as it keeps its token (RFC 9449 2), so importing that key
// and hashing it anew per request (an EC point decoded and checked against its curve: about a
// third of a proof check in a profile of bench/dpop.sh) is work a node does once. Only a key whose
// proof verified is added, and a hit is the result ParseJwk and JwkThumbprint give for that
// text; the signature, claims, window and replay checks run on every proof as before. At most
// kMaxEntries keys: a full cache is emptied, never grown. Thread safety: every method may be
// called concurrently.
class DpopKeyCache {
 public:
  static constexpr std::size_t kMaxEntries = 1024;
  static constexpr std::size_t kMaxJwkBytes = 2048;  // longer jwk texts are not kept

  struct Entry {
    jose::Key key;                // as ParseJwk imported it (pinned by a jwk "alg")
    jose::AlgorithmSet suitable;  // the algorithms this jwk may verify
    std::string jkt;              // RFC 7638 thumbprint
  };

  std::shared_ptr<const Entry> Find(const std::string& jwk_text) const;
  void Add(std::string jwk_text, std::shared_ptr<const Entry> entry);
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const Entry>> entries_;  // GUARDED_BY(mu_)
};

struct DpopOptions {
  // The accepted "alg" values (dpop_signing_alg_values_supported). Asymmetric only.
  jose::AlgorithmSet algorithms = kDefaultDpopAlgorithms;
  int64_t max_age_seconds = 60;    // oldest accepted iat, relative to now
  int64_t clock_skew_seconds = 5;  // how far in the future an iat may be
  std::size_t max_proof_bytes = 8 * 1024;
  std::size_t max_jti_length = 256;
  // Server nonces (dpop_nonce = "on"): when set, every proof must carry a nonce these accept.
  // nullptr: nonces off; a "nonce" claim is then ignored. Not owned; must outlive the validator.
  const DpopNonces* nonces = nullptr;
  // The keys of accepted proofs, shared by every validator given the same cache (a server keeps
  // one for its lifetime). nullptr: Create makes one for this validator and its copies.
  std::shared_ptr<DpopKeyCache> key_cache;
};

// The request a proof is checked against.
struct DpopRequest {
  // Every DPoP header field value received, in order (RFC 9449 4.3 item 1: exactly one).
  std::vector<std::string_view> proofs = {};
  std::string_view method = {};  // the HTTP method, as received ("POST")
  // The absolute URI the client addressed: scheme://authority/path[?query]. Behind a proxy the
  // caller rebuilds it from its configured external base URL, not from request headers.
  std::string_view url = {};
  // Resource side: the access token presented with the proof (its "ath" is then required).
  // Empty at the token endpoint.
  std::string_view access_token = {};
};

// What a valid proof establishes.
struct DpopProof {
  std::string jkt;  // RFC 7638 SHA-256 thumbprint of the proof's jwk (cnf.jkt)
  std::string jti;  // the proof's unique identifier
  jose::Algorithm alg = jose::Algorithm::kES256;
  int64_t issued_at = 0;  // "iat"
  // After this time (exclusive) the proof fails the iat check anyway, so a replay cache may
  // forget its jti then: iat + max_age_seconds + 1.
  int64_t replay_until = 0;
};

class DpopValidator {
 public:
  // Errors: kInvalidArgument if options.algorithms is empty or holds an HMAC algorithm, or a
  // window or limit is not positive.
  static Result<DpopValidator> Create(DpopOptions options, const Clock& clock);

  // The checks listed above. On success the proof's facts; on failure a Status whose
  // DpopErrorOf() is the check that failed and whose message may quote values from the proof
  // (log it; put DpopErrorText on the wire).
  Result<DpopProof> Validate(const DpopRequest& request) const;

  const DpopOptions& options() const { return options_; }

  // The accepted algorithms, space-separated in enum order ("RS256 PS256 ES256 EdDSA"): the
  // value of the WWW-Authenticate "algs" parameter (RFC 9449 7.1).
  std::string AlgorithmsText() const;

 private:
  DpopValidator(DpopOptions options, const Clock& clock)
      : options_(std::move(options)), clock_(&clock) {}

  DpopOptions options_;
  const Clock* clock_;
};

// RFC 3986 6.2.2 / 6.2.3 normalisation of an absolute http(s) URI for the htu comparison
// (RFC 9449 4.3 item 9), query and fragment removed: "HTTPS://AS.Example:443/a/./b%7e?x#y" ->
// "https://as.example/a/b~". Errors (kInvalidArgument, reason kHtuInvalid): not http or https,
// no host, userinfo, a bad port or percent-encoding, control characters, spaces or non-ASCII,
// longer than 8 KiB.
Result<std::string> NormalizeHtu(std::string_view uri);

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_DPOP_H_
