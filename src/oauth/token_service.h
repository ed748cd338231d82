// TokenService: the token endpoint (contract sections 2-4), introspection (RFC 7662),
// revocation (RFC 7009), and verification of the access tokens this domain minted.
//
// One token request, in order (docs/http-api.md, section 2):
//   0. with ClientAuthLimits: an address whose failed client authentications have spent its
//      budget is refused (kRateLimited) before any credential is tried;
//   1. exactly one client authentication method (RFC 6749 2.3): Basic, client_secret_post, or a
//      client assertion (RFC 7523 2.2), which is checked with every assertion rule; a failure
//      counts against the address; a success against the client's own token-request budget;
//   2. the grant: known (else unsupported_grant_type) and in the app's allowedGrants (else
//      unauthorized_client);
//   3. jwt-bearer: the user assertion's rules 1-8 (AssertionValidator);
//   4. scopes (rule 9);
//   5. the DPoP proof, when the request carries one or the app's dpopBoundAccessTokens asks for
//      one (RFC 9449 4.3, 5; with DomainConfig::dpop_nonce, server nonces, section 8);
//   6. only then the jti(s) are recorded, each with one atomic insert; a replay fails here (a
//      DPoP proof's jti too, under its own issuer namespace, RFC 9449 11.1);
//   7. the access token is minted with the active signing key, bound to the proof's key
//      ("cnf":{"jkt":...}, token_type "DPoP", RFC 9449 5 and 6.1) when there was a proof; the
//      outcome is audited.
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
#include "jose/json.h"
#include "oauth/assertion.h"
#include "oauth/audit.h"
#include "oauth/config.h"
#include "oauth/directory.h"
#include "oauth/dpop.h"
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
  bool dpop_proof = false;        // a DPoP proof's jti (issuer DpopJtiIssuer), RFC 9449 11.1
};

// The replay-table issuer under which a DPoP proof's jti is recorded: "dpop:" + the proof key's
// thumbprint. No assertion issuer can take it (an issuer is a client id or a URL), and keying by
// the key means no one can spend another client's jti in advance.
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
  std::string jkt;  // the DPoP proof's key thumbprint: the token is bound to it; empty: Bearer
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

  // Signature by a published key, iss, exp, tok_type "AT", not revoked. kNotFound-free: any
  // failure is an error Status saying why.
  Result<AccessTokenInfo> VerifyAccessToken(std::string_view token);

  // Whether the principals a token minted here speaks for are still live: the app named by
  // "client_id" exists and is active and, when the token carries "user_id", the user named by
  // "sub" exists with that id and is active (a user deleted and created again under the same
  // name does not inherit the old tokens). Changes are seen within the directory's cache bound.
  // kFailedPrecondition saying why when not; the store's kUnavailable passes through.
  Status CheckPrincipalsLive(const jose::Json& claims);

  const AssertionValidator& validator() const { return validator_; }
  // See AssertionValidator::set_certificate_uses. Set before serving.
  void set_certificate_uses(CertificateUses* uses) { validator_.set_certificate_uses(uses); }

 private:
  // Authenticate within ClientAuthLimits::failures_per_address: refused at once from an address
  // that has spent its budget, and a failure counted against the address.
  std::variant<AuthenticatedClient, Rejection> AuthenticateCounted(
      const ClientRequest& request) const;
  Outcome Finish(const ClientRequest& request, const std::string& client_id,
                 const std::string& subject, const std::string& grant, Outcome outcome);
  Result<std::string> Mint(const store::App& client, const GrantedScopes& scopes,
                           const std::string& subject, bool user, const std::string& user_id,
                           const char* gtp, const std::string& jkt, int64_t now);
  // RFC 9449 4.3 and 5: the request's valid DPoP proof (its thumbprint binds the token, its jti
  // is then recorded), nullopt when there is none, else why not.
  std::variant<std::optional<DpopProof>, Rejection> CheckDpopProof(const ClientRequest& request);

  store::Store& store_;
  Directory& directory_;
  SigningKeys& keys_;
  AuditLog& audit_;
  const DomainConfig& config_;
  const Clock& clock_;
  ClientAuthLimits limits_;
  AssertionValidator validator_;
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_TOKEN_SERVICE_H_
