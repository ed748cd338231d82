#include "jose/algorithm.h"

#include <array>

namespace tessera::jose {
namespace {
constexpr std::array<std::string_view, kAlgorithmCount> kNames = {
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
    "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"};
}  // namespace

std::string_view AlgorithmName(Algorithm alg) { return kNames[static_cast<int>(alg)]; }

std::optional<Algorithm> AlgorithmFromName(std::string_view name) {
  for (int i = 0; i < kAlgorithmCount; ++i) {
    if (kNames[i] == name) return static_cast<Algorithm>(i);
  }
  return std::nullopt;
}

AlgorithmFamily FamilyOf(Algorithm alg) {
  switch (alg) {
    case Algorithm::kRS256:
    case Algorithm::kRS384:
    case Algorithm::kRS512:
      return AlgorithmFamily::kRsaPkcs1;
    case Algorithm::kPS256:
    case Algorithm::kPS384:
    case Algorithm::kPS512:
      return AlgorithmFamily::kRsaPss;
    case Algorithm::kES256:
    case Algorithm::kES384:
    case Algorithm::kES512:
      return AlgorithmFamily::kEcdsa;
    case Algorithm::kEdDSA:
      return AlgorithmFamily::kEdDsa;
    case Algorithm::kHS256:
    case Algorithm::kHS384:
    case Algorithm::kHS512:
      return AlgorithmFamily::kHmac;
  }
  return AlgorithmFamily::kHmac;
}

int HashBytes(Algorithm alg) {
  switch (alg) {
    case Algorithm::kRS256:
    case Algorithm::kPS256:
    case Algorithm::kES256:
    case Algorithm::kHS256:
      return 32;
    case Algorithm::kRS384:
    case Algorithm::kPS384:
    case Algorithm::kES384:
    case Algorithm::kHS384:
      return 48;
    case Algorithm::kRS512:
    case Algorithm::kPS512:
    case Algorithm::kES512:
    case Algorithm::kHS512:
      return 64;
    case Algorithm::kEdDSA:
      return 0;
  }
  return 0;
}

Algorithm AlgorithmSet::First() const {
  for (int i = 0; i < kAlgorithmCount; ++i) {
    if (Contains(static_cast<Algorithm>(i))) return static_cast<Algorithm>(i);
  }
  return Algorithm::kRS256;
}

std::string AlgorithmSet::ToString() const {
  std::string out;
  for (int i = 0; i < kAlgorithmCount; ++i) {
    if (!Contains(static_cast<Algorithm>(i))) continue;
    if (!out.empty()) out += ", ";
    out += kNames[i];
  }
  return out;
}

}  // namespace tessera::jose
