#include "http/router.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace tessera::http {
namespace {

Handler Named(const std::string& name) {
  return [name](Request& r) {
    std::string body = name;
    for (const auto& [k, v] : r.params) body.append(" ").append(k).append("=").append(v);
    return Response::Text(200, body);
  };
}

Response Call(const Router& router, std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.ecid = "ecid-1";
  // As the server does: the match first (its pattern labels the metrics), then the call.
  Router::Match match = router.Find(r.method, r.path);
  return router.Invoke(std::move(match), r);
}

std::string HeaderOf(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

TEST(RouterTest, ExactAndPatternRoutes) {
  Router router;
  router.Add("POST", "/oauth2/v1/token", Named("token"), {.max_body_bytes = 1000});
  router.Add("GET", "/admin/v1/Users/{id}", Named("user"));
  router.Add("GET", "/admin/v1/Apps/{app}/certs/{alias}", Named("cert"));

  EXPECT_EQ(Call(router, "POST", "/oauth2/v1/token").body, "token");
  EXPECT_EQ(Call(router, "GET", "/admin/v1/Users/42").body, "user id=42");
  EXPECT_EQ(Call(router, "GET", "/admin/v1/Apps/a1/certs/assert").body, "cert alias=assert app=a1");

  Router::Match m = router.Find("POST", "/oauth2/v1/token");
  EXPECT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.pattern, "/oauth2/v1/token");
  EXPECT_EQ(m.options.max_body_bytes, 1000u);
  Router::Match p = router.Find("GET", "/admin/v1/Users/7");
  EXPECT_EQ(p.pattern, "/admin/v1/Users/{id}");
  EXPECT_EQ(p.options.max_body_bytes, RouteOptions{}.max_body_bytes);
}

TEST(RouterTest, ParamsArePercentDecodedPathsAreNot) {
  Router router;
  router.Add("GET", "/u/{id}", Named("u"));
  EXPECT_EQ(Call(router, "GET", "/u/a%2Fb+c").body, "u id=a/b+c");
  EXPECT_EQ(Call(router, "GET", "/u/%zz").status, 404);
  // A literal segment is compared raw: "%75" is not "u".
  EXPECT_EQ(Call(router, "GET", "/%75/x").status, 404);
}

TEST(RouterTest, PlaceholderNeedsOneNonEmptySegment) {
  Router router;
  router.Add("GET", "/admin/v1/Users/{id}", Named("user"));
  EXPECT_EQ(Call(router, "GET", "/admin/v1/Users/").status, 404);
  EXPECT_EQ(Call(router, "GET", "/admin/v1/Users").status, 404);
  EXPECT_EQ(Call(router, "GET", "/admin/v1/Users/1/x").status, 404);
}

TEST(RouterTest, LiteralBeatsPlaceholderWhateverTheOrder) {
  Router router;
  router.Add("GET", "/a/{x}/c", Named("param-first"));
  router.Add("GET", "/a/{x}/{y}", Named("two-params"));
  router.Add("GET", "/a/b/{y}", Named("literal-first"));
  EXPECT_EQ(Call(router, "GET", "/a/b/c").body, "literal-first y=c");
  EXPECT_EQ(Call(router, "GET", "/a/z/c").body, "param-first x=z");
  EXPECT_EQ(Call(router, "GET", "/a/z/q").body, "two-params x=z y=q");
  router.Add("GET", "/a/b/c", Named("exact"));
  EXPECT_EQ(Call(router, "GET", "/a/b/c").body, "exact");
}

TEST(RouterTest, RestTakesTheRawRemainderOfThePath) {
  Router router;
  router.Add("GET", "/files/{*rest}", Named("files"));
  EXPECT_EQ(Call(router, "GET", "/files/a").body, "files rest=a");
  EXPECT_EQ(Call(router, "GET", "/files/").body, "files rest=");
  EXPECT_EQ(Call(router, "GET", "/files/a//b%2Fc/").body, "files rest=a//b%2Fc/");
  EXPECT_EQ(Call(router, "GET", "/files").status, 404);
  EXPECT_EQ(Call(router, "GET", "/filesx/a").status, 404);
  EXPECT_EQ(Call(router, "POST", "/files/a").status, 405);
  std::string deep = "/files";
  for (int i = 0; i < 100; ++i) deep += "/s";
  EXPECT_EQ(Call(router, "GET", deep).status, 200);

  Router all;
  all.Add("GET", "/{*path}", Named("any"));
  EXPECT_EQ(Call(all, "GET", "/").body, "any path=");
  EXPECT_EQ(Call(all, "GET", "/a/b/").body, "any path=a/b/");
}

TEST(RouterTest, RestIsTheLeastSpecific) {
  Router router;
  router.Add("GET", "/{*path}", Named("any"));
  router.Add("GET", "/a/{*path}", Named("under-a"));
  router.Add("GET", "/a/{x}", Named("one"));
  router.Add("GET", "/a/b", Named("exact"));
  EXPECT_EQ(Call(router, "GET", "/a/b").body, "exact");
  EXPECT_EQ(Call(router, "GET", "/a/c").body, "one x=c");
  EXPECT_EQ(Call(router, "GET", "/a/c/d").body, "under-a path=c/d");
  EXPECT_EQ(Call(router, "GET", "/a/").body, "under-a path=");
  EXPECT_EQ(Call(router, "GET", "/b/c").body, "any path=b/c");
}

TEST(RouterTest, NotFoundIsJson) {
  Router router;
  router.Add("GET", "/health", Named("h"));
  Response r = Call(router, "GET", "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_NE(r.body.find("\"error\":\"not_found\""), std::string::npos);
  EXPECT_NE(r.body.find("\"ecid\":\"ecid-1\""), std::string::npos);
  EXPECT_EQ(router.Find("GET", "/nope").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(Call(router, "GET", "").status, 404);
  EXPECT_EQ(Call(router, "GET", "/health/").status, 404);  // no trailing-slash folding
}

TEST(RouterTest, MethodNotAllowedListsMethods) {
  Router router;
  router.Add("POST", "/admin/v1/Users", Named("create"));
  router.Add("GET", "/admin/v1/Users", Named("list"));
  router.Add("DELETE", "/admin/v1/Users/{id}", Named("delete"));
  router.Add("GET", "/admin/v1/Users/{id}", Named("get"));
  Response r = Call(router, "PUT", "/admin/v1/Users");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(HeaderOf(r, "Allow"), "GET, POST");
  EXPECT_NE(r.body.find("method_not_allowed"), std::string::npos);
  Response p = Call(router, "PATCH", "/admin/v1/Users/9");
  EXPECT_EQ(p.status, 405);
  EXPECT_EQ(HeaderOf(p, "Allow"), "DELETE, GET");
  EXPECT_EQ(Call(router, "get", "/admin/v1/Users").status, 405);  // methods are case-sensitive
}

TEST(RouterTest, MixedExactAndPatternAllow) {
  Router router;
  router.Add("GET", "/x/me", Named("me"));
  router.Add("DELETE", "/x/{id}", Named("del"));
  EXPECT_EQ(Call(router, "DELETE", "/x/me").body, "del id=me");
  Response r = Call(router, "POST", "/x/me");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(HeaderOf(r, "Allow"), "DELETE, GET");
}

TEST(RouterTest, BadPatternsAndDuplicatesThrow) {
  Router router;
  router.Add("GET", "/a/{id}", Named("a"));
  EXPECT_THROW(router.Add("GET", "/a/{id}", Named("again")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "no-slash", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/x{id}", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/{}", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/{*}", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/{*rest}/b", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("", "/b", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/b", Handler()), std::invalid_argument);
  EXPECT_NO_THROW(router.Add("POST", "/a/{id}", Named("post")));
  EXPECT_EQ(router.size(), 2u);
}

TEST(RequestTest, HeaderLookup) {
  Request r;
  r.headers = {{"authorization", "Basic x"}, {"x-a", "1"}, {"x-a", "2"}};
  EXPECT_EQ(r.Header("x-a"), "1");
  EXPECT_EQ(r.HeaderCount("x-a"), 2u);
  EXPECT_EQ(r.Header("missing"), std::nullopt);
  EXPECT_EQ(r.HeaderCount("missing"), 0u);
}

TEST(RequestTest, JsonQuoteEscapes) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

}  // namespace
}  // namespace tessera::http
