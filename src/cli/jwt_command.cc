// `tessera jwt decode|verify`: look inside a JWT, or check it the way a resource server would.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/files.h"
#include "cli/http_fetch.h"
#include "cli/material.h"
#include "jose/claims.h"
#include "jose/error.h"
#include "jose/json.h"
#include "jose/jwk.h"
#include "jose/jws.h"

namespace tessera::cli {
namespace {

constexpr int64_t kSkewSeconds = 30;

// The token argument, or standard input for "-". Pasted tokens often carry a trailing newline or
// spaces; only those are trimmed, the token itself is taken as is.
Result<std::string> TokenText(const std::string& arg) {
  std::string token = arg;
  if (arg == "-") {
    TESSERA_ASSIGN_OR_RETURN(token, ReadFileBounded("-", "token from", kMaxInputBytes));
  }
  const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!token.empty() && is_space(token.back())) token.pop_back();
  std::size_t start = 0;
  while (start < token.size() && is_space(token[start])) ++start;
  token.erase(0, start);
  if (token.empty()) return Status::InvalidArgument("the token is empty");
  return token;
}

// "in 4m 59s" / "3m 12s ago" / "now".
std::string Relative(int64_t t, int64_t now) {
  int64_t d = t - now;
  if (d == 0) return "now";
  const bool future = d > 0;
  if (!future) d = -d;
  std::string s;
  if (d >= 86400) s += std::to_string(d / 86400) + "d ";
  if (d >= 3600) s += std::to_string(d % 86400 / 3600) + "h ";
  if (d >= 60) s += std::to_string(d % 3600 / 60) + "m ";
  s += std::to_string(d % 60) + "s";
  return future ? "in " + s : s + " ago";
}

struct DecodeOptions {
  std::string token;
};

Status RunDecode(const DecodeOptions& o, CommandContext& ctx) {
  TESSERA_ASSIGN_OR_RETURN(std::string token, TokenText(o.token));
  auto decoded = jose::DecodeUnverified(token);
  if (!decoded.ok()) return decoded.status().WithContext("cannot decode the token");
  const auto& [header, claims] = *decoded;
  std::ostream& out = *ctx.out;
  out << "header (unverified):\n" << header.dump(2) << '\n';
  out << "claims (unverified):\n" << claims.dump(2) << '\n';
  const int64_t now = ctx.clock->NowSeconds();
  bool any_time = false;
  for (const char* name : {"iat", "nbf", "exp"}) {
    Result<std::optional<int64_t>> t = jose::NumericDateClaim(claims, name);
    if (t.ok() && !t->has_value()) continue;
    if (!any_time) out << "times (now " << jose::FormatNumericDate(now) << "):\n";
    any_time = true;
    out << "  " << name << ": ";
    if (!t.ok()) {
      out << t.status().message() << '\n';
    } else {
      out << **t << " = " << jose::FormatNumericDate(**t) << " (" << Relative(**t, now) << ")\n";
    }
  }
  out << "signature: not verified (use tessera jwt verify)\n";
  return Status::Ok();
}

struct VerifyOptions {
  std::string token;
  std::optional<std::string> jwks_url;
  std::optional<std::string> jwks_file;
  std::optional<std::string> cert_file;
  std::optional<std::string> secret_file;
  std::string alg;
  std::optional<std::string> aud;
  std::optional<std::string> iss;
};

struct ChosenKey {
  jose::Key key;
  std::string description;    // for messages: which key was used
  bool alg_from_jwk = false;  // the JWK's "alg" pinned the key; --alg may not widen it
};

// The key of a JWK Set the token names: by kid, else by x5t / x5t#S256 (members the JWK parser
// does not keep, so they are read from the set's JSON, whose order ParseJwks preserves), else
// the only key. Never "try every key" (a verifier must know which key it trusts for a token).
Result<ChosenKey> ChooseFromJwks(const std::string& text, const std::string& source,
                                 const jose::Jws& jws) {
  Result<std::vector<jose::Jwk>> keys = jose::ParseJwks(text);
  if (!keys.ok()) return keys.status().WithContext("cannot use the JWK Set from " + source);
  if (keys->empty()) return Status::NotFound("the JWK Set from " + source + " has no keys");
  const jose::Json set = jose::Json::parse(text);  // valid: ParseJwks accepted it
  const jose::Json& entries = set.at("keys");
  auto member = [&](std::size_t i, const char* name) -> std::string {
    auto it = entries[i].find(name);
    return it != entries[i].end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::optional<std::size_t> found;
  std::string wanted;
  if (jws.kid) {
    wanted = "kid \"" + *jws.kid + "\"";
    for (std::size_t i = 0; i < keys->size(); ++i) {
      if ((*keys)[i].kid == *jws.kid) found = i;
    }
  } else if (jws.x5t || jws.x5t_s256) {
    wanted = jws.x5t ? "x5t " + *jws.x5t : "x5t#S256 " + *jws.x5t_s256;
    for (std::size_t i = 0; i < keys->size(); ++i) {
      if ((jws.x5t && member(i, "x5t") == *jws.x5t) ||
          (!jws.x5t && member(i, "x5t#S256") == *jws.x5t_s256)) {
        found = i;
      }
    }
  } else if (keys->size() == 1) {
    found = 0;
  } else {
    return Status::NotFound(
        "the token names no key (no kid, x5t or x5t#S256) and the JWK Set "
        "from " +
        source + " holds " + std::to_string(keys->size()) + " keys");
  }
  if (!found) {
    std::string kids;
    for (const jose::Jwk& k : *keys) kids += (kids.empty() ? "" : ", ") + k.kid;
    return Status::NotFound("no key with " + wanted + " in the JWK Set from " + source +
                            " (kids: " + kids + ")");
  }
  const jose::Jwk& jwk = (*keys)[*found];
  return ChosenKey{jwk.key,
                   "key " +
                       (jwk.kid.empty() ? "#" + std::to_string(*found) : "\"" + jwk.kid + "\"") +
                       " of " + source,
                   entries[*found].contains("alg")};
}

Result<ChosenKey> ChooseKey(const VerifyOptions& o, const jose::Jws& jws, int64_t now) {
  if (o.cert_file) {
    TESSERA_ASSIGN_OR_RETURN(jose::Certificate cert, LoadCertificateFile(*o.cert_file, {}));
    // Contract section 2 rule 3: an expired certificate does not count.
    if (!cert.IsValidAt(now)) {
      return Status::FailedPrecondition("certificate " + *o.cert_file + " is valid only from " +
                                        jose::FormatNumericDate(cert.not_before) + " to " +
                                        jose::FormatNumericDate(cert.not_after));
    }
    return ChosenKey{cert.public_key, "certificate " + *o.cert_file + " (" + cert.subject + ")"};
  }
  if (o.secret_file) {
    TESSERA_ASSIGN_OR_RETURN(std::string secret, ReadFileBounded(*o.secret_file, "secret file"));
    // `echo secret > file` adds a newline that is not part of the secret.
    if (!secret.empty() && secret.back() == '\n') secret.pop_back();
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
    const std::string alg_name = o.alg.empty() ? "HS256" : o.alg;
    const std::optional<jose::Algorithm> alg = jose::AlgorithmFromName(alg_name);
    if (!alg || jose::FamilyOf(*alg) != jose::AlgorithmFamily::kHmac) {
      return Status::InvalidArgument("--secret-file takes --alg HS256, HS384 or HS512");
    }
    Result<jose::Key> key = jose::Key::FromSecret(secret, *alg);
    if (!key.ok()) return key.status().WithContext("cannot use secret file " + *o.secret_file);
    return ChosenKey{std::move(key).value(), "the secret in " + *o.secret_file};
  }
  std::string text, source;
  if (o.jwks_file) {
    TESSERA_ASSIGN_OR_RETURN(text, ReadFileBounded(*o.jwks_file, "JWK Set file"));
    source = *o.jwks_file;
  } else {
    TESSERA_ASSIGN_OR_RETURN(text, HttpGet(*o.jwks_url));
    source = *o.jwks_url;
  }
  return ChooseFromJwks(text, source, jws);
}

Status RunVerify(const VerifyOptions& o, CommandContext& ctx) {
  const int sources = o.jwks_url.has_value() + o.jwks_file.has_value() + o.cert_file.has_value() +
                      o.secret_file.has_value();
  if (sources != 1) {
    return Status::InvalidArgument(
        "give exactly one of --jwks-url URL, --jwks FILE, --cert FILE or --secret-file FILE");
  }
  TESSERA_ASSIGN_OR_RETURN(std::string token, TokenText(o.token));
  Result<jose::Jws> jws = jose::ParseJwt(token);
  if (!jws.ok()) return jws.status().WithContext("invalid token");
  const int64_t now = ctx.clock->NowSeconds();
  TESSERA_ASSIGN_OR_RETURN(ChosenKey chosen, ChooseKey(o, *jws, now));
  jose::Key key = chosen.key;
  if (!o.alg.empty() && !o.secret_file) {
    // RFC 7517 4.4: a JWK's "alg" says what the key is for; the command line may not widen it.
    const std::optional<jose::Algorithm> wanted = jose::AlgorithmFromName(o.alg);
    if (chosen.alg_from_jwk && wanted && !key.algorithms().Contains(*wanted)) {
      return Status::InvalidArgument("--alg " + o.alg + " is not the alg " +
                                     key.algorithms().ToString() + " that " + chosen.description +
                                     " declares");
    }
    TESSERA_ASSIGN_OR_RETURN(PinnedKey pinned, PinAlgorithm(key, o.alg));
    key = std::move(pinned.key);
  }
  // RFC 8725 3.1: the algorithm is the one the key is pinned to; the header only has to agree.
  Status sig = jose::Verify(*jws, key);
  if (!sig.ok()) {
    std::string msg = "token rejected: " + sig.message() + " (" + chosen.description + ")";
    if (jose::JoseErrorOf(sig) == jose::JoseError::kAlgNotAllowed && !chosen.alg_from_jwk &&
        key.CompatibleAlgorithms().Contains(jws->alg)) {
      msg += "; give --alg " + std::string(jose::AlgorithmName(jws->alg)) + " to accept it";
    }
    return Status(sig.code(), std::move(msg), sig.reason());
  }
  const jose::TimeRules rules{
      .now = now, .skew = kSkewSeconds, .max_lifetime = 0, .require_exp = true};
  Status times = jose::CheckTimes(jws->claims, rules);
  if (!times.ok()) return times.WithContext("token rejected");
  if (o.aud) {
    Status aud = jose::CheckAudience(jws->claims, {*o.aud});
    if (!aud.ok()) return aud.WithContext("token rejected");
  }
  if (o.iss) {
    Result<std::optional<std::string>> iss = jose::StringClaim(jws->claims, "iss");
    if (!iss.ok()) return iss.status().WithContext("token rejected: iss");
    if (!iss->has_value()) return Status::InvalidArgument("token rejected: no iss claim");
    if (**iss != *o.iss) {
      return Status::InvalidArgument("token rejected: iss \"" + **iss + "\" is not \"" + *o.iss +
                                     "\"");
    }
  }
  *ctx.out << jws->claims.dump(2) << '\n';
  return Status::Ok();
}

}  // namespace

void RegisterJwtCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* jwt = app.add_subcommand("jwt", "Decode or verify a JWT");
  jwt->require_subcommand(1);

  auto dec = std::make_shared<DecodeOptions>();
  CLI::App* d = jwt->add_subcommand(
      "decode", "Print the header and claims of a JWT WITHOUT verifying it, with readable times");
  d->add_option("TOKEN", dec->token, "The compact JWT, or - to read it from standard input")
      ->required();
  d->callback([&ctx, dec] { ctx.action = [&ctx, dec] { return RunDecode(*dec, ctx); }; });

  auto ver = std::make_shared<VerifyOptions>();
  CLI::App* v = jwt->add_subcommand(
      "verify",
      "Verify a JWT's signature with a key you trust and its exp/nbf/iat (30 s skew), then print "
      "its claims; exit status 1 with the reason when it does not verify");
  v->add_option("TOKEN", ver->token, "The compact JWT, or - to read it from standard input")
      ->required();
  v->add_option("--jwks-url", ver->jwks_url,
                "Fetch the JWK Set from this http(s) URL (1 MiB, 10 s); the key is chosen by the "
                "token's kid, x5t or x5t#S256");
  v->add_option("--jwks", ver->jwks_file, "Read the JWK Set from this file");
  v->add_option("--cert", ver->cert_file, "Verify with the key of this certificate (PEM or DER)");
  v->add_option("--secret-file", ver->secret_file,
                "Verify an HMAC (HS256) token with the secret in this file (one trailing newline "
                "is ignored)");
  v->add_option("--alg", ver->alg,
                "The algorithm to accept (default: the key's own: RS256 for RSA, ES* by curve, "
                "EdDSA, HS256 for a secret, or the JWK's alg)");
  v->add_option("--aud", ver->aud, "Require this value in aud");
  v->add_option("--iss", ver->iss, "Require this iss");
  v->callback([&ctx, ver] { ctx.action = [&ctx, ver] { return RunVerify(*ver, ctx); }; });
}

}  // namespace tessera::cli
