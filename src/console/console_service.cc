#include "console/console_service.h"

#include <algorithm>
#include <utility>

#include "common/random.h"
#include "jose/base64url.h"
#include "jose/digest.h"
#include "oauth/secrets.h"

namespace tessera::console {
namespace {

// 256 random bits per session token (OWASP session management: at least 64 bits of entropy;
// 256 makes the stored SHA-256 as strong as the token).
constexpr std::size_t kTokenBytes = 32;
// A base64url token of kTokenBytes is 43 characters; anything much longer is not ours.
constexpr std::size_t kMaxTokenLength = 64;
// The idle clock is written at most this often per session (or a tenth of the idle timeout, when
// shorter): a page's burst of requests costs one store write, not one each. The idle timeout is
// then exact to within this many seconds.
constexpr int64_t kTouchEverySeconds = 5;

Status CheckUserName(std::string_view name) {
  if (name.empty() || name.size() > kMaxUserNameLength) {
    return Status::InvalidArgument("the user name must be 1 to 128 characters");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("the user name must not contain control characters");
    }
  }
  if (name.front() == ' ' || name.back() == ' ') {
    return Status::InvalidArgument("the user name must not begin or end with a space");
  }
  return Status::Ok();
}

}  // namespace

Status CheckPassword(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return Status::InvalidArgument("the password must be at least 12 characters long");
  }
  if (password.size() > kMaxPasswordLength) {
    return Status::InvalidArgument("the password must be at most 1024 characters long");
  }
  return Status::Ok();
}

ConsoleService::ConsoleService(store::Store& store, oauth::AuditLog& audit, const Clock& clock,
                               ConsoleOptions options)
    : store_(store),
      audit_(audit),
      clock_(clock),
      options_(options),
      dummy_hash_(oauth::HashChosenSecret(RandomToken(kTokenBytes))),
      user_failures_(clock, options.user_failure_rate, options.user_failure_burst),
      address_failures_(clock, options.address_failure_rate, options.address_failure_burst) {}

std::string ConsoleService::SessionId(std::string_view token) {
  return jose::Base64UrlEncode(jose::Sha256(token));
}

void ConsoleService::Audit(const std::string& actor, std::string_view ecid,
                           const std::string& action, const std::string& subject) {
  store::AuditEvent e;
  e.time = clock_.NowSeconds();
  e.ecid = std::string(ecid);
  e.client_id = actor;
  e.subject = subject.substr(0, 256);
  e.grant = "console";
  e.outcome = action;
  audit_.Record(std::move(e));
}

SignInResult ConsoleService::SignIn(std::string_view user_name, std::string_view password,
                                    std::string_view address, std::string_view ecid) {
  SignInResult result;
  const bool well_formed = CheckUserName(user_name).ok() && password.size() <= kMaxPasswordLength;
  const std::string user_key =
      "u:" + std::string(user_name.substr(0, std::min(user_name.size(), kMaxUserNameLength)));
  const std::string address_key = "a:" + std::string(address);
  // Throttled before any work: a spent budget is refused whatever the password, so an attacker
  // cannot tell a right guess from a wrong one while it lasts.
  const int64_t wait = std::max(user_failures_.Peek(user_key), address_failures_.Peek(address_key));
  if (wait > 0) {
    result.failure = SignInFailure::kThrottled;
    result.retry_after = wait;
    return result;
  }
  std::optional<store::Operator> found;
  if (well_formed) {
    Result<store::Operator> op = store_.FindOperatorByName(std::string(user_name));
    if (op.ok()) {
      found = std::move(op).value();
    } else if (op.status().code() != StatusCode::kNotFound) {
      result.failure = SignInFailure::kUnavailable;
      return result;
    }
  }
  // The same Argon2id work whether or not the name exists: the time says nothing either.
  const bool verified = oauth::VerifySecret(password.substr(0, kMaxPasswordLength),
                                            found ? found->password_hash : dummy_hash_);
  if (!found || !verified || !found->active) {
    (void)user_failures_.Allow(user_key);
    (void)address_failures_.Allow(address_key);
    Audit("console", ecid, "console.signin_failed",
          std::string(user_name.substr(0, std::min(user_name.size(), kMaxUserNameLength))));
    result.failure = SignInFailure::kBadCredentials;
    return result;
  }
  const int64_t now = clock_.NowSeconds();
  std::string token = RandomToken(kTokenBytes);
  store::ConsoleSession session{SessionId(token), found->id, now, now,
                                now + options_.session_lifetime};
  if (Status s = store_.CreateConsoleSession(session); !s.ok()) {
    result.failure = SignInFailure::kUnavailable;
    return result;
  }
  Audit("operator:" + found->user_name, ecid, "console.signin", found->user_name);
  result.token = std::move(token);
  result.expires_at = session.expires_at;
  result.op = std::move(*found);
  return result;
}

Result<SessionInfo> ConsoleService::Authenticate(std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenLength) {
    return Status::Unauthenticated("no console session");
  }
  const std::string id = SessionId(token);
  Result<store::ConsoleSession> session = store_.GetConsoleSession(id);
  if (!session.ok()) {
    if (session.status().code() == StatusCode::kNotFound) {
      return Status::Unauthenticated("the console session is unknown or has ended");
    }
    return Status::Unavailable("console session: " + session.status().message());
  }
  const int64_t now = clock_.NowSeconds();
  const int64_t idle_end = session->last_seen_at + options_.idle_timeout;
  if (now >= session->expires_at || now >= idle_end) {
    (void)store_.DeleteConsoleSession(id);  // the purger takes it otherwise
    return Status::Unauthenticated("the console session has expired");
  }
  Result<store::Operator> op = store_.GetOperator(session->operator_id);
  if (!op.ok()) {
    if (op.status().code() != StatusCode::kNotFound) {
      return Status::Unavailable("console operator: " + op.status().message());
    }
    return Status::Unauthenticated("the console session's operator no longer exists");
  }
  if (!op->active) return Status::Unauthenticated("the operator is not active");
  int64_t last_seen = session->last_seen_at;
  if (now - last_seen >= std::min(kTouchEverySeconds, options_.idle_timeout / 10)) {
    // A failed write only shortens this session's idle window: not a reason to refuse.
    if (store_.TouchConsoleSession(id, now).ok()) last_seen = now;
  }
  SessionInfo info;
  info.op = std::move(op).value();
  info.session_id = id;
  info.expires_at = session->expires_at;
  info.idle_expires_at = std::min(session->expires_at, last_seen + options_.idle_timeout);
  return info;
}

Status ConsoleService::SignOut(std::string_view token, std::string_view ecid) {
  if (token.empty() || token.size() > kMaxTokenLength) return Status::Ok();
  const std::string id = SessionId(token);
  Result<store::ConsoleSession> session = store_.GetConsoleSession(id);
  if (!session.ok()) {
    return session.status().code() == StatusCode::kNotFound ? Status::Ok() : session.status();
  }
  Status s = store_.DeleteConsoleSession(id);
  if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  Result<store::Operator> op = store_.GetOperator(session->operator_id);
  const std::string name = op.ok() ? op->user_name : session->operator_id;
  Audit("operator:" + name, ecid, "console.signout", name);
  return Status::Ok();
}

Status ConsoleService::ChangeOwnPassword(const SessionInfo& session, std::string_view current,
                                         std::string_view next, std::string_view ecid) {
  const std::string user_key = "u:" + session.op.user_name;
  if (const int64_t wait = user_failures_.Peek(user_key); wait > 0) {
    return Status::ResourceExhausted("too many failed attempts; retry in " + std::to_string(wait) +
                                     " s");
  }
  if (current.size() > kMaxPasswordLength ||
      !oauth::VerifySecret(current, session.op.password_hash)) {
    (void)user_failures_.Allow(user_key);
    return Status::Unauthenticated("the current password is not correct");
  }
  TESSERA_RETURN_IF_ERROR(CheckPassword(next));
  TESSERA_ASSIGN_OR_RETURN(store::Operator op, store_.GetOperator(session.op.id));
  const int64_t now = clock_.NowSeconds();
  op.password_hash = oauth::HashChosenSecret(next);
  op.updated_at = now;
  op.password_changed_at = now;
  TESSERA_RETURN_IF_ERROR(store_.UpdateOperator(op));
  TESSERA_RETURN_IF_ERROR(store_.DeleteOperatorSessions(op.id, session.session_id).status());
  Audit("operator:" + op.user_name, ecid, "operator.password", op.user_name);
  return Status::Ok();
}

Result<store::Operator> ConsoleService::NewOperator(std::string_view user_name,
                                                    std::string_view password) {
  TESSERA_RETURN_IF_ERROR(CheckUserName(user_name));
  TESSERA_RETURN_IF_ERROR(CheckPassword(password));
  const int64_t now = clock_.NowSeconds();
  store::Operator op;
  op.id = RandomUuid();
  op.user_name = std::string(user_name);
  op.password_hash = oauth::HashChosenSecret(password);
  op.role = std::string(kAdministratorRole);
  op.active = true;
  op.created_at = now;
  op.updated_at = now;
  op.password_changed_at = now;
  return op;
}

Result<store::Operator> ConsoleService::CreateOperator(std::string_view user_name,
                                                       std::string_view password,
                                                       const std::string& actor,
                                                       std::string_view ecid) {
  TESSERA_ASSIGN_OR_RETURN(store::Operator op, NewOperator(user_name, password));
  if (Status s = store_.CreateOperator(op); !s.ok()) {
    if (s.code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("an operator named " + op.user_name + " already exists");
    }
    return s;
  }
  Audit(actor, ecid, "operator.create", op.user_name);
  return op;
}

Result<std::vector<store::Operator>> ConsoleService::ListOperators() {
  return store_.ListOperators();
}

Result<store::Operator> ConsoleService::GetOperator(const std::string& id) {
  return store_.GetOperator(id);
}

Status ConsoleService::DeleteOperator(const std::string& id, const std::string& actor,
                                      std::string_view ecid) {
  TESSERA_ASSIGN_OR_RETURN(store::Operator op, store_.GetOperator(id));
  TESSERA_RETURN_IF_ERROR(store_.DeleteOperator(id));
  Audit(actor, ecid, "operator.delete", op.user_name);
  return Status::Ok();
}

Status ConsoleService::ResetPassword(const std::string& id, std::string_view password,
                                     const std::string& actor, std::string_view ecid) {
  TESSERA_RETURN_IF_ERROR(CheckPassword(password));
  TESSERA_ASSIGN_OR_RETURN(store::Operator op, store_.GetOperator(id));
  const int64_t now = clock_.NowSeconds();
  op.password_hash = oauth::HashChosenSecret(password);
  op.updated_at = now;
  op.password_changed_at = now;
  TESSERA_RETURN_IF_ERROR(store_.UpdateOperator(op));
  TESSERA_RETURN_IF_ERROR(store_.DeleteOperatorSessions(op.id, "").status());
  Audit(actor, ecid, "operator.password_reset", op.user_name);
  return Status::Ok();
}

Result<BootstrapOutcome> ConsoleService::EnsureBootstrapOperator(std::string_view user_name,
                                                                 std::string_view password) {
  if (Status s = CheckPassword(password); !s.ok()) {
    return Status::InvalidArgument("TESSERA_CONSOLE_PASSWORD: " + s.message());
  }
  if (Status s = CheckUserName(user_name); !s.ok()) {
    return Status::InvalidArgument("TESSERA_CONSOLE_USER: " + s.message());
  }
  Result<store::Operator> existing = store_.FindOperatorByName(std::string(user_name));
  if (existing.ok()) return BootstrapOutcome::kAlreadyPresent;
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  TESSERA_ASSIGN_OR_RETURN(store::Operator op, NewOperator(user_name, password));
  if (Status s = store_.CreateOperator(op); !s.ok()) {
    // Another node bootstrapping the same operator at the same time: it is there now.
    if (s.code() == StatusCode::kAlreadyExists) return BootstrapOutcome::kAlreadyPresent;
    return s;
  }
  Audit("bootstrap", "", "operator.create", op.user_name);
  return BootstrapOutcome::kCreated;
}

}  // namespace tessera::console
