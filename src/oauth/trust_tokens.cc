#include "oauth/trust_tokens.h"

#include <algorithm>

#include "common/random.h"
#include "jose/base64url.h"
#include "jose/claims.h"
#include "jose/keyio.h"
#include "oauth/identifiers.h"

namespace tessera::oauth {
namespace {

using jose::Json;

constexpr std::size_t kMinSharedSecret = 32;  // RFC 7518 3.2: at least the hash size
constexpr std::size_t kMaxTrustToken = 16 * 1024;

Status Invalid(std::string why) { return Status::InvalidArgument(std::move(why)); }

Json IssuerToJson(const store::TrustTokenIssuerRecord& r) {
  Json j = {{"issuer", r.issuer}, {"algorithm", r.shared_secret.empty() ? "RS256" : "HS256"}};
  if (!r.cert_alias.empty()) {
    j["certAlias"] = r.cert_alias;
    j["x509Base64Certificate"] = jose::Base64Encode(r.cert_der);
  }
  return j;
}

}  // namespace

TrustTokenService::TrustTokenService(store::Store& store, Directory& directory, SigningKeys& keys,
                                     TokenService& tokens, AuditLog& audit,
                                     const DomainConfig& config, const Clock& clock)
    : store_(store),
      directory_(directory),
      keys_(keys),
      tokens_(tokens),
      audit_(audit),
      config_(config),
      clock_(clock) {}

Outcome TrustTokenService::Mint(const ClientRequest& req) {
  const bool basic = req.basic.has_value();
  auto auth = tokens_.AuthenticateAndRecord(req);
  if (auto* r = std::get_if<Rejection>(&auth)) return Outcome::Fail(*r, basic);
  AuthenticatedClient& client = std::get<AuthenticatedClient>(auth);
  const store::App& app = *client.app;
  if (std::find(app.allowed_operations.begin(), app.allowed_operations.end(), "trustToken") ==
      app.allowed_operations.end()) {
    return Outcome::Fail(
        {Reason::kGrantNotAllowed,
         "client " + app.client_id + " is not allowed the trustToken operation", false},
        basic);
  }
  auto sub = req.form.find("sub");
  if (sub == req.form.end() || sub->second.empty()) {
    return Outcome::Fail({Reason::kMissingParameter, "sub (the userName) is required", false},
                         basic);
  }
  Result<std::shared_ptr<const store::User>> user =
      IsSafeIdentifier(sub->second)
          ? directory_.FindUser(sub->second)
          : Result<std::shared_ptr<const store::User>>(Status::NotFound("not an identifier"));
  if (!user.ok()) {
    if (user.status().code() == StatusCode::kNotFound) {
      return Outcome::Fail({Reason::kAssertionUserUnknown,
                            "no user with userName '" + sub->second.substr(0, 128) + "'", false},
                           basic);
    }
    return Outcome::Fail({Reason::kStoreUnavailable, user.status().message(), false}, basic);
  }
  if (!(*user)->active)
    return Outcome::Fail(
        {Reason::kAssertionUserInactive, "user '" + (*user)->user_name + "' is not active", false},
        basic);
  const int64_t now = clock_.NowSeconds();
  Json claims = {{"iss", config_.issuer},
                 {"sub", (*user)->user_name},
                 {"prn", (*user)->user_name},
                 {"user_id", (*user)->id},
                 {"client_id", app.client_id},
                 {"tok_type", "TT"},
                 {"iat", now},
                 {"exp", now + config_.trust_token_lifetime},
                 {"jti", RandomUuid()}};
  Result<std::string> token = keys_.Sign(claims);
  if (!token.ok())
    return Outcome::Fail({Reason::kInternal, token.status().message(), false}, basic);
  store::AuditEvent e;
  e.time = now;
  e.ecid = req.ecid;
  e.client_id = app.client_id;
  e.subject = (*user)->user_name;
  e.grant = "trust_token";
  e.outcome = "issued";
  audit_.Record(std::move(e));
  Json body = {{"access_token", *token},
               {"token_type", "JWT"},
               {"expires_in", config_.trust_token_lifetime},
               {"principal", (*user)->user_name}};
  return Outcome::Ok(jose::DumpCompact(body), basic);
}

Result<Json> TrustTokenService::Validate(std::string_view token, std::string* detail) {
  // Whatever the precise reason, an unregistered outside issuer, a key that does not verify and
  // an algorithm the issuer's key is not pinned to get this one answer: tokeninfo is open to
  // anyone, and must not tell which issuers exist or which algorithm each uses.
  auto unverified = [detail](std::string why) {
    if (detail != nullptr) *detail = std::move(why);
    return Invalid(std::string(kUnverifiedToken));
  };
  jose::JwsOptions options;
  options.max_bytes = kMaxTrustToken;
  Result<jose::Jws> parsed = jose::ParseJwt(token, options);
  if (!parsed.ok()) return Invalid("token is not a valid JWT: " + parsed.status().message());
  const jose::Jws& jws = *parsed;
  Result<std::optional<std::string>> iss = jose::StringClaim(jws.claims, "iss");
  if (!iss.ok() || !iss->has_value()) return Invalid("token has no iss");
  const std::string& issuer = **iss;
  const bool own = issuer == config_.issuer;

  if (own) {
    // Minted here: our own signing keys (a revoked one is not among them), and only our trust
    // tokens (not access tokens).
    // This issuer and its keys are public (the JWKS): its failures may be told precisely.
    if (!jws.kid) return Invalid("token has no kid");
    Result<std::shared_ptr<const LoadedKey>> key = keys_.Find(*jws.kid);
    if (!key.ok())
      return Invalid("unknown signing key " + jws.kid->substr(0, 64) +
                     " (never published, expired or revoked)");
    if (Status s = jose::Verify(jws, (*key)->public_key); !s.ok())
      return Invalid("signature: " + s.message());
    auto tt = jws.claims.find("tok_type");
    if (tt == jws.claims.end() || *tt != "TT")
      return Invalid("not a trust token (tok_type is not TT)");
  } else {
    if (!IsSafeIdentifier(issuer, 512)) return unverified("issuer is not an identifier");
    Result<store::TrustTokenIssuerRecord> rec = store_.GetTrustTokenIssuer(issuer);
    if (!rec.ok()) {
      if (rec.status().code() == StatusCode::kNotFound)
        return unverified("unknown issuer '" + issuer.substr(0, 128) + "'");
      return rec.status();
    }
    jose::Key key;
    if (!rec->shared_secret.empty()) {
      TESSERA_ASSIGN_OR_RETURN(key,
                               jose::Key::FromSecret(rec->shared_secret, jose::Algorithm::kHS256));
    } else {
      Result<jose::Certificate> cert = jose::LoadCertificate(rec->cert_der);
      if (!cert.ok()) return Status::Internal("stored issuer certificate no longer parses");
      if (!cert->IsValidAt(clock_.NowSeconds()))
        return unverified("the certificate of issuer '" + issuer.substr(0, 128) + "' has expired");
      TESSERA_ASSIGN_OR_RETURN(key, cert->public_key.RestrictTo({jose::Algorithm::kRS256}));
    }
    // The key is pinned to one algorithm: the header cannot choose another (RFC 8725 3.1).
    if (Status s = jose::Verify(jws, key); !s.ok())
      return unverified("issuer '" + issuer.substr(0, 128) + "': " + s.message());
  }

  TESSERA_ASSIGN_OR_RETURN(std::optional<int64_t> iat, jose::NumericDateClaim(jws.claims, "iat"));
  if (!iat) return Invalid("token has no iat");
  // The assertion rules' bounds (RFC 7523 3 items 4-6): exp present and not passed, nbf reached,
  // iat not in the future, each with the clock skew; and exp - iat bounded, so a token made to
  // last for ever, or issued years ago, is refused. Tokens minted here last trust_token_lifetime.
  jose::TimeRules rules;
  rules.now = clock_.NowSeconds();
  rules.skew = config_.clock_skew;
  rules.max_lifetime = own ? config_.trust_token_lifetime : config_.max_assertion_lifetime;
  if (Status s = jose::CheckTimes(jws.claims, rules); !s.ok()) return Invalid(s.message());
  Result<std::optional<std::string>> prn = jose::StringClaim(jws.claims, "prn");
  Result<std::optional<std::string>> sub = jose::StringClaim(jws.claims, "sub");
  const bool has_prn = prn.ok() && prn->has_value() && !(*prn)->empty();
  const bool has_sub = sub.ok() && sub->has_value() && !(*sub)->empty();
  if (!has_prn && !has_sub) return Invalid("token names no principal (prn or sub)");
  if (own) {
    // Minted for a user of this domain by one of its apps: in force only while both are.
    if (Status s = tokens_.CheckPrincipalsLive(jws.claims); !s.ok()) {
      return s.code() == StatusCode::kUnavailable ? s : Invalid(s.message());
    }
  }
  // The principal (prn, else sub) is a userName of this domain, of a user still active: a
  // trust token speaks for a user, and nobody else.
  const std::string principal = has_prn ? **prn : **sub;
  Result<std::shared_ptr<const store::User>> user =
      IsSafeIdentifier(principal)
          ? directory_.FindUser(principal)
          : Result<std::shared_ptr<const store::User>>(Status::NotFound("not an identifier"));
  if (!user.ok()) {
    if (user.status().code() == StatusCode::kUnavailable) return user.status();
    return Invalid("the token's principal '" + principal.substr(0, 128) +
                   "' is not a user of this domain");
  }
  if (!(*user)->active)
    return Invalid("the token's principal '" + principal.substr(0, 128) +
                   "' is not an active user");
  return jws.claims;
}

Result<Json> TrustTokenService::PutIssuer(const std::string& actor, const std::string& ecid,
                                          const Json& body) {
  if (!body.is_object()) return Invalid("a trust-token issuer is a JSON object");
  auto str = [&](const char* name) -> std::string {
    auto it = body.find(name);
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  store::TrustTokenIssuerRecord rec;
  rec.issuer = str("issuer");
  if (!IsSafeIdentifier(rec.issuer, 512))
    return Invalid("'issuer' is required: at most 512 characters, no control characters");
  if (rec.issuer == config_.issuer) return Invalid("'issuer' is Tessera's own issuer");
  rec.shared_secret = str("sharedSecret");
  rec.cert_alias = str("certAlias");
  const std::string cert_text = str("x509Base64Certificate");
  if (rec.shared_secret.empty() == cert_text.empty()) {
    return Invalid(
        "give either 'sharedSecret' (HS256) or 'certAlias' and 'x509Base64Certificate' (RS256)");
  }
  if (!rec.shared_secret.empty() && rec.shared_secret.size() < kMinSharedSecret) {
    return Invalid("'sharedSecret' must be at least 32 bytes (RFC 7518 3.2)");
  }
  if (!cert_text.empty()) {
    if (rec.cert_alias.empty()) return Invalid("'certAlias' is required with a certificate");
    Result<jose::Certificate> cert = jose::LoadCertificate(cert_text);
    if (!cert.ok()) return Invalid("x509Base64Certificate refused: " + cert.status().message());
    if (cert->public_key.type() != jose::KeyType::kRsa)
      return Invalid("a trust-token issuer certificate must hold an RSA key (RS256)");
    if (cert->not_after < clock_.NowSeconds())
      return Invalid("x509Base64Certificate refused: the certificate has expired");
    rec.cert_der = cert->der;
  }
  rec.created_at = clock_.NowSeconds();
  Status s = store_.PutTrustTokenIssuer(rec);
  if (s.code() == StatusCode::kAlreadyExists)
    return Status::AlreadyExists("issuer '" + rec.issuer + "' is already registered");
  TESSERA_RETURN_IF_ERROR(s);
  store::AuditEvent e;
  e.time = rec.created_at;
  e.ecid = ecid;
  e.client_id = actor;
  e.subject = rec.issuer.substr(0, 256);
  e.grant = "admin";
  e.outcome = "trust_token_issuer.create";
  audit_.Record(std::move(e));
  return IssuerToJson(rec);
}

Result<Json> TrustTokenService::ListIssuers() {
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::TrustTokenIssuerRecord> recs,
                           store_.ListTrustTokenIssuers());
  Json out = Json::array();
  for (const auto& r : recs) out.push_back(IssuerToJson(r));
  return Json{{"schemas", {"urn:ietf:params:scim:api:messages:2.0:ListResponse"}},
              {"totalResults", out.size()},
              {"Resources", out}};
}

Status TrustTokenService::DeleteIssuer(const std::string& actor, const std::string& ecid,
                                       const std::string& issuer) {
  TESSERA_RETURN_IF_ERROR(store_.DeleteTrustTokenIssuer(issuer));
  store::AuditEvent e;
  e.time = clock_.NowSeconds();
  e.ecid = ecid;
  e.client_id = actor;
  e.subject = issuer.substr(0, 256);
  e.grant = "admin";
  e.outcome = "trust_token_issuer.delete";
  audit_.Record(std::move(e));
  return Status::Ok();
}

}  // namespace tessera::oauth
