// tessera_verifier: bearer-token verification for resource servers (RFC 6750, RFC 7519,
// RFC 8725), against the JWK Set an authorization server publishes.
//
// A Verifier admits an access token when all of these hold, checked in this order (each failure
// is one precise VerifyReason, carried as the Status reason; see ReasonOf):
//   1. the Authorization header is "Bearer <token>" (RFC 6750 2.1; scheme case-insensitive);
//   2. the token is a compact JWS with strict base64url and strict JSON (no duplicate members),
//      a known "alg" that is not "none", no key-carrying header ("jwk", "jku", "x5u", "x5c"),
//      and bounded size (RFC 8725 3.1, 3.11);
//   3. its key is found in the JWK Set by "kid" (else by "x5t", else the set's only key). A
//      "kid" the cached set does not hold makes the verifier refetch the set, at most once per
//      `refetch_interval_seconds` (so a flood of made-up kids costs one fetch per interval), which
//      is how key rotation is followed without a restart;
//   4. the signature verifies with that key under an algorithm the KEY is pinned to: the JWK's
//      "alg" member, or the key type's default (RS256 for RSA, ES256 for P-256, EdDSA). The
//      token's "alg" only has to match; it never chooses the key type (RFC 8725 2.1, 3.1), so an
//      HS256 token "signed" with the RSA public key bytes is kAlgorithmNotAllowed;
//   5. "iss" equals the configured issuer exactly (RFC 7519 4.1.1);
//   6. "exp" present and now < exp + skew; "nbf", if present, <= now + skew; "iat", if present,
//      <= now + skew (RFC 7519 4.1.4-4.1.6);
//   7. "aud" (a string or an array of strings) contains one of the accepted audiences
//      (RFC 7519 4.1.3; compared exactly);
//   8. "sub" is a non-empty string;
//   9. every required scope is among the space-separated values of "scope" (RFC 8693 4.2 form,
//      as Tessera mints it); else kInsufficientScope, which RFC 6750 3.1 answers with 403
//      error="insufficient_scope" rather than 401.
//
// Sender-constrained tokens (RFC 9449 DPoP, RFC 8705 mutual TLS): a token whose claims carry
// "cnf" (RFC 7800) is usable only by the holder of the key or certificate it names, which only
// the whole request can show. VerifyRequest checks it: after rules 2-9, a "cnf.jkt" token must
// come as "Authorization: DPoP <token>" with one valid DPoP proof for this request (htm, htu,
// "ath" of this token, fresh iat, a jti not seen before within the window, by the key of that
// thumbprint), never as Bearer; a "cnf.x5t#S256" token only over a connection presenting the
// certificate of that thumbprint; any other "cnf" member is refused (a confirmation this
// library cannot check must not pass as none). Verify and VerifyAuthorization see only the
// token, so they refuse every token with a "cnf" (kSenderConstrained): no entry point admits a
// bound token without its check.
//
// The JWK Set is cached. Its lifetime is the answer's Cache-Control max-age, bounded to
// [min_cache_seconds, max_cache_seconds] (default_cache_seconds without one). After it expires the
// next Verify refetches; if that fetch fails the old set stays in use and the fetch is retried no
// more often than refetch_interval_seconds. A failed first fetch leaves no keys:
// kKeySetUnavailable, which is the verifier's fault, not the token's (answer 503, not 401).
//
// Example:
//   tessera::verifier::VerifierOptions options;
//   options.jwks_url = "https://idm.example.com/admin/v1/SigningCert/jwk";
//   options.issuer = "https://idm.example.com";
//   options.audiences = {"https://api.example.com:443"};
//   options.required_scopes = {"urn:opc:resource:consumer::all"};
//   auto verifier = tessera::verifier::Verifier::Create(options);
//   if (!verifier.ok()) return Fail(verifier.status());
//   tessera::Result<tessera::verifier::Principal> who =
//       verifier->VerifyAuthorization(request.Header("authorization").value_or(""));
//   if (!who.ok()) {
//     tessera::verifier::VerifyReason why = tessera::verifier::ReasonOf(who.status());
//     // 401 + WWW-Authenticate: Bearer error="invalid_token" (or 403 insufficient_scope,
//     // 503 for kKeySetUnavailable); ReasonText(why) is the error_description.
//   } else {
//     Serve(who->subject, who->scope);
//   }
//
// Thread safety: a Verifier is a cheap handle (copies share one key cache); Verify and
// VerifyAuthorization may be called concurrently from any number of threads. Key-set fetches are
// single-flight: one thread fetches, the others keep using the keys at hand.
#ifndef TESSERA_VERIFIER_H_
#define TESSERA_VERIFIER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/clock.h"
#include "tessera/status.h"

namespace tessera::verifier {

// Where the verifier reads the time (RFC 7519 NumericDate): tessera::Clock (tessera/clock.h).
// Tests pass their own, such as a tessera::FixedClock; implementations must be safe to call from
// several threads.
using Clock = ::tessera::Clock;

// The system's wall clock (a process-wide tessera::SystemClock).
const Clock& SystemClock();

// Why a token was refused. One value per rule; ReasonText has one line for each (its switch has
// no default, so a new value without a text fails the build under -Wswitch -Werror).
enum class VerifyReason : int {
  kOk = 0,               // verified
  kMissingToken,         // no Authorization header, or an empty token (RFC 6750 3.1: no error)
  kNotBearer,            // an Authorization scheme other than Bearer, or no token after it
  kMalformed,            // not a compact JWS with strict base64url and JSON objects
  kTooLarge,             // the token exceeds max_token_bytes
  kUnsupportedHeader,    // "alg" none/unknown, "crit", "jwk"/"jku"/"x5u"/"x5c", "zip", "cty"
  kNoKeyId,              // no "kid"/"x5t" and the key set holds more than one key
  kUnknownKey,           // no key in the set has the token's "kid"/"x5t" (after any refetch)
  kKeySetUnavailable,    // the JWK Set could not be fetched or parsed and none is cached
  kAlgorithmNotAllowed,  // the token's "alg" is not the one the key is pinned to (RFC 8725)
  kSignatureInvalid,     // the signature does not verify
  kIssuerMissing,        // no "iss", or not a string
  kIssuerMismatch,       // "iss" is not the configured issuer
  kExpired,              // now >= exp + skew, or "exp" missing
  kNotYetValid,          // now + skew < nbf
  kIssuedInFuture,       // iat > now + skew
  kBadTimeClaim,         // exp/nbf/iat not a NumericDate in seconds, or exp before iat/nbf
  kAudienceMissing,      // no "aud"
  kAudienceMismatch,     // "aud" holds none of the accepted audiences
  kSubjectMissing,       // no "sub", or not a non-empty string
  kBadScopeClaim,        // "scope" present but not a string
  kInsufficientScope,    // a required scope is not granted (RFC 6750 3.1: 403)
  // Sender constraint (VerifyRequest, and kSenderConstrained for Verify/VerifyAuthorization):
  kSenderConstrained,   // the token has "cnf": only VerifyRequest, seeing the request, may admit it
  kBadConfirmation,     // RFC 7800 3.1: "cnf" malformed or of a method this library cannot check
  kBoundTokenAsBearer,  // RFC 9449 7.2: a cnf.jkt token sent as Bearer (no downgrade)
  kUnboundTokenAsDpop,  // RFC 9449 7.1: the DPoP scheme with a token bound to no key
  kDpopProofInvalid,    // RFC 9449 4.3: the DPoP proof fails a check for this request and token
  kDpopNonceRequired,   // RFC 9449 9: the proof must carry a current server nonce
  kDpopKeyMismatch,     // RFC 9449 4.3 item 12: the proof's key is not the token's cnf.jkt
  kDpopProofReplayed,   // RFC 9449 11.1: the proof's jti was already used
  kDpopReplayCacheFull,  // RFC 9449 11.1: the jti cannot be recorded; refused (503)
  kCertificateMissing,   // RFC 8705 3: a cnf.x5t#S256 token without a client certificate
  kCertificateMismatch,  // RFC 8705 3: the client certificate is not the token's
};

// A fixed phrase for `reason` ("the token has expired").
std::string_view ReasonText(VerifyReason reason);

// The VerifyReason a failed Verify status carries (kOk for an OK status).
VerifyReason ReasonOf(const Status& status);

struct VerifierOptions {
  std::string jwks_url;                      // http:// or https://; required
  std::string issuer;                        // exact "iss"; required
  std::vector<std::string> audiences;        // accepted "aud" values; at least one
  std::vector<std::string> required_scopes;  // all must be granted; may be empty
  int64_t clock_skew_seconds = 30;           // leeway on exp/nbf/iat
  int64_t refetch_interval_seconds = 30;     // at most one key-set fetch per interval on misses
  int64_t default_cache_seconds = 300;       // key-set lifetime when no max-age is given
  int64_t min_cache_seconds = 30;            // bounds on the honoured max-age
  int64_t max_cache_seconds = 86400;
  std::size_t max_token_bytes = 16 * 1024;  // RFC 8725 3.11: bound untrusted input
  long fetch_timeout_seconds = 5;           // each key-set fetch
  const Clock* clock = nullptr;             // nullptr: SystemClock(); must outlive the Verifier
  // DPoP proofs at VerifyRequest (RFC 9449): the accepted "alg" values (asymmetric only; the
  // "algs" of the challenges), the oldest accepted "iat" and the leeway for one in the future.
  std::vector<std::string> dpop_algorithms = {"RS256", "PS256", "ES256", "EdDSA"};
  int64_t dpop_max_age_seconds = 60;
  int64_t dpop_clock_skew_seconds = 5;
  // Proof jtis remembered against replay (each for its window); when full, requests with DPoP
  // tokens are refused (503) rather than a live entry forgotten.
  std::size_t dpop_replay_capacity = 100'000;
  std::string realm = "tessera";  // the challenges' realm
};

// What a verified token says. Every field comes from a verified token.
struct Principal {
  std::string subject;                 // "sub"
  std::string issuer;                  // "iss"
  std::string client_id;               // "client_id", empty if absent
  std::string scope;                   // "scope" as sent, empty if absent
  std::vector<std::string> scopes;     // "scope" split on spaces
  std::vector<std::string> audiences;  // "aud" as a list
  int64_t expires_at = 0;              // "exp"
  int64_t issued_at = 0;               // "iat", 0 if absent
  std::string token_id;                // "jti", empty if absent
  std::string key_id;                  // the kid of the key that verified it
  std::string claims_json;             // the whole claims set, compact JSON
};

// What VerifyRequest needs of an HTTP request to a protected resource.
struct ResourceRequest {
  std::string_view method;  // as received ("GET")
  // The absolute URL the client addressed ("https://api.example.com/orders?id=7"), for the DPoP
  // "htu" (compared without query and fragment, RFC 9449 4.3 item 9). Behind a proxy, build it
  // from the configured public base URL rather than from request headers.
  std::string_view url;
  std::string_view authorization;             // the Authorization value, "" if absent
  std::vector<std::string_view> dpop_proofs;  // every "DPoP" field value, in order
  // The DER of the client certificate the TLS connection presented (or a trusted proxy
  // forwarded); nullopt when none.
  std::optional<std::string_view> client_certificate_der;
};

// VerifyRequest's answer: the principal, or what to answer the client.
struct Admission {
  Status status;        // OK when admitted; else ReasonOf(status) says why (message: detail)
  Principal principal;  // set when admitted
  // 200 when admitted; else 401, 403 (kInsufficientScope) or 503 (kKeySetUnavailable,
  // kDpopReplayCacheFull).
  int http_status = 200;
  // The WWW-Authenticate values to send, one per field, in order: for the Bearer scheme
  // `Bearer realm="...", error="invalid_token" | "insufficient_scope", error_description="..."`
  // then `DPoP realm="...", algs="..."` (RFC 6750 3, RFC 9449 7.1); for the DPoP scheme
  // `DPoP realm="...", error="invalid_dpop_proof" | "use_dpop_nonce" | "invalid_token",
  // error_description="...", algs="..."`. Descriptions are fixed phrases (nothing from the
  // request). Empty for 503.
  std::vector<std::string> challenges;
  // The error code of the first challenge, for a JSON error body: "invalid_token",
  // "insufficient_scope", "invalid_dpop_proof" or "use_dpop_nonce"; "" when admitted or 503.
  std::string error;
  std::string dpop_nonce;  // a DPoP-Nonce header to send with use_dpop_nonce, or ""
  bool ok() const { return status.ok(); }
};

// Counters for operations and tests.
struct VerifierStats {
  uint64_t fetches = 0;         // key-set fetches attempted
  uint64_t fetch_failures = 0;  // of which failed
  uint64_t keys = 0;            // keys in the cached set
};

class Verifier {
 public:
  // Checks the options (URL scheme, issuer and audiences present, sane intervals) and fetches the
  // key set once. A failed first fetch is not an error here: it is retried on the next Verify,
  // so a service may start before its authorization server. Errors: kInvalidArgument.
  static Result<Verifier> Create(VerifierOptions options);

  // Verifies a compact JWT (rules 2-9 above). On success the Principal; on failure a Status whose
  // ReasonOf() is the rule that failed and whose message is ReasonText plus detail (which may name
  // claim values from the token: log it, do not echo it to untrusted parties verbatim unless
  // that is acceptable). A token with "cnf" is refused (kSenderConstrained).
  Result<Principal> Verify(std::string_view token) const;

  // Rule 1, then Verify: `authorization` is the whole Authorization header value ("" if absent).
  // Both refuse a token with "cnf" (kSenderConstrained): use VerifyRequest for those.
  Result<Principal> VerifyAuthorization(std::string_view authorization) const;

  // The whole check of a request to a protected resource: the Authorization scheme ("Bearer" or
  // "DPoP", case-insensitive), rules 2-9 on its token, then the token's "cnf" against the
  // request (the sender constraint above). Thread-safe; each admitted DPoP proof's jti is
  // recorded, so a second request with the same proof is refused.
  Admission VerifyRequest(const ResourceRequest& request) const;

  // Fetches the key set now, whatever the cache says (not rate-limited; for operators).
  Status Refresh() const;

  VerifierStats Stats() const;

 private:
  class Impl;
  explicit Verifier(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace tessera::verifier

#endif  // TESSERA_VERIFIER_H_
