// The HTTP request as the server takes it in: Beast's request parser with the server's limits
// (16 KiB of header, the body limit set once the route is known), the transfer-encoding rule,
// the split of the target at '?', the router's match on the raw path (placeholders captured
// and percent-decoded) and the lower-cased header list handlers read (http/server.cc Serve).
//
// Invariants checked beyond the sanitizers:
//   - Router::Find never throws; a match is one of the routes below, with every placeholder
//     captured, non-empty and free of '/'; kMethodNotAllowed lists at least one method and
//     never the one asked for;
//   - a request with a Transfer-Encoding that is not chunked is refused before the router;
//   - Request::Header and HeaderCount agree with the lower-cased header list.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "http/request.h"
#include "http/router.h"

namespace tessera::fuzz {
namespace {

namespace bhttp = boost::beast::http;

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;  // ServerOptions::max_header_bytes
constexpr std::size_t kBodyLimit = 64 * 1024;       // the token endpoint's

const http::Router& Routes() {
  static const http::Router* const router = [] {
    auto* r = new http::Router();
    const http::Handler none = [](http::Request&) { return http::Response::Json(200, "{}"); };
    for (const char* path : {"/oauth2/v1/token", "/oauth2/v1/introspect", "/oauth2/v1/revoke",
                             "/oauth2/v1/tokeninfo", "/admin/v1/Users", "/admin/v1/Apps",
                             "/admin/v1/SigningCert/jwk", "/.well-known/openid-configuration"}) {
      r->Add("POST", path, none);
    }
    r->Add("GET", "/oauth2/v1/tokeninfo", none);
    r->Add("GET", "/admin/v1/Users/{id}", none);
    r->Add("GET", "/admin/v1/Users/me", none);
    r->Add("PATCH", "/admin/v1/Users/{id}", none);
    r->Add("DELETE", "/admin/v1/Apps/{id}", none);
    r->Add("PUT", "/admin/v1/AppStatusChanger/{id}", none);
    r->Add("GET", "/admin/v1/TrustTokenIssuers/{issuer}/keys/{kid}", none);
    return r;
  }();
  return *router;
}

void CheckMatch(std::string_view method, std::string_view path) {
  const http::Router::Match m = Routes().Find(method, path);
  switch (m.kind) {
    case http::Router::Match::Kind::kFound:
      TESSERA_FUZZ_CHECK(m.handler != nullptr && !m.pattern.empty(), std::string(path));
      for (const auto& [name, value] : m.params) {
        TESSERA_FUZZ_CHECK(m.pattern.find("{" + name + "}") != std::string::npos, m.pattern);
        TESSERA_FUZZ_CHECK(!value.empty(), std::string(path));
      }
      TESSERA_FUZZ_CHECK(m.pattern.find('{') == std::string::npos || !m.params.empty(), m.pattern);
      break;
    case http::Router::Match::Kind::kMethodNotAllowed:
      TESSERA_FUZZ_CHECK(!m.allow.empty(), std::string(path));
      TESSERA_FUZZ_CHECK(
          (", " + m.allow + ",").find(", " + std::string(method) + ",") == std::string::npos,
          m.allow);
      break;
    case http::Router::Match::Kind::kNotFound:
      TESSERA_FUZZ_CHECK(m.pattern.empty() && m.handler == nullptr, m.pattern);
      break;
  }
}

void CheckRequest(std::string_view bytes) {
  bhttp::request_parser<bhttp::string_body> parser;
  // The header alone first, as async_read_header does: an eager parser would go on to size the
  // body from Content-Length before the limit below is set.
  parser.eager(false);
  parser.header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
  parser.body_limit(boost::none);
  boost::beast::error_code ec;
  std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec || !parser.is_header_done()) return;
  const auto& header = parser.get();
  const std::string method(header.method_string());
  const std::string target(header.target());
  // RFC 9112 6.1, as the server applies it.
  if (header.count(bhttp::field::transfer_encoding) != 0 && !parser.chunked()) return;
  const std::size_t qmark = target.find('?');
  const std::string path = target.substr(0, qmark);
  CheckMatch(method, path);

  // The server answers 413 to a declared length over the limit before reading the body.
  if (const auto length = parser.content_length(); length && *length > kBodyLimit) return;
  if (!parser.is_done()) {
    parser.eager(true);
    parser.body_limit(kBodyLimit);
    const std::string_view rest = bytes.substr(used);
    parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    if (!ec && !parser.is_done()) parser.put_eof(ec);
    if (ec || !parser.is_done()) return;
  }
  http::Request request;
  for (const auto& field : parser.get()) {
    std::string name(field.name_string());
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  TESSERA_FUZZ_CHECK(parser.get().body().size() <= kBodyLimit,
                     std::to_string(parser.get().body().size()));
  for (const auto& [name, value] : request.headers) {
    const auto first = request.Header(name);
    TESSERA_FUZZ_CHECK(first.has_value() && request.HeaderCount(name) >= 1, name);
  }
}

}  // namespace
}  // namespace tessera::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = tessera::fuzz::AsText(data, size);
  tessera::fuzz::CheckRequest(input);
  // The same bytes as a path alone, for the router's own corner cases.
  tessera::fuzz::CheckMatch("GET", input.substr(0, input.find('?')));
  return 0;
}
