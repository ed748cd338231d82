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

constexpr std::size_t kMaxAssertionBytes = 32 * 1024;
constexpr std::size_t kMaxJtiLength = 256;  // replay (docs/security.md): no 1 MB jti in the store

// Collects outcomes; in strict mode the first failure ends validation.
class Recorder {
 public:
  Recorder(std::vector<RuleOutcome>* report, bool client_assertion)
      : report_(report), client_assertion_(client_assertion) {}

  // Records a failure. Returns true if validation should stop here.
  bool Fail(int rule, const char* name, Reason reason, std::string detail, std::string fix) {
    if (!first_) first_ = Rejection{reason, detail, client_assertion_};
    if (report_) {
      report_->push_back(
          {rule, name, RuleResult::kFail, reason, std::move(detail), std::move(fix)});
    }
    return report_ == nullptr;
  }
  void Pass(int rule, const char* name, std::string detail = {}) {
    if (report_)
      report_->push_back({rule, name, RuleResult::kPass, std::nullopt, std::move(detail), {}});
  }
  void NotChecked(int rule, const char* name) {
    if (report_) {
      report_->push_back({rule,
                          name,
                          RuleResult::kNotChecked,
                          std::nullopt,
                          "not checked: the assertion's signature was not verified",
                          {}});
    }
  }
  bool failed() const { return first_.has_value(); }
  Rejection rejection() const { return *first_; }

 private:
  std::vector<RuleOutcome>* report_;
  bool client_assertion_;
  std::optional<Rejection> first_;
};

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

}  // namespace

AssertionValidator::AssertionValidator(Directory& directory, const DomainConfig& config,
                                       const Clock& clock)
    : directory_(directory), config_(config), clock_(clock) {}

AssertionResult AssertionValidator::Validate(std::string_view token, const store::App& client,
                                             AssertionKind kind, std::vector<RuleOutcome>* report,
                                             ReportDepth depth) const {
  const bool is_client = kind == AssertionKind::kClientAuthentication;
  Recorder rec(report, is_client);
  const int64_t now = clock_.NowSeconds();
  ValidatedAssertion out;

  // Rule 1: whitespace around the assertion is refused like any other byte outside base64url
  // (RFC 7515 7.1 allows none), but named, since it is the usual mistake: a file written by
  // `tessera assert > a.jwt` ends with a newline that `curl --data-urlencode assertion@a.jwt`
  // sends.
  if (std::optional<std::string> ws = SurroundingWhitespace(token)) {
    rec.Fail(1, "syntax", Reason::kAssertionMalformed,
             "assertion is not a valid JWT: it " + *ws +
                 "; send it without surrounding whitespace (RFC 7515 7.1)",
             "send the assertion without surrounding whitespace, e.g. --data-urlencode "
             "\"assertion=$(cat a.jwt)\" (command substitution drops the final newline) instead "
             "of assertion@a.jwt");
    return rec.rejection();
  }

  // Rule 1 and the key-independent part of rule 2.
  jose::JwsOptions options;
  options.max_bytes = kMaxAssertionBytes;
  Result<jose::Jws> parsed = jose::ParseJwt(token, options);
  if (!parsed.ok()) {
    const JoseError e = jose::JoseErrorOf(parsed.status());
    if (IsHeaderPolicyError(e)) {
      rec.Pass(1, "syntax");
      rec.Fail(
          2, "header",
          e == JoseError::kAlgMissing || e == JoseError::kAlgNone || e == JoseError::kAlgUnknown
              ? Reason::kAssertionAlgNotAllowed
              : Reason::kAssertionHeaderRejected,
          "assertion header rejected: " + parsed.status().message(),
          "sign with RS256 (or an algorithm allowed for the app) and put only alg, typ and kid or "
          "x5t in the "
          "header; keys are never taken from the token");
    } else {
      rec.Fail(1, "syntax", Reason::kAssertionMalformed,
               "assertion is not a valid JWT: " + parsed.status().message(),
               "send one compact JWS (header.payload.signature) in strict base64url without "
               "padding, whose header "
               "and payload are JSON objects without repeated members");
    }
    return rec.rejection();
  }
  rec.Pass(1, "syntax");
  out.jws = std::move(parsed).value();
  const jose::Jws& jws = out.jws;

  // Rule 2: alg in the app's allowed list.
  std::vector<std::string> allowed_names = client.assertion_algs;
  if (allowed_names.empty()) allowed_names = {"RS256"};
  jose::AlgorithmSet allowed;
  for (const auto& name : allowed_names) {
    if (auto a = jose::AlgorithmFromName(name);
        a && jose::FamilyOf(*a) != jose::AlgorithmFamily::kHmac)
      allowed.Add(*a);
  }
  const std::string alg_name(jose::AlgorithmName(jws.alg));
  if (!allowed.Contains(jws.alg)) {
    if (rec.Fail(
            2, "algorithm", Reason::kAssertionAlgNotAllowed,
            "assertion alg " + alg_name + " is not allowed for client " + client.client_id +
                "; allowed: " + Join(allowed_names),
            "sign with " + allowed_names.front() + ", or allow " + alg_name + " for the app")) {
      return rec.rejection();
    }
  } else {
    rec.Pass(2, "algorithm", alg_name);
  }

  // Rule 2, explicit typing (docs/security.md): a typ other than JWT names another kind of JWT
  // (at+jwt, dpop+jwt, ...); client-authentication+jwt is a client assertion, never a grant.
  // Compared as a media type (RFC 7515 4.1.9: case-insensitive, "application/" optional).
  if (jws.typ) {
    std::string typ = *jws.typ;
    std::transform(typ.begin(), typ.end(), typ.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (typ.rfind("application/", 0) == 0) typ.erase(0, sizeof("application/") - 1);
    if (typ != "jwt" && !(is_client && typ == "client-authentication+jwt")) {
      if (rec.Fail(2, "typ", Reason::kAssertionHeaderRejected,
                   "assertion header rejected: typ '" + jws.typ->substr(0, 64) + "' is not a " +
                       (is_client ? "client assertion" : "user assertion") + " type",
                   is_client ? "omit typ or set it to JWT or client-authentication+jwt"
                             : "omit typ or set it to JWT")) {
        return rec.rejection();
      }
    }
  }

  // Rule 3: the key, by x5t, then x5t#S256, then kid.
  const char* ref_kind = jws.x5t ? "x5t" : jws.x5t_s256 ? "x5t#S256" : jws.kid ? "kid" : nullptr;
  const std::string ref = jws.x5t        ? *jws.x5t
                          : jws.x5t_s256 ? *jws.x5t_s256
                          : jws.kid      ? *jws.kid
                                         : "";
  auto matches = [&](const NamedCertificate& c) {
    if (jws.x5t) return c.cert.x5t == *jws.x5t;
    if (jws.x5t_s256) return c.cert.x5t_s256 == *jws.x5t_s256;
    return c.alias == *jws.kid;
  };
  std::shared_ptr<const NamedCertificate> found;
  std::string found_source;
  store::CertificateKind found_kind = store::CertificateKind::kClient;
  bool expired_match = false;
  if (ref_kind == nullptr) {
    if (rec.Fail(3, "key", Reason::kAssertionNoKeyReference,
                 "assertion header names no key (kid, x5t or x5t#S256)",
                 "put the certificate alias in the header as kid, or the certificate's SHA-1 "
                 "thumbprint as x5t")) {
      return rec.rejection();
    }
  } else {
    for (const auto& alias : client.certificate_aliases) {
      Result<std::shared_ptr<const NamedCertificate>> c = directory_.ClientCertificate(alias);
      if (!c.ok()) {
        if (c.status().code() == StatusCode::kNotFound) continue;
        rec.Fail(3, "key", Reason::kStoreUnavailable, c.status().message(), "retry later");
        return rec.rejection();
      }
      if (!matches(**c)) continue;
      if (!(*c)->cert.IsValidAt(now)) {
        expired_match = true;  // contract rule 3: an expired certificate does not count
        continue;
      }
      found = *c;
      found_source = "certificate '" + alias + "' attached to client " + client.client_id;
      break;
    }
    // Contract rule 3: partner certificates serve user assertions only. A client assertion is
    // the client's credential, so a partner's key (trusted to vouch for users) would otherwise
    // authenticate as any client, the administrator included.
    if (!found && !is_client) {
      Result<std::shared_ptr<const std::vector<NamedCertificate>>> partners =
          directory_.PartnerCertificates();
      if (!partners.ok()) {
        rec.Fail(3, "key", Reason::kStoreUnavailable, partners.status().message(), "retry later");
        return rec.rejection();
      }
      for (const auto& p : **partners) {
        if (!matches(p)) continue;
        if (!p.cert.IsValidAt(now)) {
          expired_match = true;
          continue;
        }
        found = std::make_shared<const NamedCertificate>(p);
        found_kind = store::CertificateKind::kPartner;
        found_source = "trusted partner certificate '" + p.alias + "'";
        break;
      }
    }
    if (!found) {
      const std::string shown = ref.substr(0, 64);
      if (expired_match) {
        if (rec.Fail(
                3, "key", Reason::kAssertionCertificateExpired,
                std::string("the certificate named by ") + ref_kind + " '" + shown +
                    "' has expired",
                "upload a new certificate (and sign with its key), or renew the certificate")) {
          return rec.rejection();
        }
      } else {
        // The usual mistake after an upload: the alias exists but the app does not trust it yet.
        bool uploaded_not_attached = false;
        if (std::string(ref_kind) == "kid") {
          Result<std::shared_ptr<const NamedCertificate>> c = directory_.ClientCertificate(ref);
          uploaded_not_attached = c.ok();
        }
        std::string detail = std::string("assertion ") + ref_kind + " '" + shown +
                             "' matches no certificate attached to client " + client.client_id +
                             " (aliases: " + Join(client.certificate_aliases) + ")" +
                             (is_client ? "" : " nor any trusted partner certificate");
        std::string fix =
            std::string(ref_kind) == "kid"
                ? "set kid to the alias under which the certificate was uploaded and attached to "
                  "the app"
                : "compute x5t from the certificate the app trusts (tessera keys thumbprint CERT), "
                  "or upload that certificate";
        if (uploaded_not_attached) {
          detail += "; certificate '" + shown + "' is uploaded, not attached to client " +
                    client.client_id;
          fix = "attach it: tessera admin apps attach-cert " + client.id + " --alias " + shown;
        }
        if (rec.Fail(3, "key", Reason::kAssertionKeyNotFound, std::move(detail), std::move(fix))) {
          return rec.rejection();
        }
      }
    } else {
      Result<jose::Key> key = found->cert.public_key.RestrictTo(
          allowed.Intersect(found->cert.public_key.CompatibleAlgorithms()));
      if (!key.ok() || !key->algorithms().Contains(jws.alg)) {
        if (rec.Fail(3, "key", Reason::kAssertionAlgNotAllowed,
                     "assertion alg " + alg_name + " does not fit the " +
                         std::string(jose::KeyTypeName(found->cert.public_key.type())) +
                         " key of " + found_source,
                     "sign with an algorithm of the certificate's key type (RS256 for RSA)")) {
          return rec.rejection();
        }
      } else if (Status s = jose::Verify(jws, *key); !s.ok()) {
        if (rec.Fail(
                3, "signature", Reason::kAssertionSignatureInvalid,
                "assertion signature does not verify with " + found_source + ": " + s.message(),
                "sign with the private key that belongs to that certificate, and send the JWT "
                "unmodified")) {
          return rec.rejection();
        }
      } else {
        out.key_source = found_source;
        rec.Pass(3, "signature", found_source);
        // A real request (not a diagnosis) used the certificate: noted in memory only.
        if (uses_ != nullptr && report == nullptr) uses_->Note(found_kind, found->alias, now);
      }
    }
  }

  // Only signed claims are looked at for a caller who may not see past the signature.
  if (report != nullptr && depth == ReportDepth::kUntilSignatureFails && out.key_source.empty()) {
    rec.NotChecked(4, "issuer");
    if (is_client) rec.NotChecked(4, "subject");
    rec.NotChecked(5, "audience");
    rec.NotChecked(6, "time");
    rec.NotChecked(7, "jti");
    if (!is_client) rec.NotChecked(8, "user");
    return rec.rejection();
  }

  // Rule 4: iss (and sub for a client assertion) is the client.
  const jose::Json& claims = jws.claims;
  Result<std::optional<std::string>> iss = jose::StringClaim(claims, "iss");
  if (!iss.ok() || !iss->has_value() || **iss != client.client_id) {
    const std::string got =
        iss.ok() && iss->has_value() ? "'" + (**iss).substr(0, 128) + "'" : "missing";
    if (rec.Fail(4, "issuer", Reason::kAssertionIssuerMismatch,
                 "assertion iss " + got + " is not the client id " + client.client_id,
                 "set iss to the client id of the app (" + client.client_id + ")")) {
      return rec.rejection();
    }
  } else {
    out.issuer = **iss;
    rec.Pass(4, "issuer");
  }
  if (is_client) {
    Result<std::optional<std::string>> sub = jose::StringClaim(claims, "sub");
    if (!sub.ok() || !sub->has_value() || **sub != client.client_id) {
      if (rec.Fail(4, "subject", Reason::kAssertionSubjectMismatch,
                   "client assertion sub is not the client id " + client.client_id,
                   "set both iss and sub to the client id (RFC 7523 3)")) {
        return rec.rejection();
      }
    }
  }

  // Rule 5: aud.
  if (Status s = jose::CheckAudience(claims, config_.AcceptedAudiences()); !s.ok()) {
    if (rec.Fail(5, "audience", Reason::kAssertionAudienceRejected, s.message(),
                 "set aud to " + std::string(kOracleAudience) + " or to " + config_.issuer)) {
      return rec.rejection();
    }
  } else {
    rec.Pass(5, "audience");
  }

  // Rule 6: times.
  jose::TimeRules rules;
  rules.now = now;
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
    if (rec.Fail(6, "time", TimeReason(e), "assertion " + detail,
                 TimeFix(e, config_.max_assertion_lifetime))) {
      return rec.rejection();
    }
  } else {
    out.expires_at = jose::NumericDateClaim(claims, "exp").value().value_or(now);
    rec.Pass(6, "time");
  }

  // Rule 7: jti shape (its single use is the caller's atomic insert).
  Result<std::optional<std::string>> jti = jose::StringClaim(claims, "jti", kMaxJtiLength);
  if (!jti.ok() || (jti->has_value() && !IsSafeIdentifier(**jti, kMaxJtiLength))) {
    if (rec.Fail(7, "jti", Reason::kAssertionJtiInvalid,
                 "assertion jti must be a non-empty string of at most 256 characters without "
                 "control characters",
                 "set jti to a new random UUID for every assertion")) {
      return rec.rejection();
    }
  } else if (!jti->has_value()) {
    if (client.require_jti) {
      if (rec.Fail(7, "jti", Reason::kAssertionJtiMissing,
                   "assertion has no jti, which this app requires",
                   "set jti to a new random UUID for every assertion")) {
        return rec.rejection();
      }
    } else {
      rec.Pass(7, "jti", "absent; waived for this app");
    }
  } else {
    out.jti = **jti;
    rec.Pass(7, "jti");
  }

  // Rule 8: the user.
  if (!is_client) {
    Result<std::optional<std::string>> sub = jose::StringClaim(claims, "sub");
    if (sub.ok() && !sub->has_value()) sub = jose::StringClaim(claims, "prn");
    if (!sub.ok() || !sub->has_value() || (*sub)->empty()) {
      if (rec.Fail(8, "user", Reason::kAssertionSubjectMissing,
                   "assertion names no user (sub or prn)", "set sub to the userName of the user")) {
        return rec.rejection();
      }
    } else {
      const std::string shown = (*sub)->substr(0, 128);
      Result<std::shared_ptr<const store::User>> user =
          IsSafeIdentifier(**sub)
              ? directory_.FindUser(**sub)
              : Result<std::shared_ptr<const store::User>>(Status::NotFound("not an identifier"));
      if (!user.ok()) {
        if (user.status().code() == StatusCode::kNotFound) {
          if (rec.Fail(
                  8, "user", Reason::kAssertionUserUnknown,
                  "assertion sub '" + shown + "' is not the userName of any user",
                  "set sub to the exact userName (not the id or the e-mail) of an existing user")) {
            return rec.rejection();
          }
        } else {
          rec.Fail(8, "user", Reason::kStoreUnavailable, user.status().message(), "retry later");
          return rec.rejection();
        }
      } else if (!(*user)->active) {
        if (rec.Fail(8, "user", Reason::kAssertionUserInactive,
                     "user '" + shown + "' is not active", "activate the user")) {
          return rec.rejection();
        }
      } else {
        out.user = *user;
        rec.Pass(8, "user", shown);
      }
    }
  }

  if (rec.failed()) return rec.rejection();
  return out;
}

}  // namespace tessera::oauth
