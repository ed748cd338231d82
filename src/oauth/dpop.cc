#include "oauth/dpop.h"

#include <optional>

#include "common/random.h"
#include "jose/base64url.h"
#include "jose/claims.h"
#include "jose/digest.h"
#include "jose/error.h"
#include "jose/json.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "oauth/dpop_nonce.h"

namespace tessera::oauth {
namespace {

using jose::JoseError;
using jose::Json;

constexpr std::size_t kMaxUriBytes = 8 * 1024;

// The members RFC 7517 / 7518 6.2.2, 6.3.2 and RFC 8037 2 define for private keys, plus the
// symmetric "k": none may appear in a DPoP proof's jwk (RFC 9449 4.3 item 7).
constexpr std::string_view kPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

// jose's precise syntax and header reasons, folded into the DPoP checks they belong to.
DpopError FromJose(JoseError e) {
  switch (e) {
    case JoseError::kAlgMissing:
    case JoseError::kAlgNone:
    case JoseError::kAlgUnknown:
    case JoseError::kAlgNotAllowed:
      return DpopError::kAlgNotAllowed;
    case JoseError::kCritUnsupported:
    case JoseError::kCritMalformed:
    case JoseError::kUnencodedPayload:
    case JoseError::kKeyHeaderForbidden:
    case JoseError::kUnsupportedHeader:
    case JoseError::kBadHeaderValue:
      return DpopError::kHeaderRejected;
    default:
      return DpopError::kMalformed;
  }
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  return Lower(c) - 'a' + 10;
}
// RFC 3986 2.3.
bool IsUnreserved(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

Status HtuInvalid(std::string_view why) { return DpopFailure(DpopError::kHtuInvalid, why); }

// RFC 3986 2.1 and 6.2.2.1-2: hex digits of percent-encodings in upper case, and octets of
// unreserved characters decoded. Every other byte must be a visible ASCII character.
Result<std::string> NormalizePercent(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || !IsHex(s[i + 1]) || !IsHex(s[i + 2])) {
        return HtuInvalid("bad %-encoding");
      }
      const char decoded = static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      if (IsUnreserved(decoded)) {
        out += decoded;
      } else {
        out += '%';
        out += Upper(s[i + 1]);
        out += Upper(s[i + 2]);
      }
      i += 2;
      continue;
    }
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return HtuInvalid("control, space or non-ASCII character");
    }
    out += c;
  }
  return out;
}

// RFC 3986 5.2.4 remove_dot_segments, on an absolute path.
std::string RemoveDotSegments(std::string_view in) {
  std::vector<std::string_view> segments;
  std::size_t pos = 1;  // skip the leading '/'
  bool trailing_slash = false;
  while (pos <= in.size()) {
    std::size_t end = in.find('/', pos);
    if (end == std::string_view::npos) end = in.size();
    const std::string_view seg = in.substr(pos, end - pos);
    const bool last = end == in.size();
    if (seg == ".") {
      trailing_slash = last;
    } else if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
      trailing_slash = last;
    } else {
      segments.push_back(seg);
      trailing_slash = false;
    }
    pos = end + 1;
  }
  std::string out;
  for (std::string_view seg : segments) {
    out += '/';
    out += seg;
  }
  if (trailing_slash || out.empty()) out += '/';
  return out;
}

}  // namespace

std::string_view DpopErrorText(DpopError e) {
  switch (e) {
    case DpopError::kOk:
      return "valid DPoP proof";
    case DpopError::kProofMissing:
      return "DPoP proof missing";
    case DpopError::kMultipleProofs:
      return "more than one DPoP proof";
    case DpopError::kMalformed:
      return "DPoP proof is not a well-formed JWT";
    case DpopError::kHeaderRejected:
      return "DPoP proof header not accepted";
    case DpopError::kWrongType:
      return "DPoP proof typ is not dpop+jwt";
    case DpopError::kAlgNotAllowed:
      return "DPoP proof alg not allowed";
    case DpopError::kJwkMissing:
      return "DPoP proof has no jwk header";
    case DpopError::kJwkPrivate:
      return "DPoP proof jwk contains a private key";
    case DpopError::kJwkInvalid:
      return "DPoP proof jwk is not an acceptable public key";
    case DpopError::kAlgKeyMismatch:
      return "DPoP proof alg does not suit its jwk";
    case DpopError::kSignatureInvalid:
      return "DPoP proof signature does not verify";
    case DpopError::kClaimMissing:
      return "DPoP proof claim missing";
    case DpopError::kClaimType:
      return "DPoP proof claim of the wrong type";
    case DpopError::kJtiInvalid:
      return "DPoP proof jti empty or too long";
    case DpopError::kHtmMismatch:
      return "DPoP proof htm does not match the request method";
    case DpopError::kHtuInvalid:
      return "DPoP proof htu is not an absolute http(s) URI";
    case DpopError::kHtuMismatch:
      return "DPoP proof htu does not match the request URI";
    case DpopError::kNonceMissing:
      return "DPoP proof nonce required";
    case DpopError::kNonceInvalid:
      return "DPoP proof nonce invalid or expired";
    case DpopError::kIatTooOld:
      return "DPoP proof iat too old";
    case DpopError::kIatInFuture:
      return "DPoP proof iat in the future";
    case DpopError::kAthMissing:
      return "DPoP proof ath missing";
    case DpopError::kAthMismatch:
      return "DPoP proof ath does not match the access token";
    case DpopError::kReplayed:
      return "DPoP proof already used";
    case DpopError::kReplayCacheFull:
      return "DPoP proof replay cache full";
  }
  return "unknown DPoP error";  // unreachable: the switch covers every value
}

std::string_view DpopErrorCode(DpopError e) {
  switch (e) {
    case DpopError::kOk:
      return "ok";
    case DpopError::kProofMissing:
      return "proof_missing";
    case DpopError::kMultipleProofs:
      return "multiple_proofs";
    case DpopError::kMalformed:
      return "malformed";
    case DpopError::kHeaderRejected:
      return "header_rejected";
    case DpopError::kWrongType:
      return "wrong_type";
    case DpopError::kAlgNotAllowed:
      return "alg_not_allowed";
    case DpopError::kJwkMissing:
      return "jwk_missing";
    case DpopError::kJwkPrivate:
      return "jwk_private";
    case DpopError::kJwkInvalid:
      return "jwk_invalid";
    case DpopError::kAlgKeyMismatch:
      return "alg_key_mismatch";
    case DpopError::kSignatureInvalid:
      return "signature_invalid";
    case DpopError::kClaimMissing:
      return "claim_missing";
    case DpopError::kClaimType:
      return "claim_type";
    case DpopError::kJtiInvalid:
      return "jti_invalid";
    case DpopError::kHtmMismatch:
      return "htm_mismatch";
    case DpopError::kHtuInvalid:
      return "htu_invalid";
    case DpopError::kHtuMismatch:
      return "htu_mismatch";
    case DpopError::kNonceMissing:
      return "nonce_missing";
    case DpopError::kNonceInvalid:
      return "nonce_invalid";
    case DpopError::kIatTooOld:
      return "iat_too_old";
    case DpopError::kIatInFuture:
      return "iat_in_future";
    case DpopError::kAthMissing:
      return "ath_missing";
    case DpopError::kAthMismatch:
      return "ath_mismatch";
    case DpopError::kReplayed:
      return "replayed";
    case DpopError::kReplayCacheFull:
      return "replay_cache_full";
  }
  return "unknown";  // unreachable: the switch covers every value
}

Status DpopFailure(DpopError e, std::string_view detail) {
  std::string message(DpopErrorText(e));
  if (!detail.empty()) {
    message += ": ";
    message += detail;
  }
  if (e == DpopError::kReplayCacheFull) {
    return Status::ResourceExhausted(std::move(message), static_cast<int>(e));
  }
  return Status::InvalidArgument(std::move(message), static_cast<int>(e));
}

bool DpopErrorWantsNonce(DpopError e) {
  return e == DpopError::kNonceMissing || e == DpopError::kNonceInvalid;
}

Result<std::string> NormalizeHtu(std::string_view uri) {
  if (uri.size() > kMaxUriBytes) return HtuInvalid("longer than 8 KiB");
  // RFC 9449 4.3 item 9: the query and fragment parts are not compared.
  uri = uri.substr(0, uri.find_first_of("?#"));

  // RFC 3986 3.1, 6.2.2.1: the scheme is case-insensitive.
  const std::size_t colon = uri.find("://");
  if (colon == std::string_view::npos || colon == 0) return HtuInvalid("not an absolute URI");
  std::string scheme;
  for (char c : uri.substr(0, colon)) scheme += Lower(c);
  if (scheme != "http" && scheme != "https") return HtuInvalid("scheme is not http or https");
  const std::string_view default_port = scheme == "https" ? "443" : "80";

  std::string_view rest = uri.substr(colon + 3);
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) return HtuInvalid("userinfo in the URI");

  // Host (a reg-name or an IP literal in brackets) and optional port.
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return HtuInvalid("unterminated IP literal");
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return HtuInvalid("bad authority");
      port = after.substr(1);
    }
  } else if (const std::size_t c = authority.rfind(':'); c != std::string_view::npos) {
    host = authority.substr(0, c);
    port = authority.substr(c + 1);
  }
  if (host.empty()) return HtuInvalid("no host");
  if (host.front() != '[' && host.find_first_of(":[]") != std::string_view::npos) {
    return HtuInvalid("bad host");
  }
  if (port.size() > 5) return HtuInvalid("bad port");
  for (char c : port) {
    if (!IsDigit(c)) return HtuInvalid("bad port");
  }
  // RFC 3986 6.2.3: a port equal to the scheme's default, or empty, is dropped; leading zeros go.
  std::string port_text(port);
  while (port_text.size() > 1 && port_text.front() == '0') port_text.erase(0, 1);
  if (!port_text.empty() && std::stoi(port_text) > 65535) return HtuInvalid("bad port");
  if (port_text == default_port) port_text.clear();

  TESSERA_ASSIGN_OR_RETURN(std::string host_norm, NormalizePercent(host));
  for (char& c : host_norm) c = Lower(c);  // RFC 3986 6.2.2.1: the host is case-insensitive
  TESSERA_ASSIGN_OR_RETURN(std::string path_norm, NormalizePercent(path));
  if (path_norm.empty()) path_norm = "/";  // RFC 3986 6.2.3: "http://a" is "http://a/"

  std::string out = scheme + "://" + host_norm;
  if (!port_text.empty()) out += ":" + port_text;
  out += RemoveDotSegments(path_norm);  // RFC 3986 6.2.2.3
  return out;
}

std::shared_ptr<const DpopKeyCache::Entry> DpopKeyCache::Find(const std::string& jwk_text) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(jwk_text);
  return it == entries_.end() ? nullptr : it->second;
}

void DpopKeyCache::Add(std::string jwk_text, std::shared_ptr<const Entry> entry) {
  if (jwk_text.size() > kMaxJwkBytes) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_.insert_or_assign(std::move(jwk_text), std::move(entry));
}

std::size_t DpopKeyCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

Result<DpopValidator> DpopValidator::Create(DpopOptions options, const Clock& clock) {
  if (options.algorithms.empty()) {
    return Status::InvalidArgument("DPoP: no signing algorithm allowed");
  }
  for (jose::Algorithm a :
       {jose::Algorithm::kHS256, jose::Algorithm::kHS384, jose::Algorithm::kHS512}) {
    // RFC 9449 4.3 item 5: only asymmetric algorithms can prove possession of a key.
    if (options.algorithms.Contains(a)) {
      return Status::InvalidArgument("DPoP: symmetric algorithm " +
                                     std::string(jose::AlgorithmName(a)) + " not allowed");
    }
  }
  if (options.max_age_seconds <= 0 || options.clock_skew_seconds < 0 ||
      options.max_proof_bytes == 0 || options.max_jti_length == 0) {
    return Status::InvalidArgument("DPoP: windows and limits must be positive");
  }
  if (options.key_cache == nullptr) options.key_cache = std::make_shared<DpopKeyCache>();
  return DpopValidator(std::move(options), clock);
}

std::string DpopValidator::AlgorithmsText() const {
  std::string out;
  for (int i = 0; i < jose::kAlgorithmCount; ++i) {
    const auto a = static_cast<jose::Algorithm>(i);
    if (!options_.algorithms.Contains(a)) continue;
    if (!out.empty()) out += ' ';
    out += jose::AlgorithmName(a);
  }
  return out;
}

Result<DpopProof> DpopValidator::Validate(const DpopRequest& request) const {
  // Item 1: one header field with one value. Proxies join repeated fields with ", "; a compact
  // JWS never holds a comma, so one means two proofs.
  if (request.proofs.empty()) return DpopFailure(DpopError::kProofMissing);
  if (request.proofs.size() > 1) return DpopFailure(DpopError::kMultipleProofs);
  const std::string_view compact = request.proofs.front();
  if (compact.find(',') != std::string_view::npos) {
    return DpopFailure(DpopError::kMultipleProofs, "comma-separated values");
  }
  if (compact.empty()) return DpopFailure(DpopError::kProofMissing, "empty header");

  // Item 2: strict parse. The "jwk" header is the point of a proof, so key headers pass jose's
  // parser; the others are refused below, the key comes from "jwk" only.
  jose::JwsOptions jws_options;
  jws_options.max_bytes = options_.max_proof_bytes;
  jws_options.allow_key_headers = true;
  Result<jose::Jws> parsed = jose::ParseJwt(compact, jws_options);
  if (!parsed.ok()) {
    return DpopFailure(FromJose(jose::JoseErrorOf(parsed.status())), parsed.status().message());
  }
  const jose::Jws& jws = parsed.value();
  for (const char* name : {"jku", "x5u", "x5c"}) {
    if (jws.header.contains(name)) {
      return DpopFailure(DpopError::kHeaderRejected,
                         std::string("\"") + name + "\": the key comes from \"jwk\" only");
    }
  }

  // Item 4.
  if (!jws.typ || *jws.typ != "dpop+jwt") {
    return DpopFailure(DpopError::kWrongType, jws.typ ? "typ \"" + *jws.typ + "\"" : "no typ");
  }
  // Item 5 (jose already refused "none" and unknown names).
  if (!options_.algorithms.Contains(jws.alg)) {
    return DpopFailure(DpopError::kAlgNotAllowed, std::string(jose::AlgorithmName(jws.alg)) +
                                                      "; allowed: " + AlgorithmsText());
  }

  // Items 7 and 6: a public jwk, of a type the alg suits, that verifies the signature.
  const auto jwk_it = jws.header.find("jwk");
  if (jwk_it == jws.header.end() || !jwk_it->is_object()) {
    return DpopFailure(DpopError::kJwkMissing);
  }
  for (std::string_view member : kPrivateMembers) {
    if (jwk_it->contains(member)) {
      return DpopFailure(DpopError::kJwkPrivate, "member \"" + std::string(member) + "\"");
    }
  }
  // The same jwk text always imports to the same key: a key met in an accepted proof before is
  // taken from the cache (DpopKeyCache), any other is imported and checked here.
  std::string jwk_text = jose::DumpCompact(*jwk_it);
  std::shared_ptr<const DpopKeyCache::Entry> known = options_.key_cache->Find(jwk_text);
  std::optional<DpopKeyCache::Entry> imported;
  if (known == nullptr) {
    Result<jose::Jwk> jwk = jose::ParseJwk(*jwk_it);
    if (!jwk.ok()) return DpopFailure(DpopError::kJwkInvalid, jwk.status().message());
    // A jwk "alg" member pins the key (RFC 7517 4.4); without one, the key type decides which
    // algorithms may verify with it (RFC 8725 3.1), never the header alone.
    const jose::AlgorithmSet suitable =
        jwk_it->contains("alg") ? jwk->key.algorithms() : jwk->key.CompatibleAlgorithms();
    imported.emplace(DpopKeyCache::Entry{std::move(jwk->key), suitable, {}});
  }
  const DpopKeyCache::Entry& key = known != nullptr ? *known : *imported;
  if (!key.suitable.Contains(jws.alg)) {
    return DpopFailure(DpopError::kAlgKeyMismatch,
                       std::string(jose::AlgorithmName(jws.alg)) + " with a " +
                           std::string(jose::KeyTypeName(key.key.type())) + " key");
  }
  Result<jose::Key> pinned = key.key.RestrictTo({jws.alg});
  if (!pinned.ok()) return DpopFailure(DpopError::kAlgKeyMismatch, pinned.status().message());
  if (Status s = jose::Verify(jws, pinned.value()); !s.ok()) {
    return DpopFailure(DpopError::kSignatureInvalid, s.message());
  }

  // Item 3 (section 4.2): the required claims, typed.
  DpopProof proof;
  proof.alg = jws.alg;
  auto string_claim = [&](std::string_view name, std::size_t max_len) -> Result<std::string> {
    Result<std::optional<std::string>> v = jose::StringClaim(jws.claims, name, max_len);
    if (!v.ok()) {
      DpopError e = DpopError::kClaimType;
      if (jose::JoseErrorOf(v.status()) == JoseError::kClaimTooLong) {
        e = name == "jti"   ? DpopError::kJtiInvalid
            : name == "htu" ? DpopError::kHtuInvalid
                            : DpopError::kHtmMismatch;
      }
      return DpopFailure(e, "\"" + std::string(name) + "\" too long or not a string");
    }
    if (!v->has_value()) {
      return DpopFailure(DpopError::kClaimMissing, "\"" + std::string(name) + "\"");
    }
    return std::move(**v);
  };
  TESSERA_ASSIGN_OR_RETURN(proof.jti, string_claim("jti", options_.max_jti_length));
  if (proof.jti.empty()) return DpopFailure(DpopError::kJtiInvalid, "empty");
  TESSERA_ASSIGN_OR_RETURN(std::string htm, string_claim("htm", 64));
  TESSERA_ASSIGN_OR_RETURN(std::string htu, string_claim("htu", kMaxUriBytes));
  Result<std::optional<int64_t>> iat = jose::NumericDateClaim(jws.claims, "iat");
  if (!iat.ok()) return DpopFailure(DpopError::kClaimType, iat.status().message());
  if (!iat->has_value()) return DpopFailure(DpopError::kClaimMissing, "\"iat\"");
  proof.issued_at = **iat;

  // Item 8: methods are case-sensitive (RFC 9110 9.1).
  if (htm != request.method) {
    return DpopFailure(DpopError::kHtmMismatch,
                       "htm \"" + htm + "\", request " + std::string(request.method));
  }
  // Item 9.
  TESSERA_ASSIGN_OR_RETURN(std::string htu_norm, NormalizeHtu(htu));
  Result<std::string> request_norm = NormalizeHtu(request.url);
  if (!request_norm.ok()) {
    // The server built the URL itself; a bad one matches nothing.
    return DpopFailure(DpopError::kHtuMismatch, "request URI unusable");
  }
  if (htu_norm != request_norm.value()) {
    return DpopFailure(DpopError::kHtuMismatch, "htu " + htu_norm + ", request " + *request_norm);
  }

  // Item 10.
  if (options_.nonces != nullptr) {
    const auto nonce = jws.claims.find("nonce");
    if (nonce == jws.claims.end()) return DpopFailure(DpopError::kNonceMissing);
    if (!nonce->is_string()) return DpopFailure(DpopError::kNonceInvalid, "not a string");
    if (!options_.nonces->Accepts(nonce->get<std::string>())) {
      return DpopFailure(DpopError::kNonceInvalid);
    }
  }

  // Item 11 (section 11.1): a short acceptance window bounds how long a jti must be remembered.
  const int64_t now = clock_->NowSeconds();
  if (proof.issued_at < now - options_.max_age_seconds) {
    return DpopFailure(DpopError::kIatTooOld, "issued " + std::to_string(now - proof.issued_at) +
                                                  " s ago, limit " +
                                                  std::to_string(options_.max_age_seconds));
  }
  if (proof.issued_at > now + options_.clock_skew_seconds) {
    return DpopFailure(DpopError::kIatInFuture, std::to_string(proof.issued_at - now) + " s ahead");
  }
  proof.replay_until = proof.issued_at + options_.max_age_seconds + 1;

  // Item 12, first half: the proof covers this very token.
  if (!request.access_token.empty()) {
    const auto ath = jws.claims.find("ath");
    if (ath == jws.claims.end()) return DpopFailure(DpopError::kAthMissing);
    if (!ath->is_string()) return DpopFailure(DpopError::kClaimType, "\"ath\"");
    const std::string expected = jose::Base64UrlEncode(jose::Sha256(request.access_token));
    if (!ConstantTimeEquals(ath->get<std::string>(), expected)) {
      return DpopFailure(DpopError::kAthMismatch);
    }
  }

  if (known != nullptr) {
    proof.jkt = known->jkt;
    return proof;
  }
  TESSERA_ASSIGN_OR_RETURN(imported->jkt, jose::JwkThumbprint(imported->key));
  proof.jkt = imported->jkt;
  options_.key_cache->Add(std::move(jwk_text),
                          std::make_shared<const DpopKeyCache::Entry>(std::move(*imported)));
  return proof;
}

}  // namespace tessera::oauth
