#include "federation/issuer_keys.h"

#include <algorithm>
#include <atomic>
#include <limits>

#include "jose/claims.h"
#include "jose/json.h"
#include "jose/jwk.h"
#include "jose/keyio.h"
#include "verifier/jwks_fetch.h"

namespace tessera::federation {
namespace {

using R = FederationReason;

constexpr int64_t kNever = std::numeric_limits<int64_t>::min();

// OpenID Connect Discovery 1.0 section 4: the configuration lives under the issuer with any
// trailing '/' removed.
std::string DiscoveryUrl(std::string_view issuer) {
  while (!issuer.empty() && issuer.back() == '/') issuer.remove_suffix(1);
  return std::string(issuer) + "/.well-known/openid-configuration";
}

// What the cache is keyed by: the trust's key source, so that changing a trust's endpoint or
// certificate never serves the keys of the old one.
std::string SourceKey(const Trust& t) {
  if (!t.public_key_endpoint.empty()) return "jwks " + t.public_key_endpoint;
  if (!t.public_certificate.empty()) return "certificate " + t.public_certificate;
  return "discovery " + t.issuer;
}

}  // namespace

Result<FetchedDocument> HttpKeyFetcher::Get(const std::string& url, std::size_t max_bytes,
                                            int64_t timeout_seconds) const {
  TESSERA_ASSIGN_OR_RETURN(verifier::JwksAnswer answer,
                           verifier::FetchJwks(url, static_cast<long>(timeout_seconds), max_bytes,
                                               /*follow_redirects=*/false));
  return FetchedDocument{std::move(answer.body), answer.max_age};
}

Result<KeySet> KeySet::FromJwks(std::string_view text, std::size_t max_keys) {
  Result<std::vector<jose::Jwk>> jwks =
      jose::ParseJwks(text, {.max_keys = max_keys, .max_bytes = 1024 * 1024});
  if (!jwks.ok()) return jwks.status().WithContext("JWK Set");
  if (jwks->empty()) return Status::InvalidArgument("JWK Set: holds no key");
  KeySet set;
  for (jose::Jwk& jwk : *jwks) set.keys_.push_back({std::move(jwk.key), std::move(jwk.kid)});
  return set;
}

Result<KeySet> KeySet::FromCertificate(std::string_view certificate) {
  Result<jose::Certificate> cert = jose::LoadCertificate(certificate);
  if (!cert.ok()) return cert.status().WithContext("publicCertificate");
  KeySet set;
  set.certificate_ = true;
  set.not_before_ = cert->not_before;
  set.not_after_ = cert->not_after;
  set.keys_.push_back({std::move(cert->public_key), ""});
  return set;
}

Result<jose::Key> KeySet::Lookup(const std::optional<std::string>& kid, int64_t now) const {
  if (certificate_) {
    if (now < not_before_ || now > not_after_) {
      return Refuse(R::kCertificateExpired, {},
                    "valid from " + jose::FormatNumericDate(not_before_) + " to " +
                        jose::FormatNumericDate(not_after_));
    }
    return keys_.front().key;
  }
  if (!kid) {
    if (keys_.size() == 1) return keys_.front().key;
    return Refuse(R::kNoKeyId, {},
                  "the issuer publishes " + std::to_string(keys_.size()) + " keys");
  }
  for (const Entry& e : keys_) {
    if (!e.kid.empty() && e.kid == *kid) return e.key;
  }
  // The kid is not echoed: it comes from a token whose signature nothing has verified.
  return Refuse(R::kKeyNotFound);
}

Result<jose::Key> FixedKeySource::Find(const Trust&, const std::optional<std::string>& kid) const {
  return keys_.Lookup(kid, clock_.NowSeconds());
}

struct IssuerKeys::Source {
  std::mutex fetch_mu;  // held for a whole fetch: one fetch in flight per source
  std::mutex mu;        // guards the members below
  std::shared_ptr<const KeySet> keys;
  int64_t fresh_until = 0;   // refresh on the next lookup from here on
  int64_t usable_until = 0;  // keys dropped from here on (fresh_until + max_stale_seconds)
  int64_t last_attempt = kNever;
  uint64_t generation = 0;  // +1 per completed fetch attempt
  Status last_error;
  uint64_t fetches = 0;
  uint64_t failures = 0;
  std::atomic<int64_t> last_used{0};  // for eviction; read under map_mu_
};

IssuerKeys::IssuerKeys(const KeyFetcher& fetcher, const Clock& clock, IssuerKeysOptions options)
    : fetcher_(fetcher), clock_(clock), o_(options) {}

IssuerKeys::~IssuerKeys() = default;

std::shared_ptr<IssuerKeys::Source> IssuerKeys::SourceFor(const Trust& trust) const {
  const std::string key = SourceKey(trust);
  const int64_t now = clock_.NowSeconds();
  std::lock_guard lock(map_mu_);
  auto it = sources_.find(key);
  if (it == sources_.end()) {
    if (sources_.size() >= o_.max_sources && !sources_.empty()) {
      // Bounded: the least recently used source goes (a thread still holding it finishes with
      // its own reference).
      auto oldest = std::min_element(sources_.begin(), sources_.end(), [](auto& a, auto& b) {
        return a.second->last_used.load() < b.second->last_used.load();
      });
      sources_.erase(oldest);
    }
    it = sources_.emplace(key, std::make_shared<Source>()).first;
  }
  it->second->last_used.store(now);
  return it->second;
}

Result<FetchedDocument> IssuerKeys::LoadJwks(const Trust& trust) const {
  std::string url = trust.public_key_endpoint;
  if (url.empty()) {
    const std::string config_url = DiscoveryUrl(trust.issuer);
    if (Status s = CheckKeyUrl(config_url); !s.ok()) {
      return Status::InvalidArgument("discovery URL " + config_url + ": " + s.message());
    }
    TESSERA_ASSIGN_OR_RETURN(FetchedDocument doc, fetcher_.Get(config_url, o_.max_discovery_bytes,
                                                               o_.fetch_timeout_seconds));
    Result<jose::Json> config =
        jose::ParseStrictJson(doc.body, {.max_bytes = o_.max_discovery_bytes + 1});
    if (!config.ok() || !config->is_object()) {
      return Status::InvalidArgument(config_url + ": not a JSON object");
    }
    // Discovery 4.3: the issuer in the document must be the one asked about, exactly; else
    // the document (and its keys) speak for someone else.
    auto iss = config->find("issuer");
    if (iss == config->end() || !iss->is_string() ||
        iss->get_ref<const std::string&>() != trust.issuer) {
      return Status::InvalidArgument(config_url + ": \"issuer\" is not \"" + trust.issuer + "\"");
    }
    auto jwks_uri = config->find("jwks_uri");
    if (jwks_uri == config->end() || !jwks_uri->is_string()) {
      return Status::InvalidArgument(config_url + ": no \"jwks_uri\"");
    }
    url = jwks_uri->get<std::string>();
    // The document is the issuer's word, not the administrator's: it may not aim this server
    // at its own machine (a local admin port, a metadata proxy) unless the issuer lives there.
    if (IsLoopbackUrl(url) && !IsLoopbackUrl(config_url)) {
      return Status::InvalidArgument(config_url +
                                     ": \"jwks_uri\" names a loopback address; only an issuer on "
                                     "loopback may");
    }
  }
  // Checked at fetch time too: a discovered URL was never seen by ValidateTrust.
  if (Status s = CheckKeyUrl(url); !s.ok()) {
    return Status::InvalidArgument("JWK Set URL " + url.substr(0, 256) + ": " + s.message());
  }
  return fetcher_.Get(url, o_.max_jwks_bytes, o_.fetch_timeout_seconds);
}

Status IssuerKeys::Fetch(Source& source, const Trust& trust) const {
  const int64_t now = clock_.NowSeconds();
  {
    std::lock_guard lock(source.mu);
    source.last_attempt = now;
    ++source.fetches;
  }
  // Network and parsing happen outside source.mu: lookups keep using the keys at hand.
  Result<FetchedDocument> doc = LoadJwks(trust);
  Result<KeySet> set =
      doc.ok() ? KeySet::FromJwks(doc->body, o_.max_keys) : Result<KeySet>(doc.status());
  std::lock_guard lock(source.mu);
  ++source.generation;
  if (!set.ok()) {
    ++source.failures;
    source.last_error = set.status();
    return Refuse(R::kKeysUnavailable, {}, set.status().message());
  }
  const int64_t ttl = std::clamp(doc->max_age.value_or(o_.default_cache_seconds),
                                 o_.min_cache_seconds, o_.max_cache_seconds);
  source.keys = std::make_shared<const KeySet>(std::move(set).value());
  source.fresh_until = now + ttl;
  source.usable_until = source.fresh_until + o_.max_stale_seconds;
  source.last_error = Status::Ok();
  return Status::Ok();
}

void IssuerKeys::MaybeFetch(Source& source, const Trust& trust, uint64_t seen_generation,
                            bool wait) const {
  std::unique_lock fetch_lock(source.fetch_mu, std::defer_lock);
  if (wait) {
    fetch_lock.lock();
  } else if (!fetch_lock.try_lock()) {
    return;  // another thread is refreshing; the keys at hand are still usable
  }
  const int64_t now = clock_.NowSeconds();
  {
    std::lock_guard lock(source.mu);
    if (source.generation != seen_generation) return;  // fetched while we waited: use that
    // The rate limit: whatever asks (expiry, unknown kids, an unreachable issuer), at most one
    // fetch per interval per source (docs/federation.md, "Keys").
    if (source.last_attempt != kNever && now - source.last_attempt < o_.refetch_interval_seconds) {
      return;
    }
  }
  (void)Fetch(source, trust);  // a failure keeps the previous keys; the caller reports
}

Result<jose::Key> IssuerKeys::Find(const Trust& trust,
                                   const std::optional<std::string>& kid) const {
  std::shared_ptr<Source> source = SourceFor(trust);
  if (trust.public_key_endpoint.empty() && !trust.public_certificate.empty()) {
    {
      std::lock_guard lock(source->mu);
      if (source->keys) return source->keys->Lookup(kid, clock_.NowSeconds());
    }
    Result<KeySet> set = KeySet::FromCertificate(trust.public_certificate);
    if (!set.ok()) return Refuse(R::kKeysUnavailable, {}, set.status().message());
    auto shared = std::make_shared<const KeySet>(std::move(set).value());
    std::lock_guard lock(source->mu);
    if (!source->keys) source->keys = shared;
    return source->keys->Lookup(kid, clock_.NowSeconds());
  }

  struct Snapshot {
    std::shared_ptr<const KeySet> keys;
    int64_t fresh_until = 0;
    int64_t usable_until = 0;
    uint64_t generation = 0;
    Status last_error;
  };
  auto current = [&source] {
    std::lock_guard lock(source->mu);
    return Snapshot{source->keys, source->fresh_until, source->usable_until, source->generation,
                    source->last_error};
  };
  const int64_t now = clock_.NowSeconds();
  Snapshot snap = current();
  auto usable = [&now](const Snapshot& s) { return s.keys && now < s.usable_until; };
  if (!usable(snap)) {
    MaybeFetch(*source, trust, snap.generation, /*wait=*/true);
    snap = current();
    if (!usable(snap)) {
      return Refuse(
          R::kKeysUnavailable, {},
          snap.last_error.ok() ? "the last good key set is too old" : snap.last_error.message());
    }
  } else if (now >= snap.fresh_until) {
    MaybeFetch(*source, trust, snap.generation, /*wait=*/false);
    snap = current();
    if (!usable(snap)) return Refuse(R::kKeysUnavailable, {}, snap.last_error.message());
  }
  Result<jose::Key> key = snap.keys->Lookup(kid, now);
  if (key.ok() || FederationReasonOf(key.status()) != R::kKeyNotFound) return key;
  // Perhaps the issuer rotated a key in since the set was fetched (rate-limited refetch).
  MaybeFetch(*source, trust, snap.generation, /*wait=*/true);
  snap = current();
  if (!usable(snap)) return key.status();
  return snap.keys->Lookup(kid, now);
}

Status IssuerKeys::Refresh(const Trust& trust) const {
  if (trust.public_key_endpoint.empty() && !trust.public_certificate.empty()) {
    Result<KeySet> set = KeySet::FromCertificate(trust.public_certificate);
    return set.ok() ? Status::Ok() : Refuse(R::kKeysUnavailable, {}, set.status().message());
  }
  std::shared_ptr<Source> source = SourceFor(trust);
  std::lock_guard fetch_lock(source->fetch_mu);
  return Fetch(*source, trust);
}

KeySourceStats IssuerKeys::Stats(const Trust& trust) const {
  std::shared_ptr<Source> source;
  {
    std::lock_guard lock(map_mu_);
    auto it = sources_.find(SourceKey(trust));
    if (it == sources_.end()) return {};
    source = it->second;
  }
  std::lock_guard lock(source->mu);
  return {source->fetches, source->failures, source->keys ? source->keys->size() : 0};
}

}  // namespace tessera::federation
