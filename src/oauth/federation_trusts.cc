#include "oauth/federation_trusts.h"

#include "federation/trust_json.h"

namespace tessera::oauth {

FederationTrusts::FederationTrusts(store::FederationTrustStore& store, const Clock& clock,
                                   int64_t ttl_seconds, const Directory* follow)
    : store_(store),
      clock_(clock),
      ttl_(ttl_seconds),
      follow_(follow),
      seen_generation_(follow != nullptr ? follow->generation() : 0) {}

Result<std::shared_ptr<const FederationTrusts::TrustList>> FederationTrusts::ForIssuer(
    const std::string& issuer) {
  const int64_t now = clock_.NowSeconds();
  {
    std::lock_guard<std::mutex> lock(mu_);
    FollowDirectory();
    auto it = by_issuer_.find(issuer);
    if (it != by_issuer_.end() && now - it->second.loaded_at < ttl_) return it->second.trusts;
  }
  // Loaded outside the lock: a slow store never holds up the answers already cached.
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::FederationTrustRecord> records,
                           store_.FindFederationTrustsByIssuer(issuer));
  auto trusts = std::make_shared<TrustList>();
  trusts->reserve(records.size());
  for (const store::FederationTrustRecord& record : records) {
    Result<federation::Trust> trust = federation::TrustFromDocument(record.document);
    if (!trust.ok()) {
      return Status::Internal("federation trust " + record.id +
                              " does not decode: " + trust.status().message());
    }
    trust->id = record.id;
    trust->active = record.active;  // the record's flag is the one the admin API changes
    // The store found it by issuer; a document saying otherwise is not trusted for this one.
    if (trust->issuer != issuer) continue;
    trusts->push_back(std::move(trust).value());
  }
  std::shared_ptr<const TrustList> out = std::move(trusts);
  std::lock_guard<std::mutex> lock(mu_);
  if (by_issuer_.size() >= kMaxCachedIssuers) by_issuer_.clear();
  by_issuer_[issuer] = Entry{out, now};
  return out;
}

Result<bool> FederationTrusts::AnyTrust() {
  if (ttl_ <= 0) return true;
  const int64_t now = clock_.NowSeconds();
  {
    std::lock_guard<std::mutex> lock(mu_);
    FollowDirectory();
    if (any_ && now - any_loaded_at_ < ttl_) return *any_;
  }
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::FederationTrustRecord> records,
                           store_.ListFederationTrusts());
  std::lock_guard<std::mutex> lock(mu_);
  any_ = !records.empty();
  any_loaded_at_ = now;
  return *any_;
}

void FederationTrusts::FollowDirectory() {
  // An admin write on this node invalidated the Directory: trusts may have changed too.
  if (follow_ != nullptr && follow_->generation() != seen_generation_) {
    seen_generation_ = follow_->generation();
    by_issuer_.clear();
    any_.reset();
  }
}

void FederationTrusts::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  by_issuer_.clear();
  any_.reset();
}

store::FederationTrustRecord FederationTrustRecordOf(const federation::Trust& trust,
                                                     int64_t created_at, int64_t updated_at) {
  store::FederationTrustRecord r;
  r.id = trust.id;
  r.name = trust.name;
  r.issuer = trust.issuer;
  r.active = trust.active;
  r.document = federation::TrustToDocument(trust);
  r.created_at = created_at;
  r.updated_at = updated_at;
  return r;
}

}  // namespace tessera::oauth
