// `tessera keys generate|thumbprint|jwk`: what integration developers otherwise do with keytool
// and openssl before they can sign an assertion.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/files.h"
#include "cli/material.h"
#include "jose/claims.h"
#include "jose/json.h"
#include "jose/jwk.h"
#include "jose/keyio.h"

namespace tessera::cli {
namespace {

struct GenerateOptions {
  std::string alias;
  std::string type = "rsa";
  int bits = 0;  // 0: the type's default
  bool bits_given = false;
  std::string subject;
  int days = 365;
  std::string out_dir = ".";
  std::optional<std::string> p12_password;
  bool force = false;
};

// An alias becomes part of file names and the PKCS#12 friendly name: keep it to characters that
// need no quoting anywhere and cannot leave the output directory.
Status CheckAlias(const std::string& alias) {
  if (alias.empty() || alias.size() > 64 || alias.front() == '.' || alias.front() == '-') {
    return Status::InvalidArgument("--alias must be 1-64 characters, not starting with '.' or '-'");
  }
  for (char c : alias) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidArgument("--alias \"" + alias +
                                     "\" may hold only letters, digits, '.', '_' and '-'");
    }
  }
  return Status::Ok();
}

Status RunGenerate(const GenerateOptions& o, CommandContext& ctx) {
  TESSERA_RETURN_IF_ERROR(CheckAlias(o.alias));
  jose::KeyType type;
  int bits = o.bits;
  if (o.type == "rsa") {
    type = jose::KeyType::kRsa;
    if (!o.bits_given) bits = 2048;
  } else if (o.type == "ec") {
    type = jose::KeyType::kEc;
    if (!o.bits_given) bits = 256;
    if (bits != 256 && bits != 384 && bits != 521) {
      return Status::InvalidArgument("--bits for an ec key must be 256, 384 or 521");
    }
  } else {
    type = jose::KeyType::kEd25519;
    if (o.bits_given && bits != 256) {
      return Status::InvalidArgument("--bits does not apply to ed25519 (always 256)");
    }
    bits = 256;
  }
  if (o.p12_password && o.p12_password->empty()) {
    return Status::InvalidArgument("--p12-password must not be empty");
  }
  const std::string subject = o.subject.empty() ? "CN=" + o.alias : o.subject;
  const std::string base = (o.out_dir.empty() ? std::string(".") : o.out_dir) + "/" + o.alias;
  const std::string key_path = base + ".key.pem";
  const std::string pem_path = base + ".cert.pem";
  const std::string der_path = base + ".cer";
  const std::string p12_path = base + ".p12";
  // A missing output directory is made (owner-only: it receives a private key), as `mkdir -p`.
  if (!o.out_dir.empty() && !std::filesystem::exists(o.out_dir)) {
    std::error_code ec;
    std::filesystem::create_directories(o.out_dir, ec);
    if (ec)
      return Status::InvalidArgument("cannot create --out-dir " + o.out_dir + ": " + ec.message());
    std::filesystem::permissions(o.out_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }

  // Refuse before generating anything, so that a second run never leaves a mix of old and new.
  if (!o.force) {
    for (const std::string* p : {&key_path, &pem_path, &der_path, &p12_path}) {
      if (p == &p12_path && !o.p12_password) continue;
      if (PathExists(*p)) {
        return Status::AlreadyExists(*p + " already exists (use --force to replace it)");
      }
    }
  }

  Result<jose::Key> key = jose::GenerateKey(type, bits);
  if (!key.ok()) return key.status().WithContext("cannot generate the key");
  Result<jose::Certificate> cert =
      jose::MakeSelfSignedCertificate(*key, subject, o.days, ctx.clock->NowSeconds());
  if (!cert.ok()) return cert.status().WithContext("cannot make the certificate");
  TESSERA_ASSIGN_OR_RETURN(std::string key_pem, jose::PrivateKeyToPem(*key));
  std::string p12;
  if (o.p12_password) {
    Result<std::string> made = jose::MakePkcs12(*key, *cert, o.alias, *o.p12_password);
    if (!made.ok()) return made.status().WithContext("cannot make the PKCS#12 file");
    p12 = std::move(made).value();
  }

  std::ostream& out = *ctx.out;
  TESSERA_RETURN_IF_ERROR(WriteFileAtomically(key_path, key_pem, 0600, o.force));
  out << "wrote " << key_path << " (private key, PKCS#8 PEM, mode 0600)\n";
  TESSERA_RETURN_IF_ERROR(
      WriteFileAtomically(pem_path, jose::CertificateToPem(*cert), 0644, o.force));
  out << "wrote " << pem_path << " (certificate, PEM)\n";
  TESSERA_RETURN_IF_ERROR(WriteFileAtomically(der_path, cert->der, 0644, o.force));
  out << "wrote " << der_path << " (certificate, DER: upload this one)\n";
  if (o.p12_password) {
    // The PKCS#12 file holds the private key: as private as the PEM key.
    TESSERA_RETURN_IF_ERROR(WriteFileAtomically(p12_path, p12, 0600, o.force));
    out << "wrote " << p12_path << " (PKCS#12, alias " << o.alias << ", mode 0600)\n";
  }
  out << "key: " << DescribeKey(*key) << ", signs " << key->algorithms().ToString() << '\n'
      << "subject: " << cert->subject << '\n'
      << "valid: " << jose::FormatNumericDate(cert->not_before) << " to "
      << jose::FormatNumericDate(cert->not_after) << '\n'
      << "x5t: " << cert->x5t << '\n'
      << "x5t#S256: " << cert->x5t_s256 << '\n';
  return Status::Ok();
}

struct ThumbprintOptions {
  std::string file;
  std::optional<std::string> p12_password;
};

Status RunThumbprint(const ThumbprintOptions& o, CommandContext& ctx) {
  TESSERA_ASSIGN_OR_RETURN(jose::Certificate cert, LoadCertificateFile(o.file, o.p12_password));
  *ctx.out << "x5t: " << cert.x5t << '\n' << "x5t#S256: " << cert.x5t_s256 << '\n';
  return Status::Ok();
}

struct JwkOptions {
  std::string file;
  std::string kid;
  std::optional<std::string> p12_password;
  std::string alg;
};

Status RunJwk(const JwkOptions& o, CommandContext& ctx) {
  // A certificate gives the thumbprints too; a bare public key gives only the key.
  std::optional<jose::Certificate> cert;
  jose::Key key;
  Result<jose::Certificate> loaded = LoadCertificateFile(o.file, o.p12_password);
  if (loaded.ok()) {
    cert = std::move(loaded).value();
    key = cert->public_key;
  } else {
    Result<jose::Key> pub = LoadPublicKeyFile(o.file, o.p12_password);
    if (!pub.ok()) return pub.status();
    key = std::move(pub).value();
  }
  TESSERA_ASSIGN_OR_RETURN(PinnedKey pinned, PinAlgorithm(key, o.alg));
  TESSERA_ASSIGN_OR_RETURN(jose::Json jwk, jose::PublicJwk(pinned.key, o.kid));
  if (cert) {
    jwk["x5t"] = cert->x5t;
    jwk["x5t#S256"] = cert->x5t_s256;
  }
  jose::Json jwks = {{"keys", jose::Json::array({jwk})}};
  *ctx.out << jwks.dump(2) << '\n';
  return Status::Ok();
}

}  // namespace

void RegisterKeysCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* keys = app.add_subcommand("keys",
                                      "Generate key pairs and certificates, compute "
                                      "certificate thumbprints");
  keys->require_subcommand(1);

  auto gen = std::make_shared<GenerateOptions>();
  CLI::App* g = keys->add_subcommand(
      "generate",
      "Generate a key pair and a self-signed certificate: ALIAS.key.pem (PKCS#8, mode 0600), "
      "ALIAS.cert.pem, ALIAS.cer (DER, to upload) and, with --p12-password, ALIAS.p12");
  g->add_option("--alias", gen->alias,
                "Certificate alias; also the file name stem and the "
                "PKCS#12 alias")
      ->required();
  g->add_option("--type", gen->type, "Key type")
      ->check(CLI::IsMember({"rsa", "ec", "ed25519"}))
      ->capture_default_str();
  CLI::Option* bits = g->add_option("--bits", gen->bits,
                                    "RSA modulus bits (default 2048) or EC curve size "
                                    "256, 384, 521 (default 256)");
  g->add_option("--subject", gen->subject, "Certificate subject (default \"CN=<alias>\")");
  g->add_option("--days", gen->days, "Validity in days")
      ->check(CLI::Range(1, 36500))
      ->capture_default_str();
  g->add_option("--out-dir", gen->out_dir, "Directory for the files")->capture_default_str();
  g->add_option("--p12-password", gen->p12_password,
                "Also write ALIAS.p12 protected by this password (or set TESSERA_P12_PASSWORD)")
      ->envname("TESSERA_P12_PASSWORD");
  g->add_flag("--force", gen->force, "Replace existing files");
  g->callback([&ctx, gen, bits] {
    gen->bits_given = bits->count() > 0;
    ctx.action = [&ctx, gen] { return RunGenerate(*gen, ctx); };
  });

  auto thumb = std::make_shared<ThumbprintOptions>();
  CLI::App* t = keys->add_subcommand(
      "thumbprint",
      "Print the x5t (base64url SHA-1) and x5t#S256 (base64url SHA-256) of a certificate in PEM, "
      "DER or PKCS#12");
  t->add_option("FILE", thumb->file, "Certificate (PEM, DER, base64 DER) or PKCS#12 file")
      ->required();
  t->add_option("--p12-password", thumb->p12_password,
                "Password of a PKCS#12 file (or set TESSERA_P12_PASSWORD)")
      ->envname("TESSERA_P12_PASSWORD");
  t->callback([&ctx, thumb] { ctx.action = [&ctx, thumb] { return RunThumbprint(*thumb, ctx); }; });

  auto jwk = std::make_shared<JwkOptions>();
  CLI::App* j = keys->add_subcommand(
      "jwk",
      "Print a JWK Set holding the public key of a certificate or public key file "
      "(with x5t and x5t#S256 for a certificate)");
  j->add_option("FILE", jwk->file, "Certificate, PKCS#12 or public key file")->required();
  j->add_option("--kid", jwk->kid, "The key's \"kid\" (e.g. the certificate alias)");
  j->add_option("--alg", jwk->alg,
                "The key's \"alg\" (default: RS256, ES256/384/512 by curve, "
                "EdDSA)");
  j->add_option("--p12-password", jwk->p12_password,
                "Password of a PKCS#12 file (or set TESSERA_P12_PASSWORD)")
      ->envname("TESSERA_P12_PASSWORD");
  j->callback([&ctx, jwk] { ctx.action = [&ctx, jwk] { return RunJwk(*jwk, ctx); }; });
}

}  // namespace tessera::cli
