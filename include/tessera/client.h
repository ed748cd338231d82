// tessera_client: obtain OAuth 2.0 access tokens from a Tessera (or IDCS-style) token endpoint,
// with JWT assertions (RFC 7523) signed locally.
//
// Two pieces:
//   - AssertionSigner: a private key (PEM or PKCS#12) that signs JWT assertions, either user
//     assertions (RFC 7523 2.1: iss = client id, sub = user) or client assertions for
//     private_key_jwt (RFC 7523 2.2: iss = sub = client id). Each Sign call stamps iat = now,
//     exp = now + ttl and a fresh random jti (RFC 7519 4.1.7), and names the key by "kid" (the
//     certificate alias the server knows) or "x5t" (SHA-1 thumbprint of the certificate).
//   - TokenSource: asks the token endpoint for client-credentials tokens or user tokens and
//     caches each per (subject, scope). A cached token is renewed before it expires: at 80% of
//     its lifetime or 60 s before expiry, whichever comes first, but not before half of it. When
//     many threads ask for the same (subject, scope) and no usable token is cached, exactly one
//     request goes out and the others wait for its outcome; while a still-valid token is being
//     renewed, the others get the old one without waiting. Network errors, 429 and 5xx answers
//     are retried with bounded exponential backoff with jitter, honouring Retry-After (up to
//     RetryPolicy::max_retry_after); every retry signs a new assertion (a jti is single-use). A
//     4xx answer is not retried: it is returned as a TokenError carrying the server's "error" and
//     "error_description" (RFC 6749 5.2). Sender-constrained tokens: with a DpopKey every token
//     request carries a DPoP proof (RFC 9449; use_dpop_nonce is answered), with a TLS client
//     certificate the https connections present it (RFC 8705); Authorize then gives the
//     headers of a resource call ("DPoP <token>" and a proof covering it, or "Bearer <token>").
//
// Example (user tokens: a PKCS#12 key signs the user assertions, Basic authenticates the client):
//   tessera::client::SignerOptions so;
//   so.kid = "jwtkey";                                  // the certificate alias
//   auto signer = tessera::client::AssertionSigner::FromPkcs12File("jwt.p12", "password1", so);
//   if (!signer.ok()) return Fail(signer.status());
//   tessera::client::TokenSourceOptions o;
//   o.base_url = "https://idm.example.com";
//   o.client_id = "MyClientID";
//   o.client_secret = "...";                            // Basic authentication
//   o.user_signer = *signer;
//   auto tokens = tessera::client::TokenSource::Create(o);
//   if (!tokens.ok()) return Fail(tokens.status());
//   tessera::client::TokenError error;
//   auto token = tokens->UserToken("JonesE", "urn:opc:idm:__myscopes__", &error);
//   if (!token.ok()) std::cerr << error.ToString() << '\n';   // "invalid_grant: ..."
//   else Call(api, "Bearer " + token->access_token);
//
// Thread safety: AssertionSigner and TokenSource are cheap handles (copies share state);
// every const method and every TokenSource method may be called from any number of threads.
#ifndef TESSERA_CLIENT_H_
#define TESSERA_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tessera/clock.h"
#include "tessera/status.h"

namespace tessera::client {

// Where the client reads the time: tessera::Clock (tessera/clock.h). Tests pass their own, such
// as a tessera::FixedClock; implementations must be safe to call from several threads.
using Clock = ::tessera::Clock;

// The system's wall clock (a process-wide tessera::SystemClock).
const Clock& SystemClock();

inline constexpr std::string_view kDefaultAudience = "https://identity.oraclecloud.com/";

struct SignerOptions {
  std::string kid;       // header "kid": the certificate alias; empty to use x5t
  bool use_x5t = false;  // header "x5t" from the certificate (from the PKCS#12 or `certificate`)
  std::string alg;       // "RS256" (default for RSA), "PS256", "ES256"..., "" = key's default
  std::string audience = std::string(kDefaultAudience);  // "aud"
  int64_t ttl_seconds = 300;                             // exp - iat
  const Clock* clock = nullptr;  // nullptr: SystemClock(); must outlive the signer
};

class AssertionSigner {
 public:
  // A PEM (or DER) private key: PKCS#8, PKCS#1, SEC1, or encrypted PKCS#8 with `password`.
  // `certificate` (PEM, DER or base64 DER; may be empty) is needed only for use_x5t.
  // Errors: kInvalidArgument for unreadable key material, a certificate of another key, an
  // algorithm the key cannot use, neither kid nor x5t, a ttl <= 0 or an empty audience.
  static Result<AssertionSigner> FromPem(std::string_view key_pem, const SignerOptions& options,
                                         std::string_view password = {},
                                         std::string_view certificate = {});
  // The same, reading files (certificate_file may be empty). Errors also kNotFound/kUnavailable.
  static Result<AssertionSigner> FromPemFile(const std::string& key_file,
                                             const SignerOptions& options,
                                             std::string_view password = {},
                                             const std::string& certificate_file = {});
  // A PKCS#12 (DER) holding the key and, usually, its certificate.
  static Result<AssertionSigner> FromPkcs12(std::string_view der, std::string_view password,
                                            const SignerOptions& options);
  static Result<AssertionSigner> FromPkcs12File(const std::string& file, std::string_view password,
                                                const SignerOptions& options);

  // A compact JWT: header {alg, typ:"JWT", kid | x5t}, claims {iss, sub, aud, iat, exp, jti}.
  // For a user assertion `subject` is the user name; for a client assertion it is `issuer`.
  Result<std::string> Sign(std::string_view issuer, std::string_view subject) const;

 private:
  class Impl;
  explicit AssertionSigner(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// DPoP (RFC 9449): sender-constrained tokens. A DpopKey is a key pair of the client's own; each
// request to the token endpoint or to a resource carries a fresh proof (header "DPoP") signed with
// it, and the server binds the tokens it issues to the key's RFC 7638 thumbprint ("cnf.jkt"), so
// a stolen token is useless without the private key. Keep one DpopKey per token cache: a token is
// usable only with proofs of the key it was issued for.
//
// Example:
//   auto key = tessera::client::DpopKey::Generate("ES256");
//   auto proof = tessera::client::MakeDpopProof(*key, "GET", "https://api.example.com/orders",
//                                               token.access_token, /*nonce=*/"", now);
//   // send "Authorization: DPoP <access_token>" and "DPoP: <proof>"
//
// Thread safety: a DpopKey is an immutable, cheap handle; MakeDpopProof may run concurrently.
class DpopKey {
 public:
  // A fresh key pair for `alg`: "ES256" (P-256, the default), "ES384", "ES512", "EdDSA"
  // (Ed25519), or "RS256"/"PS256" (RSA 2048). Errors: kInvalidArgument for another algorithm.
  static Result<DpopKey> Generate(std::string_view alg = "ES256");
  // A private key in PEM (or DER): PKCS#8, PKCS#1, SEC1, or encrypted PKCS#8 with `password`.
  // `alg` "" = the key's default (RS256 for RSA, ES256/384/512 by curve, EdDSA). Errors:
  // kInvalidArgument for unreadable material, a public key, or an algorithm the key cannot use.
  static Result<DpopKey> FromPem(std::string_view key_pem, std::string_view alg = {},
                                 std::string_view password = {});
  // The same, reading a file. Errors also kNotFound/kUnavailable.
  static Result<DpopKey> FromPemFile(const std::string& key_file, std::string_view alg = {},
                                     std::string_view password = {});

  // The RFC 7638 SHA-256 thumbprint: the "cnf.jkt" of tokens bound to this key.
  const std::string& Thumbprint() const;
  // The JWS algorithm proofs are signed with ("ES256").
  const std::string& Algorithm() const;
  // The public JWK the proofs carry, compact JSON.
  const std::string& PublicJwk() const;
  // The private key as unencrypted PKCS#8 PEM, to keep a generated key. A secret: store it as
  // one (mode 0600), never log it.
  Result<std::string> PrivateKeyPem() const;

  class Impl;  // internal

 private:
  explicit DpopKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  friend Result<std::string> MakeDpopProof(const DpopKey& key, std::string_view method,
                                           std::string_view url, std::string_view access_token,
                                           std::string_view nonce, int64_t now);
  std::shared_ptr<const Impl> impl_;
};

// A DPoP proof (RFC 9449 4.2) for one request: header {typ:"dpop+jwt", alg, jwk}, claims {jti (128
// random bits), htm = `method`, htu = `url` without its query and fragment, iat = `now`}, plus
// "ath" = base64url(SHA-256(access_token)) when `access_token` is not empty (requests to a
// resource) and "nonce" when `nonce` is not empty (the server's last DPoP-Nonce header). Errors:
// kInvalidArgument for a method that is not an HTTP token, a URL that is not absolute http(s),
// or a nonce with characters RFC 9449 8.1 does not allow.
Result<std::string> MakeDpopProof(const DpopKey& key, std::string_view method, std::string_view url,
                                  std::string_view access_token, std::string_view nonce,
                                  int64_t now);

struct RetryPolicy {
  int max_attempts = 4;                              // requests per token, including the first
  std::chrono::milliseconds initial_backoff{200};    // before the 2nd attempt (then x2 each)
  std::chrono::milliseconds max_backoff{5000};       // cap of one wait
  std::chrono::milliseconds max_retry_after{30000};  // a longer Retry-After ends the retries
};

struct TokenSourceOptions {
  std::string base_url;                         // "https://idm.example.com" (http or https)
  std::string token_path = "/oauth2/v1/token";  // appended to base_url
  std::string client_id;
  // Client authentication (contract section 2): exactly one of
  std::string client_secret;                     // HTTP Basic (RFC 6749 2.3.1), or
  std::optional<AssertionSigner> client_signer;  // private_key_jwt (RFC 7523 2.2)
  // Signs user assertions for UserToken (iss = client_id). Optional.
  std::optional<AssertionSigner> user_signer;
  RetryPolicy retry;
  double renew_fraction = 0.8;        // renew at this fraction of the lifetime...
  int64_t renew_margin_seconds = 60;  // ...or this long before expiry, whichever is first
  long request_timeout_seconds = 10;  // each HTTP request
  std::string ca_file;                // extra CA bundle for https (empty: system default)
  const Clock* clock = nullptr;       // nullptr: SystemClock(); must outlive the source
  // DPoP (RFC 9449): every token request carries a fresh proof by this key (htm POST, htu the
  // token URL), so the server binds the tokens to it (token_type "DPoP", cnf.jkt). This source's
  // cache then holds only tokens of this key: one key per token cache. When the server answers
  // 400 use_dpop_nonce with a DPoP-Nonce header (RFC 9449 8), the request is sent again at once
  // with that nonce, once, without counting as a retry; the last DPoP-Nonce the token endpoint
  // sent (on any answer) goes into the following proofs.
  std::optional<DpopKey> dpop_key;
  // Mutual TLS (RFC 8705): a client certificate (PEM; the file may hold its chain) and its
  // private key (PEM, encrypted with tls_client_key_password if given), presented on https
  // connections to the token endpoint, for tls_client_auth / self_signed_tls_client_auth and
  // certificate-bound tokens (cnf.x5t#S256). Both or neither.
  std::string tls_client_cert_file;
  std::string tls_client_key_file;
  std::string tls_client_key_password;
};

struct Token {
  std::string access_token;
  std::string token_type;  // "Bearer", or "DPoP" for a token bound to the DPoP key
  std::string scope;       // the granted scope when the server said, else the requested one
  int64_t issued_at = 0;   // clock time when the request was sent
  int64_t expires_at = 0;  // issued_at + expires_in
  std::string raw_json;    // the server's whole answer
};

// The credentials of one request to a resource (RFC 9449 7.1, RFC 6750 2.1).
struct AuthorizationHeaders {
  std::string authorization;  // the Authorization value: "DPoP <token>" or "Bearer <token>"
  std::string dpop;           // the DPoP header value (a proof with "ath"), "" for Bearer
};

// The headers that present `token` on a request `method` `url`: a token whose token_type is
// "DPoP" (case-insensitive, RFC 9449 5) goes as "DPoP <token>" with a fresh proof by `key`
// covering the request and the token ("ath"), and `nonce` when not empty (the resource's last
// DPoP-Nonce); any other token goes as "Bearer <token>". Errors: kInvalidArgument for a DPoP
// token without a key (`key` nullptr) and what MakeDpopProof refuses.
Result<AuthorizationHeaders> MakeAuthorizationHeaders(const Token& token, const DpopKey* key,
                                                      std::string_view method, std::string_view url,
                                                      std::string_view nonce, int64_t now);

// Why a token could not be had.
struct TokenError {
  enum class Kind {
    kNone,           // no error
    kOAuth,          // the server answered 4xx with an RFC 6749 5.2 error (not retried)
    kServer,         // 429/5xx after every retry (error/description filled when JSON)
    kTransport,      // network, TLS or timeout after every retry
    kBadAnswer,      // 2xx whose body is not a token answer
    kInvalidRequest  // the call itself was wrong (no user signer, ...)
  };
  Kind kind = Kind::kNone;
  int http_status = 0;            // 0 for transport errors
  std::string error;              // "invalid_grant"
  std::string error_description;  // "assertion expired at ..."
  std::string ecid;               // the server's request id, when given
  int attempts = 0;               // requests made
  // One line: "invalid_grant: assertion expired at ..." or "HTTP 503 after 4 attempts ...".
  std::string ToString() const;
};

class TokenSource {
 public:
  // Errors: kInvalidArgument (no base_url or client_id, not exactly one client authentication,
  // bad retry or renewal settings, a TLS client certificate without its key or the other way
  // round, or one of those files unreadable).
  static Result<TokenSource> Create(TokenSourceOptions options);

  // A client-credentials token (grant_type=client_credentials) for `scope` ("" = the server's
  // default), from the cache when usable. On failure the Status says why in one line, and
  // `error`, when given, is filled.
  Result<Token> ClientToken(std::string_view scope, TokenError* error = nullptr);

  // A token for user `subject` (grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer with a
  // user assertion signed by options.user_signer), from the cache when usable.
  Result<Token> UserToken(std::string_view subject, std::string_view scope,
                          TokenError* error = nullptr);

  // Drops the cached token of (subject, scope) (subject "" = the client's own), e.g. after a
  // resource server refused it.
  void Invalidate(std::string_view subject, std::string_view scope);

  // MakeAuthorizationHeaders with this source's DPoP key and clock: the headers for a call to a
  // resource with `token` (one this source gave).
  Result<AuthorizationHeaders> Authorize(const Token& token, std::string_view method,
                                         std::string_view url, std::string_view nonce = {}) const;

  // The last DPoP-Nonce the token endpoint sent ("" before any).
  std::string DpopNonce() const;

  // Token requests sent so far (for tests and metrics).
  uint64_t RequestCount() const;

 private:
  class Impl;
  explicit TokenSource(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace tessera::client

#endif  // TESSERA_CLIENT_H_
