// `tessera dpop proof|thumbprint`: DPoP (RFC 9449) from the shell. `proof` prints one proof for
// one request, to send as the "DPoP" header next to "Authorization: DPoP <token>" (with --token,
// the proof covers it: "ath") or with a token request (without --token); `thumbprint` prints the
// key's RFC 7638 thumbprint, the "cnf.jkt" of the tokens bound to it. Built on
// include/tessera/client.h (DpopKey, MakeDpopProof).
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "tessera/client.h"

namespace tessera::cli {
namespace {

struct DpopOptions {
  std::string key_file;
  std::string alg;
  std::string method;
  std::string url;
  std::string token;
  std::string nonce;
};

Status RunProof(const DpopOptions& o, CommandContext& ctx) {
  Result<client::DpopKey> key = client::DpopKey::FromPemFile(o.key_file, o.alg);
  if (!key.ok()) return key.status().WithContext("--key");
  TESSERA_ASSIGN_OR_RETURN(
      std::string proof,
      client::MakeDpopProof(*key, o.method, o.url, o.token, o.nonce, ctx.clock->NowSeconds()));
  *ctx.out << proof << '\n';
  return Status::Ok();
}

Status RunThumbprint(const DpopOptions& o, CommandContext& ctx) {
  Result<client::DpopKey> key = client::DpopKey::FromPemFile(o.key_file, o.alg);
  if (!key.ok()) return key.status().WithContext("--key");
  *ctx.out << key->Thumbprint() << '\n';
  return Status::Ok();
}

}  // namespace

void RegisterDpopCommand(CLI::App& app, CommandContext& ctx) {
  auto o = std::make_shared<DpopOptions>();
  CLI::App* dpop =
      app.add_subcommand("dpop", "DPoP proofs (RFC 9449) for sender-constrained tokens");
  dpop->require_subcommand(1);

  CLI::App* p = dpop->add_subcommand(
      "proof",
      "Print a DPoP proof for one request (header DPoP); with --token it covers that token "
      "(ath), for a call to a resource");
  p->add_option("--key", o->key_file, "Private key (PEM) of the proofs")->required();
  p->add_option("--alg", o->alg, "Signing algorithm (default: the key's, ES256 for P-256)");
  p->add_option("--method", o->method, "HTTP method of the request (htm), e.g. GET")->required();
  p->add_option("--url", o->url, "URL of the request (htu; query and fragment are dropped)")
      ->required();
  p->add_option("--token", o->token, "Access token sent with the proof (ath)");
  p->add_option("--nonce", o->nonce, "The server's last DPoP-Nonce");
  p->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunProof(*o, ctx); }; });

  CLI::App* t = dpop->add_subcommand(
      "thumbprint", "Print the key's RFC 7638 thumbprint: the cnf.jkt of tokens bound to it");
  t->add_option("--key", o->key_file, "Private key (PEM)")->required();
  t->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunThumbprint(*o, ctx); }; });
}

}  // namespace tessera::cli
