// DPoP proof validation (oauth/dpop.h) and the htu normalisation it compares with.
//
// Input: four '\n'-separated fields, method, request URL, access token (may be empty), proof; the
// clock stands at the iat of the RFC 9449 4.1 example, so the seeds pass every check and the
// fuzzer starts from valid proofs.
//
// Invariants:
//   - NormalizeHtu is idempotent, and its output is an http(s) URI without query or fragment;
//   - an accepted proof names its key (a 43-character RFC 7638 thumbprint), has a jti within the
//     length limit, an iat within the window, replay_until = iat + max_age + 1, and was made for
//     this method;
//   - a refusal carries a DpopError other than kOk, with a message.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "oauth/dpop.h"
#include "tessera/clock.h"

namespace tessera::fuzz {
namespace {

constexpr int64_t kNow = 1562262617;

void CheckNormalize(std::string_view url) {
  Result<std::string> once = oauth::NormalizeHtu(url);
  if (!once.ok()) {
    TESSERA_FUZZ_CHECK(oauth::DpopErrorOf(once.status()) == oauth::DpopError::kHtuInvalid,
                       Describe(once.status()));
    return;
  }
  TESSERA_FUZZ_CHECK(once->rfind("http://", 0) == 0 || once->rfind("https://", 0) == 0, *once);
  TESSERA_FUZZ_CHECK(once->find_first_of("?#") == std::string::npos, *once);
  Result<std::string> twice = oauth::NormalizeHtu(*once);
  TESSERA_FUZZ_CHECK(twice.ok() && *twice == *once, *once);
}

}  // namespace
}  // namespace tessera::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera;
  std::string_view input = fuzz::AsText(data, size);
  std::string_view fields[4];
  for (int i = 0; i < 3; ++i) {
    const std::size_t nl = input.find('\n');
    if (nl == std::string_view::npos) return 0;
    fields[i] = input.substr(0, nl);
    input.remove_prefix(nl + 1);
  }
  fields[3] = input;
  fuzz::CheckNormalize(fields[1]);

  static const FixedClock clock(fuzz::kNow);
  static const oauth::DpopValidator validator = oauth::DpopValidator::Create({}, clock).value();
  const oauth::DpopOptions& o = validator.options();
  Result<oauth::DpopProof> proof = validator.Validate(
      {.proofs = {fields[3]}, .method = fields[0], .url = fields[1], .access_token = fields[2]});
  if (!proof.ok()) {
    TESSERA_FUZZ_CHECK(oauth::DpopErrorOf(proof.status()) != oauth::DpopError::kOk &&
                           !proof.status().message().empty(),
                       fuzz::Describe(proof.status()));
    return 0;
  }
  TESSERA_FUZZ_CHECK(proof->jkt.size() == 43, proof->jkt);
  TESSERA_FUZZ_CHECK(!proof->jti.empty() && proof->jti.size() <= o.max_jti_length, proof->jti);
  TESSERA_FUZZ_CHECK(proof->issued_at >= fuzz::kNow - o.max_age_seconds &&
                         proof->issued_at <= fuzz::kNow + o.clock_skew_seconds,
                     std::to_string(proof->issued_at));
  TESSERA_FUZZ_CHECK(proof->replay_until == proof->issued_at + o.max_age_seconds + 1, "replay");
  TESSERA_FUZZ_CHECK(o.algorithms.Contains(proof->alg), "alg");
  return 0;
}
