#include "tessera/verifier.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "jose/claims.h"
#include "jose/error.h"
#include "jose/json.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "oauth/dpop.h"
#include "oauth/dpop_replay.h"
#include "verifier/jwks_fetch.h"
#include "verifier/sender_constraint.h"

namespace tessera::verifier {
namespace {

using jose::JoseError;

Status Fail(VerifyReason reason, std::string_view detail = {}) {
  std::string message(ReasonText(reason));
  if (!detail.empty()) {
    message += ": ";
    message += detail;
  }
  const StatusCode code =
      reason == VerifyReason::kInsufficientScope ? StatusCode::kPermissionDenied
      : reason == VerifyReason::kKeySetUnavailable || reason == VerifyReason::kDpopReplayCacheFull
          ? StatusCode::kUnavailable
          : StatusCode::kUnauthenticated;
  return Status(code, std::move(message), static_cast<int>(reason));
}

// The jose message already names the rule and the offending value; keep it as the detail.
std::string JoseDetail(const Status& s) { return s.message(); }

VerifyReason ParseReason(JoseError e) {
  switch (e) {
    case JoseError::kTooLarge:
      return VerifyReason::kTooLarge;
    case JoseError::kAlgMissing:
    case JoseError::kAlgNone:
    case JoseError::kAlgUnknown:
    case JoseError::kAlgNotAllowed:
    case JoseError::kCritUnsupported:
    case JoseError::kCritMalformed:
    case JoseError::kUnencodedPayload:
    case JoseError::kKeyHeaderForbidden:
    case JoseError::kUnsupportedHeader:
    case JoseError::kBadHeaderValue:
      return VerifyReason::kUnsupportedHeader;
    default:
      return VerifyReason::kMalformed;
  }
}

VerifyReason TimeReason(JoseError e) {
  switch (e) {
    case JoseError::kExpired:
    case JoseError::kClaimMissing:  // "exp" is required
      return VerifyReason::kExpired;
    case JoseError::kNotYetValid:
      return VerifyReason::kNotYetValid;
    case JoseError::kIssuedInFuture:
      return VerifyReason::kIssuedInFuture;
    default:
      return VerifyReason::kBadTimeClaim;
  }
}

struct KeyEntry {
  jose::Key key;
  std::string kid;
  std::string x5t;
};

// An immutable parsed key set, shared by readers while a fetch builds the next one.
struct KeySet {
  std::vector<KeyEntry> keys;
  std::unordered_map<std::string, std::size_t> by_kid;

  const KeyEntry* FindKid(const std::string& kid) const {
    auto it = by_kid.find(kid);
    return it == by_kid.end() ? nullptr : &keys[it->second];
  }
  const KeyEntry* FindX5t(const std::string& x5t) const {
    for (const KeyEntry& k : keys) {
      if (!k.x5t.empty() && k.x5t == x5t) return &k;
    }
    return nullptr;
  }
};

Result<std::shared_ptr<const KeySet>> ParseKeySet(const std::string& text) {
  TESSERA_ASSIGN_OR_RETURN(std::vector<jose::Jwk> jwks, jose::ParseJwks(text));
  // ParseJwks keeps the set's order; "x5t" is read from the JSON, which it already accepted.
  TESSERA_ASSIGN_OR_RETURN(jose::Json set,
                           jose::ParseStrictJson(text, {.max_bytes = text.size() + 1}));
  const jose::Json& entries = set.at("keys");
  auto out = std::make_shared<KeySet>();
  for (std::size_t i = 0; i < jwks.size(); ++i) {
    KeyEntry entry{std::move(jwks[i].key), std::move(jwks[i].kid), ""};
    auto x5t = entries[i].find("x5t");
    if (x5t != entries[i].end() && x5t->is_string()) entry.x5t = x5t->get<std::string>();
    if (!entry.kid.empty()) out->by_kid.emplace(entry.kid, i);
    out->keys.push_back(std::move(entry));
  }
  return std::shared_ptr<const KeySet>(std::move(out));
}

}  // namespace

const Clock& SystemClock() {
  static const tessera::SystemClock clock;
  return clock;
}

std::string_view ReasonText(VerifyReason reason) {
  switch (reason) {
    case VerifyReason::kOk:
      return "the token is valid";
    case VerifyReason::kMissingToken:
      return "no bearer token";
    case VerifyReason::kNotBearer:
      return "the Authorization header is not \"Bearer <token>\"";
    case VerifyReason::kMalformed:
      return "the token is not a well-formed JWT";
    case VerifyReason::kTooLarge:
      return "the token is too large";
    case VerifyReason::kUnsupportedHeader:
      return "the token header is not accepted";
    case VerifyReason::kNoKeyId:
      return "the token names no key (kid)";
    case VerifyReason::kUnknownKey:
      return "the token's signing key is unknown";
    case VerifyReason::kKeySetUnavailable:
      return "the signing keys are unavailable";
    case VerifyReason::kAlgorithmNotAllowed:
      return "the token's algorithm is not the key's algorithm";
    case VerifyReason::kSignatureInvalid:
      return "the token signature is invalid";
    case VerifyReason::kIssuerMissing:
      return "the token has no issuer";
    case VerifyReason::kIssuerMismatch:
      return "the token issuer is not accepted";
    case VerifyReason::kExpired:
      return "the token has expired";
    case VerifyReason::kNotYetValid:
      return "the token is not valid yet";
    case VerifyReason::kIssuedInFuture:
      return "the token is issued in the future";
    case VerifyReason::kBadTimeClaim:
      return "the token's time claims are malformed";
    case VerifyReason::kAudienceMissing:
      return "the token has no audience";
    case VerifyReason::kAudienceMismatch:
      return "the token audience is not accepted";
    case VerifyReason::kSubjectMissing:
      return "the token has no subject";
    case VerifyReason::kBadScopeClaim:
      return "the token scope claim is malformed";
    case VerifyReason::kInsufficientScope:
      return "the token lacks a required scope";
    case VerifyReason::kSenderConstrained:
      return "the token is sender-constrained";
    case VerifyReason::kBadConfirmation:
      return "the token's confirmation (cnf) cannot be checked";
    case VerifyReason::kBoundTokenAsBearer:
      return "a DPoP-bound token must be sent with the DPoP scheme";
    case VerifyReason::kUnboundTokenAsDpop:
      return "the token is not bound to a DPoP key";
    case VerifyReason::kDpopProofInvalid:
      return "the DPoP proof is invalid";
    case VerifyReason::kDpopNonceRequired:
      return "the DPoP proof needs a server nonce";
    case VerifyReason::kDpopKeyMismatch:
      return "the DPoP proof is not signed by the token's key";
    case VerifyReason::kDpopProofReplayed:
      return "the DPoP proof was already used";
    case VerifyReason::kDpopReplayCacheFull:
      return "DPoP proofs cannot be recorded now";
    case VerifyReason::kCertificateMissing:
      return "the token requires a client certificate";
    case VerifyReason::kCertificateMismatch:
      return "the client certificate is not the token's";
  }
  return "unknown reason";  // not reached: the switch names every value
}

VerifyReason ReasonOf(const Status& status) {
  return status.ok() ? VerifyReason::kOk : static_cast<VerifyReason>(status.reason());
}

// A token that passed every check of Verifier::Impl::Verify, with its "cnf" (RFC 7800 3.1) read
// from the claims as parsed for those checks (no second parse), or why that "cnf" is malformed.
struct VerifiedToken {
  Principal principal;
  Result<Confirmation> confirmation;
};

class Verifier::Impl {
 public:
  explicit Impl(VerifierOptions options)
      : o_(std::move(options)), clock_(o_.clock != nullptr ? o_.clock : &SystemClock()) {}

  Result<VerifiedToken> Verify(std::string_view token) const;
  Admission VerifyRequest(const ResourceRequest& request) const;
  Status Fetch() const;
  // The sender-constraint check, made once options are validated (Create).
  Status InitSender();
  VerifierStats Stats() const {
    std::lock_guard lock(mu_);
    return {fetches_, failures_, keys_ ? keys_->keys.size() : 0};
  }

 private:
  struct Snapshot {
    std::shared_ptr<const KeySet> keys;
    int64_t cache_until = 0;
    uint64_t generation = 0;
  };
  Snapshot Current() const {
    std::lock_guard lock(mu_);
    return {keys_, cache_until_, generation_};
  }
  // Fetches unless a fetch happened less than refetch_interval ago, or another thread fetched
  // since `seen_generation` (then its result is used). `wait` decides whether to wait for a fetch
  // in progress in another thread or to go on with the keys at hand.
  void MaybeFetch(uint64_t seen_generation, bool wait) const;

  const VerifierOptions o_;
  const Clock* const clock_;
  std::unique_ptr<oauth::InMemoryProofReplayCache> replay_;
  std::optional<SenderConstraint> sender_;
  mutable std::mutex fetch_mu_;  // held for the whole fetch: single-flight
  mutable std::mutex mu_;        // guards the members below
  mutable std::shared_ptr<const KeySet> keys_;
  mutable int64_t cache_until_ = 0;
  mutable int64_t last_attempt_ = std::numeric_limits<int64_t>::min();
  mutable uint64_t generation_ = 0;  // +1 per completed fetch attempt
  mutable uint64_t fetches_ = 0;
  mutable uint64_t failures_ = 0;
};

Status Verifier::Impl::Fetch() const {
  const int64_t now = clock_->NowSeconds();
  {
    std::lock_guard lock(mu_);
    last_attempt_ = now;
    ++fetches_;
  }
  Result<JwksAnswer> answer = FetchJwks(o_.jwks_url, o_.fetch_timeout_seconds);
  Result<std::shared_ptr<const KeySet>> set =
      answer.ok() ? ParseKeySet(answer->body)
                  : Result<std::shared_ptr<const KeySet>>(answer.status());
  std::lock_guard lock(mu_);
  ++generation_;
  if (!set.ok()) {
    ++failures_;
    return set.status().WithContext("JWK Set " + o_.jwks_url);
  }
  int64_t ttl = answer->max_age.value_or(o_.default_cache_seconds);
  ttl = std::clamp(ttl, o_.min_cache_seconds, o_.max_cache_seconds);
  keys_ = std::move(set).value();
  cache_until_ = now + ttl;
  return Status::Ok();
}

void Verifier::Impl::MaybeFetch(uint64_t seen_generation, bool wait) const {
  std::unique_lock fetch_lock(fetch_mu_, std::defer_lock);
  if (wait) {
    fetch_lock.lock();
  } else if (!fetch_lock.try_lock()) {
    return;  // another thread is refreshing; the keys at hand are still usable
  }
  const int64_t now = clock_->NowSeconds();
  {
    std::lock_guard lock(mu_);
    if (generation_ != seen_generation) return;  // fetched while we waited: use that
    // The rate limit: at most one fetch per interval, whatever asks for it (unknown kids from
    // a forger cost one fetch per interval, not one per request).
    if (last_attempt_ != std::numeric_limits<int64_t>::min() &&
        now - last_attempt_ < o_.refetch_interval_seconds) {
      return;
    }
  }
  (void)Fetch();  // a failure keeps the previous keys; the caller reports what is missing
}

Result<VerifiedToken> Verifier::Impl::Verify(std::string_view token) const {
  if (token.empty()) return Fail(VerifyReason::kMissingToken);
  if (token.size() > o_.max_token_bytes) {
    return Fail(VerifyReason::kTooLarge, std::to_string(token.size()) + " bytes");
  }
  Result<jose::Jws> parsed = jose::ParseJwt(token, {.max_bytes = o_.max_token_bytes});
  if (!parsed.ok()) {
    return Fail(ParseReason(jose::JoseErrorOf(parsed.status())), JoseDetail(parsed.status()));
  }
  jose::Jws& jws = *parsed;

  // Key selection (rule 3).
  Snapshot snap = Current();
  const int64_t now = clock_->NowSeconds();
  if (!snap.keys) {
    MaybeFetch(snap.generation, /*wait=*/true);
    snap = Current();
    if (!snap.keys) return Fail(VerifyReason::kKeySetUnavailable, o_.jwks_url);
  } else if (now >= snap.cache_until) {
    MaybeFetch(snap.generation, /*wait=*/false);
    snap = Current();
  }
  auto find = [&jws](const KeySet& set) -> const KeyEntry* {
    if (jws.kid) return set.FindKid(*jws.kid);
    if (jws.x5t) return set.FindX5t(*jws.x5t);
    return set.keys.size() == 1 ? &set.keys[0] : nullptr;
  };
  if (!jws.kid && !jws.x5t && snap.keys->keys.size() != 1) {
    return Fail(VerifyReason::kNoKeyId);
  }
  const KeyEntry* entry = find(*snap.keys);
  if (entry == nullptr) {
    // Perhaps a key rotated in since the set was fetched (rate-limited refetch).
    MaybeFetch(snap.generation, /*wait=*/true);
    snap = Current();
    entry = find(*snap.keys);
    if (entry == nullptr) {
      return Fail(VerifyReason::kUnknownKey,
                  jws.kid ? "kid \"" + *jws.kid + "\"" : "x5t \"" + jws.x5t.value_or("") + "\"");
    }
  }

  // Signature (rule 4): the key's pinned algorithms decide, the header only has to agree.
  if (Status s = entry->key.Verify(jws.alg, jws.signing_input, jws.signature); !s.ok()) {
    if (jose::JoseErrorOf(s) == JoseError::kAlgNotAllowed) {
      return Fail(VerifyReason::kAlgorithmNotAllowed,
                  std::string(jose::AlgorithmName(jws.alg)) + " with key \"" + entry->kid +
                      "\" pinned to " + entry->key.algorithms().ToString());
    }
    return Fail(VerifyReason::kSignatureInvalid);
  }

  // Claims (rules 5-9), trusted from here on (RFC 7519 7.2).
  const jose::Json& claims = jws.claims;
  Principal p;
  auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->is_string()) return Fail(VerifyReason::kIssuerMissing);
  if (iss->get_ref<const std::string&>() != o_.issuer) {
    return Fail(VerifyReason::kIssuerMismatch,
                "\"" + iss->get<std::string>() + "\", expected \"" + o_.issuer + "\"");
  }
  p.issuer = iss->get<std::string>();
  if (Status s = jose::CheckTimes(
          claims,
          {.now = now, .skew = o_.clock_skew_seconds, .max_lifetime = 0, .require_exp = true});
      !s.ok()) {
    return Fail(TimeReason(jose::JoseErrorOf(s)), s.message());
  }
  if (Status s = jose::CheckAudience(claims, o_.audiences); !s.ok()) {
    return Fail(jose::JoseErrorOf(s) == JoseError::kClaimMissing ? VerifyReason::kAudienceMissing
                                                                 : VerifyReason::kAudienceMismatch,
                s.message());
  }
  auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty()) {
    return Fail(VerifyReason::kSubjectMissing);
  }
  p.subject = sub->get<std::string>();
  if (auto scope = claims.find("scope"); scope != claims.end()) {
    if (!scope->is_string()) return Fail(VerifyReason::kBadScopeClaim);
    p.scope = scope->get<std::string>();
    std::string_view rest = p.scope;
    while (!rest.empty()) {
      const std::size_t sp = rest.find(' ');
      std::string_view value = rest.substr(0, sp);
      if (!value.empty()) p.scopes.emplace_back(value);
      if (sp == std::string_view::npos) break;
      rest.remove_prefix(sp + 1);
    }
  }
  for (const std::string& required : o_.required_scopes) {
    bool granted = false;
    for (const std::string& s : p.scopes) granted = granted || s == required;
    if (!granted) return Fail(VerifyReason::kInsufficientScope, "\"" + required + "\"");
  }
  if (auto aud = claims.find("aud"); aud->is_string()) {
    p.audiences.push_back(aud->get<std::string>());
  } else {
    for (const jose::Json& a : *aud) p.audiences.push_back(a.get<std::string>());
  }
  if (auto cid = claims.find("client_id"); cid != claims.end() && cid->is_string()) {
    p.client_id = cid->get<std::string>();
  }
  if (auto jti = claims.find("jti"); jti != claims.end() && jti->is_string()) {
    p.token_id = jti->get<std::string>();
  }
  p.expires_at = claims.at("exp").get<int64_t>();
  if (auto iat = claims.find("iat"); iat != claims.end()) p.issued_at = iat->get<int64_t>();
  p.key_id = entry->kid;
  Result<Confirmation> confirmation = ConfirmationOfClaims(claims);
  p.claims_json = std::move(jws.payload);  // the verified bytes, exactly as signed
  return VerifiedToken{std::move(p), std::move(confirmation)};
}

Result<Verifier> Verifier::Create(VerifierOptions options) {
  if (options.jwks_url.rfind("http://", 0) != 0 && options.jwks_url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("the JWK Set URL must be http:// or https://, not \"" +
                                   options.jwks_url + "\"");
  }
  if (options.issuer.empty()) return Status::InvalidArgument("an issuer is required");
  if (options.audiences.empty()) return Status::InvalidArgument("an audience is required");
  for (const std::string& a : options.audiences) {
    if (a.empty()) return Status::InvalidArgument("an audience must not be empty");
  }
  for (const std::string& s : options.required_scopes) {
    if (s.empty() || s.find(' ') != std::string::npos) {
      return Status::InvalidArgument("a required scope must be one non-empty value, not \"" + s +
                                     "\"");
    }
  }
  if (options.clock_skew_seconds < 0 || options.refetch_interval_seconds < 0 ||
      options.min_cache_seconds < 0 || options.max_cache_seconds < options.min_cache_seconds ||
      options.fetch_timeout_seconds <= 0 || options.max_token_bytes == 0) {
    return Status::InvalidArgument(
        "verifier intervals and limits must be non-negative and ordered");
  }
  auto impl = std::make_shared<Impl>(std::move(options));
  TESSERA_RETURN_IF_ERROR(impl->InitSender());
  (void)impl->Fetch();  // a failure is retried on the first Verify
  return Verifier(std::move(impl));
}

namespace {

// Verify and VerifyAuthorization see the token only: a token with any "cnf" (well-formed or
// not) needs the request to be checked, so they refuse it rather than admit it as a bearer
// token (RFC 9449 7.2, RFC 8705 3, RFC 7800 3.1).
Result<Principal> RefuseConfirmed(Result<VerifiedToken> v) {
  if (!v.ok()) return v.status();
  if (!v->confirmation.ok() || v->confirmation->bound()) {
    return Fail(VerifyReason::kSenderConstrained, "it carries cnf; verify the whole request");
  }
  return std::move(v->principal);
}

std::string Quoted(std::string_view name, std::string_view value) {
  std::string out(name);
  out += "=\"";
  for (char c : value) out += (c == '"' || c == '\\' || c < 0x20 || c > 0x7e) ? '\'' : c;
  out += '"';
  return out;
}

VerifyReason ReasonOfSender(SenderError e) {
  switch (e) {
    case SenderError::kOk:
      return VerifyReason::kOk;
    case SenderError::kNoCredentials:
      return VerifyReason::kMissingToken;
    case SenderError::kUnsupportedScheme:
      return VerifyReason::kNotBearer;
    case SenderError::kBadConfirmation:
      return VerifyReason::kBadConfirmation;
    case SenderError::kBoundTokenAsBearer:
      return VerifyReason::kBoundTokenAsBearer;
    case SenderError::kUnboundTokenAsDpop:
      return VerifyReason::kUnboundTokenAsDpop;
    case SenderError::kProofInvalid:
      return VerifyReason::kDpopProofInvalid;
    case SenderError::kNonceRequired:
      return VerifyReason::kDpopNonceRequired;
    case SenderError::kProofKeyMismatch:
      return VerifyReason::kDpopKeyMismatch;
    case SenderError::kProofReplayed:
      return VerifyReason::kDpopProofReplayed;
    case SenderError::kReplayCacheFull:
      return VerifyReason::kDpopReplayCacheFull;
    case SenderError::kCertificateMissing:
      return VerifyReason::kCertificateMissing;
    case SenderError::kCertificateMismatch:
      return VerifyReason::kCertificateMismatch;
  }
  return VerifyReason::kBadConfirmation;  // not reached: the switch names every value
}

}  // namespace

Status Verifier::Impl::InitSender() {
  SenderConstraintOptions so;
  so.realm = o_.realm;
  so.dpop.max_age_seconds = o_.dpop_max_age_seconds;
  so.dpop.clock_skew_seconds = o_.dpop_clock_skew_seconds;
  so.dpop.algorithms = jose::AlgorithmSet();
  for (const std::string& name : o_.dpop_algorithms) {
    const std::optional<jose::Algorithm> alg = jose::AlgorithmFromName(name);
    if (!alg) return Status::InvalidArgument("unknown DPoP algorithm \"" + name + "\"");
    so.dpop.algorithms.Add(*alg);
  }
  if (o_.dpop_replay_capacity == 0) {
    return Status::InvalidArgument("the DPoP replay capacity must be positive");
  }
  replay_ = std::make_unique<oauth::InMemoryProofReplayCache>(o_.dpop_replay_capacity);
  TESSERA_ASSIGN_OR_RETURN(SenderConstraint sender,
                           SenderConstraint::Create(std::move(so), *replay_, *clock_));
  sender_.emplace(std::move(sender));
  return Status::Ok();
}

Admission Verifier::Impl::VerifyRequest(const ResourceRequest& r) const {
  Admission a;
  const Credentials creds = ParseAuthorization(r.authorization);
  const std::string algs = Quoted("algs", sender_->Algorithms());
  const std::string realm = Quoted("realm", o_.realm);
  // A refusal before the sender check: the token is missing, unusable or not acceptable.
  auto refuse = [&](Status status) {
    const VerifyReason why = ReasonOf(status);
    a.status = std::move(status);
    if (why == VerifyReason::kKeySetUnavailable) {
      a.http_status = 503;  // the verifier's fault, not the client's: no challenge
      return a;
    }
    const std::string description = Quoted("error_description", ReasonText(why));
    if (why == VerifyReason::kInsufficientScope) {
      std::string needed;
      for (const std::string& s : o_.required_scopes) needed += (needed.empty() ? "" : " ") + s;
      a.http_status = 403;  // RFC 6750 3.1
      a.error = "insufficient_scope";
      a.challenges = {"Bearer " + realm + ", error=\"insufficient_scope\", " + description + ", " +
                      Quoted("scope", needed)};
      return a;
    }
    a.http_status = 401;
    a.error = "invalid_token";
    if (creds.scheme == AuthScheme::kDpop) {
      a.challenges = {"DPoP " + realm + ", error=\"invalid_token\", " + description + ", " + algs};
    } else {
      // The contract answers error="invalid_token" also without credentials (where RFC 6750
      // 3.1 would omit it), and offers DPoP next to Bearer (RFC 9449 7.1).
      a.challenges = {"Bearer " + realm + ", error=\"invalid_token\", " + description,
                      "DPoP " + realm + ", " + algs};
    }
    return a;
  };
  switch (creds.scheme) {
    case AuthScheme::kNone:
      return refuse(
          Fail(r.authorization.empty() ? VerifyReason::kMissingToken : VerifyReason::kNotBearer));
    case AuthScheme::kOther:
      return refuse(Fail(VerifyReason::kNotBearer));
    case AuthScheme::kBearer:
    case AuthScheme::kDpop:
      break;
  }
  Result<VerifiedToken> v = Verify(creds.token);
  if (!v.ok()) return refuse(v.status());
  const Result<Confirmation>& cnf = v->confirmation;
  if (!cnf.ok()) return refuse(Fail(VerifyReason::kBadConfirmation, cnf.status().message()));
  const SenderDecision d = sender_->Check(*cnf, creds,
                                          {.dpop_proofs = r.dpop_proofs,
                                           .method = r.method,
                                           .url = r.url,
                                           .client_certificate_der = r.client_certificate_der});
  if (!d.ok()) {
    a.status = Fail(ReasonOfSender(d.error), d.detail);
    a.http_status = d.http_status;
    a.challenges = d.challenges;
    a.error = d.error_code;
    a.dpop_nonce = d.dpop_nonce;
    return a;
  }
  a.principal = std::move(v->principal);
  return a;
}

Result<Principal> Verifier::Verify(std::string_view token) const {
  return RefuseConfirmed(impl_->Verify(token));
}

Admission Verifier::VerifyRequest(const ResourceRequest& request) const {
  return impl_->VerifyRequest(request);
}

Result<Principal> Verifier::VerifyAuthorization(std::string_view authorization) const {
  // RFC 6750 2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 9110
  // 11.1).
  if (authorization.empty()) return Fail(VerifyReason::kMissingToken);
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() || authorization[kScheme.size()] != ' ') {
    return Fail(VerifyReason::kNotBearer);
  }
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) {
      return Fail(VerifyReason::kNotBearer);
    }
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  if (token.empty()) return Fail(VerifyReason::kNotBearer);
  return RefuseConfirmed(impl_->Verify(token));
}

Status Verifier::Refresh() const { return impl_->Fetch(); }

VerifierStats Verifier::Stats() const { return impl_->Stats(); }

}  // namespace tessera::verifier
