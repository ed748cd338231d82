#include "federation/conditions.h"

#include <cctype>

namespace tessera::federation {
namespace {

using jose::Json;

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    out.push_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// A cursor over a rule's text; errors name the byte where the parse stopped.
class RuleParser {
 public:
  explicit RuleParser(std::string_view text) : s_(text) {}

  Result<ImpersonationRule> Parse() {
    ImpersonationRule rule;
    SkipSpaces();
    if (AtEnd()) return Error("empty rule, expected claim eq \"value\"");
    while (true) {
      if (rule.clauses.size() == kMaxRuleClauses) {
        return Error("more than " + std::to_string(kMaxRuleClauses) + " clauses");
      }
      RuleClause clause;
      const std::size_t claim_at = pos_;
      std::string_view claim = Word();
      if (claim.empty()) return Error("expected a claim name");
      if (Status s = ValidateClaimPath(claim); !s.ok()) {
        return Status::InvalidArgument("rule: " + s.message() + " at byte " +
                                       std::to_string(claim_at));
      }
      clause.claim = std::string(claim);
      if (!SkipSpaces()) return Error("expected a space after the claim name");
      if (!EqualsNoCase(Word(), "eq")) return ErrorAt(claim_at, "expected 'eq' after the claim");
      if (!SkipSpaces()) return Error("expected a space after 'eq'");
      TESSERA_ASSIGN_OR_RETURN(clause.value, StringLiteral());
      rule.clauses.push_back(std::move(clause));
      const bool spaced = SkipSpaces();
      if (AtEnd()) return rule;
      const std::size_t and_at = pos_;
      if (!spaced || !EqualsNoCase(Word(), "and")) return ErrorAt(and_at, "expected 'and'");
      if (!SkipSpaces()) return Error("expected a space after 'and'");
    }
  }

 private:
  bool AtEnd() const { return pos_ >= s_.size(); }
  // Skips spaces and tabs; true if at least one was skipped.
  bool SkipSpaces() {
    const std::size_t start = pos_;
    while (!AtEnd() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
    return pos_ > start;
  }
  // A run of bytes up to a space, tab or quote.
  std::string_view Word() {
    const std::size_t start = pos_;
    while (!AtEnd() && s_[pos_] != ' ' && s_[pos_] != '\t' && s_[pos_] != '"') ++pos_;
    return s_.substr(start, pos_ - start);
  }
  Result<std::string> StringLiteral() {
    if (AtEnd() || s_[pos_] != '"') return Error("expected a double-quoted value");
    ++pos_;
    std::string out;
    while (!AtEnd()) {
      const char c = s_[pos_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (AtEnd() || (s_[pos_] != '"' && s_[pos_] != '\\')) {
          return ErrorAt(pos_ - 1, "only \\\" and \\\\ escapes are allowed");
        }
        out.push_back(s_[pos_++]);
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return ErrorAt(pos_ - 1, "control character in the value");
      }
      out.push_back(c);
    }
    return Error("unterminated value, expected a closing '\"'");
  }
  Status Error(const std::string& what) const { return ErrorAt(pos_, what); }
  Status ErrorAt(std::size_t at, const std::string& what) const {
    return Status::InvalidArgument("rule: " + what + " at byte " + std::to_string(at));
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

Status ValidateClaimPath(std::string_view path) {
  if (path.empty()) return Status::InvalidArgument("claim path is empty");
  if (path.size() > kMaxClaimPathBytes) {
    return Status::InvalidArgument("claim path is longer than " +
                                   std::to_string(kMaxClaimPathBytes) + " bytes");
  }
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"') {
      return Status::InvalidArgument("claim path must be printable ASCII without spaces or '\"'");
    }
  }
  const std::vector<std::string_view> segments = SplitPath(path);
  if (segments.size() > kMaxClaimPathSegments) {
    return Status::InvalidArgument("claim path has more than " +
                                   std::to_string(kMaxClaimPathSegments) + " segments");
  }
  for (std::string_view s : segments) {
    if (s.empty()) return Status::InvalidArgument("claim path has an empty segment");
  }
  return Status::Ok();
}

const Json* FindClaim(const Json& claims, std::string_view path) {
  const std::vector<std::string_view> segments = SplitPath(path);
  const Json* node = &claims;
  std::size_t i = 0;
  while (i < segments.size()) {
    if (!node->is_object()) return nullptr;
    // The longest run of segments naming a member wins: "kubernetes.io" before "kubernetes".
    const Json* next = nullptr;
    std::size_t taken = 0;
    for (std::size_t k = segments.size() - i; k >= 1 && next == nullptr; --k) {
      const char* begin = segments[i].data();
      const char* end = segments[i + k - 1].data() + segments[i + k - 1].size();
      auto it = node->find(std::string(begin, end));
      if (it != node->end()) {
        next = &*it;
        taken = k;
      }
    }
    if (next == nullptr) return nullptr;
    node = next;
    i += taken;
  }
  return node;
}

std::optional<std::string> ClaimText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return std::string(value.get<bool>() ? "true" : "false");
  if (value.is_number_integer()) return value.dump();  // int64 or uint64 digits
  return std::nullopt;
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative matching with one backtrack point (the last '*'): each '*' only ever moves
  // forward, so the work is bounded by pattern.size() * text.size().
  std::size_t p = 0, t = 0;
  std::size_t star = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_t = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Status ValidateCondition(const ClaimCondition& c, std::string_view where) {
  const std::string w(where);
  if (Status s = ValidateClaimPath(c.claim); !s.ok()) {
    return Status::InvalidArgument(w + ".claim: " + s.message());
  }
  if (c.like.has_value() == !c.in.empty()) {
    return Status::InvalidArgument(w + ": exactly one of \"in\" (a list of values) or \"like\" " +
                                   "(a glob with * and ?) is required");
  }
  if (c.like) {
    if (c.like->empty() || c.like->size() > kMaxConditionValueBytes) {
      return Status::InvalidArgument(w + ".like: 1 to " + std::to_string(kMaxConditionValueBytes) +
                                     " bytes");
    }
    return Status::Ok();
  }
  if (c.in.size() > kMaxConditionValues) {
    return Status::InvalidArgument(w + ".in: at most " + std::to_string(kMaxConditionValues) +
                                   " values");
  }
  for (const std::string& v : c.in) {
    if (v.size() > kMaxConditionValueBytes) {
      return Status::InvalidArgument(w + ".in: a value is longer than " +
                                     std::to_string(kMaxConditionValueBytes) + " bytes");
    }
  }
  return Status::Ok();
}

ConditionOutcome EvaluateCondition(const ClaimCondition& c, const Json& claims) {
  const Json* value = FindClaim(claims, c.claim);
  if (value == nullptr) return ConditionOutcome::kClaimMissing;
  const bool ok =
      c.like ? AnyValueMatches(*value,
                               [&c](const std::string& text) { return GlobMatch(*c.like, text); })
             : AnyValueMatches(*value, [&c](const std::string& text) {
                 for (const std::string& v : c.in) {
                   if (v == text) return true;
                 }
                 return false;
               });
  return ok ? ConditionOutcome::kSatisfied : ConditionOutcome::kNotSatisfied;
}

Result<ImpersonationRule> ParseImpersonationRule(std::string_view text) {
  if (text.size() > kMaxRuleBytes) {
    return Status::InvalidArgument("rule: longer than " + std::to_string(kMaxRuleBytes) + " bytes");
  }
  return RuleParser(text).Parse();
}

bool RuleMatches(const ImpersonationRule& rule, const Json& claims) {
  if (rule.clauses.empty()) return false;  // never built by the parser; never a blanket match
  for (const RuleClause& clause : rule.clauses) {
    const Json* value = FindClaim(claims, clause.claim);
    if (value == nullptr) return false;
    if (!AnyValueMatches(*value,
                         [&clause](const std::string& text) { return text == clause.value; })) {
      return false;
    }
  }
  return true;
}

}  // namespace tessera::federation
