// The keys of outside issuers: where a trust's signing keys come from, cached, refreshed and
// bounded (contract section 10, "Key fetching").
//
// A trust names its keys in one of three ways (trust.h): publicKeyEndpoint (a JWK Set URL),
// publicCertificate (inline; no network), or neither, and then OpenID Connect Discovery 1.0:
// GET <issuer>/.well-known/openid-configuration, whose "issuer" must equal the trust's issuer
// exactly (Discovery 4.3) and whose "jwks_uri" names the JWK Set.
//
// IssuerKeys, for the URL cases:
//   - every URL (configured or discovered) is https://, or http:// on a loopback address
//     (CheckKeyUrl); the fetcher follows no redirect; documents are bounded in size
//     (max_jwks_bytes, max_discovery_bytes) and time (fetch_timeout_seconds); a JWK Set is parsed
//     by jose::ParseJwks, the parser the verifier library uses, with its hygiene (strict members,
//     no private or symmetric keys, no duplicate kid, at most max_keys keys, RSA >= 2048 bits);
//   - a set is fresh for the answer's Cache-Control max-age clamped to
//     [min_cache_seconds, max_cache_seconds] (default_cache_seconds without one);
//   - past that, the next lookup refreshes it; an unknown "kid" refreshes it too (rotation at the
//     issuer needs no restart); either way at most one fetch per refetch_interval_seconds per
//     source, and one fetch in flight per source, whatever the number of threads asking (a flood
//     of made-up kids costs one fetch per interval);
//   - when refreshing fails the last good set stays usable for max_stale_seconds past its
//     freshness, then is dropped; with no usable set a lookup fails with kKeysUnavailable (the
//     token endpoint answers 503 temporarily_unavailable, never a token).
// For publicCertificate the certificate is parsed once; it serves whatever "kid" the token names
// while it is within its validity period (kCertificateExpired outside it).
//
// Example:
//   HttpKeyFetcher fetcher;
//   SystemClock clock;
//   IssuerKeys keys(fetcher, clock);
//   Result<FederatedIdentity> who = ValidateOutsideToken(token, trust, keys, clock, options);
//
// Thread safety: IssuerKeys::Find and Refresh may be called concurrently; each source has its
// own mutexes (one guarding its state, one held for the duration of a fetch: single flight), and
// the source map has a third, held only to find or insert an entry. KeySet is an immutable
// value. KeyFetcher implementations must be safe to call concurrently.
#ifndef TESSERA_FEDERATION_ISSUER_KEYS_H_
#define TESSERA_FEDERATION_ISSUER_KEYS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "federation/outside_token.h"
#include "federation/trust.h"
#include "jose/key.h"
#include "tessera/clock.h"
#include "tessera/status.h"

namespace tessera::federation {

struct FetchedDocument {
  std::string body;
  // Cache-Control max-age in seconds; 0 for no-store/no-cache; nullopt when absent.
  std::optional<int64_t> max_age;
};

// The transport: one bounded GET. Implementations follow NO redirect (a 3xx answer is a
// failure), stop reading past `max_bytes` (kResourceExhausted) and give up after
// `timeout_seconds` (kUnavailable); a non-2xx status is kUnavailable. The message names the URL.
class KeyFetcher {
 public:
  virtual ~KeyFetcher() = default;
  virtual Result<FetchedDocument> Get(const std::string& url, std::size_t max_bytes,
                                      int64_t timeout_seconds) const = 0;
};

// The production transport: the verifier library's JWK Set fetch (libcurl; TLS peer and host
// verification on), with redirects off.
class HttpKeyFetcher final : public KeyFetcher {
 public:
  Result<FetchedDocument> Get(const std::string& url, std::size_t max_bytes,
                              int64_t timeout_seconds) const override;
};

// An immutable, parsed set of an issuer's keys.
class KeySet {
 public:
  // A JWK Set {"keys":[...]} (jose::ParseJwks with at most `max_keys` keys). An empty set is
  // refused: it could verify nothing and would hide a misconfigured endpoint.
  static Result<KeySet> FromJwks(std::string_view text, std::size_t max_keys = 64);
  // One X.509 certificate (PEM, DER or base64 DER); its key is pinned to the key type's default
  // algorithm (RS256, ES256/384/512 by curve, EdDSA).
  static Result<KeySet> FromCertificate(std::string_view certificate);

  // The key for `kid`. A JWK Set: the key with that "kid" (kKeyNotFound), or with no kid the
  // set's only key (kNoKeyId when it holds several; keys are never tried in turn). A
  // certificate: its key whatever the kid, at `now` within its validity (kCertificateExpired).
  Result<jose::Key> Lookup(const std::optional<std::string>& kid, int64_t now) const;

  std::size_t size() const { return keys_.size(); }

 private:
  struct Entry {
    jose::Key key;
    std::string kid;
  };
  std::vector<Entry> keys_;
  bool certificate_ = false;
  int64_t not_before_ = 0;
  int64_t not_after_ = 0;
};

// A KeySource over one fixed KeySet, whatever the trust (a deployment that configures an
// issuer's keys in a file; tests).
class FixedKeySource final : public KeySource {
 public:
  FixedKeySource(KeySet keys, const Clock& clock) : keys_(std::move(keys)), clock_(clock) {}
  Result<jose::Key> Find(const Trust& trust, const std::optional<std::string>& kid) const override;

 private:
  const KeySet keys_;
  const Clock& clock_;
};

struct IssuerKeysOptions {
  int64_t default_cache_seconds = 300;  // freshness without a max-age
  int64_t min_cache_seconds = 60;       // bounds on the honoured max-age
  int64_t max_cache_seconds = 86400;
  int64_t refetch_interval_seconds = 30;  // at most one fetch per source per interval
  int64_t max_stale_seconds = 3600;       // last good set kept this long past freshness
  int64_t fetch_timeout_seconds = 5;      // per request (discovery and JWK Set each)
  std::size_t max_jwks_bytes = 256 * 1024;
  std::size_t max_discovery_bytes = 64 * 1024;
  std::size_t max_keys = 64;
  std::size_t max_sources = 1024;  // cached sources; the least recently used goes
};

struct KeySourceStats {
  uint64_t fetches = 0;   // attempts (a discovery and its JWK Set count as one)
  uint64_t failures = 0;  // attempts that left the set unchanged
  std::size_t keys = 0;   // keys in the cached set
};

class IssuerKeys final : public KeySource {
 public:
  // REQUIRES: `fetcher` and `clock` outlive this object; options non-negative and
  // min_cache_seconds <= max_cache_seconds.
  IssuerKeys(const KeyFetcher& fetcher, const Clock& clock, IssuerKeysOptions options = {});
  ~IssuerKeys() override;

  Result<jose::Key> Find(const Trust& trust, const std::optional<std::string>& kid) const override;

  // Fetches the trust's keys now, bypassing the rate limit (the admin API's check of a new or
  // changed trust). kKeysUnavailable with the fetch's message on failure; the cached set, if
  // any, is kept.
  Status Refresh(const Trust& trust) const;

  // Counters of the trust's current key source (zeros if never used).
  KeySourceStats Stats(const Trust& trust) const;

 private:
  struct Source;
  std::shared_ptr<Source> SourceFor(const Trust& trust) const;
  Status Fetch(Source& source, const Trust& trust) const;
  void MaybeFetch(Source& source, const Trust& trust, uint64_t seen_generation, bool wait) const;
  Result<FetchedDocument> LoadJwks(const Trust& trust) const;

  const KeyFetcher& fetcher_;
  const Clock& clock_;
  const IssuerKeysOptions o_;
  mutable std::mutex map_mu_;  // guards sources_ (the map, not the entries)
  mutable std::unordered_map<std::string, std::shared_ptr<Source>> sources_;
};

}  // namespace tessera::federation

#endif  // TESSERA_FEDERATION_ISSUER_KEYS_H_
