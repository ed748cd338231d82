// Storage ports: the small interfaces the identity domain uses to keep its state.
//
// Adapters (src/store/sqlite, src/store/postgres) implement them; domain code (src/oauth, src/http)
// sees only these interfaces and the plain records below, never a database type. Records hold
// only data: rules (expiry, matching, scope policy) live in domain code, not in SQL.
//
// Every method is safe to call from many threads at once. Every write that returns OK is durable
// as the adapter documents (SQLite: survives a killed process; see README). Errors:
//   kNotFound       the named record does not exist,
//   kAlreadyExists  a create collides with a unique name (userName, client id, alias, kid),
//   kUnavailable    the database cannot be reached; the caller may retry later,
//   kInternal       anything else the database reports,
//   kInvalidArgument  a required key is empty, or a limit/offset is negative.
// Times are seconds since the Unix epoch.
//
// Common rules of every port (the contract suite in store_contract_test.h checks them on every
// backend):
//   - Creates (Create*, Add*, Put*) insert a new record; the caller assigns its id/key, which must
//     be non-empty. A create never replaces: a second create of the same key is kAlreadyExists.
//   - Get/Find/Update/Delete of an absent record is kNotFound.
//   - Update* replaces every field except `id` and `created_at`, which are kept as stored.
//   - Text compares byte for byte (userName "Alice" and "alice" are different names); matching
//     rules such as case folding belong to domain code.
//   - Lists are ordered as each method says, so paging with offset/limit is stable.
#ifndef TESSERA_STORE_STORE_H_
#define TESSERA_STORE_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tessera/status.h"

namespace tessera::store {

struct User {
  std::string id;         // server-assigned, immutable
  std::string user_name;  // unique; what assertions name in "sub"
  std::string given_name;
  std::string family_name;
  std::vector<std::string> emails;  // the first is the primary
  bool active = true;
  int64_t created_at = 0;
  int64_t updated_at = 0;

  bool operator==(const User&) const = default;
};

enum class AppKind { kConfidential, kResource };

struct App {
  std::string id;         // server-assigned, immutable
  std::string client_id;  // "name" in the admin API; unique; empty for resource apps
  std::string display_name;
  std::string description;
  AppKind kind = AppKind::kConfidential;
  bool active = false;      // new apps are inactive until activated
  bool is_admin = false;    // holds the identity-domain administrator role
  std::string secret_hash;  // salted hash of the client secret; never the secret
  std::vector<std::string> allowed_grants;
  std::vector<std::string> allowed_scopes;       // fully qualified scopes this client may request
  std::vector<std::string> certificate_aliases;  // client certificates attached by alias
  std::vector<std::string> allowed_operations;   // "introspect", "trustToken"
  std::vector<std::string> assertion_algs;       // accepted assertion algs; empty = {"RS256"}
  bool require_jti = true;
  int64_t access_token_expiry = 0;  // seconds; 0 = unset (resource apps: caps token lifetime)
  // Resource apps only.
  std::string audience;             // e.g. "https://oic.example.com:443"
  std::vector<std::string> scopes;  // scope values, e.g. "urn:opc:resource:consumer::all"
  // Sender constraint (contract section 11). RFC 9449 5.2 dpop_bound_access_tokens: a token
  // request without a DPoP proof is refused.
  bool dpop_bound_access_tokens = false;
  // RFC 8705 3.4 tls_client_certificate_bound_access_tokens: tokens carry the thumbprint of the
  // client certificate presented with the request, and a request without one is refused.
  bool tls_client_certificate_bound_access_tokens = false;
  // RFC 8705 2.1.2: the identity a certificate chaining to the client CA must show for
  // tls_client_auth, as a subject DN (RFC 4514 string) or a SAN DNS name; empty when unset.
  std::string tls_client_auth_subject_dn;
  std::string tls_client_auth_san_dns;
  int64_t created_at = 0;
  int64_t updated_at = 0;

  bool operator==(const App&) const = default;
};

enum class CertificateKind { kClient, kPartner };

struct CertificateRecord {
  std::string alias;  // unique per kind
  std::string der;    // the certificate, DER bytes
  std::string x5t;    // base64url SHA-1 of der
  std::string x5t_s256;
  int64_t not_after = 0;
  int64_t created_at = 0;

  bool operator==(const CertificateRecord&) const = default;
};

struct SigningKeyRecord {
  std::string kid;          // unique
  std::string alg;          // "RS256", "ES256", "EdDSA"
  std::string private_pem;  // PKCS#8; never logged
  std::string cert_der;     // self-signed certificate of the key (may be empty)
  int64_t created_at = 0;
  int64_t retired_at = 0;     // 0 while active
  int64_t publish_until = 0;  // retired keys stay in the JWKS until this time
  int64_t revoked_at = 0;     // 0 unless revoked: a revoked key is never published nor trusted

  bool operator==(const SigningKeyRecord&) const = default;
};

struct TrustTokenIssuerRecord {
  std::string issuer;         // unique
  std::string shared_secret;  // HS256 secret (never logged), or empty
  std::string cert_alias;     // RS256 certificate alias, or empty
  std::string cert_der;
  int64_t created_at = 0;

  bool operator==(const TrustTokenIssuerRecord&) const = default;
};

// A federation trust (contract section 10). The store keeps the trust as its JSON document and
// copies name, issuer and active out of it: the store never reads the document, the caller keeps
// the four consistent (federation/trust_json.h writes the document).
struct FederationTrustRecord {
  std::string id;      // server-assigned, immutable
  std::string name;    // unique
  std::string issuer;  // the outside tokens' "iss"; several trusts may share one
  bool active = false;
  std::string document;  // the whole trust as JSON, federation/trust_json.h
  int64_t created_at = 0, updated_at = 0;

  bool operator==(const FederationTrustRecord&) const = default;
};

struct AuditEvent {
  int64_t id = 0;  // assigned on append
  int64_t time = 0;
  std::string ecid;
  std::string client_id;
  std::string subject;
  std::string grant;
  std::string outcome;  // "issued" | "rejected" | admin action names
  // The precise reason code and text: for a rejection "<code>: <detail>", the code (snake_case,
  // never a ':') before the first ':' (oauth::ReasonCode names them).
  std::string reason;

  bool operator==(const AuditEvent&) const = default;
};

// Unset fields match everything.
struct AuditFilter {
  std::optional<std::string> client_id;  // exact match
  std::optional<std::string> outcome;    // exact match
  std::optional<int64_t> since;          // time >= since
  std::optional<int64_t> until;          // time <= until
  std::optional<std::string> grant;      // exact match
  // The reason's code part exactly: reason == code, or reason starts with code + ':'. Never a
  // substring of the free text ("expired" matches no "assertion_expired: ...").
  std::optional<std::string> reason_code;
  int limit = 100;  // negative: kInvalidArgument
};

// How many rejections had one reason code (AuditStore::CountRejectionsByReason).
struct ReasonCount {
  std::string reason_code;
  int64_t count = 0;

  bool operator==(const ReasonCount&) const = default;
};

class UserStore {
 public:
  virtual ~UserStore() = default;
  virtual Status CreateUser(const User& user) = 0;
  virtual Result<User> GetUser(const std::string& id) = 0;
  virtual Result<User> FindUserByName(const std::string& user_name) = 0;
  // The users one of whose emails is exactly `email`, by user_name; at most two (a federation
  // trust mapping subjects by email refuses an address two users share).
  virtual Result<std::vector<User>> FindUsersByEmail(const std::string& email) = 0;
  // Ordered by user_name; at most `limit` users after skipping `offset`.
  virtual Result<std::vector<User>> ListUsers(int offset, int limit) = 0;
  virtual Status UpdateUser(const User& user) = 0;  // by id; kNotFound if absent
  virtual Status DeleteUser(const std::string& id) = 0;
};

class AppStore {
 public:
  virtual ~AppStore() = default;
  virtual Status CreateApp(const App& app) = 0;
  virtual Result<App> GetApp(const std::string& id) = 0;
  // An empty client_id never names an app (resource apps have none): kNotFound.
  virtual Result<App> FindAppByClientId(const std::string& client_id) = 0;
  // Ordered by created_at, then id; at most `limit` apps after skipping `offset`.
  virtual Result<std::vector<App>> ListApps(int offset, int limit) = 0;
  virtual Status UpdateApp(const App& app) = 0;  // by id; kNotFound if absent
  virtual Status DeleteApp(const std::string& id) = 0;
};

class CertificateStore {
 public:
  virtual ~CertificateStore() = default;
  // Creates; the same alias may exist once per kind (kAlreadyExists otherwise).
  virtual Status PutCertificate(CertificateKind kind, const CertificateRecord& cert) = 0;
  virtual Result<CertificateRecord> GetCertificate(CertificateKind kind,
                                                   const std::string& alias) = 0;
  // Ordered by alias.
  virtual Result<std::vector<CertificateRecord>> ListCertificates(CertificateKind kind) = 0;
  virtual Status DeleteCertificate(CertificateKind kind, const std::string& alias) = 0;
  // Records that the certificate verified an assertion at `at`; a later time than the stored one
  // replaces it, an earlier one changes nothing. An absent alias is not an error (it may have
  // been deleted since the use). Callers batch or throttle: this is a write.
  virtual Status RecordCertificateUse(CertificateKind kind, const std::string& alias,
                                      int64_t at) = 0;
  // alias -> the last time it verified an assertion, for the certificates of `kind` ever used.
  virtual Result<std::map<std::string, int64_t>> ListCertificateUses(CertificateKind kind) = 0;
};

class SigningKeyStore {
 public:
  virtual ~SigningKeyStore() = default;
  virtual Status AddSigningKey(const SigningKeyRecord& key) = 0;
  // All keys, newest first (created_at descending; keys created in the same second, the one
  // added last first).
  virtual Result<std::vector<SigningKeyRecord>> ListSigningKeys() = 0;
  // Marks every active key other than `active_kid` retired at `now`, published until
  // `publish_until`; one transaction, so there is always exactly one active key. Keys already
  // retired keep their retired_at and publish_until. kNotFound if `active_kid` does not exist,
  // kFailedPrecondition if it is itself retired; in both cases nothing changes.
  virtual Status RetireOtherKeys(const std::string& active_kid, int64_t now,
                                 int64_t publish_until) = 0;
  // Withdraws `kid` at `now`: revoked_at = now, retired_at = now if it was 0 (kept otherwise),
  // publish_until = 0. Revoking a revoked key changes nothing (the first revoked_at stays).
  // kNotFound if `kid` does not exist. It does not make another key active: the caller does that
  // first when it revokes the active key.
  virtual Status RevokeSigningKey(const std::string& kid, int64_t now) = 0;
};

class TrustTokenIssuerStore {
 public:
  virtual ~TrustTokenIssuerStore() = default;
  // Creates; kAlreadyExists if the issuer is registered.
  virtual Status PutTrustTokenIssuer(const TrustTokenIssuerRecord& issuer) = 0;
  virtual Result<TrustTokenIssuerRecord> GetTrustTokenIssuer(const std::string& issuer) = 0;
  // Ordered by issuer.
  virtual Result<std::vector<TrustTokenIssuerRecord>> ListTrustTokenIssuers() = 0;
  virtual Status DeleteTrustTokenIssuer(const std::string& issuer) = 0;
};

class FederationTrustStore {
 public:
  virtual ~FederationTrustStore() = default;
  // Creates; kAlreadyExists if the id or the name is taken.
  virtual Status CreateFederationTrust(const FederationTrustRecord& trust) = 0;
  virtual Result<FederationTrustRecord> GetFederationTrust(const std::string& id) = 0;
  // Ordered by created_at, then id.
  virtual Result<std::vector<FederationTrustRecord>> ListFederationTrusts() = 0;
  // The trusts whose issuer is exactly `issuer` (byte for byte), active or not, ordered by
  // created_at, then id; empty when none.
  virtual Result<std::vector<FederationTrustRecord>> FindFederationTrustsByIssuer(
      const std::string& issuer) = 0;
  // By id; kNotFound if absent, kAlreadyExists if the new name is another trust's.
  virtual Status UpdateFederationTrust(const FederationTrustRecord& trust) = 0;
  virtual Status DeleteFederationTrust(const std::string& id) = 0;  // kNotFound if absent
};

// One (issuer, jti) pair to record, kept until expires_at.
struct JtiRecord {
  std::string issuer;
  std::string jti;
  int64_t expires_at = 0;
};

// RFC 7523 3 item 7: the set of used (issuer, jti) pairs, kept until the assertion expires.
class ReplayStore {
 public:
  virtual ~ReplayStore() = default;
  // Records (issuer, jti) in one atomic insert. Returns true if it was new, false if it was
  // already recorded (a replay). Never a look-up followed by an insert: two concurrent calls with
  // the same pair, on any nodes sharing the store, see exactly one true.
  virtual Result<bool> ConsumeJti(const std::string& issuer, const std::string& jti,
                                  int64_t expires_at) = 0;
  // ConsumeJti for each record in order, as one transaction where the backend has them (one
  // commit for many requests: group commit). result[i] is what ConsumeJti(records[i]) would have
  // returned after records[0..i-1]; a pair repeated within the batch is new once. On error the
  // batch may be partly recorded: callers treat every record of it as failed.
  virtual Result<std::vector<bool>> ConsumeJtis(const std::vector<JtiRecord>& records) {
    std::vector<bool> fresh;
    fresh.reserve(records.size());
    for (const JtiRecord& r : records) {
      TESSERA_ASSIGN_OR_RETURN(bool is_new, ConsumeJti(r.issuer, r.jti, r.expires_at));
      fresh.push_back(is_new);
    }
    return fresh;
  }
  // True if recorded and not yet purged (for diagnostics; never for the decision itself).
  virtual Result<bool> IsJtiUsed(const std::string& issuer, const std::string& jti) = 0;
  // Deletes up to `limit` pairs whose expires_at < now; returns how many. A purged pair is new
  // again for ConsumeJti (the assertion carrying it has expired by then, which domain code checks).
  virtual Result<int> PurgeExpiredJtis(int64_t now, int limit) = 0;
};

class RevocationStore {
 public:
  virtual ~RevocationStore() = default;
  // Idempotent: revoking a revoked jti is OK and keeps the later of the two expiry times.
  virtual Status RevokeToken(const std::string& jti, int64_t expires_at) = 0;
  virtual Result<bool> IsRevoked(const std::string& jti) = 0;
  // Deletes up to `limit` revocations whose expires_at < now; returns how many.
  virtual Result<int> PurgeExpiredRevocations(int64_t now, int limit) = 0;
};

class AuditStore {
 public:
  virtual ~AuditStore() = default;
  // Stores `event`, ignoring event.id: the store assigns ids, increasing with each append.
  virtual Status AppendAudit(const AuditEvent& event) = 0;
  // Stores `events` in order, all or none. The default appends one by one; a backend overrides
  // it with one transaction, so a busy audit trail costs one commit per batch, not per event.
  virtual Status AppendAudits(const std::vector<AuditEvent>& events) {
    for (const auto& e : events) {
      if (Status s = AppendAudit(e); !s.ok()) return s;
    }
    return Status::Ok();
  }
  // Events matching every set field of `filter`, newest first (time descending, then id
  // descending), at most filter.limit of them.
  virtual Result<std::vector<AuditEvent>> ListAudit(const AuditFilter& filter) = 0;
  // Deletes up to `limit` events whose time < `before` (the retention bound); returns how many.
  virtual Result<int> PurgeAuditBefore(int64_t before, int limit) = 0;
  // How many events match `filter`, whatever its limit: the total of a limited listing.
  virtual Result<int64_t> CountAudit(const AuditFilter& filter) = 0;
  // The events with outcome "rejected" and since <= time <= until, grouped by the reason's code
  // part (AuditEvent::reason), by count descending then code (bytewise); at most `limit` groups
  // (negative: kInvalidArgument). One grouping query, served by the (outcome, time) index.
  virtual Result<std::vector<ReasonCount>> CountRejectionsByReason(int64_t since, int64_t until,
                                                                   int limit) = 0;
};

// A console operator (contract section 9): a person who signs in to the web console with a user
// name and password.
struct Operator {
  std::string id;             // server-assigned, immutable
  std::string user_name;      // unique; what the operator types to sign in
  std::string password_hash;  // Argon2id PHC string (oauth/secrets.h); never the password
  std::string role;           // "administrator"
  bool active = true;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t password_changed_at = 0;

  bool operator==(const Operator&) const = default;
};

// A signed-in console session. The browser holds a 256-bit random token; the store holds only
// its SHA-256, so a read of the database gives no one a usable cookie.
struct ConsoleSession {
  std::string id;  // base64url SHA-256 of the session token; never the token
  std::string operator_id;
  int64_t created_at = 0;
  int64_t last_seen_at = 0;  // the idle timeout counts from here
  int64_t expires_at = 0;    // absolute end, whatever the activity

  bool operator==(const ConsoleSession&) const = default;
};

// Operators and their sessions. Sessions live here, not in a node's memory, so a cookie issued
// by one node is honoured by every node sharing the store. Timeout rules (idle, absolute) are
// domain code's (console/console_service.h); the store only keeps the times.
class ConsoleStore {
 public:
  virtual ~ConsoleStore() = default;
  virtual Status CreateOperator(const Operator& op) = 0;  // kAlreadyExists: user name taken
  virtual Result<Operator> GetOperator(const std::string& id) = 0;
  virtual Result<Operator> FindOperatorByName(const std::string& user_name) = 0;
  // Ordered by user_name.
  virtual Result<std::vector<Operator>> ListOperators() = 0;
  virtual Status UpdateOperator(const Operator& op) = 0;  // by id; kNotFound if absent
  // Deletes the operator and every session of theirs, in one transaction.
  virtual Status DeleteOperator(const std::string& id) = 0;

  virtual Status CreateConsoleSession(const ConsoleSession& session) = 0;
  virtual Result<ConsoleSession> GetConsoleSession(const std::string& id) = 0;
  // Sets last_seen_at (only ever forward: an earlier time changes nothing). kNotFound if absent.
  virtual Status TouchConsoleSession(const std::string& id, int64_t last_seen_at) = 0;
  virtual Status DeleteConsoleSession(const std::string& id) = 0;  // kNotFound if absent
  // Deletes every session of `operator_id` but `keep_id` (may be empty); returns how many.
  virtual Result<int> DeleteOperatorSessions(const std::string& operator_id,
                                             const std::string& keep_id) = 0;
  // Deletes up to `limit` sessions with expires_at <= now or last_seen_at < idle_before;
  // returns how many.
  virtual Result<int> PurgeConsoleSessions(int64_t now, int64_t idle_before, int limit) = 0;
};

// Everything a node needs, from one backend.
class Store : public UserStore,
              public AppStore,
              public CertificateStore,
              public SigningKeyStore,
              public TrustTokenIssuerStore,
              public FederationTrustStore,
              public ReplayStore,
              public RevocationStore,
              public AuditStore,
              public ConsoleStore {
 public:
  // OK while the database answers (for /ready).
  virtual Status Ping() = 0;
};

}  // namespace tessera::store

#endif  // TESSERA_STORE_STORE_H_
