#include "console/static_assets.h"

#include <algorithm>
#include <cctype>

namespace tessera::console {
namespace {

constexpr std::string_view kAssetPrefix = "/console/assets/";
constexpr std::string_view kIndex = "index.html";

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in
// thousandths; -1 when malformed.
int ParseQValue(std::string_view q) {
  if (q.empty() || (q[0] != '0' && q[0] != '1')) return -1;
  const bool one = q[0] == '1';
  int value = one ? 1000 : 0;
  if (q.size() == 1) return value;
  if (q[1] != '.' || q.size() > 5) return -1;
  int scale = 100;
  for (char c : q.substr(2)) {
    if (c < '0' || c > '9' || (one && c != '0')) return -1;
    value += (c - '0') * scale;
    scale /= 10;
  }
  return value;
}

// The weight of one member "coding *( OWS ";" OWS param )", in thousandths; -1 when malformed.
int MemberWeight(std::string_view params) {
  int weight = 1000;
  while (!params.empty()) {
    const std::size_t semi = params.find(';');
    std::string_view param = TrimOws(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (param.empty()) continue;
    const std::size_t eq = param.find('=');
    if (eq == std::string_view::npos) return -1;
    if (IEquals(TrimOws(param.substr(0, eq)), "q")) {
      weight = ParseQValue(TrimOws(param.substr(eq + 1)));
      if (weight < 0) return -1;
    }
  }
  return weight;
}

}  // namespace

const Asset* FindAsset(std::span<const Asset> assets, std::string_view path) {
  auto it = std::lower_bound(assets.begin(), assets.end(), path,
                             [](const Asset& a, std::string_view p) { return a.path < p; });
  return it != assets.end() && it->path == path ? &*it : nullptr;
}

ConsoleResolution ResolveConsolePath(std::span<const Asset> assets, std::string_view path) {
  for (std::string_view link : kConsoleDeepLinks) {
    if (path == link) {
      const Asset* page = FindAsset(assets, kIndex);
      if (page == nullptr) return {};
      return {ConsoleTarget::kPage, page};
    }
  }
  if (path.size() > kAssetPrefix.size() && path.substr(0, kAssetPrefix.size()) == kAssetPrefix) {
    // The raw path is compared as is: an encoded or dotted name ("%2e%2e", "..") is no file.
    const Asset* asset = FindAsset(assets, path.substr(std::string_view("/console/").size()));
    if (asset != nullptr) return {ConsoleTarget::kAsset, asset};
  }
  return {};
}

bool AcceptsGzip(std::string_view accept_encoding) {
  // RFC 9110 12.5.3: a coding listed by name takes its own weight; "*" covers the ones not
  // listed. The highest weight of gzip's names wins when both "gzip" and "x-gzip" appear.
  int named = -1;
  int any = -1;
  std::string_view rest = accept_encoding;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view member = TrimOws(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (member.empty()) continue;
    const std::size_t semi = member.find(';');
    std::string_view coding = TrimOws(member.substr(0, semi));
    const int weight =
        MemberWeight(semi == std::string_view::npos ? std::string_view() : member.substr(semi + 1));
    if (IEquals(coding, "gzip") || IEquals(coding, "x-gzip")) {
      // A malformed weight for gzip counts as a refusal: identity is always safe to send.
      named = std::max(named, weight < 0 ? 0 : weight);
    } else if (coding == "*" && weight >= 0) {
      any = std::max(any, weight);
    }
  }
  if (named >= 0) return named > 0;
  return any > 0;
}

bool EtagListMatches(std::string_view if_none_match, std::string_view etag) {
  if (etag.empty()) return false;
  // RFC 9110 13.1.2: If-None-Match = "*" / #entity-tag.
  if (TrimOws(if_none_match) == "*") return true;
  std::string_view rest = if_none_match;
  while (!rest.empty()) {
    rest = TrimOws(rest);
    if (!rest.empty() && rest.front() == ',') {
      rest.remove_prefix(1);
      continue;
    }
    // entity-tag = [ "W/" ] opaque-tag; opaque-tag = DQUOTE *etagc DQUOTE (no DQUOTE inside,
    // so the tag ends at the next one).
    if (rest.substr(0, 2) == "W/") rest.remove_prefix(2);
    if (rest.empty() || rest.front() != '"') return false;
    const std::size_t close = rest.find('"', 1);
    if (close == std::string_view::npos) return false;
    std::string_view tag = rest.substr(0, close + 1);
    if (tag == etag) return true;
    rest.remove_prefix(close + 1);
    rest = TrimOws(rest);
    if (!rest.empty() && rest.front() != ',') return false;
  }
  return false;
}

}  // namespace tessera::console
