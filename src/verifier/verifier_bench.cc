// Full bearer verification (Verifier::Verify with a warm JWK Set: parse, key lookup, signature,
// issuer, times, audience, scope) next to the raw OpenSSL verify of the same bytes
// (EVP_DigestVerifyInit + EVP_DigestVerify with a pre-fetched EVP_MD, signature already in
// OpenSSL's format), for an RS256 and an ES256 access token shaped like Tessera's. Prints the
// ratio per algorithm; the target is at most 1.10x.
//
// Then the gateway's whole check of a request (Verifier::VerifyRequest) with an RS256 token:
// under the Bearer scheme, and DPoP-bound (cnf.jkt) with a fresh ES256 proof per request (made
// with the timer paused). Their difference is what DPoP adds in-process, printed next to one
// ES256 Key::Verify (RFC 9449 4.3 needs exactly one signature check of the proof). A lower bound:
// signing the proof just before leaves OpenSSL's P-256 tables in the cache, which a server's
// request between two proofs does not (bench/gateway.sh measures the gateway itself).
//
//   ninja -C build-client verifier_bench
//   build-client/src/verifier/verifier_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "http/server.h"
#include "jose/base64url.h"
#include "jose/json.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/keyio.h"
#include "tessera/client.h"
#include "tessera/verifier.h"

namespace {

using tessera::Result;
using tessera::jose::Algorithm;
using tessera::jose::Json;

template <typename T>
T OrDie(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "verifier_bench: %s: %s\n", what, r.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

struct Case {
  tessera::jose::Key key;
  std::string token;
  std::string signing_input;
  std::string evp_signature;  // DER for ECDSA
  std::string raw_signature;  // as in the token
  Algorithm alg = Algorithm::kRS256;
};

std::map<std::string, Case>& Cases() {
  static std::map<std::string, Case> cases;
  return cases;
}
tessera::verifier::Verifier* g_verifier = nullptr;

std::string RawToDer(const std::string& raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  const int half = static_cast<int>(raw.size() / 2);
  ECDSA_SIG_set0(sig, BN_bin2bn(p, half, nullptr), BN_bin2bn(p + half, half, nullptr));
  unsigned char* der = nullptr;
  const int n = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), n);
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

void BM_Evp(benchmark::State& state, const std::string& alg) {
  const Case& c = Cases().at(alg);
  static const EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, sha256, nullptr, c.key.pkey());
    const int ok = EVP_DigestVerify(
        ctx, reinterpret_cast<const unsigned char*>(c.evp_signature.data()), c.evp_signature.size(),
        reinterpret_cast<const unsigned char*>(c.signing_input.data()), c.signing_input.size());
    EVP_MD_CTX_free(ctx);
    if (ok != 1) state.SkipWithError("EVP verify failed");
    benchmark::DoNotOptimize(ok);
  }
}

void BM_Verifier(benchmark::State& state, const std::string& alg) {
  const Case& c = Cases().at(alg);
  for (auto _ : state) {
    Result<tessera::verifier::Principal> p = g_verifier->Verify(c.token);
    if (!p.ok()) state.SkipWithError(p.status().message().c_str());
    benchmark::DoNotOptimize(p);
  }
}

// Key::Verify alone (src/jose's wrapper over the same EVP calls).
void BM_Key(benchmark::State& state, const std::string& alg) {
  const Case& c = Cases().at(alg);
  for (auto _ : state) {
    tessera::Status s = c.key.Verify(c.alg, c.signing_input, c.raw_signature);
    if (!s.ok()) state.SkipWithError("key verify failed");
    benchmark::DoNotOptimize(s);
  }
}

// ParseJwt alone (split, base64url, strict JSON of header and claims, header policy): the part
// of the verifier's overhead that lives in src/jose.
void BM_Parse(benchmark::State& state, const std::string& alg) {
  const Case& c = Cases().at(alg);
  for (auto _ : state) {
    auto jws = tessera::jose::ParseJwt(c.token);
    if (!jws.ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(jws);
  }
}

// The gateway's check of one request: `bearer` true sends the RS256 token under Bearer, else the
// cnf.jkt-bound one under DPoP with a proof made for this iteration (the timer paused meanwhile:
// the client's cost is not the server's).
const char* const kResourceUrl = "https://api.example.test/orders";
std::string g_bound_token;
std::optional<tessera::client::DpopKey> g_dpop_key;

void BM_Request(benchmark::State& state, bool bearer) {
  const std::string authorization =
      bearer ? "Bearer " + Cases().at("RS256").token : "DPoP " + g_bound_token;
  for (auto _ : state) {
    tessera::verifier::ResourceRequest request;
    request.method = "GET";
    request.url = kResourceUrl;
    request.authorization = authorization;
    std::string proof;
    if (!bearer) {
      state.PauseTiming();
      const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      proof = OrDie(
          tessera::client::MakeDpopProof(*g_dpop_key, "GET", kResourceUrl, g_bound_token, "", now),
          "proof");
      request.dpop_proofs = {proof};
      state.ResumeTiming();
    }
    tessera::verifier::Admission a = g_verifier->VerifyRequest(request);
    if (!a.ok()) state.SkipWithError(a.status.message().c_str());
    benchmark::DoNotOptimize(a);
  }
}

// Keeps each run's CPU time per iteration for the ratio table.
class Collector : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    // With --benchmark_repetitions the median aggregate wins over single repetitions.
    for (const Run& r : runs) {
      const std::string name = r.run_name.function_name;
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") {
        times[name] = r.GetAdjustedCPUTime();
        medians.insert(name);
      } else if (r.run_type == Run::RT_Iteration && r.iterations > 0 && !medians.count(name)) {
        times[name] = r.GetAdjustedCPUTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> times;  // CPU ns per iteration, by registered name
  std::set<std::string> medians;
};

int Run(int argc, char** argv) {
  namespace jose = tessera::jose;
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const char* issuer = "https://idm.example.test";
  const char* audience = "https://api.example.test:443";
  Json set = {{"keys", Json::array()}};
  struct Spec {
    const char* name;
    jose::KeyType type;
    int bits;
    Algorithm alg;
  };
  for (const Spec& s : {Spec{"RS256", jose::KeyType::kRsa, 2048, Algorithm::kRS256},
                        Spec{"ES256", jose::KeyType::kEc, 256, Algorithm::kES256}}) {
    jose::Key key = OrDie(jose::GenerateKey(s.type, s.bits), "generate key");
    const std::string kid = std::string("bench-") + s.name;
    set["keys"].push_back(OrDie(jose::PublicJwk(OrDie(key.PublicKey(), "public"), kid), "jwk"));
    // The claims of a Tessera user access token (contract section 3).
    const Json claims = {{"aud", audience},
                         {"client_id", "2b76cf6a2cde81f8b7216b78e97a2dcc"},
                         {"client_name", "Demo client"},
                         {"exp", now + 3600},
                         {"gtp", "jwt"},
                         {"iat", now},
                         {"iss", issuer},
                         {"jti", "8e6b173a-6ffd-417a-a6cc-d1a3640fcab2"},
                         {"scope", "urn:opc:resource:consumer::all"},
                         {"sub", "demo.user"},
                         {"sub_type", "user"},
                         {"tok_type", "AT"},
                         {"user_id", "13f68cd5-d96b-46f7-9e9e-b4cc14493f3b"}};
    const Json header = {{"kid", kid}, {"typ", "JWT"}, {"x5t", "wSmMnug2pvWK9lu_pDGmbZWLq40"}};
    Case c;
    c.token = OrDie(jose::SignJwt(claims, key, s.alg, header), "sign");
    c.signing_input = c.token.substr(0, c.token.rfind('.'));
    const std::string raw =
        OrDie(jose::Base64UrlDecode(c.token.substr(c.token.rfind('.') + 1)), "signature");
    c.evp_signature = s.alg == Algorithm::kES256 ? RawToDer(raw) : raw;
    c.raw_signature = raw;
    c.alg = s.alg;
    c.key = OrDie(key.PublicKey(), "public");
    Cases()[s.name] = std::move(c);
    if (s.alg == Algorithm::kRS256) {
      g_dpop_key = OrDie(tessera::client::DpopKey::Generate("ES256"), "DPoP key");
      Json bound = claims;
      bound["cnf"] = {{"jkt", g_dpop_key->Thumbprint()}};
      g_bound_token = OrDie(jose::SignJwt(bound, key, s.alg, header), "sign bound");
    }
  }

  const std::string body = jose::DumpCompact(set);
  tessera::http::Router router;
  router.Add("GET", "/jwks", [&body](tessera::http::Request&) {
    return tessera::http::Response::Json(200, body).AddHeader("Cache-Control", "max-age=3600");
  });
  tessera::http::Server server({.host = "127.0.0.1", .port = 0, .threads = 1, .access_log = false},
                               std::move(router));
  if (!server.Start().ok()) {
    std::fprintf(stderr, "verifier_bench: cannot start the JWK Set server\n");
    return 1;
  }
  tessera::verifier::VerifierOptions options;
  options.jwks_url = "http://127.0.0.1:" + std::to_string(server.port()) + "/jwks";
  options.issuer = issuer;
  options.audiences = {audience};
  options.required_scopes = {"urn:opc:resource:consumer::all"};
  tessera::verifier::Verifier verifier =
      OrDie(tessera::verifier::Verifier::Create(options), "verifier");
  g_verifier = &verifier;
  for (const char* alg : {"RS256", "ES256"}) {
    OrDie(verifier.Verify(Cases().at(alg).token), "warm-up verify");  // warm and correct
    benchmark::RegisterBenchmark((std::string("verify/") + alg + "/evp").c_str(), BM_Evp,
                                 std::string(alg));
    benchmark::RegisterBenchmark((std::string("verify/") + alg + "/verifier").c_str(), BM_Verifier,
                                 std::string(alg));
    benchmark::RegisterBenchmark((std::string("verify/") + alg + "/parse").c_str(), BM_Parse,
                                 std::string(alg));
    benchmark::RegisterBenchmark((std::string("verify/") + alg + "/key").c_str(), BM_Key,
                                 std::string(alg));
  }
  benchmark::RegisterBenchmark("request/RS256/bearer", BM_Request, true);
  benchmark::RegisterBenchmark("request/RS256/dpop-ES256", BM_Request, false);
  benchmark::Initialize(&argc, argv);
  Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  std::printf("\nfull bearer verification / raw EVP verify (target <= 1.10x):\n");
  for (const char* alg : {"RS256", "ES256"}) {
    const double evp = collector.times[std::string("verify/") + alg + "/evp"];
    const double full = collector.times[std::string("verify/") + alg + "/verifier"];
    const double parse = collector.times[std::string("verify/") + alg + "/parse"];
    const double key = collector.times[std::string("verify/") + alg + "/key"];
    if (evp > 0 && full > 0) {
      std::printf(
          "  %s  evp %.2f us  verifier %.2f us  ratio %.3fx  %s  (ParseJwt %.2f us, Key::Verify "
          "%.2f us)\n",
          alg, evp / 1000.0, full / 1000.0, full / evp, full / evp <= 1.10 ? "PASS" : "MISS",
          parse / 1000.0, key / 1000.0);
    }
  }
  const double bearer = collector.times["request/RS256/bearer"];
  const double dpop = collector.times["request/RS256/dpop-ES256"];
  const double es256 = collector.times["verify/ES256/key"];
  if (bearer > 0 && dpop > 0 && es256 > 0) {
    std::printf(
        "\nVerifyRequest, RS256 token: bearer %.2f us, DPoP-bound with an ES256 proof %.2f us; "
        "DPoP adds %.2f us (one ES256 Key::Verify: %.2f us)\n",
        bearer / 1000.0, dpop / 1000.0, (dpop - bearer) / 1000.0, es256 / 1000.0);
  }
  server.Stop();
  server.Wait();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {  // a JSON or benchmark library error: report, not abort
    std::fprintf(stderr, "verifier_bench: %s\n", e.what());
    return 1;
  }
}
