// Stateless DPoP server nonces (RFC 9449 section 8 and 9; dpop_nonce = "on").
//
// A nonce is base64url(step || HMAC-SHA-256(key, label || step)), where step is the current time
// step (now / step_seconds) as 8 big-endian bytes and label a fixed domain-separation string. It
// is accepted during the step it was issued in and the next one, so a nonce lives between
// step_seconds and 2 * step_seconds. Nothing is stored: every node that shares the key issues and
// accepts the same nonces, which is what lets a cluster answer use_dpop_nonce on one node and
// accept the retried request on another (contract: nonces are valid on every node).
//
// A nonce only proves freshness of the proof that carries it (RFC 9449 11.2), not single use; the
// jti replay check does that.
//
// Example:
//   TESSERA_ASSIGN_OR_RETURN(DpopNonces nonces, DpopNonces::Create(shared_key, clock));
//   response.SetHeader("DPoP-Nonce", nonces.Issue());
//   ... later, in the proof check: nonces.Accepts(claims["nonce"]) ...
//
// Thread safety: immutable after Create; Issue and Accepts may run concurrently. The key is a
// secret: never logged, compared in constant time.
#ifndef TESSERA_OAUTH_DPOP_NONCE_H_
#define TESSERA_OAUTH_DPOP_NONCE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "tessera/clock.h"
#include "tessera/status.h"

namespace tessera::oauth {

class DpopNonces {
 public:
  static constexpr std::size_t kMinKeyBytes = 32;
  static constexpr int64_t kDefaultStepSeconds = 300;

  // `key`: at least kMinKeyBytes secret bytes shared by every node. `clock` must outlive the
  // object. Errors: kInvalidArgument for a short key or step_seconds <= 0.
  static Result<DpopNonces> Create(std::string key, const Clock& clock,
                                   int64_t step_seconds = kDefaultStepSeconds);

  // A nonce for the current time step (54 characters of the base64url alphabet, so within the
  // NQCHAR syntax of RFC 9449 8.1).
  std::string Issue() const;

  // True iff `nonce` was issued with this key in the current or the previous time step.
  bool Accepts(std::string_view nonce) const;

  int64_t step_seconds() const { return step_seconds_; }

 private:
  DpopNonces(std::string key, const Clock& clock, int64_t step_seconds)
      : key_(std::move(key)), clock_(&clock), step_seconds_(step_seconds) {}

  int64_t CurrentStep() const;
  std::string NonceFor(int64_t step) const;

  std::string key_;
  const Clock* clock_;
  int64_t step_seconds_;
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_DPOP_NONCE_H_
