// JOSE micro-benchmarks: what Tessera's wrappers cost over the OpenSSL calls they make.
//
// For each algorithm (RS256, PS256, ES256, ES384, EdDSA, HS256) and one key of each type:
//   sign/<ALG>/evp        EVP_DigestSignInit + EVP_DigestSign with a pre-fetched EVP_MD
//                         (HMAC() for HS256), the floor any signer pays;
//   sign/<ALG>/key        Key::Sign on the same key and bytes (for ES*, DER -> raw R||S included);
//   verify/<ALG>/evp      EVP_DigestVerifyInit + EVP_DigestVerify, signature already in
//                         OpenSSL's format (DER for ECDSA);
//   verify/<ALG>/key      Key::Verify (for ES*, raw R||S -> DER included);
//   jws/<ALG>/parse       ParseJwt of a compact assertion (~300 bytes of claims): split,
//                         base64url, strict JSON, header policy;
//   jws/<ALG>/verify      ParseJwt + Verify: the full cost of checking an incoming assertion.
// and, once per algorithm, the parts of ParseJwt measured alone on the same token:
//   part/<ALG>/base64url  Base64UrlDecode of the payload and signature segments;
//   part/<ALG>/header     Base64UrlDecode + ParseStrictJson of the header segment;
//   part/<ALG>/claims     ParseStrictJson of the decoded claims (the DOM the caller reads).
// The signing input of the evp and key rows is the token's own signing input, so all rows of an
// algorithm hash the same bytes. bench/run prints the ratios.
#include <benchmark/benchmark.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "jose/base64url.h"
#include "jose/json.h"
#include "jose/jws.h"
#include "jose/key.h"
#include "jose/keyio.h"

namespace tessera::bench {
namespace {

using jose::Algorithm;

template <typename T>
T OrDie(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "jose_bench: %s: %s\n", what, r.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

const EVP_MD* Sha(int bytes) {
  static const EVP_MD* const k256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  static const EVP_MD* const k384 = EVP_MD_fetch(nullptr, "SHA2-384", nullptr);
  return bytes == 48 ? k384 : k256;
}

// A realistic RFC 7523 user assertion: 300-odd bytes of claims JSON.
jose::Json AssertionClaims() {
  const int64_t now = 1767225600;
  return jose::Json{
      {"iss", "4b7c1f0e2d8a4e6f9a3b5c7d9e1f2a3b"},
      {"sub", "jane.doe@example.com"},
      {"aud", {"https://identity.oraclecloud.com/", "https://tessera.example.com/oauth2/v1/token"}},
      {"iat", now},
      {"nbf", now - 5},
      {"exp", now + 300},
      {"jti", "6f1d2c3b-4a59-4e8f-9d7c-1b2a3f4e5d6c"},
      {"user.tenant.name", "idcs-5b0e1f2d3c4b5a69788796a5b4c3d2e1"},
      {"scope", "urn:opc:idm:__myscopes__"},
  };
}

struct Case {
  Algorithm alg;
  jose::Key private_key;       // signs
  jose::Key public_key;        // verifies (HMAC: the same secret)
  const EVP_MD* md = nullptr;  // nullptr for EdDSA
  std::string token;
  std::string signing_input;
  std::string signature;      // JWS form (raw R||S for ECDSA)
  std::string evp_signature;  // OpenSSL form (DER for ECDSA)
};

std::string RawToDer(std::string_view raw) {
  const size_t n = raw.size() / 2;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(
      sig,
      BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(n), nullptr),
      BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + n, static_cast<int>(n),
                nullptr));
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

Case MakeCase(Algorithm alg, jose::Key key) {
  Case c;
  c.alg = alg;
  c.private_key = OrDie(key.RestrictTo({alg}), "pin");
  c.public_key = OrDie(c.private_key.PublicKey(), "public key");
  c.md = jose::HashBytes(alg) == 0 ? nullptr : Sha(jose::HashBytes(alg));
  const jose::Json header = {{"typ", "JWT"},
                             {"kid", "bench-" + std::string(jose::AlgorithmName(alg))}};
  c.token = OrDie(jose::SignJwt(AssertionClaims(), c.private_key, alg, header), "sign token");
  const size_t dot = c.token.rfind('.');
  c.signing_input = c.token.substr(0, dot);
  c.signature = OrDie(jose::Base64UrlDecode(c.token.substr(dot + 1)), "signature");
  c.evp_signature =
      jose::FamilyOf(alg) == jose::AlgorithmFamily::kEcdsa ? RawToDer(c.signature) : c.signature;
  const jose::Jws jws = OrDie(jose::ParseJwt(c.token), "parse token");
  if (const Status s = jose::Verify(jws, c.public_key); !s.ok()) {
    std::fprintf(stderr, "jose_bench: %s token does not verify: %s\n",
                 jose::AlgorithmName(alg).data(), s.ToString().c_str());
    std::exit(1);
  }
  return c;
}

const std::vector<Case>& Cases() {
  static const std::vector<Case>* const cases = [] {
    auto* v = new std::vector<Case>;
    const jose::Key rsa = OrDie(jose::GenerateKey(jose::KeyType::kRsa, 2048), "RSA key");
    const jose::Key p256 = OrDie(jose::GenerateKey(jose::KeyType::kEc, 256), "P-256 key");
    const jose::Key p384 = OrDie(jose::GenerateKey(jose::KeyType::kEc, 384), "P-384 key");
    const jose::Key ed = OrDie(jose::GenerateKey(jose::KeyType::kEd25519, 256), "Ed25519 key");
    unsigned char secret[32];
    if (RAND_bytes(secret, sizeof(secret)) != 1) std::exit(1);
    const jose::Key hmac = OrDie(
        jose::Key::FromSecret(std::string_view(reinterpret_cast<char*>(secret), sizeof(secret)),
                              Algorithm::kHS256),
        "HMAC key");
    v->push_back(MakeCase(Algorithm::kRS256, rsa));
    v->push_back(MakeCase(Algorithm::kPS256, OrDie(rsa.RestrictTo({Algorithm::kPS256}), "PS256")));
    v->push_back(MakeCase(Algorithm::kES256, p256));
    v->push_back(MakeCase(Algorithm::kES384, p384));
    v->push_back(MakeCase(Algorithm::kEdDSA, ed));
    v->push_back(MakeCase(Algorithm::kHS256, hmac));
    return v;
  }();
  return *cases;
}

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

bool IsPss(const Case& c) { return jose::FamilyOf(c.alg) == jose::AlgorithmFamily::kRsaPss; }

bool SetPss(EVP_PKEY_CTX* pctx, const EVP_MD* md) {
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1;
}

// One raw OpenSSL verification, as a caller with a pre-fetched EVP_MD would write it.
bool EvpVerify(const Case& c) {
  if (c.alg == Algorithm::kHS256) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const std::string_view secret = c.public_key.secret();
    return HMAC(c.md, secret.data(), static_cast<int>(secret.size()), U(c.signing_input),
                c.signing_input.size(), mac, &len) != nullptr &&
           len == c.evp_signature.size() && CRYPTO_memcmp(mac, c.evp_signature.data(), len) == 0;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  const bool ok = ctx != nullptr &&
                  EVP_DigestVerifyInit(ctx, &pctx, c.md, nullptr, c.public_key.pkey()) == 1 &&
                  (!IsPss(c) || SetPss(pctx, c.md)) &&
                  EVP_DigestVerify(ctx, U(c.evp_signature), c.evp_signature.size(),
                                   U(c.signing_input), c.signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

// One raw OpenSSL signature into `out` (sized by the caller to EVP_PKEY_get_size or the MAC size).
bool EvpSign(const Case& c, std::string& out) {
  if (c.alg == Algorithm::kHS256) {
    unsigned int len = 0;
    const std::string_view secret = c.private_key.secret();
    return HMAC(c.md, secret.data(), static_cast<int>(secret.size()), U(c.signing_input),
                c.signing_input.size(), reinterpret_cast<unsigned char*>(out.data()),
                &len) != nullptr;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  size_t len = out.size();
  const bool ok = ctx != nullptr &&
                  EVP_DigestSignInit(ctx, &pctx, c.md, nullptr, c.private_key.pkey()) == 1 &&
                  (!IsPss(c) || SetPss(pctx, c.md)) &&
                  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(out.data()), &len,
                                 U(c.signing_input), c.signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

void SignEvp(benchmark::State& state, const Case* c) {
  std::string out(
      c->alg == Algorithm::kHS256 ? EVP_MAX_MD_SIZE : EVP_PKEY_get_size(c->private_key.pkey()),
      '\0');
  for (auto _ : state) {
    if (!EvpSign(*c, out)) {
      state.SkipWithError("EVP_DigestSign failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
}

void SignKey(benchmark::State& state, const Case* c) {
  for (auto _ : state) {
    Result<std::string> sig = c->private_key.Sign(c->alg, c->signing_input);
    if (!sig.ok()) {
      state.SkipWithError(sig.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(sig->data());
  }
}

void VerifyEvp(benchmark::State& state, const Case* c) {
  for (auto _ : state) {
    if (!EvpVerify(*c)) {
      state.SkipWithError("EVP_DigestVerify failed");
      break;
    }
  }
}

void VerifyKey(benchmark::State& state, const Case* c) {
  for (auto _ : state) {
    const Status s = c->public_key.Verify(c->alg, c->signing_input, c->signature);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
}

void JwsParse(benchmark::State& state, const Case* c) {
  for (auto _ : state) {
    Result<jose::Jws> jws = jose::ParseJwt(c->token);
    if (!jws.ok()) {
      state.SkipWithError(jws.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(jws->claims);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c->token.size()));
}

void JwsVerify(benchmark::State& state, const Case* c) {
  for (auto _ : state) {
    Result<jose::Jws> jws = jose::ParseJwt(c->token);
    const Status s = jws.ok() ? jose::Verify(*jws, c->public_key) : jws.status();
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
}

struct Segments {
  std::string_view header, payload, signature;
  std::string claims_json;
};

Segments Split(const Case& c) {
  const std::string_view t = c.token;
  const size_t dot1 = t.find('.');
  const size_t dot2 = t.find('.', dot1 + 1);
  Segments s{t.substr(0, dot1), t.substr(dot1 + 1, dot2 - dot1 - 1), t.substr(dot2 + 1), {}};
  s.claims_json = OrDie(jose::Base64UrlDecode(s.payload), "payload");
  return s;
}

void PartBase64(benchmark::State& state, const Case* c) {
  const Segments seg = Split(*c);
  for (auto _ : state) {
    Result<std::string> payload = jose::Base64UrlDecode(seg.payload);
    Result<std::string> sig = jose::Base64UrlDecode(seg.signature);
    if (!payload.ok() || !sig.ok()) {
      state.SkipWithError("base64url");
      break;
    }
    benchmark::DoNotOptimize(payload->data());
    benchmark::DoNotOptimize(sig->data());
  }
}

void PartHeader(benchmark::State& state, const Case* c) {
  const Segments seg = Split(*c);
  for (auto _ : state) {
    Result<std::string> raw = jose::Base64UrlDecode(seg.header);
    Result<jose::Json> header =
        raw.ok() ? jose::ParseStrictJson(*raw) : Result<jose::Json>(raw.status());
    if (!header.ok()) {
      state.SkipWithError(header.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(*header);
  }
}

void PartClaims(benchmark::State& state, const Case* c) {
  const Segments seg = Split(*c);
  for (auto _ : state) {
    Result<jose::Json> claims = jose::ParseStrictJson(seg.claims_json);
    if (!claims.ok()) {
      state.SkipWithError(claims.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(*claims);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * seg.claims_json.size()));
}

void Register() {
  for (const Case& c : Cases()) {
    const std::string alg(jose::AlgorithmName(c.alg));
    benchmark::RegisterBenchmark(("sign/" + alg + "/evp").c_str(), SignEvp, &c);
    benchmark::RegisterBenchmark(("sign/" + alg + "/key").c_str(), SignKey, &c);
    benchmark::RegisterBenchmark(("verify/" + alg + "/evp").c_str(), VerifyEvp, &c);
    benchmark::RegisterBenchmark(("verify/" + alg + "/key").c_str(), VerifyKey, &c);
    benchmark::RegisterBenchmark(("jws/" + alg + "/parse").c_str(), JwsParse, &c);
    benchmark::RegisterBenchmark(("jws/" + alg + "/verify").c_str(), JwsVerify, &c);
    benchmark::RegisterBenchmark(("part/" + alg + "/base64url").c_str(), PartBase64, &c);
    benchmark::RegisterBenchmark(("part/" + alg + "/header").c_str(), PartHeader, &c);
    benchmark::RegisterBenchmark(("part/" + alg + "/claims").c_str(), PartClaims, &c);
  }
  const Case& first = Cases()[0];
  std::fprintf(stderr, "jose_bench: %zu-byte %s token, %zu-byte signing input, %zu-byte claims\n",
               first.token.size(), jose::AlgorithmName(first.alg).data(),
               first.signing_input.size(), Split(first).claims_json.size());
}

}  // namespace
}  // namespace tessera::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  tessera::bench::Register();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
