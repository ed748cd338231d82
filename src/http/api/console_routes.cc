// Console sign-in, sessions and operators (contract section 9): the wire side of
// console/console_service.h. SignInFailure becomes an HTTP answer here and nowhere else.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "common/log_value.h"
#include "console/console_service.h"
#include "console/static_assets.h"
#include "http/api/api.h"
#include "http/form.h"
#include "jose/claims.h"
#include "jose/json.h"

namespace tessera::http {
namespace {

using jose::Json;

constexpr std::size_t kLoginBodyLimit = 8 * 1024;
constexpr char kOperatorSchema[] = "urn:tessera:params:scim:schemas:core:2.0:Operator";
// RFC 6265bis 4.1.3.2: a __Host- cookie must be Secure, Path=/ and carry no Domain. HttpOnly
// keeps it from scripts; SameSite=Strict keeps browsers from sending it on any cross-site
// request, top-level navigations included.
constexpr char kCookieAttributes[] = "; HttpOnly; Secure; SameSite=Strict; Path=/";

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Contract section 9: every /console/ answer forbids framing, inline script and style, and
// sniffing. The page may fetch from its own origin only (connect-src: the admin API), show
// images of its own, and post forms nowhere else; a <base> cannot redirect its relative URLs.
Response& SecurityHeaders(Response& r) {
  r.AddHeader("Content-Security-Policy",
              "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
              "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
  r.AddHeader("X-Content-Type-Options", "nosniff");
  r.AddHeader("Referrer-Policy", "no-referrer");
  return r;
}

// The security headers, and never cached: every answer but the console's built files.
Response& ConsoleHeaders(Response& r) {
  SecurityHeaders(r);
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

Response ConsoleJson(int status, const Json& body) {
  Response r = Response::Json(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
  return ConsoleHeaders(r);
}

// The console's error body: {"error": code, "detail": text}.
Response ConsoleError(int status, std::string_view error, std::string_view detail) {
  return ConsoleJson(status, Json{{"error", error}, {"detail", detail}});
}

Response ConsoleErrorFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kUnauthenticated:
      return ConsoleError(401, "unauthenticated", s.message());
    case StatusCode::kPermissionDenied:
      return ConsoleError(403, "forbidden", s.message());
    case StatusCode::kInvalidArgument:
      return ConsoleError(400, "invalid_request", s.message());
    case StatusCode::kResourceExhausted:
      return ConsoleError(429, "too_many_attempts", s.message());
    case StatusCode::kNotFound:
      return ConsoleError(404, "not_found", s.message());
    case StatusCode::kUnavailable: {
      Response r = ConsoleError(503, "unavailable", "the store is unavailable; retry later");
      SetRetryAfter(r, kUnavailableRetrySeconds);
      return r;
    }
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return ConsoleError(409, "conflict", s.message());
    case StatusCode::kOk:
    case StatusCode::kInternal:
      break;
  }
  spdlog::error("console request failed: {}", LogValue(s.ToString()));
  return ConsoleError(500, "internal_error", "internal error");
}

bool IsJsonRequest(const Request& req) {
  std::optional<std::string_view> type = req.Header("content-type");
  return type && Lower(*type).rfind("application/json", 0) == 0;
}

bool WantsJson(const Request& req) {
  if (IsJsonRequest(req)) return true;
  std::optional<std::string_view> accept = req.Header("accept");
  return accept && Lower(*accept).find("application/json") != std::string::npos;
}

// An Origin, when sent, must be the server's own (contract section 9). Browsers send it on every
// POST, so a form posted from another site is refused here even before SameSite applies.
Status CheckOrigin(const ApiServices& s, const Request& req) {
  std::optional<std::string_view> origin = req.Header("origin");
  if (!origin) return Status::Ok();
  const std::string own = OriginOf(s.config.issuer);
  if (req.HeaderCount("origin") > 1 || own.empty() || Lower(*origin) != own) {
    return Status::PermissionDenied("the request's Origin is not this server's (" + own + ")");
  }
  return Status::Ok();
}

struct Credentials {
  std::string user_name;
  std::string password;
};

// username and password from a form (application/x-www-form-urlencoded) or a JSON object.
Result<Credentials> ReadCredentials(const Request& req) {
  Credentials c;
  if (IsJsonRequest(req)) {
    Result<Json> body = jose::ParseStrictJson(req.body, {kLoginBodyLimit, 4});
    if (!body.ok() || !body->is_object()) {
      return Status::InvalidArgument("the body must be a JSON object");
    }
    auto user = body->find("username");
    auto pass = body->find("password");
    if (user == body->end() || !user->is_string() || pass == body->end() || !pass->is_string()) {
      return Status::InvalidArgument("'username' and 'password' are required strings");
    }
    c.user_name = user->get<std::string>();
    c.password = pass->get<std::string>();
    return c;
  }
  Result<std::map<std::string, std::string>> form = ParseForm(req.body);
  if (!form.ok())
    return Status::InvalidArgument("the form is not valid: " + form.status().message());
  auto user = form->find("username");
  auto pass = form->find("password");
  if (user == form->end() || pass == form->end()) {
    return Status::InvalidArgument("the form fields 'username' and 'password' are required");
  }
  c.user_name = user->second;
  c.password = pass->second;
  return c;
}

Json SessionToJson(const console::SessionInfo& info) {
  return Json{{"id", info.op.id},
              {"userName", info.op.user_name},
              {"role", info.op.role},
              {"expiresAt", jose::FormatNumericDate(info.expires_at)},
              {"idleExpiresAt", jose::FormatNumericDate(info.idle_expires_at)}};
}

Json OperatorToJson(const store::Operator& op) {
  return Json{{"schemas", {kOperatorSchema}},
              {"id", op.id},
              {"userName", op.user_name},
              {"role", op.role},
              {"active", op.active},
              {"passwordChangedAt", jose::FormatNumericDate(op.password_changed_at)},
              {"meta",
               {{"resourceType", "Operator"},
                {"created", jose::FormatNumericDate(op.created_at)},
                {"lastModified", jose::FormatNumericDate(op.updated_at)},
                {"location", "/admin/v1/Operators/" + op.id}}}};
}

// POST /console/login.
Response Login(ApiServices& s, Request& req) {
  const bool json = IsJsonRequest(req);
  if (Status origin = CheckOrigin(s, req); !origin.ok()) return ConsoleErrorFor(origin);
  Result<Credentials> creds = ReadCredentials(req);
  if (!creds.ok()) return ConsoleErrorFor(creds.status());
  console::SignInResult r =
      s.console->SignIn(creds->user_name, creds->password, req.remote_address, req.ecid);
  if (r.failure) {
    // Exhaustive, without a default (-Wswitch).
    switch (*r.failure) {
      case console::SignInFailure::kBadCredentials:
        spdlog::warn("ecid={} console sign-in refused for {}", req.ecid,
                     LogValue(creds->user_name.substr(0, console::kMaxUserNameLength)));
        // Contract section 9: one answer, whether or not the user exists.
        return ConsoleError(401, "invalid_credentials",
                            "The user name or password is not correct.");
      case console::SignInFailure::kThrottled: {
        spdlog::warn("ecid={} console sign-in throttled from {}", req.ecid,
                     LogValue(req.remote_address));
        Response t = ConsoleError(429, "too_many_attempts",
                                  "Too many failed sign-ins; wait before trying again.");
        SetRetryAfter(t, r.retry_after);
        return t;
      }
      case console::SignInFailure::kUnavailable:
        return ConsoleErrorFor(Status::Unavailable("store"));
    }
  }
  spdlog::info("ecid={} console sign-in of {}", req.ecid, LogValue(r.op.user_name));
  const int64_t max_age = s.console->options().session_lifetime;
  Response answer;
  if (json) {
    answer = ConsoleJson(200, Json{{"userName", r.op.user_name},
                                   {"role", r.op.role},
                                   {"expiresAt", jose::FormatNumericDate(r.expires_at)}});
  } else {
    // RFC 9110 15.4.4: 303 turns the POST into a GET of the console.
    answer = Response::Text(303, "");
    answer.content_type.clear();
    answer.AddHeader("Location", "/console/");
    ConsoleHeaders(answer);
  }
  answer.AddHeader("Set-Cookie", std::string(kSessionCookie) + "=" + r.token + kCookieAttributes +
                                     "; Max-Age=" + std::to_string(max_age));
  return answer;
}

// POST /console/logout: ends the session on the server (every node), clears the cookie.
Response Logout(ApiServices& s, Request& req) {
  if (Status origin = CheckOrigin(s, req); !origin.ok()) return ConsoleErrorFor(origin);
  if (std::optional<std::string> token = RequestCookie(req, kSessionCookie)) {
    if (Status st = s.console->SignOut(*token, req.ecid); !st.ok()) return ConsoleErrorFor(st);
  }
  Response answer;
  if (WantsJson(req)) {
    answer = Response::Text(204, "");
    answer.content_type.clear();
  } else {
    answer = Response::Text(303, "");
    answer.content_type.clear();
    answer.AddHeader("Location", "/console/login");
  }
  ConsoleHeaders(answer);
  answer.AddHeader("Set-Cookie",
                   std::string(kSessionCookie) + "=" + kCookieAttributes + "; Max-Age=0");
  return answer;
}

// Every value of header `lower_name`, joined with "," (RFC 9110 5.3: the same list).
std::string JoinedHeader(const Request& req, std::string_view lower_name) {
  std::string out;
  for (const auto& [name, value] : req.headers) {
    if (name != lower_name) continue;
    if (!out.empty()) out += ',';
    out += value;
  }
  return out;
}

// GET and HEAD under /console/: the page for "/console/" and its deep links, a built file under
// /console/assets/, 404 for anything else.
Response ServeConsoleFile(const Request& req) {
  const console::ConsoleResolution target =
      console::ResolveConsolePath(console::EmbeddedAssets(), req.path);
  if (target.kind == console::ConsoleTarget::kNotFound) {
    return ConsoleError(404, "not_found", "There is no console page or file at this path.");
  }
  const console::Asset& file = *target.asset;
  // RFC 9110 12.5.3: gzip when the client takes it and it makes the file smaller; either way
  // the answer depends on Accept-Encoding, which caches must know (Vary).
  const bool gzip =
      !file.gzip.empty() && console::AcceptsGzip(JoinedHeader(req, "accept-encoding"));
  const std::string_view etag = gzip ? file.gzip_etag : file.etag;
  Response r;
  r.content_type = std::string(file.content_type);
  SecurityHeaders(r);
  // The page is revalidated on every load (its ETag makes that a 304), so a new build is seen
  // at once; a hashed file's bytes never change under its name, so it is kept for a year.
  r.AddHeader("Cache-Control", target.kind == console::ConsoleTarget::kAsset && file.immutable
                                   ? "public, max-age=31536000, immutable"
                                   : "no-cache");
  r.AddHeader("ETag", std::string(etag));
  if (!file.gzip.empty()) r.AddHeader("Vary", "Accept-Encoding");
  // RFC 9110 13.1.2 and 15.4.5: a cached copy (of either encoding) still current is a 304, with
  // the headers a 200 would carry and no content.
  const std::string if_none_match = JoinedHeader(req, "if-none-match");
  if (req.HeaderCount("if-none-match") > 0 &&
      (console::EtagListMatches(if_none_match, file.etag) ||
       console::EtagListMatches(if_none_match, file.gzip_etag))) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  if (gzip) r.AddHeader("Content-Encoding", "gzip");
  // For HEAD too: the server sends its length without the content (RFC 9110 9.3.2).
  r.body = std::string(gzip ? file.gzip : file.bytes);
  return r;
}

// A console API route: runs `call` for the signed-in operator, under the session rules.
template <typename Call>
Handler SessionRoute(ApiServices& s, Call call) {
  return [&s, call](Request& req) {
    Result<console::SessionInfo> session = AuthorizeConsoleSession(s, req);
    if (!session.ok()) return ConsoleErrorFor(session.status());
    return call(*session, req);
  };
}

}  // namespace

std::optional<std::string> RequestCookie(const Request& req, std::string_view name) {
  for (const auto& [header, value] : req.headers) {
    if (header != "cookie") continue;
    // RFC 6265 5.4: "name=value" pairs separated by "; ".
    std::string_view rest = value;
    while (!rest.empty()) {
      const std::size_t semi = rest.find(';');
      std::string_view pair = Trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      const std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      if (Trim(pair.substr(0, eq)) == name) return std::string(Trim(pair.substr(eq + 1)));
    }
  }
  return std::nullopt;
}

std::string OriginOf(std::string_view url) {
  const std::string lower = Lower(url);
  std::string scheme;
  if (lower.rfind("https://", 0) == 0) {
    scheme = "https";
  } else if (lower.rfind("http://", 0) == 0) {
    scheme = "http";
  } else {
    return "";
  }
  std::string_view rest = std::string_view(lower).substr(scheme.size() + 3);
  std::string authority(rest.substr(0, rest.find_first_of("/?#")));
  if (authority.empty() || authority.find('@') != std::string::npos) return "";
  // RFC 6454 6.1: the default port is not written.
  const std::string default_port = scheme == "https" ? ":443" : ":80";
  if (authority.size() > default_port.size() &&
      authority.compare(authority.size() - default_port.size(), default_port.size(),
                        default_port) == 0) {
    authority.resize(authority.size() - default_port.size());
  }
  return scheme + "://" + authority;
}

Result<console::SessionInfo> AuthorizeConsoleSession(ApiServices& s, const Request& req) {
  if (s.console == nullptr) return Status::Unauthenticated("the console is not enabled");
  std::optional<std::string> token = RequestCookie(req, kSessionCookie);
  if (!token) return Status::Unauthenticated("no console session");
  TESSERA_RETURN_IF_ERROR(CheckOrigin(s, req));
  if (req.method != "GET" && req.method != "HEAD") {
    std::optional<std::string_view> csrf = req.Header(kCsrfHeader);
    if (!csrf || *csrf != "1" || req.HeaderCount(kCsrfHeader) > 1) {
      return Status::PermissionDenied("a session request other than GET needs X-Tessera-CSRF: 1");
    }
  }
  return s.console->Authenticate(*token);
}

void RegisterConsoleFileRoutes(Router& router) {
  // One pattern for the whole tree: the exact routes (POST /console/login, /console/api/...)
  // are more specific and win; every other GET or HEAD under /console/ is decided here.
  for (const char* method : {"GET", "HEAD"}) {
    router.Add(method, "/console/{*path}", [](Request& req) { return ServeConsoleFile(req); });
  }
}

void RegisterConsoleRoutes(Router& router, ApiServices& s) {
  RegisterConsoleFileRoutes(router);
  if (s.console == nullptr) return;
  console::ConsoleService& c = *s.console;
  const RouteOptions small{kLoginBodyLimit};
  router.Add(
      "POST", "/console/login", [&s](Request& req) { return Login(s, req); }, small);
  router.Add(
      "POST", "/console/logout", [&s](Request& req) { return Logout(s, req); }, small);
  router.Add("GET", "/console/api/session",
             SessionRoute(s, [](const console::SessionInfo& info, Request&) {
               return ConsoleJson(200, SessionToJson(info));
             }));
  router.Add("POST", "/console/api/password",
             SessionRoute(
                 s,
                 [&c](const console::SessionInfo& info, Request& req) {
                   Result<Json> body = jose::ParseStrictJson(req.body, {kLoginBodyLimit, 4});
                   if (!body.ok() || !body->is_object()) {
                     return ConsoleError(400, "invalid_request", "the body must be a JSON object");
                   }
                   auto current = body->find("currentPassword");
                   auto next = body->find("newPassword");
                   if (current == body->end() || !current->is_string() || next == body->end() ||
                       !next->is_string()) {
                     return ConsoleError(400, "invalid_request",
                                         "'currentPassword' and 'newPassword' are required");
                   }
                   Status st = c.ChangeOwnPassword(info, current->get<std::string>(),
                                                   next->get<std::string>(), req.ecid);
                   if (!st.ok()) return ConsoleErrorFor(st);
                   Response r = Response::Text(204, "");
                   r.content_type.clear();
                   return ConsoleHeaders(r);
                 }),
             small);

  // The admin API's operators (administrators only, as every /admin/v1 route).
  router.Add("POST", "/admin/v1/Operators",
             AdminRoute(s, [&c](oauth::AdminService::Context& ctx, Request& req) {
               Result<Json> body = ReadJsonBody(req);
               if (!body.ok()) return ScimError(body.status());
               auto user = body->find("userName");
               auto pass = body->find("password");
               if (!body->is_object() || user == body->end() || !user->is_string() ||
                   pass == body->end() || !pass->is_string()) {
                 return ScimError(400, "'userName' and 'password' are required strings",
                                  "invalidValue");
               }
               Result<store::Operator> op = c.CreateOperator(
                   user->get<std::string>(), pass->get<std::string>(), ctx.actor, ctx.ecid);
               if (!op.ok()) return ScimError(op.status());
               return ScimJson(201, OperatorToJson(*op));
             }));
  router.Add("GET", "/admin/v1/Operators", AdminRoute(s, [&c](auto&, Request&) {
               Result<std::vector<store::Operator>> ops = c.ListOperators();
               if (!ops.ok()) return ScimError(ops.status());
               Json resources = Json::array();
               for (const store::Operator& op : *ops) resources.push_back(OperatorToJson(op));
               return ScimJson(200, Json{{"schemas",
                                          {"urn:ietf:params:scim:api:messages:2.0:"
                                           "ListResponse"}},
                                         {"totalResults", resources.size()},
                                         {"startIndex", 1},
                                         {"itemsPerPage", resources.size()},
                                         {"Resources", resources}});
             }));
  router.Add("GET", "/admin/v1/Operators/{id}", AdminRoute(s, [&c](auto&, Request& req) {
               Result<store::Operator> op = c.GetOperator(req.params["id"]);
               if (!op.ok()) return ScimError(op.status());
               return ScimJson(200, OperatorToJson(*op));
             }));
  router.Add("DELETE", "/admin/v1/Operators/{id}",
             AdminRoute(s, [&c](oauth::AdminService::Context& ctx, Request& req) {
               Status st = c.DeleteOperator(req.params["id"], ctx.actor, ctx.ecid);
               if (!st.ok()) return ScimError(st);
               Response r = Response::Text(204, "");
               r.content_type.clear();
               return r;
             }));
  // An administrator sets another operator's password (no current password: a reset); every
  // session of that operator ends.
  router.Add("PUT", "/admin/v1/OperatorPasswordChanger/{id}",
             AdminRoute(s, [&c](oauth::AdminService::Context& ctx, Request& req) {
               Result<Json> body = ReadJsonBody(req);
               if (!body.ok()) return ScimError(body.status());
               auto pass = body->find("password");
               if (!body->is_object() || pass == body->end() || !pass->is_string()) {
                 return ScimError(400, "'password' is a required string", "invalidValue");
               }
               Status st =
                   c.ResetPassword(req.params["id"], pass->get<std::string>(), ctx.actor, ctx.ecid);
               if (!st.ok()) return ScimError(st);
               Response r = Response::Text(204, "");
               r.content_type.clear();
               return r;
             }));
}

}  // namespace tessera::http
