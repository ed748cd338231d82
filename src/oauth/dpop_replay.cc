#include "oauth/dpop_replay.h"

namespace tessera::oauth {

Status InMemoryProofReplayCache::Record(const DpopProof& proof, int64_t now) {
  // The thumbprint is fixed-length base64url (no '\n'), so the pair's encoding is unambiguous.
  std::string key = proof.jkt + '\n' + proof.jti;
  std::lock_guard<std::mutex> lock(mu_);
  PurgeExpired(now);
  if (until_.find(key) != until_.end()) return DpopFailure(DpopError::kReplayed);
  if (proof.replay_until <= now) return Status::Ok();  // already outside every window
  if (until_.size() >= capacity_) {
    return DpopFailure(DpopError::kReplayCacheFull, std::to_string(capacity_) + " live entries");
  }
  until_.emplace(key, proof.replay_until);
  by_expiry_.emplace(proof.replay_until, std::move(key));
  return Status::Ok();
}

std::size_t InMemoryProofReplayCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return until_.size();
}

void InMemoryProofReplayCache::PurgeExpired(int64_t now) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    until_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

}  // namespace tessera::oauth
