// Status and Result<T>: the one error type of Tessera.
//
// Every fallible function returns a Status (no value) or a Result<T> (a value or a Status).
// Both are [[nodiscard]]: an ignored error is a compile error under -Werror.
//
// A Status carries three things:
//   - a canonical code (what kind of failure; how a transport should answer),
//   - a message for people (logs, CLI stderr, error_description where the caller allows it),
//   - a domain reason: an integer that a domain (jose, oauth, store) sets from its own precise
//     enum, so a caller can map the exact rule that failed without parsing text. Each domain
//     documents its reason enum and gives a typed accessor (e.g. jose::JoseErrorOf(status)).
//     0 means "no domain reason".
//
// Example:
//   tessera::Result<int> ParsePort(std::string_view s);
//   TESSERA_ASSIGN_OR_RETURN(int port, ParsePort(text));
//   if (port == 0) return tessera::Status::InvalidArgument("port 0 is reserved");
//
// Thread safety: values; no shared state.
#ifndef TESSERA_STATUS_H_
#define TESSERA_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tessera {

// Canonical codes, modelled on absl::StatusCode. Pick the most specific one.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the input is malformed or breaks a rule, whatever the state
  kNotFound,            // a named thing does not exist
  kAlreadyExists,       // a create that collides with an existing thing
  kPermissionDenied,    // authenticated, but not allowed
  kUnauthenticated,     // credentials missing or wrong
  kFailedPrecondition,  // the state does not allow the operation (e.g. inactive app)
  kResourceExhausted,   // a size, count or rate limit was hit
  kUnavailable,         // a dependency (database, network) is down; retrying may help
  kInternal,            // a bug or an unexpected library failure
};

// Returns a stable lower_snake name for `code` ("invalid_argument").
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  // The OK status.
  Status() = default;
  Status(StatusCode code, std::string message, int reason = 0)
      : code_(code), reason_(reason), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg, int reason = 0) {
    return Status(StatusCode::kInvalidArgument, std::move(msg), reason);
  }
  static Status NotFound(std::string msg, int reason = 0) {
    return Status(StatusCode::kNotFound, std::move(msg), reason);
  }
  static Status AlreadyExists(std::string msg, int reason = 0) {
    return Status(StatusCode::kAlreadyExists, std::move(msg), reason);
  }
  static Status PermissionDenied(std::string msg, int reason = 0) {
    return Status(StatusCode::kPermissionDenied, std::move(msg), reason);
  }
  static Status Unauthenticated(std::string msg, int reason = 0) {
    return Status(StatusCode::kUnauthenticated, std::move(msg), reason);
  }
  static Status FailedPrecondition(std::string msg, int reason = 0) {
    return Status(StatusCode::kFailedPrecondition, std::move(msg), reason);
  }
  static Status ResourceExhausted(std::string msg, int reason = 0) {
    return Status(StatusCode::kResourceExhausted, std::move(msg), reason);
  }
  static Status Unavailable(std::string msg, int reason = 0) {
    return Status(StatusCode::kUnavailable, std::move(msg), reason);
  }
  static Status Internal(std::string msg, int reason = 0) {
    return Status(StatusCode::kInternal, std::move(msg), reason);
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  int reason() const { return reason_; }
  const std::string& message() const { return message_; }

  // "invalid_argument: <message>", or "ok".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>"; code and reason are kept.
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  int reason_ = 0;
  std::string message_;
};

// A value of type T, or a non-OK Status explaining why there is none.
// REQUIRES: a Result is never built from an OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(data_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(data_); }

  // The error; Status::Ok() when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> data_;
};

namespace internal {
inline Status AsStatus(const Status& s) { return s; }
template <typename T>
Status AsStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace tessera

#define TESSERA_CONCAT_INNER_(a, b) a##b
#define TESSERA_CONCAT_(a, b) TESSERA_CONCAT_INNER_(a, b)

// Returns the Status of `expr` (a Status or Result) from the enclosing function if it is not OK.
#define TESSERA_RETURN_IF_ERROR(expr)                                        \
  do {                                                                       \
    ::tessera::Status tessera_status_ = ::tessera::internal::AsStatus(expr); \
    if (!tessera_status_.ok()) return tessera_status_;                       \
  } while (0)
// Evaluates `rexpr` (a Result<T>); on error returns its Status, else moves the value into `lhs`.
// NOLINTBEGIN(bugprone-macro-parentheses): `lhs` may be a declaration, `tmp` is a name.
#define TESSERA_ASSIGN_OR_RETURN(lhs, rexpr) \
  TESSERA_ASSIGN_OR_RETURN_IMPL_(TESSERA_CONCAT_(tessera_result_, __LINE__), lhs, rexpr)
#define TESSERA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                   \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
#endif  // TESSERA_STATUS_H_
