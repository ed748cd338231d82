#include "oauth/assertion.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

#include "jose/claims.h"
#include "jose/error.h"
#include "oauth/identifiers.h"

namespace tessera::oauth {
namespace {

using jose::JoseError;

constexpr std::size_t kMaxAssertionBytes = 32 * 1024;
constexpr std::size_t kMaxJtiLength = 256;  // replay (docs/security.md): no 1 MB jti in the store

bool IsHeaderPolicyError(JoseError e) {
  switch (e) {
    case JoseError::kAlgMissing:
    case JoseError::kAlgNone:
    case JoseError::kAlgUnknown:
    case JoseError::kCritUnsupported:
    case JoseError::kCritMalformed:
    case JoseError::kUnencodedPayload:
    case JoseError::kKeyHeaderForbidden:
    case JoseError::kUnsupportedHeader:
    case JoseError::kBadHeaderValue:
      return true;
    default:
      return false;
  }
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out.empty() ? "(none)" : out;
}

Reason TimeReason(JoseError e) {
  switch (e) {
    case JoseError::kExpired:
      return Reason::kAssertionExpired;
    case JoseError::kNotYetValid:
      return Reason::kAssertionNotYetValid;
    case JoseError::kIssuedInFuture:
      return Reason::kAssertionIssuedInFuture;
    case JoseError::kLifetimeTooLong:
      return Reason::kAssertionLifetimeTooLong;
    default:
      return Reason::kAssertionTimeClaimInvalid;
  }
}

std::string TimeFix(JoseError e, int64_t max_lifetime) {
  switch (e) {
    case JoseError::kExpired:
      return "sign a fresh assertion with exp in the future; check the client clock";
    case JoseError::kNotYetValid:
      return "remove nbf or set it to the signing time; check the client clock";
    case JoseError::kIssuedInFuture:
      return "set iat to the current time; the client clock is ahead of the server";
    case JoseError::kLifetimeTooLong:
      return "set exp at most " + std::to_string(max_lifetime) + " seconds after iat";
    case JoseError::kClaimMilliseconds:
      return "write exp/iat/nbf in seconds since 1970 (divide milliseconds by 1000)";
    case JoseError::kClaimType:
      return "write exp/iat/nbf as JSON numbers (no quotes), in seconds since 1970";
    default:
      return "include exp (and iat) as JSON numbers of seconds since 1970";
  }
}

// The certificate a header names, looked up as contract rule 3 orders it.
// How `token` is surrounded by whitespace ("ends with a newline (\n)"), or nullopt.
std::optional<std::string> SurroundingWhitespace(std::string_view token) {
  auto name = [](char c) -> std::string {
    switch (c) {
      case '\n':
        return "a newline (\\n)";
      case '\r':
        return "a carriage return (\\r)";
      case '\t':
        return "a tab";
      default:
        return "a space";
    }
  };
  auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  if (token.empty()) return std::nullopt;
  if (is_ws(token.back())) return "ends with " + name(token.back());
  if (is_ws(token.front())) return "begins with " + name(token.front());
  return std::nullopt;
}

struct KeyMatch {
  std::shared_ptr<const NamedCertificate> cert;  // null when none valid now matches
  std::string source;                            // for details and ValidatedAssertion
  bool expired_match = false;                    // a matching certificate not valid now
  store::CertificateKind kind = store::CertificateKind::kClient;  // where `cert` came from
};

// x5t, else x5t#S256, else kid. REQUIRES: the header names one of them.
bool Matches(const jose::Jws& jws, const NamedCertificate& c) {
  if (jws.x5t) return c.cert.x5t == *jws.x5t;
  if (jws.x5t_s256) return c.cert.x5t_s256 == *jws.x5t_s256;
  return c.alias == *jws.kid;
}

// The app's attached certificates first, then, for a user assertion, the partner certificates.
// The store's failures pass through; an attached alias whose certificate is gone is skipped.
Result<KeyMatch> FindCertificate(Directory& directory, const jose::Jws& jws,
                                 const store::App& client, bool user_assertion, int64_t now) {
  KeyMatch match;
  for (const auto& alias : client.certificate_aliases) {
    Result<std::shared_ptr<const NamedCertificate>> c = directory.ClientCertificate(alias);
    if (!c.ok()) {
      if (c.status().code() == StatusCode::kNotFound) continue;
      return c.status();
    }
    if (!Matches(jws, **c)) continue;
    if (!(*c)->cert.IsValidAt(now)) {
      match.expired_match = true;  // contract rule 3: an expired certificate does not count
      continue;
    }
    match.cert = *c;
    match.source = "certificate '" + alias + "' attached to client " + client.client_id;
    return match;
  }
  // Contract rule 3: partner certificates serve user assertions only. A client assertion is
  // the client's credential, so a partner's key (trusted to vouch for users) would otherwise
  // authenticate as any client, the administrator included.
  if (!user_assertion) return match;
  TESSERA_ASSIGN_OR_RETURN(std::shared_ptr<const std::vector<NamedCertificate>> partners,
                           directory.PartnerCertificates());
  for (const auto& p : *partners) {
    if (!Matches(jws, p)) continue;
    if (!p.cert.IsValidAt(now)) {
      match.expired_match = true;
      continue;
    }
    match.cert = std::make_shared<const NamedCertificate>(p);
    match.kind = store::CertificateKind::kPartner;
    match.source = "trusted partner certificate '" + p.alias + "'";
    return match;
  }
  return match;
}

}  // namespace

Status CheckAssertionAudience(const jose::Json& claims, AssertionKind kind,
                              const DomainConfig& config) {
  if (config.assertion_audience == AssertionAudience::kCompat)
    return jose::CheckAudience(claims, config.AcceptedAudiences());
  const bool client = kind == AssertionKind::kClientAuthentication;
  const std::string expected =
      client ? "'" + config.issuer + "' as its only value"
             : "only '" + config.issuer + "' or '" + config.TokenEndpoint() + "'";
  auto refuse = [&](const std::string& found) {
    return Status::InvalidArgument("assertion audience " + found +
                                   " is not accepted (strict audience profile, RFC 10070); "
                                   "expected " +
                                   expected);
  };
  auto it = claims.find("aud");
  if (it == claims.end()) return refuse("missing");
  std::vector<std::string> values;
  if (it->is_string()) {
    values.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    for (const jose::Json& v : *it) {
      if (!v.is_string()) return refuse("holding a value that is not a string");
      values.push_back(v.get<std::string>());
    }
  } else {
    return refuse("that is neither a string nor an array");
  }
  if (values.empty()) return refuse("empty");
  for (const std::string& v : values) {
    // RFC 10070: the issuer identifier, compared exactly; for grants also the token endpoint.
    const bool ok = v == config.issuer || (!client && v == config.TokenEndpoint());
    if (!ok) return refuse("'" + v.substr(0, 128) + "'");
  }
  // A client assertion's aud is that single value, never a list naming other audiences too.
  if (client && values.size() != 1)
    return refuse("with " + std::to_string(values.size()) + " values");
  return Status::Ok();
}

// Collects the outcomes of one validation and what the rules found; in strict mode the first
// failure ends validation.
struct AssertionValidator::Run {
  Run(const store::App& c, AssertionKind kind, std::vector<RuleOutcome>* r, int64_t t)
      : client(c), is_client(kind == AssertionKind::kClientAuthentication), now(t), report(r) {}

  // Records a failure: kStop in strict mode, kContinue in report mode.
  [[nodiscard]] Next Fail(int rule, const char* name, Reason reason, std::string detail,
                          std::string fix) {
    if (!first) first = Rejection{reason, detail, is_client};
    if (report) {
      report->push_back({rule, name, RuleResult::kFail, reason, std::move(detail), std::move(fix)});
    }
    return report == nullptr ? Next::kStop : Next::kContinue;
  }
  void Pass(int rule, const char* name, std::string detail = {}) {
    if (report)
      report->push_back({rule, name, RuleResult::kPass, std::nullopt, std::move(detail), {}});
  }
  void NotChecked(int rule, const char* name) {
    if (report) {
      report->push_back({rule,
                         name,
                         RuleResult::kNotChecked,
                         std::nullopt,
                         "not checked: the assertion's signature was not verified",
                         {}});
    }
  }
  Rejection rejection() const { return *first; }

  const store::App& client;
  const bool is_client;
  const int64_t now;
  std::vector<RuleOutcome>* const report;
  std::optional<Rejection> first;
  std::vector<std::string> allowed_names;  // rule 2: the app's algs as configured
  jose::AlgorithmSet allowed;              // rule 2: those that count; rule 3 pins the key to them
  ValidatedAssertion out;
};

AssertionValidator::AssertionValidator(Directory& directory, const DomainConfig& config,
                                       const Clock& clock)
    : directory_(directory), config_(config), clock_(clock) {}

AssertionResult AssertionValidator::Validate(std::string_view token, const store::App& client,
                                             AssertionKind kind, std::vector<RuleOutcome>* report,
                                             ReportDepth depth) const {
  Run run(client, kind, report, clock_.NowSeconds());
  if (CheckSyntax(token, run) == Next::kStop) return run.rejection();
  if (CheckHeader(run) == Next::kStop || CheckKey(run) == Next::kStop) return run.rejection();

  // Only signed claims are looked at for a caller who may not see past the signature.
  if (report != nullptr && depth == ReportDepth::kUntilSignatureFails &&
      run.out.key_source.empty()) {
    run.NotChecked(4, "issuer");
    if (run.is_client) run.NotChecked(4, "subject");
    run.NotChecked(5, "audience");
    run.NotChecked(6, "time");
    run.NotChecked(7, "jti");
    if (!run.is_client) run.NotChecked(8, "user");
    return run.rejection();
  }

  for (Next (AssertionValidator::*rule)(Run&) const :
       {&AssertionValidator::CheckIssuer, &AssertionValidator::CheckAudience,
        &AssertionValidator::CheckTimes, &AssertionValidator::CheckJti,
        &AssertionValidator::CheckUser}) {
    if ((this->*rule)(run) == Next::kStop) return run.rejection();
  }
  if (run.first) return run.rejection();
  return std::move(run.out);
}

AssertionValidator::Next AssertionValidator::CheckSyntax(std::string_view token, Run& run) const {
  // Whitespace around the assertion is refused like any other byte outside base64url (RFC 7515
  // 7.1 allows none), but named, since it is the usual mistake: a file written by
  // `tessera assert > a.jwt` ends with a newline that `curl --data-urlencode assertion@a.jwt`
  // sends.
  if (std::optional<std::string> ws = SurroundingWhitespace(token)) {
    (void)run.Fail(1, "syntax", Reason::kAssertionMalformed,
                   "assertion is not a valid JWT: it " + *ws +
                       "; send it without surrounding whitespace (RFC 7515 7.1)",
                   "send the assertion without surrounding whitespace, e.g. --data-urlencode "
                   "\"assertion=$(cat a.jwt)\" (command substitution drops the final newline) "
                   "instead of assertion@a.jwt");
    return Next::kStop;
  }
  jose::JwsOptions options;
  options.max_bytes = kMaxAssertionBytes;
  Result<jose::Jws> parsed = jose::ParseJwt(token, options);
  if (parsed.ok()) {
    run.Pass(1, "syntax");
    run.out.jws = std::move(parsed).value();
    return Next::kContinue;
  }
  const JoseError e = jose::JoseErrorOf(parsed.status());
  if (IsHeaderPolicyError(e)) {
    run.Pass(1, "syntax");
    (void)run.Fail(
        2, "header",
        e == JoseError::kAlgMissing || e == JoseError::kAlgNone || e == JoseError::kAlgUnknown
            ? Reason::kAssertionAlgNotAllowed
            : Reason::kAssertionHeaderRejected,
        "assertion header rejected: " + parsed.status().message(),
        "sign with RS256 (or an algorithm allowed for the app) and put only alg, typ and kid or "
        "x5t in the "
        "header; keys are never taken from the token");
  } else {
    (void)run.Fail(1, "syntax", Reason::kAssertionMalformed,
                   "assertion is not a valid JWT: " + parsed.status().message(),
                   "send one compact JWS (header.payload.signature) in strict base64url without "
                   "padding, whose header "
                   "and payload are JSON objects without repeated members");
  }
  return Next::kStop;
}

AssertionValidator::Next AssertionValidator::CheckHeader(Run& run) const {
  const jose::Jws& jws = run.out.jws;
  const store::App& client = run.client;
  run.allowed_names = client.assertion_algs;
  if (run.allowed_names.empty()) run.allowed_names = {"RS256"};
  for (const auto& name : run.allowed_names) {
    if (auto a = jose::AlgorithmFromName(name);
        a && jose::FamilyOf(*a) != jose::AlgorithmFamily::kHmac)
      run.allowed.Add(*a);
  }
  const std::string alg_name(jose::AlgorithmName(jws.alg));
  if (!run.allowed.Contains(jws.alg)) {
    if (run.Fail(2, "algorithm", Reason::kAssertionAlgNotAllowed,
                 "assertion alg " + alg_name + " is not allowed for client " + client.client_id +
                     "; allowed: " + Join(run.allowed_names),
                 "sign with " + run.allowed_names.front() + ", or allow " + alg_name +
                     " for the app") == Next::kStop) {
      return Next::kStop;
    }
  } else {
    run.Pass(2, "algorithm", alg_name);
  }

  // Explicit typing (docs/security.md): a typ other than JWT names another kind of JWT (at+jwt,
  // dpop+jwt, ...); client-authentication+jwt is a client assertion, never a grant. Compared as
  // a media type (RFC 7515 4.1.9: case-insensitive, "application/" optional).
  if (!jws.typ) return Next::kContinue;
  std::string typ = *jws.typ;
  std::transform(typ.begin(), typ.end(), typ.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (typ.rfind("application/", 0) == 0) typ.erase(0, sizeof("application/") - 1);
  if (typ == "jwt" || (run.is_client && typ == "client-authentication+jwt")) return Next::kContinue;
  return run.Fail(2, "typ", Reason::kAssertionHeaderRejected,
                  "assertion header rejected: typ '" + jws.typ->substr(0, 64) + "' is not a " +
                      (run.is_client ? "client assertion" : "user assertion") + " type",
                  run.is_client ? "omit typ or set it to JWT or client-authentication+jwt"
                                : "omit typ or set it to JWT");
}

AssertionValidator::Next AssertionValidator::CheckKey(Run& run) const {
  const jose::Jws& jws = run.out.jws;
  const store::App& client = run.client;
  const char* ref_kind = jws.x5t ? "x5t" : jws.x5t_s256 ? "x5t#S256" : jws.kid ? "kid" : nullptr;
  if (ref_kind == nullptr) {
    return run.Fail(3, "key", Reason::kAssertionNoKeyReference,
                    "assertion header names no key (kid, x5t or x5t#S256)",
                    "put the certificate alias in the header as kid, or the certificate's SHA-1 "
                    "thumbprint as x5t");
  }
  Result<KeyMatch> match = FindCertificate(directory_, jws, client, !run.is_client, run.now);
  if (!match.ok()) {
    (void)run.Fail(3, "key", Reason::kStoreUnavailable, match.status().message(), "retry later");
    return Next::kStop;
  }
  if (!match->cert) {
    const std::string& ref = jws.x5t ? *jws.x5t : jws.x5t_s256 ? *jws.x5t_s256 : *jws.kid;
    const std::string shown = ref.substr(0, 64);
    if (match->expired_match) {
      return run.Fail(
          3, "key", Reason::kAssertionCertificateExpired,
          std::string("the certificate named by ") + ref_kind + " '" + shown + "' has expired",
          "upload a new certificate (and sign with its key), or renew the certificate");
    }
    std::string detail = std::string("assertion ") + ref_kind + " '" + shown +
                         "' matches no certificate attached to client " + client.client_id +
                         " (aliases: " + Join(client.certificate_aliases) + ")" +
                         (run.is_client ? "" : " nor any trusted partner certificate");
    std::string fix = std::string(ref_kind) == "kid"
                          ? "set kid to the alias under which the certificate was uploaded and "
                            "attached to the app"
                          : "compute x5t from the certificate the app trusts (tessera keys "
                            "thumbprint CERT), or upload that certificate";
    // The usual mistake after an upload: the alias exists, but the app does not trust it yet.
    if (std::string(ref_kind) == "kid" && directory_.ClientCertificate(ref).ok()) {
      detail +=
          "; certificate '" + shown + "' is uploaded, not attached to client " + client.client_id;
      fix = "attach it: tessera admin apps attach-cert " + client.id + " --alias " + shown;
    }
    return run.Fail(3, "key", Reason::kAssertionKeyNotFound, std::move(detail), std::move(fix));
  }
  const jose::Key& public_key = match->cert->cert.public_key;
  Result<jose::Key> key =
      public_key.RestrictTo(run.allowed.Intersect(public_key.CompatibleAlgorithms()));
  if (!key.ok() || !key->algorithms().Contains(jws.alg)) {
    return run.Fail(3, "key", Reason::kAssertionAlgNotAllowed,
                    "assertion alg " + std::string(jose::AlgorithmName(jws.alg)) +
                        " does not fit the " + std::string(jose::KeyTypeName(public_key.type())) +
                        " key of " + match->source,
                    "sign with an algorithm of the certificate's key type (RS256 for RSA)");
  }
  if (Status s = jose::Verify(jws, *key); !s.ok()) {
    return run.Fail(
        3, "signature", Reason::kAssertionSignatureInvalid,
        "assertion signature does not verify with " + match->source + ": " + s.message(),
        "sign with the private key that belongs to that certificate, and send the JWT "
        "unmodified");
  }
  run.out.key_source = match->source;
  run.Pass(3, "signature", match->source);
  // A real request (not a diagnosis) used the certificate: noted in memory only.
  if (uses_ != nullptr && run.report == nullptr)
    uses_->Note(match->kind, match->cert->alias, run.now);
  return Next::kContinue;
}

AssertionValidator::Next AssertionValidator::CheckIssuer(Run& run) const {
  const jose::Json& claims = run.out.jws.claims;
  const std::string& client_id = run.client.client_id;
  Result<std::optional<std::string>> iss = jose::StringClaim(claims, "iss");
  if (!iss.ok() || !iss->has_value() || **iss != client_id) {
    const std::string got =
        iss.ok() && iss->has_value() ? "'" + (**iss).substr(0, 128) + "'" : "missing";
    if (run.Fail(4, "issuer", Reason::kAssertionIssuerMismatch,
                 "assertion iss " + got + " is not the client id " + client_id,
                 "set iss to the client id of the app (" + client_id + ")") == Next::kStop) {
      return Next::kStop;
    }
  } else {
    run.out.issuer = **iss;
    run.Pass(4, "issuer");
  }
  if (!run.is_client) return Next::kContinue;
  Result<std::optional<std::string>> sub = jose::StringClaim(claims, "sub");
  if (sub.ok() && sub->has_value() && **sub == client_id) return Next::kContinue;
  return run.Fail(4, "subject", Reason::kAssertionSubjectMismatch,
                  "client assertion sub is not the client id " + client_id,
                  "set both iss and sub to the client id (RFC 7523 3)");
}

AssertionValidator::Next AssertionValidator::CheckAudience(Run& run) const {
  const AssertionKind kind =
      run.is_client ? AssertionKind::kClientAuthentication : AssertionKind::kUserGrant;
  if (Status s = CheckAssertionAudience(run.out.jws.claims, kind, config_); !s.ok()) {
    return run.Fail(
        5, "audience", Reason::kAssertionAudienceRejected, s.message(),
        config_.assertion_audience == AssertionAudience::kStrict
            ? "set aud to " + config_.issuer + " (alone)"
            : "set aud to " + std::string(kOracleAudience) + " or to " + config_.issuer);
  }
  run.Pass(5, "audience");
  return Next::kContinue;
}

AssertionValidator::Next AssertionValidator::CheckTimes(Run& run) const {
  const jose::Json& claims = run.out.jws.claims;
  jose::TimeRules rules;
  rules.now = run.now;
  rules.skew = config_.clock_skew;
  rules.max_lifetime = config_.max_assertion_lifetime;
  if (Status s = jose::CheckTimes(claims, rules); !s.ok()) {
    const JoseError e = jose::JoseErrorOf(s);
    // Contract section 2: the description names the rule as "assertion expired at ...", so the
    // library's class prefix ("token expired: ") is dropped when a detail follows it.
    std::string detail = s.message();
    const std::string prefix = std::string(jose::JoseErrorText(e)) + ": ";
    if (TimeReason(e) != Reason::kAssertionTimeClaimInvalid && detail.rfind(prefix, 0) == 0) {
      detail.erase(0, prefix.size());
    }
    return run.Fail(6, "time", TimeReason(e), "assertion " + detail,
                    TimeFix(e, config_.max_assertion_lifetime));
  }
  run.out.expires_at = jose::NumericDateClaim(claims, "exp").value().value_or(run.now);
  run.Pass(6, "time");
  return Next::kContinue;
}

AssertionValidator::Next AssertionValidator::CheckJti(Run& run) const {
  // Its single use is the caller's atomic insert, once every rule has passed.
  Result<std::optional<std::string>> jti =
      jose::StringClaim(run.out.jws.claims, "jti", kMaxJtiLength);
  if (!jti.ok() || (jti->has_value() && !IsSafeIdentifier(**jti, kMaxJtiLength))) {
    return run.Fail(7, "jti", Reason::kAssertionJtiInvalid,
                    "assertion jti must be a non-empty string of at most 256 characters without "
                    "control characters",
                    "set jti to a new random UUID for every assertion");
  }
  if (jti->has_value()) {
    run.out.jti = **jti;
    run.Pass(7, "jti");
    return Next::kContinue;
  }
  if (run.client.require_jti) {
    return run.Fail(7, "jti", Reason::kAssertionJtiMissing,
                    "assertion has no jti, which this app requires",
                    "set jti to a new random UUID for every assertion");
  }
  run.Pass(7, "jti", "absent; waived for this app");
  return Next::kContinue;
}

AssertionValidator::Next AssertionValidator::CheckUser(Run& run) const {
  if (run.is_client) return Next::kContinue;  // a client assertion names the client, no user
  const jose::Json& claims = run.out.jws.claims;
  Result<std::optional<std::string>> sub = jose::StringClaim(claims, "sub");
  if (sub.ok() && !sub->has_value()) sub = jose::StringClaim(claims, "prn");
  if (!sub.ok() || !sub->has_value() || (*sub)->empty()) {
    return run.Fail(8, "user", Reason::kAssertionSubjectMissing,
                    "assertion names no user (sub or prn)", "set sub to the userName of the user");
  }
  const std::string shown = (*sub)->substr(0, 128);
  Result<std::shared_ptr<const store::User>> user =
      IsSafeIdentifier(**sub)
          ? directory_.FindUser(**sub)
          : Result<std::shared_ptr<const store::User>>(Status::NotFound("not an identifier"));
  if (!user.ok()) {
    if (user.status().code() == StatusCode::kNotFound) {
      return run.Fail(
          8, "user", Reason::kAssertionUserUnknown,
          "assertion sub '" + shown + "' is not the userName of any user",
          "set sub to the exact userName (not the id or the e-mail) of an existing user");
    }
    (void)run.Fail(8, "user", Reason::kStoreUnavailable, user.status().message(), "retry later");
    return Next::kStop;
  }
  if (!(*user)->active) {
    return run.Fail(8, "user", Reason::kAssertionUserInactive, "user '" + shown + "' is not active",
                    "activate the user");
  }
  run.out.user = *user;
  run.Pass(8, "user", shown);
  return Next::kContinue;
}

}  // namespace tessera::oauth
