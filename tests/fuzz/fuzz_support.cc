#include "fuzz_support.h"

#include <cstdio>
#include <cstdlib>

#include "jose/error.h"
#include "jose/keyio.h"

namespace tessera::fuzz {
namespace {

jose::Key Load(const char* what, Result<jose::Key> key) {
  if (!key.ok()) CheckFailed(__FILE__, __LINE__, what, Describe(key.status()));
  return std::move(key).value();
}

// The public half pinned like `key`: a server verifies with public keys only.
jose::Key PublicOf(const char* what, const jose::Key& key) { return Load(what, key.PublicKey()); }

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

}  // namespace

void CheckFailed(const char* file, int line, const char* cond, std::string_view detail) {
  std::fprintf(stderr, "%s:%d: invariant failed: %s\n  %.*s\n", file, line, cond,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

std::string Describe(const Status& s) {
  return s.ToString() + " [jose reason " + std::to_string(s.reason()) + "]";
}

const FuzzKeys& Keys() {
  static const FuzzKeys* const keys = [] {
    auto* k = new FuzzKeys;
    const jose::Key rsa = Load("rsa", jose::LoadPrivateKey(RsaPem()));
    k->rsa = Load("rsa algs", PublicOf("rsa public", rsa).RestrictTo(rsa.CompatibleAlgorithms()));
    k->p256 = PublicOf("p256", Load("p256", jose::LoadPrivateKey(P256Pem())));
    k->p384 = PublicOf("p384", Load("p384", jose::LoadPrivateKey(P384Pem())));
    k->ed25519 = PublicOf("ed25519", Load("ed25519", jose::LoadPrivateKey(Ed25519Pem())));
    const std::string secret = FromHex(HmacHex());
    k->hmac = Load("hmac", jose::Key::FromSecret(secret, jose::Algorithm::kHS256));
    k->hmac = Load("hmac algs", k->hmac.RestrictTo(k->hmac.CompatibleAlgorithms()));
    k->all = {&k->rsa, &k->p256, &k->p384, &k->ed25519, &k->hmac};
    return k;
  }();
  return *keys;
}

}  // namespace tessera::fuzz
