#include "http/router.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "http/form.h"

namespace tessera::http {
namespace {

// Splits "/a/b/c" into {"a","b","c"}; "/" is one empty segment. REQUIRES: path starts with '/'.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  path.remove_prefix(1);
  while (true) {
    std::size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

Response ErrorJson(int status, std::string_view error, std::string_view description,
                   const Request& request) {
  std::string body = "{\"error\":" + JsonQuote(error) +
                     ",\"error_description\":" + JsonQuote(description) +
                     ",\"ecid\":" + JsonQuote(request.ecid) + "}";
  return Response::Json(status, std::move(body));
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
  if (method.empty()) throw std::invalid_argument("route method is empty");
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  }
  if (!handler) throw std::invalid_argument("route handler is empty: " + pattern);
  Route route;
  for (std::string_view seg : SplitPath(pattern)) {
    Segment s;
    if (route.rest) throw std::invalid_argument("'{*...}' must be the last segment: " + pattern);
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      std::string_view name = seg.substr(1, seg.size() - 2);
      s.is_rest = route.rest = !name.empty() && name.front() == '*';
      if (s.is_rest) name.remove_prefix(1);
      s.text = std::string(name);
      s.is_param = true;
      if (s.text.empty() || s.text.find_first_of("{}") != std::string::npos) {
        throw std::invalid_argument("bad placeholder in route pattern: " + pattern);
      }
      route.has_params = true;
    } else {
      if (seg.find_first_of("{}") != std::string_view::npos) {
        throw std::invalid_argument("'{' or '}' inside a literal segment: " + pattern);
      }
      s.text = std::string(seg);
    }
    route.segments.push_back(std::move(s));
  }
  for (const Route& r : routes_) {
    if (r.method == method && r.pattern == pattern) {
      throw std::invalid_argument(
          std::string("route added twice: ").append(method).append(" ").append(pattern));
    }
  }
  route.method = std::move(method);
  route.pattern = std::move(pattern);
  route.handler = std::move(handler);
  route.options = options;
  std::size_t index = routes_.size();
  if (route.has_params) {
    patterned_.push_back(index);
  } else {
    exact_[route.pattern].push_back(index);
  }
  routes_.push_back(std::move(route));
}

bool Router::MoreSpecific(const Route& a, const Route& b) {
  if (a.rest != b.rest) return !a.rest;
  // The first segment where the two differ is literal in the more specific one.
  const std::size_t n = std::min(a.segments.size(), b.segments.size());
  for (std::size_t k = 0; k < n; ++k) {
    if (a.segments[k].is_param != b.segments[k].is_param) return !a.segments[k].is_param;
  }
  return a.segments.size() > b.segments.size();  // two "{*rest}": the longer prefix
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match match;
  std::set<std::string> allowed;  // methods of routes whose pattern fits the path
  const Route* best = nullptr;
  std::vector<std::string_view> best_values;

  if (auto it = exact_.find(std::string(path)); it != exact_.end()) {
    for (std::size_t i : it->second) {
      const Route& r = routes_[i];
      if (r.method == method) best = &r;
      allowed.insert(r.method);
    }
  }
  // An exact route is the most specific possible, so patterns matter only without one.
  if (best == nullptr && !patterned_.empty() && !path.empty() && path.front() == '/') {
    std::vector<std::string_view> segs = SplitPath(path);
    std::vector<std::string_view> values;
    for (std::size_t i : patterned_) {
      const Route& r = routes_[i];
      // The segments matched one by one; a "{*rest}" takes at least one more.
      const std::size_t fixed = r.rest ? r.segments.size() - 1 : r.segments.size();
      if (r.rest ? segs.size() <= fixed : segs.size() != fixed) continue;
      values.clear();
      bool fits = true;
      for (std::size_t k = 0; k < fixed && fits; ++k) {
        if (r.segments[k].is_param) {
          fits = !segs[k].empty();
          values.push_back(segs[k]);
        } else {
          fits = r.segments[k].text == segs[k];
        }
      }
      if (!fits) continue;
      if (r.rest)
        values.push_back(path.substr(static_cast<std::size_t>(segs[fixed].data() - path.data())));
      allowed.insert(r.method);
      if (r.method != method) continue;
      if (best == nullptr || MoreSpecific(r, *best)) {
        best = &r;
        best_values = values;
      }
    }
  }

  if (best != nullptr) {
    std::size_t v = 0;
    for (const Segment& s : best->segments) {
      if (!s.is_param) continue;
      if (s.is_rest) {
        match.params[s.text] = std::string(best_values[v++]);
        continue;
      }
      Result<std::string> decoded = PercentDecode(best_values[v++], /*plus_is_space=*/false);
      // A path parameter with a bad escape names nothing that can exist.
      if (!decoded.ok()) return Match{};
      match.params[s.text] = std::move(*decoded);
    }
    match.kind = Match::Kind::kFound;
    match.pattern = best->pattern;
    match.options = best->options;
    match.handler = &best->handler;
    return match;
  }
  if (!allowed.empty()) {
    match.kind = Match::Kind::kMethodNotAllowed;
    for (const std::string& m : allowed) {
      if (!match.allow.empty()) match.allow += ", ";
      match.allow += m;
    }
  }
  return match;
}

Response Router::Invoke(Match match, Request& request) const {
  switch (match.kind) {
    case Match::Kind::kFound:
      request.params = std::move(match.params);
      return (*match.handler)(request);
    case Match::Kind::kMethodNotAllowed: {
      Response r =
          ErrorJson(405, "method_not_allowed",
                    "method " + request.method.substr(0, 16) + " is not allowed here", request);
      r.headers.emplace_back("Allow", std::move(match.allow));
      return r;
    }
    case Match::Kind::kNotFound:
      return ErrorJson(404, "not_found", "no such endpoint", request);
  }
  return ErrorJson(404, "not_found", "no such endpoint", request);
}

}  // namespace tessera::http
