// TokenService: the token endpoint (contract sections 2-4), introspection (RFC 7662),
// revocation (RFC 7009), and verification of the access tokens this domain minted.
//
// One token request, in order (docs/http-api.md, section 2):
//   0. with ClientAuthLimits: an address whose failed client authentications have spent its
//      budget is refused (kRateLimited) before any credential is tried;
//   1. exactly one client authentication method (RFC 6749 2.3): Basic, client_secret_post, or a
//      client assertion (RFC 7523 2.2), which is checked with every assertion rule, or, when
//      none of those is used, a client_id with a TLS client certificate (RFC 8705 2:
//      tls_client_auth, then self_signed_tls_client_auth); a failure counts against the
//      address; a success against the client's own token-request budget;
//   2. the grant: known (else unsupported_grant_type) and in the app's allowedGrants (else
//      unauthorized_client);
//   3. jwt-bearer: the user assertion's rules 1-8 (AssertionValidator), or, when the assertion's
//      iss is a federation trust's issuer, the outside-token checks (contract section 10,
//      federation/outside_token.h) and the mapping to an active user; token exchange (RFC 8693):
//      the subject_token likewise, which must be an outside token;
//   4. scopes (rule 9), within a trust's allowedScopes; for token exchange, resource/audience;
//   5. the DPoP proof, when the request carries one or the app's dpopBoundAccessTokens asks for
//      one (RFC 9449 4.3, 5; with DomainConfig::dpop_nonce, server nonces, section 8);
//   6. only then the jti(s) are recorded, each with one atomic insert; a replay fails here (a
//      DPoP proof's jti too, under its own issuer namespace, RFC 9449 11.1);
//   7. the access token is minted with the active signing key, bound to the proof's key
//      ("cnf":{"jkt":...}, token_type "DPoP", RFC 9449 5 and 6.1) when there was a proof, or to
//      the client certificate (cnf "x5t#S256") for an app with
//      tlsClientCertificateBoundAccessTokens, which without a certificate is refused before
//      step 3 (invalid_request); the outcome is audited.
// Every rejection is a precise Reason; the http layer maps it to the wire with ToWireError.
//
// Thread safety: all methods may be called concurrently.
#ifndef TESSERA_OAUTH_TOKEN_SERVICE_H_
#define TESSERA_OAUTH_TOKEN_SERVICE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/rate_limiter.h"
#include "federation/outside_token.h"
#include "federation/trust.h"
#include "jose/json.h"
#include "oauth/assertion.h"
#include "oauth/audit.h"
#include "oauth/config.h"
#include "oauth/directory.h"
#include "oauth/dpop.h"
#include "oauth/federation_trusts.h"
#include "oauth/reasons.h"
#include "oauth/scopes.h"
#include "oauth/signing_keys.h"
#include "store/store.h"
#include "tessera/clock.h"

namespace tessera::oauth {

struct ClientCredentials {
  std::string client_id;
  std::string client_secret;
};

// A client-authenticated request to the token, introspection, revocation or trust-token endpoint.
struct ClientRequest {
  std::map<std::string, std::string> form;  // repeated parameters were refused by the parser
  std::optional<ClientCredentials> basic;   // from "Authorization: Basic"
  bool bad_authorization = false;           // an Authorization header that is not valid Basic
  std::string ecid;
  std::string remote_address;  // the peer's address, for ClientAuthLimits
  // The client's TLS certificate (RFC 8705), DER; empty when none was presented. `chained`: it
  // verified against the server's client CA (http::ClientCertificate).
  std::string client_certificate_der;
  bool client_certificate_chained = false;
  // Every DPoP header field value, in arrival order (RFC 9449 4.3 item 1 wants exactly one).
  std::vector<std::string> dpop_proofs;
  std::string method;  // the HTTP method, for the proof's htm
  std::string url;     // the endpoint's external URL (issuer + path), for the proof's htu
};

// Request-rate limits around client authentication; each is off when null. Neither is keyed by
// anything a caller can claim without the credentials: a flood naming a client (with a wrong
// secret, or an assertion it did not sign) spends the flooding address's budget, never the
// client's.
struct ClientAuthLimits {
  // Failed client authentications per remote address, at every client-authenticated endpoint.
  // Once spent, requests from that address are refused before any credential is tried, so a
  // secret cannot be guessed at speed.
  RateLimiter* failures_per_address = nullptr;
  // Token requests per client id, counted once the client has authenticated.
  RateLimiter* token_requests_per_client = nullptr;
};

struct Outcome {
  std::optional<std::string> body;  // success: JSON
  std::optional<Rejection> rejection;
  bool used_basic = false;
  static Outcome Ok(std::string body, bool basic) { return {std::move(body), std::nullopt, basic}; }
  static Outcome Fail(Rejection r, bool basic) { return {std::nullopt, std::move(r), basic}; }
};

// A jti to record once every other check has passed.
struct PendingJti {
  std::string issuer;
  std::string jti;
  int64_t expires_at = 0;
  bool client_assertion = false;  // the client's own assertion, else the user assertion
  // When set, the pair is kept until then (an outside token's exp plus its trust's
  // clockSkewSeconds) instead of expires_at plus the domain's skew.
  int64_t keep_until = 0;
  bool dpop_proof = false;  // a DPoP proof's jti (issuer DpopJtiIssuer), RFC 9449 11.1
};

// The replay-table issuer under which a DPoP proof's jti is recorded: "dpop:" + the proof key's
// thumbprint. Keying by the key means no one can spend another client's jti in advance. An
// assertion issuer (a client id or a URL) shares it only if a client id were spelled exactly so;
// even then it could mark as used only jtis it would have to guess (clients draw them at random).
std::string DpopJtiIssuer(std::string_view jkt);

struct AuthenticatedClient {
  std::shared_ptr<const store::App> app;
  std::optional<PendingJti> assertion_jti;  // from a client assertion
};

// A token request that passed every check but its jtis: what Complete needs to answer it.
struct PreparedToken {
  std::shared_ptr<const store::App> app;
  std::string grant;
  std::string subject;
  std::string user_id;
  bool user_grant = false;  // jwt-bearer (a user token), else client_credentials
  GrantedScopes scopes;
  std::optional<std::string> requested_scope;
  std::vector<PendingJti> jtis;  // in recording order: the client assertion's first
  // From an outside token (contract section 10):
  int64_t expires_at_cap = 0;     // the issued token's exp never passes it (0: no cap)
  std::optional<jose::Json> act;  // RFC 8693 4.1 {"sub","iss"} when impersonating
  bool token_exchange = false;    // RFC 8693 2.2.1: the answer adds issued_token_type
  std::string audit_note;         // the trust and the outside subject, for the audit trail
  // The token's cnf "x5t#S256" (RFC 8705 3.1): the presented certificate's SHA-256 thumbprint,
  // for an app with tlsClientCertificateBoundAccessTokens; empty otherwise.
  std::string certificate_thumbprint;
  std::string jkt;  // the DPoP proof's key thumbprint: the token is bound to it; empty: Bearer
};

// What an accepted outside token stands for, once looked up.
struct FederatedPrincipal {
  federation::Trust trust;
  federation::FederatedIdentity who;
  std::shared_ptr<const store::User> user;  // subjectType User: the mapped, active user
  std::shared_ptr<const store::App> app;    // subjectType App: the active app it authenticates
  std::string AuditNote() const;            // "trust 'name' (id), outside subject 'sub'"
};

enum class FederatedMatch {
  kNoTrust,   // the token's iss is no trust's issuer (or unreadable): not an outside token
  kRefused,   // an outside token, refused: `rejection` says why
  kAccepted,  // `principal` holds what it stands for
};

struct FederatedResult {
  FederatedMatch match = FederatedMatch::kNoTrust;
  Rejection rejection;
  // kRefused by the outside-token checks: the rule (kOk when the refusal came after them: the
  // mapping, the store).
  federation::FederationReason federation_reason = federation::FederationReason::kOk;
  std::string trust_id;  // the trust that judged the token (empty: none did)
  FederatedPrincipal principal;
};

// The verified claims of an access token this domain minted.
struct AccessTokenInfo {
  jose::Json claims;
  std::string client_id;
  std::string jti;
  int64_t exp = 0;
};

class TokenService {
 public:
  TokenService(store::Store& store, Directory& directory, SigningKeys& keys, AuditLog& audit,
               const DomainConfig& config, const Clock& clock, ClientAuthLimits limits = {});

  // The token endpoint, in steps (Prepare, RecordJtis, Complete), so that the jtis of concurrent
  // requests can be recorded in one store transaction. Prepare runs every check that comes before
  // the jtis: a rejection is final (and audited). Complete answers a prepared request once its jtis
  // are recorded (or have failed: `jti_rejection`, from RecordJtis): it mints the token and audits.
  std::variant<PreparedToken, Outcome> Prepare(const ClientRequest& request);
  Outcome Complete(const ClientRequest& request, const PreparedToken& prepared,
                   std::optional<Rejection> jti_rejection);
  // RFC 7662: {"active":true,...} for a valid, unrevoked token of this domain whose client and
  // user are live (CheckPrincipalsLive), else {"active":false}.
  Outcome Introspect(const ClientRequest& request);
  // RFC 7009: the token's own client, or an administrator, revokes it (its jti is recorded until
  // its exp); any other token or caller is answered 200 as well (RFC 7009 2.2).
  Outcome Revoke(const ClientRequest& request);

  // Client authentication alone (for endpoints built on top: trust tokens, assertion checks).
  // A client assertion's jti is returned pending; the caller records it with RecordJti.
  std::variant<AuthenticatedClient, Rejection> Authenticate(const ClientRequest& request) const;
  // Authenticate, then record a client assertion's jti at once: for endpoints that have nothing
  // else to check before acting (introspection, revocation, trust tokens). Failures count
  // against the address as at the token endpoint (ClientAuthLimits::failures_per_address).
  std::variant<AuthenticatedClient, Rejection> AuthenticateAndRecord(
      const ClientRequest& request) const;
  // Records a pending jti with one atomic insert; a replay is kAssertionJtiReplayed.
  std::optional<Rejection> RecordJti(const PendingJti& jti) const;
  // Records the jtis of many requests: each request's in order, stopping at its first failure.
  // result[i] is nullopt when all of requests[i] were recorded, else why not (a replay, or the
  // store failing). One store transaction per round: the first jti of every request, then the
  // second of those that have one. The answer for each request is what recording its jtis
  // alone, in the order of `requests`, would have given.
  std::vector<std::optional<Rejection>> RecordJtis(
      const std::vector<const std::vector<PendingJti>*>& requests) const;
  // The rejection RecordJtis gives a request whose jti `p` was already recorded: for a caller
  // that knows so without asking the store (http::JtiBatcher's recently recorded jtis).
  static Rejection ReplayRejection(const PendingJti& p);

  // Signature by a published key, iss, exp, tok_type "AT", not revoked. kNotFound-free: any
  // failure is an error Status saying why.
  Result<AccessTokenInfo> VerifyAccessToken(std::string_view token);

  // Whether the principals a token minted here speaks for are still live: the app named by
  // "client_id" exists and is active and, when the token carries "user_id", the user named by
  // "sub" exists with that id and is active (a user deleted and created again under the same
  // name does not inherit the old tokens). Changes are seen within the directory's cache bound.
  // kFailedPrecondition saying why when not; the store's kUnavailable passes through.
  Status CheckPrincipalsLive(const jose::Json& claims);

  // Federation (contract section 10): the trusts consulted for outside tokens and the outside
  // issuers' keys. Both null (the default): no token is taken for an outside token. Set before
  // serving; both outlive this object.
  void set_federation(FederationTrusts* trusts, const federation::KeySource* keys) {
    trusts_ = trusts;
    issuer_keys_ = keys;
  }

  // Validates `token` as an outside token presented by `presenting_client` (empty: a federated
  // client assertion, which authenticates the app itself): picks the trusts of its unverified
  // iss (PeekIssuer), runs ValidateOutsideToken against the first active one of the right
  // subjectType that lists the client (the first trust of the issuer when none does, so that its
  // refusal says why), then looks up the user (by subjectMappingAttribute, or the impersonated
  // service user by id) or, for subjectType App, the app. Under the strict audience profile a
  // client assertion's aud must also be the issuer identifier alone. Nothing is recorded: the
  // jti, when the trust requires one, is the caller's to consume.
  FederatedResult ValidateFederated(std::string_view token,
                                    const std::string& presenting_client) const;

  // Scopes of a federated grant: the trust's allowedScopes ceiling on what was requested
  // (kFederatedScopeOutsideCeiling), and on the app's scopes when nothing was.
  ScopeResult FederatedScopes(const federation::Trust& trust,
                              const std::optional<std::string>& requested, const store::App& app,
                              const std::vector<ResourceView>& resources) const;
  // The trusts consulted for outside tokens (null: federation is off), for diagnostics.
  FederationTrusts* federation_trusts() const { return trusts_; }
  // A DPoP proof checked as the token endpoint checks it (RFC 9449 4.3; with
  // DomainConfig::dpop_nonce, server nonces keyed by the active signing key, section 8). Its jti
  // is not recorded. A refused proof is kInvalidArgument with its DpopError (DpopErrorOf), and
  // then, for a nonce error, `fresh_nonce` (when given) gets a nonce for the DPoP-Nonce header;
  // another code is the signing-key store failing.
  Result<DpopProof> ValidateDpopProof(const DpopRequest& request, std::string* fresh_nonce);

  const AssertionValidator& validator() const { return validator_; }
  // See AssertionValidator::set_certificate_uses. Set before serving.
  void set_certificate_uses(CertificateUses* uses) { validator_.set_certificate_uses(uses); }

 private:
  // Authenticate within ClientAuthLimits::failures_per_address: refused at once from an address
  // that has spent its budget, and a failure counted against the address.
  std::variant<AuthenticatedClient, Rejection> AuthenticateCounted(
      const ClientRequest& request) const;
  // Audits the outcome; `note` (the trust and outside subject of a federated request) is added
  // to the event's reason.
  Outcome Finish(const ClientRequest& request, const std::string& client_id,
                 const std::string& subject, const std::string& grant, Outcome outcome,
                 const std::string& note = {});
  Result<std::string> Mint(const store::App& client, const PreparedToken& prepared,
                           int64_t lifetime, const char* gtp, int64_t now);
  // The jwt-bearer or token-exchange grant of an accepted outside token: subject, user, act,
  // expiry cap and jti into `p`.
  void ApplyFederated(const FederatedPrincipal& principal, PreparedToken& p) const;
  // RFC 8693 2.1: the subject_token's parameters; the outside token's validation into `p`.
  std::optional<Rejection> PrepareTokenExchange(const ClientRequest& request, const store::App& app,
                                                PreparedToken& p,
                                                std::optional<federation::Trust>& trust) const;
  FederationTrusts* trusts_ = nullptr;
  const federation::KeySource* issuer_keys_ = nullptr;
  // RFC 8705 2: a client_id with a client certificate and no other credential.
  std::variant<AuthenticatedClient, Rejection> AuthenticateByCertificate(
      const ClientRequest& request, const std::string& client_id) const;
  // RFC 9449 4.3 and 5: the request's valid DPoP proof (its thumbprint binds the token, its jti
  // is then recorded), nullopt when there is none and `app` does not require one
  // (dpopBoundAccessTokens), else why not.
  std::variant<std::optional<DpopProof>, Rejection> CheckDpopProof(const ClientRequest& request,
                                                                   const store::App& app);

  store::Store& store_;
  Directory& directory_;
  SigningKeys& keys_;
  AuditLog& audit_;
  const DomainConfig& config_;
  const Clock& clock_;
  ClientAuthLimits limits_;
  AssertionValidator validator_;
  // The keys of accepted DPoP proofs, for every request's validator (DpopKeyCache).
  std::shared_ptr<DpopKeyCache> dpop_keys_ = std::make_shared<DpopKeyCache>();
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_TOKEN_SERVICE_H_
