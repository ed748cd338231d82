#include "oauth/dpop_nonce.h"

#include "common/random.h"
#include "jose/base64url.h"
#include "jose/digest.h"

namespace tessera::oauth {
namespace {

// Domain separation: a key shared for other purposes can never yield a valid nonce by accident.
constexpr std::string_view kLabel = "tessera dpop nonce v1";
constexpr std::size_t kStepBytes = 8;
constexpr std::size_t kNonceChars = 54;  // base64url of 8 + 32 bytes, unpadded

std::string StepBytes(int64_t step) {
  std::string out(kStepBytes, '\0');
  auto v = static_cast<uint64_t>(step);
  for (std::size_t i = kStepBytes; i-- > 0;) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

}  // namespace

Result<DpopNonces> DpopNonces::Create(std::string key, const Clock& clock, int64_t step_seconds) {
  if (key.size() < kMinKeyBytes) {
    return Status::InvalidArgument("DPoP nonce key shorter than " + std::to_string(kMinKeyBytes) +
                                   " bytes");
  }
  if (step_seconds <= 0) return Status::InvalidArgument("DPoP nonce step must be positive");
  return DpopNonces(std::move(key), clock, step_seconds);
}

int64_t DpopNonces::CurrentStep() const {
  const int64_t now = clock_->NowSeconds();
  // Floor division, so that times before the epoch (only in tests) do not share step 0.
  return now >= 0 ? now / step_seconds_ : -((-now + step_seconds_ - 1) / step_seconds_);
}

std::string DpopNonces::NonceFor(int64_t step) const {
  const std::string step_bytes = StepBytes(step);
  std::string message(kLabel);
  message += step_bytes;
  return jose::Base64UrlEncode(step_bytes + jose::HmacSha256(key_, message));
}

std::string DpopNonces::Issue() const { return NonceFor(CurrentStep()); }

bool DpopNonces::Accepts(std::string_view nonce) const {
  if (nonce.size() != kNonceChars) return false;
  Result<std::string> raw = jose::Base64UrlDecode(nonce);
  if (!raw.ok() || raw->size() != kStepBytes + jose::kSha256Bytes) return false;
  uint64_t v = 0;
  for (std::size_t i = 0; i < kStepBytes; ++i) v = (v << 8) | static_cast<unsigned char>((*raw)[i]);
  const auto step = static_cast<int64_t>(v);
  const int64_t current = CurrentStep();
  if (step != current && step != current - 1) return false;
  // The tag decides; the step is only a hint of which tag to compute.
  return ConstantTimeEquals(nonce, NonceFor(step));
}

}  // namespace tessera::oauth
