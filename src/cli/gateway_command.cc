// `tessera gateway`: a reverse proxy that admits only requests with a valid access token (a
// sender-constrained one with its DPoP proof or client certificate) and
// forwards them to one upstream with the verified identity in X-Tessera-Subject and
// X-Tessera-Scope (contract section 7). The rules are in src/verifier/gateway.h; the token checks
// in include/tessera/verifier.h.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "http/server.h"
#include "tessera/verifier.h"
#include "verifier/gateway.h"

namespace tessera::cli {
namespace {

struct GatewayFlags {
  std::string listen = "127.0.0.1:8081";
  std::string upstream;
  std::string jwks_url;
  std::string issuer;
  std::vector<std::string> audiences;
  std::vector<std::string> scopes;
  int threads = 0;
  int64_t refetch_interval = 30;
  int64_t clock_skew = 30;
  long upstream_timeout = 30;
  int max_upstream_requests = 64;
  std::string public_url;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  std::vector<std::string> trusted_proxies;
  std::string client_cert_header;
};

Status RunGateway(const GatewayFlags& f, CommandContext& ctx) {
  const std::size_t colon = f.listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("--listen must be HOST:PORT, not \"" + f.listen + "\"");
  }
  std::string host = f.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = -1;
  try {
    std::size_t used = 0;
    port = std::stoi(f.listen.substr(colon + 1), &used);
    if (used != f.listen.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    return Status::InvalidArgument("--listen port must be 0..65535: \"" + f.listen + "\"");
  }
  // Multi-valued flags also take space-separated values ("--scope 'a b'").
  std::vector<std::string> scopes;
  for (const std::string& s : f.scopes) {
    std::size_t pos = 0;
    while (pos < s.size()) {
      const std::size_t sp = s.find(' ', pos);
      std::string v = s.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
      if (!v.empty()) scopes.push_back(std::move(v));
      if (sp == std::string::npos) break;
      pos = sp + 1;
    }
  }
  verifier::VerifierOptions vo;
  vo.jwks_url = f.jwks_url;
  vo.issuer = f.issuer;
  vo.audiences = f.audiences;
  vo.required_scopes = scopes;
  vo.refetch_interval_seconds = f.refetch_interval;
  vo.clock_skew_seconds = f.clock_skew;
  vo.clock = ctx.clock;  // main's, which outlives the verifier
  TESSERA_ASSIGN_OR_RETURN(verifier::Verifier verifier, verifier::Verifier::Create(vo));
  if (verifier.Stats().keys == 0) {
    *ctx.err << "tessera: warning: no signing keys from " << f.jwks_url
             << " yet; requests are answered 503 until they can be fetched\n";
  }
  http::Router router;
  gateway::GatewayOptions go;
  go.upstream = f.upstream;
  go.upstream_timeout_seconds = f.upstream_timeout;
  go.max_upstream_requests = f.max_upstream_requests;
  go.public_url = f.public_url;
  TESSERA_RETURN_IF_ERROR(gateway::AddGatewayRoutes(router, verifier, go));
  http::ServerOptions so;
  so.host = host;
  so.port = static_cast<uint16_t>(port);
  so.threads = f.threads;
  so.stop_on_signals = true;
  if (f.tls_cert.empty() != f.tls_key.empty()) {
    return Status::InvalidArgument("--tls-cert and --tls-key go together");
  }
  so.tls_cert_file = f.tls_cert;
  so.tls_key_file = f.tls_key;
  if (!f.tls_client_ca.empty() && f.tls_cert.empty()) {
    return Status::InvalidArgument("--tls-client-ca needs --tls-cert and --tls-key (HTTPS)");
  }
  if (f.trusted_proxies.empty() != f.client_cert_header.empty()) {
    return Status::InvalidArgument("--trusted-proxy and --client-cert-header go together");
  }
  so.tls_client_ca_file = f.tls_client_ca;
  so.trusted_proxies = f.trusted_proxies;
  so.client_cert_header = f.client_cert_header;
  http::Server server(so, std::move(router));
  TESSERA_RETURN_IF_ERROR(server.Start());
  *ctx.out << "tessera: gateway listening on " << (f.tls_cert.empty() ? "http" : "https") << "://"
           << f.listen.substr(0, colon) << ":" << server.port() << " -> " << f.upstream
           << std::endl;
  server.Wait();
  return Status::Ok();
}

}  // namespace

void RegisterGatewayCommand(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<GatewayFlags>();
  CLI::App* g = app.add_subcommand(
      "gateway",
      "Reverse proxy admitting only requests with a valid access token (RFC 6750; DPoP and "
      "certificate-bound tokens with their proof, RFC 9449, RFC 8705); adds X-Tessera-Subject "
      "and X-Tessera-Scope");
  g->add_option("--listen", f->listen, "HOST:PORT to listen on (port 0 picks a free one)")
      ->capture_default_str();
  g->add_option("--upstream", f->upstream, "URL requests are forwarded to")->required();
  g->add_option("--jwks-url", f->jwks_url,
                "JWK Set of the token issuer (e.g. BASE/admin/v1/SigningCert/jwk)")
      ->required();
  g->add_option("--issuer", f->issuer, "Accepted iss, compared exactly")->required();
  g->add_option("--audience", f->audiences, "Accepted aud (repeatable)")->required();
  g->add_option("--scope", f->scopes, "Required scope value (repeatable; all are required)");
  g->add_option("--threads", f->threads, "Worker threads (default: cores)");
  g->add_option("--max-upstream-requests", f->max_upstream_requests,
                "Upstream requests in flight at once, each on a thread of its own (more wait, "
                "up to 4096; beyond, 503)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  g->add_option("--jwks-refetch-interval", f->refetch_interval,
                "At most one JWK Set fetch per this many seconds for unknown kids")
      ->capture_default_str();
  g->add_option("--clock-skew", f->clock_skew, "Seconds of leeway on exp/nbf/iat")
      ->capture_default_str();
  g->add_option("--upstream-timeout", f->upstream_timeout, "Seconds per upstream request")
      ->capture_default_str();
  g->add_option("--public-url", f->public_url,
                "Base URL clients address the gateway by, for DPoP proofs (htu); default: the "
                "request's scheme and Host");
  g->add_option("--tls-cert", f->tls_cert, "Certificate chain (PEM): serve HTTPS");
  g->add_option("--tls-key", f->tls_key, "Private key (PEM) of --tls-cert");
  g->add_option("--tls-client-ca", f->tls_client_ca,
                "PEM CA certificate(s): with HTTPS, client certificates are requested (never "
                "required), for certificate-bound tokens (RFC 8705)");
  g->add_option("--trusted-proxy", f->trusted_proxies,
                "Network (CIDR) of a TLS-terminating proxy whose client certificate header is "
                "honoured (repeatable)");
  g->add_option("--client-cert-header", f->client_cert_header,
                "Header in which a trusted proxy forwards the client certificate (URL-encoded "
                "PEM, as nginx's $ssl_client_escaped_cert)");
  g->callback([&ctx, f] { ctx.action = [&ctx, f] { return RunGateway(*f, ctx); }; });
}

}  // namespace tessera::cli
