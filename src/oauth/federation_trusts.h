// FederationTrusts: the per-node view of the domain's federation trusts (contract section 10), by
// issuer, for the token endpoint.
//
// ForIssuer answers the trusts whose "issuer" is exactly `issuer`, decoded from their stored
// documents (federation/trust_json.h) with the record's `active` flag, in the store's order
// (created_at, id). The answer, an empty one included, is cached per issuer for at most
// `ttl_seconds` (DomainConfig::cache_ttl_seconds, the staleness bound of every per-node cache);
// a change made through this node's admin API is seen at once: the admin API invalidates the
// Directory after every write, and this cache follows the Directory's generation (or Invalidate
// is called directly). At most kMaxCachedIssuers
// issuers are cached (a flood of made-up issuers empties the cache, it never grows it without
// bound). A stored document that no longer decodes is refused with kInternal naming the trust:
// the token endpoint answers server_error rather than ignore a trust the administrator saved.
//
// Errors: the store's kUnavailable passes through.
// Thread safety: all methods may be called concurrently.
#ifndef TESSERA_OAUTH_FEDERATION_TRUSTS_H_
#define TESSERA_OAUTH_FEDERATION_TRUSTS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "federation/trust.h"
#include "oauth/directory.h"
#include "store/store.h"
#include "tessera/clock.h"
#include "tessera/status.h"

namespace tessera::oauth {

class FederationTrusts {
 public:
  static constexpr std::size_t kMaxCachedIssuers = 1024;

  // REQUIRES: `store`, `clock` and `follow` (when given) outlive this object.
  FederationTrusts(store::FederationTrustStore& store, const Clock& clock, int64_t ttl_seconds,
                   const Directory* follow = nullptr);

  using TrustList = std::vector<federation::Trust>;
  Result<std::shared_ptr<const TrustList>> ForIssuer(const std::string& issuer);

  // Whether the domain has any trust, active or not: false lets the token endpoint skip reading
  // the issuer of every assertion where federation is not in use. Cached as ForIssuer's answers
  // are (at most the TTL, dropped by this node's writes); with a TTL of 0 nothing is cached and
  // the answer is true without asking the store, so that ForIssuer alone decides.
  Result<bool> AnyTrust();

  // Drops every cached answer (after a trust was created, changed or deleted on this node).
  void Invalidate();

 private:
  struct Entry {
    std::shared_ptr<const TrustList> trusts;
    int64_t loaded_at = 0;
  };

  store::FederationTrustStore& store_;
  const Clock& clock_;
  const int64_t ttl_;
  const Directory* follow_;
  std::mutex mu_;
  // Drops every cached answer if this node's Directory moved on since the last look.
  void FollowDirectory();  // with mu_ held

  std::unordered_map<std::string, Entry> by_issuer_;  // GUARDED_BY(mu_)
  std::optional<bool> any_;                           // GUARDED_BY(mu_): AnyTrust's answer
  int64_t any_loaded_at_ = 0;                         // GUARDED_BY(mu_)
  uint64_t seen_generation_ = 0;                      // GUARDED_BY(mu_): follow_'s
};

// The store's record of `trust`: its identity, issuer and active flag as columns, the whole
// definition as the document (federation/trust_json.h), stamped with the given times. The one
// place a trust becomes a record (the admin API and the domain import both write through it).
store::FederationTrustRecord FederationTrustRecordOf(const federation::Trust& trust,
                                                     int64_t created_at, int64_t updated_at);

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_FEDERATION_TRUSTS_H_
