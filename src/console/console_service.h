// Console operators and sessions (contract section 9): the sign-in of the web console, with no
// transport in it (src/http/api/console_routes.cc maps it to the wire).
//
// Operators sign in with a user name and a password (Argon2id, oauth/secrets.h). A sign-in
// answers a fresh 256-bit session token, given once to the browser as a cookie; the store keeps
// only its SHA-256 (store::ConsoleSession), so sessions are valid on every node sharing the store
// and a copy of the database holds no usable cookie. A session ends at the first of: sign-out,
// `idle_timeout` seconds without a request, `session_lifetime` seconds after sign-in, the
// operator's deletion or deactivation, or a password change (the changing session excepted).
//
// Sign-in failures are one answer, kBadCredentials, for an unknown user name, a wrong password and
// an inactive operator; an unknown name costs the same Argon2id work as a known one (a dummy
// hash is checked), so neither the answer nor its time says whether the operator exists. Failed
// attempts are counted per user name and per address (token buckets, common/rate_limiter.h);
// once either is spent, every attempt for it is kThrottled until the bucket refills, whatever the
// password, so guessing is slowed for existing and unknown names alike.
//
// Example:
//   ConsoleService console(store, audit, clock, ConsoleOptions{});
//   TESSERA_RETURN_IF_ERROR(console.EnsureBootstrapOperator("root", password).status());
//   SignInResult r = console.SignIn("root", password, "192.0.2.7", ecid);
//   if (r.failure) ...;                       // the one refusal, mapped to HTTP in one place
//   Result<SessionInfo> who = console.Authenticate(r.token);  // on each later request
//
// Thread safety: every method may be called concurrently. Time comes from the Clock.
#ifndef TESSERA_CONSOLE_CONSOLE_SERVICE_H_
#define TESSERA_CONSOLE_CONSOLE_SERVICE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/rate_limiter.h"
#include "oauth/audit.h"
#include "store/store.h"
#include "tessera/clock.h"
#include "tessera/status.h"

namespace tessera::console {

// The one role an operator holds today: everything the admin API allows.
inline constexpr std::string_view kAdministratorRole = "administrator";
// Contract section 9: operator passwords are 12 characters or more.
inline constexpr std::size_t kMinPasswordLength = 12;
// Bounds on what a sign-in carries, so a huge field costs nothing.
inline constexpr std::size_t kMaxUserNameLength = 128;
inline constexpr std::size_t kMaxPasswordLength = 1024;

struct ConsoleOptions {
  int64_t idle_timeout = 1800;       // seconds without a request that end a session (30 min)
  int64_t session_lifetime = 43200;  // seconds after sign-in that end it whatever (12 h)
  // Failed sign-ins per user name: bursts of `user_failure_burst`, then one per
  // 1 / user_failure_rate seconds.
  double user_failure_rate = 1.0 / 30;
  double user_failure_burst = 5;
  // Failed sign-ins per address (many names tried from one place).
  double address_failure_rate = 1.0 / 3;
  double address_failure_burst = 20;
};

// Why a sign-in (or a password change) was refused. Mapped to HTTP in console_routes.cc only.
enum class SignInFailure {
  kBadCredentials,  // unknown user, wrong password or inactive operator: one answer for all
  kThrottled,       // too many failures for this user name or address: retry_after seconds
  kUnavailable,     // the store does not answer; nothing was decided
};

struct SignInResult {
  std::optional<SignInFailure> failure;  // empty on success
  int64_t retry_after = 0;               // kThrottled: seconds to wait
  std::string token;                     // the session token (cookie value); secret, never logged
  store::Operator op;                    // who signed in
  int64_t expires_at = 0;                // the session's absolute end
};

// A request's signed-in operator.
struct SessionInfo {
  store::Operator op;
  std::string session_id;  // the stored id (the token's hash), never the token
  int64_t expires_at = 0;  // absolute end
  int64_t idle_expires_at = 0;
};

enum class BootstrapOutcome { kCreated, kAlreadyPresent };

class ConsoleService {
 public:
  // `store`, `audit` and `clock` must outlive the service. Computes the dummy hash (one Argon2id).
  ConsoleService(store::Store& store, oauth::AuditLog& audit, const Clock& clock,
                 ConsoleOptions options);

  const ConsoleOptions& options() const { return options_; }

  // Signs `user_name` in from `address` (the peer address, for the throttle). See the file
  // comment for the refusals.
  SignInResult SignIn(std::string_view user_name, std::string_view password,
                      std::string_view address, std::string_view ecid);

  // The session `token` names, if it is live: refreshes its idle clock. kUnauthenticated when
  // there is no such session, or it has expired (it is deleted then), or its operator is gone or
  // inactive; kUnavailable when the store does not answer.
  Result<SessionInfo> Authenticate(std::string_view token);

  // Ends the session `token` names (server-side: the cookie stops working on every node).
  // Signing out of an unknown or ended session is OK (there is nothing left to end).
  Status SignOut(std::string_view token, std::string_view ecid);

  // The signed-in operator changes their own password: `current` must verify (a failure counts
  // against the user-name throttle and answers kUnauthenticated, or kResourceExhausted once
  // spent), `next` must be 12 to 1024 characters (kInvalidArgument). Every other session of the
  // operator ends; `session` stays.
  Status ChangeOwnPassword(const SessionInfo& session, std::string_view current,
                           std::string_view next, std::string_view ecid);

  // Administration (admin API, administrator only). `actor` names the caller in the audit trail.
  // Create: kInvalidArgument for a bad name (1-128 characters, no control characters, no
  // leading or trailing space) or password, kAlreadyExists for a taken name.
  Result<store::Operator> CreateOperator(std::string_view user_name, std::string_view password,
                                         const std::string& actor, std::string_view ecid);
  Result<std::vector<store::Operator>> ListOperators();
  Result<store::Operator> GetOperator(const std::string& id);
  // Deletes the operator and ends all their sessions. kNotFound if absent.
  Status DeleteOperator(const std::string& id, const std::string& actor, std::string_view ecid);
  // Sets a new password (no current one needed: an administrator resets it) and ends every
  // session of the operator.
  Status ResetPassword(const std::string& id, std::string_view password, const std::string& actor,
                       std::string_view ecid);

  // At start (TESSERA_CONSOLE_USER / TESSERA_CONSOLE_PASSWORD): creates that operator with the
  // administrator role if absent; an existing one is left as it is. kInvalidArgument for a
  // password under 12 characters or a bad name, with a message saying so.
  Result<BootstrapOutcome> EnsureBootstrapOperator(std::string_view user_name,
                                                   std::string_view password);

  // The stored session id of a token: base64url SHA-256.
  static std::string SessionId(std::string_view token);

 private:
  void Audit(const std::string& actor, std::string_view ecid, const std::string& action,
             const std::string& subject);
  Result<store::Operator> NewOperator(std::string_view user_name, std::string_view password);

  store::Store& store_;
  oauth::AuditLog& audit_;
  const Clock& clock_;
  const ConsoleOptions options_;
  const std::string dummy_hash_;  // checked for unknown names: the same work as a real check
  RateLimiter user_failures_;
  RateLimiter address_failures_;
};

// Checks a password an operator chose: 12 to 1024 characters (bytes of UTF-8).
Status CheckPassword(std::string_view password);

}  // namespace tessera::console

#endif  // TESSERA_CONSOLE_CONSOLE_SERVICE_H_
