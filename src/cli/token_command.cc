// `tessera token`: the whole token request of the integration guides in one command (seed 001's
// script): sign the user assertion when --sub is given (RFC 7523 2.1), authenticate the client
// with Basic (RFC 6749 2.3.1) or private_key_jwt (RFC 7523 2.2), POST the form to
// <url>/oauth2/v1/token, print the JSON answer. Built on tessera_client (include/tessera/client.h),
// so network errors and 5xx answers are retried with backoff; a 4xx answer is reported on one
// line as "<error>: <error_description> (ecid ...)". Sender-constrained tokens: --dpop-key signs a
// DPoP proof for the request (RFC 9449; the answer's token_type is then "DPoP"), and
// --tls-client-cert/--tls-client-key present a client certificate (RFC 8705).
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "cli/assertion_options.h"
#include "cli/commands.h"
#include "cli/secret_options.h"
#include "tessera/client.h"

namespace tessera::cli {
namespace {

struct TokenOptions {
  std::string url;
  std::string client_id;
  ClientSecretOptions secret;
  std::optional<std::string> client_key;
  std::string client_key_password;
  std::optional<std::string> client_kid;
  std::optional<std::string> sub;
  AssertionKeyOptions key;  // the user assertion's; --aud, --ttl and --alg the client's too
  std::string scope;
  int attempts = 3;
  std::optional<std::string> dpop_key;
  std::string dpop_alg;
  std::optional<std::string> tls_client_cert;
  std::optional<std::string> tls_client_key;
  std::string tls_client_key_password;
  std::string ca_file;
};

Result<client::AssertionSigner> UserSigner(const AssertionKeyOptions& o, const Clock* clock) {
  if (o.key_file.has_value() == o.p12_file.has_value()) {
    return Status::InvalidArgument("--sub needs exactly one of --key FILE or --p12 FILE");
  }
  client::SignerOptions so;
  so.kid = o.kid.value_or("");
  so.alg = o.alg;
  so.audience = o.aud;
  so.ttl_seconds = o.ttl;
  so.clock = clock;
  // Like `tessera assert`: with neither --kid nor --x5t, a certificate at hand (--cert, or the
  // one in the PKCS#12 file) names the key by its thumbprint.
  so.use_x5t = o.x5t || (!o.kid && (o.p12_file || o.cert_file));
  if (o.p12_file) {
    if (!o.p12_password) {
      return Status::InvalidArgument("--p12 needs --p12-password (or TESSERA_P12_PASSWORD)");
    }
    return client::AssertionSigner::FromPkcs12File(*o.p12_file, *o.p12_password, so);
  }
  if (!o.kid && !so.use_x5t) {
    return Status::InvalidArgument(
        "name the user assertion key for the server: --kid ALIAS, or --x5t with --cert FILE");
  }
  if (so.use_x5t && !o.cert_file) return Status::InvalidArgument("--x5t needs --cert FILE");
  return client::AssertionSigner::FromPemFile(*o.key_file, so, o.key_password,
                                              o.cert_file.value_or(""));
}

Status RunToken(const TokenOptions& o, CommandContext& ctx) {
  // The environment's secret counts only when --client-key is absent: a key given on the command
  // line wins over a TESSERA_CLIENT_SECRET left in the shell.
  if (o.client_key && (o.secret.secret || o.secret.file)) {
    return Status::InvalidArgument(
        "give exactly one of --client-secret S (or --client-secret-file FILE) or --client-key "
        "FILE");
  }
  std::optional<std::string> client_secret;
  if (!o.client_key) {
    TESSERA_ASSIGN_OR_RETURN(client_secret, o.secret.Resolve());
    if (!client_secret) {
      return Status::InvalidArgument(
          "give exactly one of --client-secret S (or --client-secret-file FILE) or --client-key "
          "FILE");
    }
  }
  if (!o.sub && (o.key.key_file || o.key.p12_file || o.key.kid || o.key.x5t || o.key.cert_file)) {
    return Status::InvalidArgument(
        "--key, --p12, --kid, --x5t and --cert sign a user assertion: "
        "give --sub USER too");
  }
  if (o.attempts < 1 || o.attempts > 10) {
    return Status::InvalidArgument("--attempts must be between 1 and 10");
  }
  client::TokenSourceOptions options;
  options.base_url = o.url;
  options.client_id = o.client_id;
  options.clock = ctx.clock;
  options.retry.max_attempts = o.attempts;
  options.ca_file = o.ca_file;
  if (o.tls_client_cert.has_value() != o.tls_client_key.has_value()) {
    return Status::InvalidArgument("--tls-client-cert and --tls-client-key go together");
  }
  options.tls_client_cert_file = o.tls_client_cert.value_or("");
  options.tls_client_key_file = o.tls_client_key.value_or("");
  options.tls_client_key_password = o.tls_client_key_password;
  if (o.dpop_key) {
    Result<client::DpopKey> key = client::DpopKey::FromPemFile(*o.dpop_key, o.dpop_alg);
    if (!key.ok()) return key.status().WithContext("--dpop-key");
    options.dpop_key = std::move(key).value();
  } else if (!o.dpop_alg.empty()) {
    return Status::InvalidArgument("--dpop-alg needs --dpop-key FILE");
  }
  if (client_secret) {
    options.client_secret = *client_secret;
  } else {
    if (!o.client_kid) {
      return Status::InvalidArgument(
          "--client-key needs --client-kid ALIAS (the certificate alias the client's key is "
          "registered under)");
    }
    client::SignerOptions so;
    so.kid = *o.client_kid;
    so.alg = o.key.alg;
    so.audience = o.key.aud;
    so.ttl_seconds = o.key.ttl;
    so.clock = ctx.clock;
    Result<client::AssertionSigner> signer =
        client::AssertionSigner::FromPemFile(*o.client_key, so, o.client_key_password);
    if (!signer.ok()) return signer.status().WithContext("--client-key");
    options.client_signer = std::move(signer).value();
  }
  if (o.sub) {
    Result<client::AssertionSigner> signer = UserSigner(o.key, ctx.clock);
    if (!signer.ok()) return signer.status().WithContext("user assertion key");
    options.user_signer = std::move(signer).value();
  }
  TESSERA_ASSIGN_OR_RETURN(client::TokenSource source, client::TokenSource::Create(options));
  client::TokenError error;
  Result<client::Token> token =
      o.sub ? source.UserToken(*o.sub, o.scope, &error) : source.ClientToken(o.scope, &error);
  if (!token.ok()) return token.status();
  *ctx.out << token->raw_json;
  if (token->raw_json.empty() || token->raw_json.back() != '\n') *ctx.out << '\n';
  return Status::Ok();
}

}  // namespace

void RegisterTokenCommand(CLI::App& app, CommandContext& ctx) {
  auto o = std::make_shared<TokenOptions>();
  CLI::App* t = app.add_subcommand(
      "token",
      "Obtain an access token: client credentials, or with --sub a user assertion grant "
      "(RFC 7523); prints the JSON answer");
  t->add_option("--url", o->url, "Base URL of the token service (https://idm.example.com)")
      ->required();
  t->add_option("--client-id", o->client_id, "The client id")->required();
  AddClientSecretOptions(t, &o->secret, "Client secret, sent with HTTP Basic",
                         "TESSERA_CLIENT_SECRET");
  t->add_option("--client-key", o->client_key,
                "Private key (PEM) for private_key_jwt client authentication instead of a secret");
  t->add_option("--client-key-password", o->client_key_password,
                "Password of an encrypted --client-key");
  t->add_option("--client-kid", o->client_kid,
                "kid of the client assertion: the alias of the client's certificate");
  t->add_option("--sub", o->sub, "User name: ask for a user token with a signed user assertion");
  AddAssertionKeyOptions(t, &o->key);
  t->add_option("--scope", o->scope, "Requested scope (space-separated values)");
  t->add_option("--attempts", o->attempts,
                "Requests at most, retrying network errors and 5xx with backoff")
      ->capture_default_str();
  t->add_option("--dpop-key", o->dpop_key,
                "Private key (PEM) signing a DPoP proof (RFC 9449): the token is bound to it "
                "(token_type DPoP)");
  t->add_option("--dpop-alg", o->dpop_alg,
                "Algorithm of the DPoP proofs (default: the key's, ES256 for P-256)");
  t->add_option("--tls-client-cert", o->tls_client_cert,
                "Client certificate (PEM) presented over https (RFC 8705 mutual TLS)");
  t->add_option("--tls-client-key", o->tls_client_key, "Private key (PEM) of --tls-client-cert");
  t->add_option("--tls-client-key-password", o->tls_client_key_password,
                "Password of an encrypted --tls-client-key");
  t->add_option("--ca-file", o->ca_file,
                "CA bundle (PEM) the server's certificate must chain to (default: the system's)");
  t->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunToken(*o, ctx); }; });
}

}  // namespace tessera::cli
