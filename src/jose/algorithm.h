// JWS algorithms (RFC 7518 section 3, RFC 8037 section 3.1) and sets of them.
//
// Names are compared exactly and case-sensitively against this fixed list (RFC 8725 3.1:
// an allowlist, never a blocklist): "none", "None", "RS256 " are all unknown.
#ifndef TESSERA_JOSE_ALGORITHM_H_
#define TESSERA_JOSE_ALGORITHM_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::jose {

enum class Algorithm : uint8_t {
  kRS256,
  kRS384,
  kRS512,  // RSASSA-PKCS1-v1_5 with SHA-2 (RFC 7518 3.3)
  kPS256,
  kPS384,
  kPS512,  // RSASSA-PSS, MGF1 with the same hash, salt = hash length (3.5)
  kES256,
  kES384,
  kES512,  // ECDSA on P-256 / P-384 / P-521, raw R||S (3.4)
  kEdDSA,  // Ed25519 (RFC 8037)
  kHS256,
  kHS384,
  kHS512,  // HMAC with SHA-2, full-length tags (3.2)
};
inline constexpr int kAlgorithmCount = 13;

enum class AlgorithmFamily { kRsaPkcs1, kRsaPss, kEcdsa, kEdDsa, kHmac };

std::string_view AlgorithmName(Algorithm alg);
std::optional<Algorithm> AlgorithmFromName(std::string_view name);
AlgorithmFamily FamilyOf(Algorithm alg);
// Digest size in bytes (32, 48, 64); 0 for EdDSA, which hashes internally.
int HashBytes(Algorithm alg);

// A small set of algorithms (a bit mask). Value type.
class AlgorithmSet {
 public:
  constexpr AlgorithmSet() = default;
  constexpr AlgorithmSet(std::initializer_list<Algorithm> algs) {
    for (Algorithm a : algs) Add(a);
  }
  constexpr void Add(Algorithm a) { bits_ |= Bit(a); }
  constexpr bool Contains(Algorithm a) const { return (bits_ & Bit(a)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool IsSubsetOf(AlgorithmSet other) const { return (bits_ & ~other.bits_) == 0; }
  constexpr AlgorithmSet Intersect(AlgorithmSet other) const {
    AlgorithmSet r;
    r.bits_ = bits_ & other.bits_;
    return r;
  }
  // The first algorithm in enum order. REQUIRES: !empty().
  Algorithm First() const;
  // Names separated by ", " in enum order ("RS256, PS256").
  std::string ToString() const;
  friend constexpr bool operator==(AlgorithmSet a, AlgorithmSet b) { return a.bits_ == b.bits_; }

 private:
  static constexpr uint32_t Bit(Algorithm a) { return 1u << static_cast<int>(a); }
  uint32_t bits_ = 0;
};

}  // namespace tessera::jose

#endif  // TESSERA_JOSE_ALGORITHM_H_
