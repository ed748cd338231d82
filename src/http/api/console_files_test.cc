// The console's page and built files (contract section 9) through the router, with the files
// this build embedded: which path answers what, caching, ETag and 304, gzip by Accept-Encoding,
// HEAD, and the security headers on every answer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "console/static_assets.h"
#include "http/api/api.h"
#include "http/router.h"

namespace tessera::http {
namespace {

class ConsoleFilesTest : public ::testing::Test {
 protected:
  void SetUp() override { RegisterConsoleFileRoutes(router_); }

  Response Call(std::string method, std::string path,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request req;
    req.method = std::move(method);
    req.path = path;
    req.target = std::move(path);
    req.headers = std::move(headers);
    return router_.Invoke(router_.Find(req.method, req.path), req);
  }

  // A hashed file of the build (the script bundle: the page cannot work without it).
  static const console::Asset& Script() {
    for (const console::Asset& a : console::EmbeddedAssets()) {
      if (a.path.starts_with("assets/") && a.path.ends_with(".js")) return a;
    }
    ADD_FAILURE() << "no script among the embedded files";
    static const console::Asset none;
    return none;
  }

  static const console::Asset& Index() {
    const console::Asset* index = console::FindAsset(console::EmbeddedAssets(), "index.html");
    EXPECT_NE(index, nullptr);
    static const console::Asset none;
    return index != nullptr ? *index : none;
  }

  Router router_;
};

std::vector<std::string> Values(const Response& r, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [n, v] : r.headers) {
    if (n == name) out.push_back(v);
  }
  return out;
}

std::string Header(const Response& r, std::string_view name) {
  std::vector<std::string> v = Values(r, name);
  EXPECT_LE(v.size(), 1u) << name;
  return v.empty() ? "" : v[0];
}

void ExpectSecurityHeaders(const Response& r) {
  const std::string csp = Header(r, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("style-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-"), std::string::npos) << csp;
  EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Header(r, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(Values(r, "Cache-Control").size(), 1u);
}

TEST_F(ConsoleFilesTest, TheBuildEmbedsAPageWithoutInlineScriptOrStyle) {
  const console::Asset& index = Index();
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_FALSE(index.immutable);
  const std::string html(index.bytes);
  EXPECT_NE(html.find("<script type=\"module\" crossorigin src=\"/console/assets/"),
            std::string::npos)
      << html;
  // Every <script> has a src (nothing inline), and there is no <style> or style attribute.
  for (std::size_t at = html.find("<script"); at != std::string::npos;
       at = html.find("<script", at + 1)) {
    EXPECT_NE(html.substr(at, html.find('>', at) - at).find(" src="), std::string::npos) << html;
  }
  EXPECT_EQ(html.find("<style"), std::string::npos);
  EXPECT_EQ(html.find("style="), std::string::npos);
  EXPECT_TRUE(Script().immutable);
  EXPECT_EQ(Script().content_type, "text/javascript; charset=utf-8");
}

TEST_F(ConsoleFilesTest, DeepLinksAnswerThePageNotCached) {
  for (std::string_view link : console::kConsoleDeepLinks) {
    Response r = Call("GET", std::string(link));
    EXPECT_EQ(r.status, 200) << link;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8") << link;
    EXPECT_EQ(r.body, Index().bytes) << link;
    EXPECT_EQ(Header(r, "Cache-Control"), "no-cache") << link;
    EXPECT_EQ(Header(r, "ETag"), Index().etag) << link;
    ExpectSecurityHeaders(r);
  }
}

TEST_F(ConsoleFilesTest, HashedAssetsAreImmutable) {
  const console::Asset& js = Script();
  Response r = Call("GET", "/console/" + std::string(js.path));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(r.body, js.bytes);
  EXPECT_EQ(Header(r, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(Header(r, "ETag"), js.etag);
  EXPECT_EQ(Header(r, "ETag").front(), '"');  // strong
  EXPECT_TRUE(Values(r, "Content-Encoding").empty());
  ExpectSecurityHeaders(r);
}

TEST_F(ConsoleFilesTest, AnythingElseUnderConsoleIs404WithTheHeaders) {
  for (std::string path :
       {"/console/assets/missing-00000000.js", "/console/nowhere", "/console/apps/1",
        "/console/index.html", "/console/assets/", "/console/logout", "/console/api/nothing"}) {
    Response r = Call("GET", path);
    EXPECT_EQ(r.status, 404) << path;
    ExpectSecurityHeaders(r);
    EXPECT_EQ(Header(r, "Cache-Control"), "no-store") << path;
    EXPECT_TRUE(Values(r, "ETag").empty()) << path;
    Response head = Call("HEAD", path);
    EXPECT_EQ(head.status, 404) << path;
  }
}

TEST_F(ConsoleFilesTest, IfNoneMatchAnswers304WithoutABody) {
  const console::Asset& js = Script();
  const std::string path = "/console/" + std::string(js.path);
  for (std::string inm : {std::string(js.etag), "W/" + std::string(js.etag),
                          "\"other\", " + std::string(js.etag), std::string("*")}) {
    Response r = Call("GET", path, {{"if-none-match", inm}});
    EXPECT_EQ(r.status, 304) << inm;
    EXPECT_TRUE(r.body.empty());
    EXPECT_TRUE(r.content_type.empty());
    EXPECT_EQ(Header(r, "ETag"), js.etag);
    EXPECT_EQ(Header(r, "Cache-Control"), "public, max-age=31536000, immutable");
    ExpectSecurityHeaders(r);
  }
  Response page = Call("GET", "/console/users", {{"if-none-match", std::string(Index().etag)}});
  EXPECT_EQ(page.status, 304);
  EXPECT_EQ(Header(page, "Cache-Control"), "no-cache");
  ExpectSecurityHeaders(page);
  // Another tag, or a malformed one: the whole file.
  for (std::string inm : {std::string("\"0123\""), std::string(js.etag.substr(1))}) {
    Response r = Call("GET", path, {{"if-none-match", inm}});
    EXPECT_EQ(r.status, 200) << inm;
    EXPECT_EQ(r.body, js.bytes);
  }
  // The gzip representation's tag is as current as the identity one's.
  if (!js.gzip.empty()) {
    Response r = Call("GET", path, {{"if-none-match", std::string(js.gzip_etag)}});
    EXPECT_EQ(r.status, 304);
  }
}

TEST_F(ConsoleFilesTest, GzipWhenAcceptedOnly) {
  const console::Asset& js = Script();
  ASSERT_FALSE(js.gzip.empty()) << "the script compresses";
  ASSERT_LT(js.gzip.size(), js.bytes.size());
  const std::string path = "/console/" + std::string(js.path);
  Response gz = Call("GET", path, {{"accept-encoding", "br;q=1, gzip;q=0.5"}});
  EXPECT_EQ(gz.status, 200);
  EXPECT_EQ(Header(gz, "Content-Encoding"), "gzip");
  EXPECT_EQ(Header(gz, "Vary"), "Accept-Encoding");
  EXPECT_EQ(gz.body, js.gzip);
  EXPECT_EQ(Header(gz, "ETag"), js.gzip_etag);
  EXPECT_NE(js.gzip_etag, js.etag);
  EXPECT_EQ(gz.body.substr(0, 2), "\x1f\x8b");

  for (const std::vector<std::pair<std::string, std::string>>& h :
       {std::vector<std::pair<std::string, std::string>>{},
        {{"accept-encoding", "gzip;q=0"}},
        {{"accept-encoding", "br, identity"}},
        {{"accept-encoding", "*;q=0"}}}) {
    Response plain = Call("GET", path, h);
    EXPECT_EQ(plain.status, 200);
    EXPECT_TRUE(Values(plain, "Content-Encoding").empty());
    EXPECT_EQ(Header(plain, "Vary"), "Accept-Encoding");
    EXPECT_EQ(plain.body, js.bytes);
    EXPECT_EQ(Header(plain, "ETag"), js.etag);
  }
  // Repeated fields form one list (RFC 9110 5.3).
  Response two = Call("GET", path, {{"accept-encoding", "br"}, {"accept-encoding", "gzip"}});
  EXPECT_EQ(Header(two, "Content-Encoding"), "gzip");
}

// Every embedded file: gzip only where it is smaller, and then always with Vary; hashed names
// immutable, and nothing else.
TEST_F(ConsoleFilesTest, EveryFileByItsOwnRules) {
  ASSERT_FALSE(console::EmbeddedAssets().empty());
  for (const console::Asset& file : console::EmbeddedAssets()) {
    if (file.path == "index.html") continue;  // the page: by its deep links (above)
    const std::string path = "/console/" + std::string(file.path);
    EXPECT_TRUE(file.path.starts_with("assets/")) << path;
    EXPECT_TRUE(file.immutable) << path;
    EXPECT_TRUE(file.gzip.empty() || file.gzip.size() < file.bytes.size()) << path;
    Response r = Call("GET", path, {{"accept-encoding", "gzip"}});
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.content_type, file.content_type) << path;
    EXPECT_EQ(Header(r, "Cache-Control"), "public, max-age=31536000, immutable") << path;
    if (file.gzip.empty()) {
      EXPECT_TRUE(Values(r, "Content-Encoding").empty()) << path;
      EXPECT_TRUE(Values(r, "Vary").empty()) << path;
      EXPECT_EQ(r.body, file.bytes) << path;
    } else {
      EXPECT_EQ(Header(r, "Content-Encoding"), "gzip") << path;
      EXPECT_EQ(Header(r, "Vary"), "Accept-Encoding") << path;
      EXPECT_EQ(r.body, file.gzip) << path;
    }
    ExpectSecurityHeaders(r);
  }
}

// HEAD is answered as GET is; the server sends the header fields and the length only (its own
// test: http/server_test.cc).
TEST_F(ConsoleFilesTest, HeadIsAnsweredAsGet) {
  for (const std::string& path :
       {std::string("/console/"), "/console/" + std::string(Script().path)}) {
    for (const char* encoding : {"gzip", "identity"}) {
      Response get = Call("GET", path, {{"accept-encoding", encoding}});
      Response head = Call("HEAD", path, {{"accept-encoding", encoding}});
      EXPECT_EQ(head.status, 200) << path;
      EXPECT_EQ(head.content_type, get.content_type) << path;
      EXPECT_EQ(head.headers, get.headers) << path;
      EXPECT_EQ(head.body.size(), get.body.size()) << path;
      ExpectSecurityHeaders(head);
    }
  }
}

TEST_F(ConsoleFilesTest, OtherMethodsAreNotAllowed) {
  Response r = Call("POST", "/console/apps");
  EXPECT_EQ(r.status, 405);
}

}  // namespace
}  // namespace tessera::http
