// `tessera assert`: the signed JWT that IDCS-style token endpoints take as a user assertion
// (RFC 7523 2.1, grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer) or as a client
// assertion (RFC 7523 2.2, private_key_jwt), replacing the vendor scripts of the integration
// guides.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "cli/assertion_options.h"
#include "cli/commands.h"
#include "cli/material.h"
#include "common/random.h"
#include "jose/claims.h"
#include "jose/json.h"
#include "jose/jws.h"

namespace tessera::cli {
namespace {

struct AssertOptions {
  std::string client_id;
  std::optional<std::string> sub;
  AssertionKeyOptions key;
  bool x5t_s256 = false;
  std::optional<std::string> scope;
  bool client_assertion = false;
};

// The signing key and, when one is at hand, the certificate the server will look it up by.
struct Signer {
  jose::Key key;
  std::optional<jose::Certificate> cert;
};

Result<Signer> LoadSigner(const AssertionKeyOptions& o) {
  if (o.key_file.has_value() == o.p12_file.has_value()) {
    return Status::InvalidArgument("give exactly one of --key FILE or --p12 FILE");
  }
  Signer s;
  if (o.p12_file) {
    if (!o.p12_password) {
      return Status::InvalidArgument("--p12 needs --p12-password (or TESSERA_P12_PASSWORD)");
    }
    TESSERA_ASSIGN_OR_RETURN(jose::Pkcs12Contents p12,
                             LoadPkcs12File(*o.p12_file, *o.p12_password));
    s.key = std::move(p12.private_key);
    s.cert = std::move(p12.certificate);
  } else {
    TESSERA_ASSIGN_OR_RETURN(s.key, LoadPrivateKeyFile(*o.key_file, o.key_password));
  }
  if (o.cert_file) {
    TESSERA_ASSIGN_OR_RETURN(jose::Certificate cert,
                             LoadCertificateFile(*o.cert_file, o.p12_password));
    s.cert = std::move(cert);
  }
  // A certificate of another key would name a key the server then fails to verify with; say so
  // here, where the cause is obvious, rather than as "signature does not verify" at the server.
  if (s.cert && !SamePublicKey(s.cert->public_key, s.key)) {
    return Status::InvalidArgument("the certificate " +
                                   (o.cert_file ? *o.cert_file : "in " + *o.p12_file) +
                                   " is not the certificate of the signing key");
  }
  return s;
}

Status RunAssert(const AssertOptions& o, CommandContext& ctx) {
  std::string sub;
  if (o.client_assertion) {
    // RFC 7523 3 item 2: for client authentication, sub is the client id.
    if (o.sub && *o.sub != o.client_id) {
      return Status::InvalidArgument("--client-assertion sets sub to the client id; drop --sub");
    }
    sub = o.client_id;
  } else {
    if (!o.sub) {
      return Status::InvalidArgument(
          "--sub USER is required for a user assertion (or give --client-assertion)");
    }
    sub = *o.sub;
  }
  if (o.client_id.empty() || sub.empty()) {
    return Status::InvalidArgument("--client-id and --sub must not be empty");
  }
  if (o.key.ttl <= 0) return Status::InvalidArgument("--ttl must be a positive number of seconds");
  if (o.x5t_s256 && o.key.x5t) {
    return Status::InvalidArgument("give --x5t or --x5t-s256, not both");
  }

  TESSERA_ASSIGN_OR_RETURN(Signer signer, LoadSigner(o.key));
  TESSERA_ASSIGN_OR_RETURN(PinnedKey pinned, PinAlgorithm(signer.key, o.key.alg));

  // The server finds the certificate by x5t, x5t#S256 or kid (contract section 2, rule 3).
  bool want_x5t = o.key.x5t;
  const bool want_x5t_s256 = o.x5t_s256;
  if (!o.key.kid && !want_x5t && !want_x5t_s256) {
    if (!signer.cert) {
      return Status::InvalidArgument(
          "name the key for the server: give --kid ALIAS (the certificate alias), or --x5t "
          "with --cert FILE");
    }
    want_x5t = true;  // a certificate is at hand: its thumbprint names the key unambiguously
  }
  if ((want_x5t || want_x5t_s256) && !signer.cert) {
    return Status::InvalidArgument(
        "--x5t needs the certificate: give --cert FILE (or --p12 with a certificate inside)");
  }

  jose::Json header = {{"typ", "JWT"}};
  if (o.key.kid) header["kid"] = *o.key.kid;
  if (want_x5t) header["x5t"] = signer.cert->x5t;
  if (want_x5t_s256) header["x5t#S256"] = signer.cert->x5t_s256;

  const int64_t now = ctx.clock->NowSeconds();
  if (signer.cert && !signer.cert->IsValidAt(now)) {
    *ctx.err << "tessera: warning: the certificate is valid only from "
             << jose::FormatNumericDate(signer.cert->not_before) << " to "
             << jose::FormatNumericDate(signer.cert->not_after)
             << "; a server will not accept it now\n";
  }
  jose::Json claims = {
      {"iss", o.client_id},     {"sub", sub},          {"aud", o.key.aud}, {"iat", now},
      {"exp", now + o.key.ttl}, {"jti", RandomUuid()},
  };
  if (o.scope) claims["scope"] = *o.scope;

  Result<std::string> jwt = jose::SignJwt(claims, pinned.key, pinned.alg, header);
  if (!jwt.ok()) return jwt.status().WithContext("cannot sign the assertion");
  *ctx.out << *jwt << '\n';
  return Status::Ok();
}

}  // namespace

void RegisterAssertCommand(CLI::App& app, CommandContext& ctx) {
  auto o = std::make_shared<AssertOptions>();
  CLI::App* a = app.add_subcommand(
      "assert",
      "Print a signed JWT user assertion (RFC 7523 2.1) or, with --client-assertion, a client "
      "assertion (RFC 7523 2.2)");
  a->add_option("--client-id", o->client_id, "The client id: the iss claim")->required();
  a->add_option("--sub", o->sub, "The user name: the sub claim of a user assertion");
  a->add_flag("--client-assertion", o->client_assertion,
              "Sign a client assertion for private_key_jwt: iss = sub = client id");
  AddAssertionKeyOptions(a, &o->key);
  a->add_flag("--x5t-s256", o->x5t_s256, "Header x5t#S256: the SHA-256 thumbprint instead");
  a->add_option("--scope", o->scope, "A scope claim (space-separated values)");
  a->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunAssert(*o, ctx); }; });
}

}  // namespace tessera::cli
