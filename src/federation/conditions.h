// Claim conditions and impersonation rules of a federation trust (contract section 10): the two
// small languages an administrator writes to say which outside tokens a trust accepts and which
// of them act as a service user.
//
// Claim paths. A claim is named by a dotted path into the (verified) claims object:
// "repository", "kubernetes.io.namespace", "https://example.com/roles". At each level the
// longest run of segments that names a member, joined by '.', is taken, so member names that
// themselves hold dots ("kubernetes.io", URL-named claims) need no quoting:
//   {"kubernetes.io":{"namespace":"ci"}}   "kubernetes.io.namespace" -> "ci"
// A path is 1..256 bytes of printable ASCII without spaces or '"', of at most 16 non-empty
// segments.
//
// Values. A condition or rule compares text: a string claim by its value, a boolean as "true" /
// "false", an integer by its decimal digits. An array matches when ANY of its elements (strings,
// booleans, integers) matches. Objects, null and non-integer numbers never match.
//
// Conditions ({"claim":..,"in":[..]} or {"claim":..,"like":"glob"}): "in" matches a value equal
// to one of the listed strings (exactly, case-sensitively); "like" matches the whole value
// against a glob where '*' is any run of characters (also none) and '?' exactly one byte; no
// other character is special. A trust's conditions must all hold.
//
// Impersonation rules: `claim eq "value"` clauses joined by `and` (the SCIM filter subset IDCS
// uses for impersonationServiceUsers), e.g.
//   sub eq "repo:acme/deploy:ref:refs/heads/main" and job_workflow_ref eq "acme/ci/.github/x.yml"
// `eq` and `and` are case-insensitive; the value is a double-quoted string in which a backslash
// escapes a quote or a backslash, and nothing else. A rule is at most 1024 bytes and 16 clauses;
// anything else is a parse error naming the position. A rule matches when every clause's claim has
// the value exactly.
//
// Thread safety: values and pure functions.
#ifndef TESSERA_FEDERATION_CONDITIONS_H_
#define TESSERA_FEDERATION_CONDITIONS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jose/json.h"
#include "tessera/status.h"

namespace tessera::federation {

inline constexpr std::size_t kMaxClaimPathBytes = 256;
inline constexpr std::size_t kMaxClaimPathSegments = 16;
inline constexpr std::size_t kMaxConditionValues = 64;
inline constexpr std::size_t kMaxConditionValueBytes = 1024;
inline constexpr std::size_t kMaxRuleBytes = 1024;
inline constexpr std::size_t kMaxRuleClauses = 16;

// Checks `path` against the claim-path syntax above. kInvalidArgument names the fault.
Status ValidateClaimPath(std::string_view path);

// The value at `path` in `claims` (an object), or nullptr when absent.
// REQUIRES: ValidateClaimPath(path).ok().
const jose::Json* FindClaim(const jose::Json& claims, std::string_view path);

// Whether `value` (a claim) matches by `pred` as described under "Values" above.
template <typename Pred>
bool AnyValueMatches(const jose::Json& value, Pred pred);

// The text a scalar claim compares as, or nullopt for a type that never matches.
std::optional<std::string> ClaimText(const jose::Json& value);

// Glob match of the whole `text` against `pattern` ('*' and '?'). Linear in
// pattern.size() * text.size() at worst, no recursion.
bool GlobMatch(std::string_view pattern, std::string_view text);

struct ClaimCondition {
  std::string claim = {};                // a claim path
  std::vector<std::string> in = {};      // set when the condition is an "in" list
  std::optional<std::string> like = {};  // set when the condition is a "like" glob

  friend bool operator==(const ClaimCondition&, const ClaimCondition&) = default;
};

// Exactly one of `in` (1..64 values of at most 1024 bytes) and `like` (1..1024 bytes), and a
// valid claim path. kInvalidArgument naming the field ("conditions[2].in: ...") via `where`.
Status ValidateCondition(const ClaimCondition& condition, std::string_view where = "condition");

enum class ConditionOutcome {
  kSatisfied,
  kClaimMissing,  // the claim is absent
  kNotSatisfied,  // present, but no value matches
};

// REQUIRES: ValidateCondition(condition).ok().
ConditionOutcome EvaluateCondition(const ClaimCondition& condition, const jose::Json& claims);

// One `claim eq "value"` of a rule.
struct RuleClause {
  std::string claim;  // a claim path
  std::string value;  // unescaped
};

// A parsed impersonation rule: all clauses must hold.
struct ImpersonationRule {
  std::vector<RuleClause> clauses;
};

// Parses `text` strictly. kInvalidArgument: "rule: <what> at byte <n>".
Result<ImpersonationRule> ParseImpersonationRule(std::string_view text);

// True when every clause's claim matches its value (exactly; arrays by any element).
bool RuleMatches(const ImpersonationRule& rule, const jose::Json& claims);

// --- implementation of the template above ---
template <typename Pred>
bool AnyValueMatches(const jose::Json& value, Pred pred) {
  if (value.is_array()) {
    for (const jose::Json& element : value) {
      if (element.is_array()) continue;  // one level: an array of scalars
      std::optional<std::string> text = ClaimText(element);
      if (text && pred(*text)) return true;
    }
    return false;
  }
  std::optional<std::string> text = ClaimText(value);
  return text && pred(*text);
}

}  // namespace tessera::federation

#endif  // TESSERA_FEDERATION_CONDITIONS_H_
