#include "oauth/scopes.h"

#include <algorithm>
#include <charconv>

namespace tessera::oauth {
namespace {

constexpr std::size_t kMaxScopes = 64;

std::vector<std::string> SplitSpaces(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string JoinSpace(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

// The resource and scope value an fqs names, if any.
const ResourceView* Resolve(const std::string& fqs, const std::vector<ResourceView>& resources,
                            std::string* value) {
  for (const auto& r : resources) {
    if (r.audience.empty() || fqs.size() <= r.audience.size() ||
        fqs.compare(0, r.audience.size(), r.audience) != 0) {
      continue;
    }
    const std::string rest = fqs.substr(r.audience.size());
    if (std::find(r.scopes.begin(), r.scopes.end(), rest) != r.scopes.end()) {
      *value = rest;
      return &r;
    }
  }
  return nullptr;
}

Rejection Reject(Reason r, std::string detail) { return Rejection{r, std::move(detail), false}; }

}  // namespace

std::string GrantedScopes::ResponseScope() const {
  std::vector<std::string> all = fqs;
  if (admin) all.push_back(kScopeMyScopes);
  return JoinSpace(all);
}

std::string GrantedScopes::TokenScope() const {
  std::vector<std::string> all = values;
  if (admin) all.push_back(kScopeMyScopes);
  return JoinSpace(all);
}

ScopeResult ResolveScopes(const std::optional<std::string>& requested, const store::App& app,
                          const std::vector<ResourceView>& resources, const DomainConfig& config) {
  GrantedScopes g;
  std::optional<int64_t> expiry;
  std::vector<std::string> wanted;
  const std::vector<std::string> tokens =
      requested ? SplitSpaces(*requested) : std::vector<std::string>{};
  if (tokens.size() > kMaxScopes) return Reject(Reason::kScopeNotAllowed, "too many scope values");
  bool named_resource_scope = false;
  for (const auto& t : tokens) {
    if (t.rfind(kScopeExpiryPrefix, 0) == 0) {
      const std::string n = t.substr(sizeof(kScopeExpiryPrefix) - 1);
      int64_t v = 0;
      auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
      if (n.empty() || ec != std::errc() || p != n.data() + n.size() || v < kMinTokenLifetime ||
          v > kMaxTokenLifetime) {
        return Reject(
            Reason::kScopeExpiryInvalid,
            "scope " + t.substr(0, 64) + ": the expiry must be a whole number of seconds from " +
                std::to_string(kMinTokenLifetime) + " to " + std::to_string(kMaxTokenLifetime));
      }
      expiry = v;
    } else if (t == kScopeMyScopes) {
      if (!app.is_admin) {
        return Reject(Reason::kScopeAdminNotAllowed,
                      "scope " + std::string(kScopeMyScopes) +
                          " requested by an app without the administrator role");
      }
      g.admin = true;
    } else {
      named_resource_scope = true;
      if (std::find(wanted.begin(), wanted.end(), t) == wanted.end()) wanted.push_back(t);
    }
  }
  if (!requested || (!named_resource_scope && !g.admin)) {
    // No resource scope asked for: every allowed scope (contract section 4).
    for (const auto& fqs : app.allowed_scopes) {
      std::string value;
      const ResourceView* r = Resolve(fqs, resources, &value);
      if (r != nullptr && r->active) wanted.push_back(fqs);
    }
  }
  std::optional<int64_t> resource_cap;
  for (const auto& fqs : wanted) {
    const bool allowed = std::find(app.allowed_scopes.begin(), app.allowed_scopes.end(), fqs) !=
                         app.allowed_scopes.end();
    std::string value;
    const ResourceView* r = Resolve(fqs, resources, &value);
    if (!allowed) {
      std::string allowed_list = JoinSpace(app.allowed_scopes);
      std::string hint =
          r == nullptr ? " (it is not a fully qualified scope of any resource: the resource "
                         "audience followed by "
                         "the scope value, e.g. https://host:443urn:opc:resource:consumer::all)"
                       : "";
      return Reject(Reason::kScopeNotAllowed,
                    "scope " + fqs.substr(0, 256) +
                        " is not in the token issuance policy of client " + app.client_id + hint +
                        "; allowed: " + (allowed_list.empty() ? "(none)" : allowed_list));
    }
    if (r == nullptr) {
      return Reject(
          Reason::kScopeUnknown,
          "scope " + fqs.substr(0, 256) + " is allowed but no resource app defines it any more");
    }
    if (!r->active) {
      // Contract section 4: a deactivated resource app grants nothing until it is activated again.
      return Reject(Reason::kScopeResourceInactive,
                    "scope " + fqs.substr(0, 256) + " belongs to resource app '" +
                        r->display_name.substr(0, 128) + "', which is not active");
    }
    g.fqs.push_back(fqs);
    g.values.push_back(value);
    if (std::find(g.audiences.begin(), g.audiences.end(), r->audience) == g.audiences.end()) {
      g.audiences.push_back(r->audience);
    }
    if (r->access_token_expiry > 0)
      resource_cap =
          std::min(resource_cap.value_or(r->access_token_expiry), r->access_token_expiry);
  }
  // Contract section 4: the lifetime is the least of what the request (expiry=N), the resource
  // apps and the client app each set; N can shorten a lifetime, never lengthen it.
  std::optional<int64_t> lifetime = expiry;
  auto cap = [&lifetime](int64_t v) { lifetime = std::min(lifetime.value_or(v), v); };
  if (resource_cap) cap(*resource_cap);
  if (app.access_token_expiry > 0) cap(app.access_token_expiry);
  g.lifetime = lifetime.value_or(config.default_token_lifetime);
  return g;
}

}  // namespace tessera::oauth
