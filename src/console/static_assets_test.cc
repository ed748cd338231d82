#include "console/static_assets.h"

#include <gtest/gtest.h>

#include <array>

namespace tessera::console {
namespace {

// Sorted by path, as the generated table is.
constexpr std::array<Asset, 3> kFixture = {{
    {"assets/app-0123abcd.js", "text/javascript; charset=utf-8", "js", "gz", "\"j\"", "\"j-gzip\"",
     true},
    {"assets/logo-0123abcd.png", "image/png", "png", "", "\"p\"", "", true},
    {"index.html", "text/html; charset=utf-8", "<html>", "", "\"i\"", "", false},
}};

TEST(ConsoleAssetsTest, DeepLinksAnswerThePage) {
  for (std::string_view link : kConsoleDeepLinks) {
    ConsoleResolution r = ResolveConsolePath(kFixture, link);
    EXPECT_EQ(r.kind, ConsoleTarget::kPage) << link;
    ASSERT_NE(r.asset, nullptr) << link;
    EXPECT_EQ(r.asset->path, "index.html");
  }
}

TEST(ConsoleAssetsTest, AssetsByNameAndEverythingElseNotFound) {
  ConsoleResolution r = ResolveConsolePath(kFixture, "/console/assets/app-0123abcd.js");
  EXPECT_EQ(r.kind, ConsoleTarget::kAsset);
  ASSERT_NE(r.asset, nullptr);
  EXPECT_EQ(r.asset->bytes, "js");
  for (std::string_view path :
       {"/console/assets/missing-0123abcd.js", "/console/assets/", "/console/index.html",
        "/console/apps/", "/console/apps/x", "/console/assets/../index.html",
        "/console/assets/%2e%2e/index.html", "/console/api/other", "/console/Apps", "/console"}) {
    ConsoleResolution miss = ResolveConsolePath(kFixture, path);
    EXPECT_EQ(miss.kind, ConsoleTarget::kNotFound) << path;
    EXPECT_EQ(miss.asset, nullptr) << path;
  }
}

TEST(ConsoleAssetsTest, NoPageWithoutIndex) {
  std::span<const Asset> without_index(kFixture.data(), 2);
  EXPECT_EQ(ResolveConsolePath(without_index, "/console/").kind, ConsoleTarget::kNotFound);
}

TEST(ConsoleAssetsTest, FindAssetExactOnly) {
  EXPECT_NE(FindAsset(kFixture, "index.html"), nullptr);
  EXPECT_EQ(FindAsset(kFixture, "index.htm"), nullptr);
  EXPECT_EQ(FindAsset(kFixture, ""), nullptr);
  EXPECT_EQ(FindAsset({}, "index.html"), nullptr);
}

TEST(ConsoleAssetsTest, AcceptEncodingWithQValues) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("GZip"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br, zstd"));
  EXPECT_TRUE(AcceptsGzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));
  EXPECT_TRUE(AcceptsGzip("x-gzip"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("gzip ; q=0.001"));
  EXPECT_TRUE(AcceptsGzip("identity, gzip;Q=1"));
  // Refusals: q=0 in every spelling, "*" refused, nothing said, only other codings.
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0.000"));
  EXPECT_FALSE(AcceptsGzip("gzip; q=0.0, *"));
  EXPECT_FALSE(AcceptsGzip("*;q=0"));
  EXPECT_FALSE(AcceptsGzip("br, identity"));
  EXPECT_FALSE(AcceptsGzip("gzipper"));
  EXPECT_FALSE(AcceptsGzip("identity;q=1, *;q=0"));
  // A listed gzip wins over "*".
  EXPECT_FALSE(AcceptsGzip("*, gzip;q=0"));
  EXPECT_TRUE(AcceptsGzip("*;q=0, gzip"));
  // Malformed weights: not accepted.
  EXPECT_FALSE(AcceptsGzip("gzip;q=2"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=1.5"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0.5555"));
  EXPECT_FALSE(AcceptsGzip("gzip;q="));
  EXPECT_FALSE(AcceptsGzip("gzip;q"));
  EXPECT_FALSE(AcceptsGzip("*;q=abc"));
}

TEST(ConsoleAssetsTest, IfNoneMatchWeakComparison) {
  EXPECT_TRUE(EtagListMatches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(EtagListMatches("W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(EtagListMatches("\"x\", W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(EtagListMatches("\"x\" ,\t\"abc\" ", "\"abc\""));
  EXPECT_TRUE(EtagListMatches("*", "\"abc\""));
  EXPECT_TRUE(EtagListMatches(" , \"abc\"", "\"abc\""));
  EXPECT_FALSE(EtagListMatches("\"abcd\"", "\"abc\""));
  EXPECT_FALSE(EtagListMatches("\"ab\"", "\"abc\""));
  EXPECT_FALSE(EtagListMatches("abc", "\"abc\""));
  EXPECT_FALSE(EtagListMatches("", "\"abc\""));
  EXPECT_FALSE(EtagListMatches("w/\"abc\"", "\"abc\""));
  EXPECT_FALSE(EtagListMatches("\"abc", "\"abc\""));
  EXPECT_FALSE(EtagListMatches("\"x\" \"abc\"", "\"abc\""));
  EXPECT_FALSE(EtagListMatches("*", ""));
}

}  // namespace
}  // namespace tessera::console
