// Maps (method, path) to a Handler.
//
// A pattern is an exact path ("/oauth2/v1/token") or '/'-separated segments where a whole
// segment "{name}" captures one non-empty segment ("/admin/v1/Users/{id}"). Matching compares
// the raw (not percent-decoded) path; captured values are percent-decoded into
// Request::params. A literal segment beats a placeholder at the same position, so
// "/admin/v1/Users/me" wins over "/admin/v1/Users/{id}" whatever the order of Add calls.
// A last segment "{*name}" captures the rest of the path: one or more segments, which may be
// empty ("/files/{*rest}" takes "/files/", "/files/a//b/" but not "/files"); its value is kept
// raw, since decoding would make an encoded '/' a separator. A route without it beats one with
// it, and of two with it the one with more segments before it wins.
//
// Example:
//   Router router;
//   router.Add("POST", "/oauth2/v1/token", TokenHandler, {.max_body_bytes = 256 * 1024});
//   router.Add("GET", "/admin/v1/Users/{id}", GetUser);
//   Server server(options, std::move(router));
//
// Invoke answers 404 (JSON {"error":"not_found",...}) when no route has the path, and 405
// with an "Allow" header listing the path's methods when the path exists for other methods.
//
// Thread safety: Add is not thread-safe and must finish before the router is shared (it is
// moved into the Server). Find and Invoke are const and safe to call concurrently.
#ifndef TESSERA_HTTP_ROUTER_H_
#define TESSERA_HTTP_ROUTER_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/request.h"

namespace tessera::http {

class Router {
 public:
  // The outcome of looking up a method and path.
  struct Match {
    enum class Kind { kFound, kNotFound, kMethodNotAllowed };
    Kind kind = Kind::kNotFound;
    // kFound: the route's pattern (for metrics and logs: bounded cardinality), options and
    // captured parameters. Otherwise pattern is empty and options are the defaults.
    std::string pattern;
    RouteOptions options;
    std::map<std::string, std::string> params;
    // kMethodNotAllowed: the path's methods, sorted, as "GET, POST".
    std::string allow;
    // kFound: the route's handler, owned by the Router (valid while the Router lives).
    const Handler* handler = nullptr;
  };

  // Adds a route. `method` is matched exactly ("GET"); `pattern` must start with '/'.
  // Throws std::invalid_argument for an empty method, a malformed pattern (not starting with
  // '/', a segment mixing '{' with other text, "{*name}" before the last segment) or a
  // (method, pattern) pair added before:
  // routes are wired once at start-up, where failing loudly is right.
  void Add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});

  // Looks up `method` and the raw `path`. Never throws.
  Match Find(std::string_view method, std::string_view path) const;

  // Runs `match` for `request`: for kFound moves the params into request.params and calls the
  // handler (whose exceptions propagate); otherwise builds the 404/405 answer.
  Response Invoke(Match match, Request& request) const;

  std::size_t size() const { return routes_.size(); }

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool is_param = false;
    bool is_rest = false;  // "{*name}": the rest of the path (also is_param)
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
    RouteOptions options;
    bool has_params = false;
    bool rest = false;  // the last segment is "{*name}"
  };
  // Whether `a` is more specific than `b`, two routes that both fit one path.
  static bool MoreSpecific(const Route& a, const Route& b);

  std::vector<Route> routes_;
  // Routes without placeholders, by exact path (indexes into routes_): one hash lookup for the
  // hot endpoints.
  std::unordered_map<std::string, std::vector<std::size_t>> exact_;
  // Routes with placeholders (indexes into routes_).
  std::vector<std::size_t> patterned_;
};

}  // namespace tessera::http

#endif  // TESSERA_HTTP_ROUTER_H_
