// ProofReplayCache: the single use of a DPoP proof's "jti" (RFC 9449 11.1).
//
// A server "MUST only accept a given jti once" while the proof's iat is in its acceptance window;
// after DpopProof::replay_until the iat check refuses the proof anyway, so the entry can go.
// Entries are keyed by (jkt, jti): a jti is the client's choice, and keying it under the proof's
// key means no one can spend another client's jti in advance.
//
// The token endpoint records jtis in the store's jti table (shared by every node); the resource
// side, which has no store, uses InMemoryProofReplayCache (one process; a gateway cluster behind
// one name either shares a cache or relies on nonces).
//
// Example:
//   TESSERA_ASSIGN_OR_RETURN(DpopProof proof, validator.Validate(request));
//   TESSERA_RETURN_IF_ERROR(replay_cache.Record(proof, clock.NowSeconds()));   // kReplayed
//
// Thread safety: implementations must allow concurrent Record calls.
#ifndef TESSERA_OAUTH_DPOP_REPLAY_H_
#define TESSERA_OAUTH_DPOP_REPLAY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "oauth/dpop.h"
#include "tessera/status.h"

namespace tessera::oauth {

class ProofReplayCache {
 public:
  virtual ~ProofReplayCache() = default;

  // Records (proof.jkt, proof.jti) until proof.replay_until. OK the first time; the DpopError
  // kReplayed while an earlier record of the same pair is live (replay_until > now);
  // kReplayCacheFull (kResourceExhausted) when no room is left. Never forgets a live entry to
  // make room: a full cache refuses (fails closed) rather than admit a replay.
  virtual Status Record(const DpopProof& proof, int64_t now) = 0;
};

// A bounded, time-windowed, thread-safe in-memory cache. Expired entries are dropped on each
// Record (oldest first), so at a steady rate of R proofs per second it holds about
// R * (max_age_seconds + 1) entries.
class InMemoryProofReplayCache final : public ProofReplayCache {
 public:
  static constexpr std::size_t kDefaultCapacity = 100'000;

  // REQUIRES: capacity > 0.
  explicit InMemoryProofReplayCache(std::size_t capacity = kDefaultCapacity)
      : capacity_(capacity) {}

  Status Record(const DpopProof& proof, int64_t now) override;

  // Live entries (after the last purge).
  std::size_t size() const;

 private:
  void PurgeExpired(int64_t now);  // REQUIRES: mu_ held

  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, int64_t> until_;  // GUARDED_BY(mu_): key -> replay_until
  std::multimap<int64_t, std::string> by_expiry_;   // GUARDED_BY(mu_): replay_until -> key
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_DPOP_REPLAY_H_
