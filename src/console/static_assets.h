// The web console's built files, embedded in the executable (contract section 9), and the rules
// for answering a request for them: which path is which file, which encoding the client takes,
// and whether its cached copy is current. No HTTP types: http/api/console_routes.cc turns these
// into answers.
//
// Example:
//   ConsoleResolution r = ResolveConsolePath(EmbeddedAssets(), "/console/apps");
//   // r.kind == ConsoleTarget::kPage, r.asset->path == "index.html"
//   bool gz = AcceptsGzip("br, gzip;q=0.8");                     // true
//   bool fresh = EtagListMatches(R"(W/"abc", "def")", "\"abc\"");  // true (weak comparison)
//
// Thread safety: the assets are constants; every function is pure.
#ifndef TESSERA_CONSOLE_STATIC_ASSETS_H_
#define TESSERA_CONSOLE_STATIC_ASSETS_H_

#include <span>
#include <string_view>

namespace tessera::console {

// One built file of the console.
struct Asset {
  // Relative to the console's root: "index.html", "assets/index-BpjoWIEa.js".
  std::string_view path;
  // With "; charset=utf-8" for text.
  std::string_view content_type;
  std::string_view bytes;
  // The same bytes gzip-compressed; empty when compression does not make them smaller.
  std::string_view gzip;
  // Strong entity tags (RFC 9110 8.8.3), quoted: of `bytes`, and of `gzip` (empty without it).
  // Each representation has its own, as RFC 9110 8.8.3 requires of content codings.
  std::string_view etag;
  std::string_view gzip_etag;
  // A content-hashed name under assets/: its bytes never change, so it may be cached for a year.
  bool immutable = false;
};

// Every file of this build's console, sorted by path. Defined by the file the build generates
// (cmake/ConsoleAssets.cmake, library tessera_console_assets).
std::span<const Asset> EmbeddedAssets();

// The file at `path` ("assets/x.js"), or nullptr.
const Asset* FindAsset(std::span<const Asset> assets, std::string_view path);

enum class ConsoleTarget {
  kPage,      // the console's page (index.html): "/console/" or one of its deep links
  kAsset,     // a built file under /console/assets/
  kNotFound,  // anything else under /console/
};

struct ConsoleResolution {
  ConsoleTarget kind = ConsoleTarget::kNotFound;
  const Asset* asset = nullptr;  // set unless kNotFound
};

// The console's deep links (contract section 9), each answered with the page; "/console/login"
// is the sign-in page of the same application.
inline constexpr std::string_view kConsoleDeepLinks[] = {
    "/console/",      "/console/apps", "/console/certificates",
    "/console/users", "/console/keys", "/console/issuers",
    "/console/audit", "/console/lab",  "/console/login",
};

// What a GET of the raw request path `path` answers. A path that is neither a deep link nor an
// existing asset is kNotFound (so is every path when index.html is missing from `assets`).
ConsoleResolution ResolveConsolePath(std::span<const Asset> assets, std::string_view path);

// Whether a client sending `accept_encoding` (the Accept-Encoding field value, repeated fields
// joined with ",") takes gzip (RFC 9110 12.5.3): "gzip" or "x-gzip" with a q-value above 0, or
// "*" above 0 when gzip is not listed. "gzip;q=0" refuses it; an absent field (empty) or a
// malformed q-value does not accept it.
bool AcceptsGzip(std::string_view accept_encoding);

// Whether an If-None-Match field value (a list of entity tags, or "*") names `etag` (quoted),
// by the weak comparison RFC 9110 13.1.2 prescribes for If-None-Match: W/ is ignored. Malformed
// members match nothing.
bool EtagListMatches(std::string_view if_none_match, std::string_view etag);

}  // namespace tessera::console

#endif  // TESSERA_CONSOLE_STATIC_ASSETS_H_
