#include "oauth/dpop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <utility>
#include <vector>

#include "jose/base64url.h"
#include "jose/digest.h"
#include "jose/json.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/keyio.h"
#include "oauth/dpop_nonce.h"
#include "oauth/dpop_replay.h"
#include "oauth/dpop_test_examples.h"

namespace tessera::oauth {
namespace {

using jose::Algorithm;
using jose::Json;
using jose::Key;
using jose::KeyType;

constexpr int64_t kNow = 1'800'000'000;
constexpr std::string_view kUrl = "https://as.example.com/oauth2/v1/token";
constexpr std::string_view kNonceKey = "0123456789abcdef0123456789abcdef";

const Key& EcKey() {
  static const Key key = jose::GenerateKey(KeyType::kEc, 256).value();
  return key;
}

// The public JWK of `key` as a proof carries it: the required members only.
Json ProofJwk(const Key& key) {
  Json jwk = jose::PublicJwk(key, "").value();
  jwk.erase("use");
  jwk.erase("alg");
  return jwk;
}

struct ProofParts {
  Json header = Json::object();
  Json claims = Json::object();
};

ProofParts GoodParts(const Key& key = EcKey()) {
  ProofParts p;
  p.header["typ"] = "dpop+jwt";
  p.header["jwk"] = ProofJwk(key);
  p.claims["jti"] = "e1j3V_bKic8-LAEB";
  p.claims["htm"] = "POST";
  p.claims["htu"] = std::string(kUrl);
  p.claims["iat"] = kNow;
  return p;
}

std::string Sign(const ProofParts& p, const Key& key = EcKey(), Algorithm alg = Algorithm::kES256) {
  Key pinned = key.RestrictTo({alg}).value();
  return jose::SignJwt(p.claims, pinned, alg, p.header).value();
}

class DpopTest : public ::testing::Test {
 protected:
  DpopValidator Validator(DpopOptions options = {}) {
    return DpopValidator::Create(std::move(options), clock_).value();
  }
  Result<DpopProof> Check(std::string_view proof, std::string_view method = "POST",
                          std::string_view url = kUrl, std::string_view token = {},
                          DpopOptions options = {}) {
    return Validator(std::move(options))
        .Validate({.proofs = {proof}, .method = method, .url = url, .access_token = token});
  }
  DpopError ErrorOf(const ProofParts& p, DpopOptions options = {}) {
    return DpopErrorOf(Check(Sign(p), "POST", kUrl, {}, std::move(options)).status());
  }

  FixedClock clock_{kNow};
};

TEST_F(DpopTest, ValidProofOfEachAlgorithm) {
  struct Case {
    KeyType type;
    int bits;
    Algorithm alg;
  };
  for (const Case& c :
       {Case{KeyType::kEc, 256, Algorithm::kES256}, Case{KeyType::kRsa, 2048, Algorithm::kRS256},
        Case{KeyType::kRsa, 2048, Algorithm::kPS256},
        Case{KeyType::kEd25519, 256, Algorithm::kEdDSA}}) {
    const Key key = jose::GenerateKey(c.type, c.bits).value();
    Result<DpopProof> proof = Check(Sign(GoodParts(key), key, c.alg));
    ASSERT_TRUE(proof.ok()) << jose::AlgorithmName(c.alg) << ": " << proof.status().ToString();
    EXPECT_EQ(proof->jkt, jose::JwkThumbprint(key).value());
    EXPECT_EQ(proof->jti, "e1j3V_bKic8-LAEB");
    EXPECT_EQ(proof->alg, c.alg);
    EXPECT_EQ(proof->issued_at, kNow);
    EXPECT_EQ(proof->replay_until, kNow + 61);
  }
}

// The published examples of RFC 9449 pass every check, on the clock of their iat.
TEST(DpopExamplesTest, Rfc9449ProofsValidate) {
  namespace ex = testing;
  FixedClock clock(ex::kTokenRequestIat);
  DpopValidator v = DpopValidator::Create({}, clock).value();
  Result<DpopProof> proof = v.Validate(
      {.proofs = {ex::kTokenRequestProof}, .method = "POST", .url = ex::kTokenRequestUrl});
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  EXPECT_EQ(proof->jkt, ex::kJkt);
  EXPECT_EQ(proof->jti, ex::kTokenRequestJti);
  EXPECT_EQ(proof->alg, Algorithm::kES256);
  EXPECT_EQ(proof->issued_at, ex::kTokenRequestIat);
  EXPECT_EQ(DpopErrorOf(v.Validate({.proofs = {ex::kTokenRequestProof},
                                    .method = "GET",
                                    .url = ex::kTokenRequestUrl})
                            .status()),
            DpopError::kHtmMismatch);

  clock.Set(ex::kResourceIat);
  proof = v.Validate({.proofs = {ex::kResourceProof},
                      .method = "GET",
                      .url = ex::kResourceUrl,
                      .access_token = ex::kAccessToken});
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  EXPECT_EQ(proof->jkt, ex::kJkt);
  EXPECT_EQ(DpopErrorOf(v.Validate({.proofs = {ex::kResourceProof},
                                    .method = "GET",
                                    .url = ex::kResourceUrl,
                                    .access_token = "another token"})
                            .status()),
            DpopError::kAthMismatch);
  // Years later the same proofs are stale.
  FixedClock today(kNow);
  EXPECT_EQ(DpopErrorOf(DpopValidator::Create({}, today)
                            .value()
                            .Validate({.proofs = {ex::kTokenRequestProof},
                                       .method = "POST",
                                       .url = ex::kTokenRequestUrl})
                            .status()),
            DpopError::kIatTooOld);
}

TEST_F(DpopTest, CreateRefusesSymmetricOrEmptyAlgorithmsAndBadWindows) {
  DpopOptions o;
  o.algorithms = {};
  EXPECT_FALSE(DpopValidator::Create(o, clock_).ok());
  o.algorithms = {Algorithm::kES256, Algorithm::kHS256};
  EXPECT_FALSE(DpopValidator::Create(o, clock_).ok());
  o = {};
  o.max_age_seconds = 0;
  EXPECT_FALSE(DpopValidator::Create(o, clock_).ok());
  o = {};
  o.max_jti_length = 0;
  EXPECT_FALSE(DpopValidator::Create(o, clock_).ok());
  EXPECT_EQ(Validator().AlgorithmsText(), "RS256 PS256 ES256 EdDSA");
}

// Item 1.
TEST_F(DpopTest, ExactlyOneProof) {
  const std::string good = Sign(GoodParts());
  DpopValidator v = Validator();
  EXPECT_EQ(DpopErrorOf(v.Validate({.proofs = {}, .method = "POST", .url = kUrl}).status()),
            DpopError::kProofMissing);
  EXPECT_EQ(DpopErrorOf(v.Validate({.proofs = {""}, .method = "POST", .url = kUrl}).status()),
            DpopError::kProofMissing);
  EXPECT_EQ(
      DpopErrorOf(v.Validate({.proofs = {good, good}, .method = "POST", .url = kUrl}).status()),
      DpopError::kMultipleProofs);
  const std::string joined = good + ", " + good;
  EXPECT_EQ(DpopErrorOf(v.Validate({.proofs = {joined}, .method = "POST", .url = kUrl}).status()),
            DpopError::kMultipleProofs);
  EXPECT_TRUE(v.Validate({.proofs = {good}, .method = "POST", .url = kUrl}).ok());
}

// Item 2.
TEST_F(DpopTest, MalformedProofs) {
  const std::string good = Sign(GoodParts());
  EXPECT_EQ(DpopErrorOf(Check(good.substr(0, good.rfind('.'))).status()), DpopError::kMalformed);
  EXPECT_EQ(DpopErrorOf(Check(good + "=").status()), DpopError::kMalformed);
  EXPECT_EQ(DpopErrorOf(Check(good.substr(0, good.rfind('.') + 1)).status()),
            DpopError::kMalformed);
  EXPECT_EQ(DpopErrorOf(Check("not a jwt").status()), DpopError::kMalformed);
  DpopOptions small;
  small.max_proof_bytes = 100;
  EXPECT_EQ(DpopErrorOf(Check(good, "POST", kUrl, {}, small).status()), DpopError::kMalformed);
  // Duplicate members in the claims.
  const std::string header = good.substr(0, good.find('.'));
  const std::string dup = header + "." +
                          jose::Base64UrlEncode(R"({"jti":"a","jti":"b","htm":"POST"})") + "." +
                          good.substr(good.rfind('.') + 1);
  EXPECT_EQ(DpopErrorOf(Check(dup).status()), DpopError::kMalformed);
}

TEST_F(DpopTest, HeaderRejected) {
  ProofParts p = GoodParts();
  p.header["crit"] = Json::array({"exp"});
  EXPECT_EQ(ErrorOf(p), DpopError::kHeaderRejected);
  for (const char* name : {"jku", "x5u"}) {
    p = GoodParts();
    p.header[name] = "https://attacker.example/keys";
    EXPECT_EQ(ErrorOf(p), DpopError::kHeaderRejected) << name;
  }
  p = GoodParts();
  p.header["x5c"] = Json::array({"MIIB"});
  EXPECT_EQ(ErrorOf(p), DpopError::kHeaderRejected);
  p = GoodParts();
  p.header["kid"] = 7;
  EXPECT_EQ(ErrorOf(p), DpopError::kHeaderRejected);
}

// Item 4.
TEST_F(DpopTest, TypeMustBeDpopJwt) {
  ProofParts p = GoodParts();
  p.header.erase("typ");
  EXPECT_EQ(ErrorOf(p), DpopError::kWrongType);
  for (const char* typ : {"JWT", "dpop", "DPoP+jwt", "application/dpop+jwt"}) {
    p.header["typ"] = typ;
    EXPECT_EQ(ErrorOf(p), DpopError::kWrongType) << typ;
  }
}

// Item 5.
TEST_F(DpopTest, AlgorithmMustBeAllowedAndAsymmetric) {
  const Key p384 = jose::GenerateKey(KeyType::kEc, 384).value();
  // ES384 is a fine algorithm but not in the default list.
  EXPECT_EQ(DpopErrorOf(Check(Sign(GoodParts(p384), p384, Algorithm::kES384)).status()),
            DpopError::kAlgNotAllowed);
  DpopOptions es384;
  es384.algorithms = {Algorithm::kES384};
  EXPECT_TRUE(Check(Sign(GoodParts(p384), p384, Algorithm::kES384), "POST", kUrl, {}, es384).ok());
  EXPECT_EQ(DpopErrorOf(Check(Sign(GoodParts())).status()), DpopError::kOk);
  DpopOptions only_eddsa;
  only_eddsa.algorithms = {Algorithm::kEdDSA};
  EXPECT_EQ(DpopErrorOf(Check(Sign(GoodParts()), "POST", kUrl, {}, only_eddsa).status()),
            DpopError::kAlgNotAllowed);
  // An HMAC "proof" proves nothing: refused whatever the jwk.
  const Key secret = Key::FromSecret(std::string(32, 's'), Algorithm::kHS256).value();
  EXPECT_EQ(DpopErrorOf(Check(jose::SignJwt(GoodParts().claims, secret, Algorithm::kHS256,
                                            GoodParts().header)
                                  .value())
                            .status()),
            DpopError::kAlgNotAllowed);
  // "alg":"none" with an empty signature, and with a signature.
  const std::string good = Sign(GoodParts());
  Json none_header = GoodParts().header;
  none_header["alg"] = "none";
  const std::string none = jose::Base64UrlEncode(jose::DumpCompact(none_header)) +
                           good.substr(good.find('.'), good.rfind('.') - good.find('.') + 1);
  EXPECT_NE(DpopErrorOf(Check(none).status()), DpopError::kOk);
  EXPECT_EQ(DpopErrorOf(Check(none + "c2ln").status()), DpopError::kAlgNotAllowed);
}

// Items 6 and 7.
TEST_F(DpopTest, JwkMustBePresentPublicAndValid) {
  ProofParts p = GoodParts();
  p.header.erase("jwk");
  EXPECT_EQ(ErrorOf(p), DpopError::kJwkMissing);
  p.header["jwk"] = "eyJrdHkiOiJFQyJ9";
  EXPECT_EQ(ErrorOf(p), DpopError::kJwkMissing);

  // Private members, each refused by name, even when the rest is a valid public key.
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    p = GoodParts();
    p.header["jwk"][member] = "AQAB";
    EXPECT_EQ(ErrorOf(p), DpopError::kJwkPrivate) << member;
  }

  p = GoodParts();
  p.header["jwk"]["x"] = jose::Base64UrlEncode(std::string(31, 'x'));  // wrong length
  EXPECT_EQ(ErrorOf(p), DpopError::kJwkInvalid);
  p = GoodParts();
  p.header["jwk"]["crv"] = "secp256k1";
  EXPECT_EQ(ErrorOf(p), DpopError::kJwkInvalid);
  p = GoodParts();
  p.header["jwk"] = Json::object({{"kty", "oct"}});
  EXPECT_EQ(ErrorOf(p), DpopError::kJwkInvalid);
}

TEST_F(DpopTest, AlgorithmIsPinnedByTheJwk) {
  // An RS256 header over an EC jwk: the key type decides, not the header.
  const Key rsa = jose::GenerateKey(KeyType::kRsa, 2048).value();
  ProofParts p = GoodParts(EcKey());
  EXPECT_EQ(DpopErrorOf(Check(Sign(p, rsa, Algorithm::kRS256)).status()),
            DpopError::kAlgKeyMismatch);
  // A jwk "alg" member pins the key: an RSA jwk marked RS256 does not verify PS256.
  p = GoodParts(rsa);
  p.header["jwk"]["alg"] = "RS256";
  EXPECT_EQ(DpopErrorOf(Check(Sign(p, rsa, Algorithm::kPS256)).status()),
            DpopError::kAlgKeyMismatch);
  EXPECT_TRUE(Check(Sign(p, rsa, Algorithm::kRS256)).ok());
}

TEST_F(DpopTest, SignatureMustVerifyWithTheJwk) {
  // Signed by another key than the one in the header.
  const Key other = jose::GenerateKey(KeyType::kEc, 256).value();
  EXPECT_EQ(DpopErrorOf(Check(Sign(GoodParts(EcKey()), other)).status()),
            DpopError::kSignatureInvalid);
  // Every byte of the signature matters.
  const std::string good = Sign(GoodParts());
  const std::string sig = jose::Base64UrlDecode(good.substr(good.rfind('.') + 1)).value();
  for (std::size_t i = 0; i < sig.size(); i += 7) {
    std::string bad = sig;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_EQ(DpopErrorOf(
                  Check(good.substr(0, good.rfind('.') + 1) + jose::Base64UrlEncode(bad)).status()),
              DpopError::kSignatureInvalid)
        << i;
  }
  // A claim changed after signing.
  const std::string header = good.substr(0, good.find('.'));
  Json claims = GoodParts().claims;
  claims["htm"] = "GET";
  const std::string swapped = header + "." + jose::Base64UrlEncode(jose::DumpCompact(claims)) +
                              good.substr(good.rfind('.'));
  EXPECT_EQ(DpopErrorOf(Check(swapped, "GET").status()), DpopError::kSignatureInvalid);
}

// DpopKeyCache: a key is kept only once a proof by it passed, and a kept key changes no outcome.
TEST_F(DpopTest, KeyCacheKeepsAcceptedKeysAndEveryCheckStillRuns) {
  DpopOptions options;
  options.key_cache = std::make_shared<DpopKeyCache>();
  const DpopValidator validator = Validator(options);
  auto check = [&](const std::string& proof, std::string_view method = "POST") {
    return validator.Validate({.proofs = {proof}, .method = method, .url = kUrl});
  };
  // A proof that fails (here its signature, by another key) leaves nothing behind.
  const Key other = jose::GenerateKey(KeyType::kEc, 256).value();
  EXPECT_EQ(DpopErrorOf(check(Sign(GoodParts(EcKey()), other)).status()),
            DpopError::kSignatureInvalid);
  EXPECT_EQ(options.key_cache->size(), 0u);

  Result<DpopProof> first = check(Sign(GoodParts()));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(options.key_cache->size(), 1u);
  EXPECT_EQ(first->jkt, jose::JwkThumbprint(EcKey()).value());
  // The same jwk again: the same thumbprint, and every per-proof check still applies.
  Result<DpopProof> again = check(Sign(GoodParts()));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->jkt, first->jkt);
  EXPECT_EQ(options.key_cache->size(), 1u);
  EXPECT_EQ(DpopErrorOf(check(Sign(GoodParts(EcKey()), other)).status()),
            DpopError::kSignatureInvalid);
  EXPECT_EQ(DpopErrorOf(check(Sign(GoodParts()), "GET").status()), DpopError::kHtmMismatch);
  ProofParts old = GoodParts();
  old.claims["iat"] = kNow - 3600;
  EXPECT_EQ(DpopErrorOf(check(Sign(old)).status()), DpopError::kIatTooOld);
  ProofParts rsa_header = GoodParts();
  const Key rsa = jose::GenerateKey(KeyType::kRsa, 2048).value();
  EXPECT_EQ(DpopErrorOf(check(Sign(rsa_header, rsa, Algorithm::kRS256)).status()),
            DpopError::kAlgKeyMismatch);
  // The same key with a jwk "alg" member is another text, imported and judged on its own: an
  // "alg" its curve cannot have makes the jwk invalid, cached key or not.
  ProofParts pinned = GoodParts();
  pinned.header["jwk"]["alg"] = "ES384";
  EXPECT_EQ(DpopErrorOf(check(Sign(pinned)).status()), DpopError::kJwkInvalid);
  EXPECT_EQ(options.key_cache->size(), 1u);
  // A second validator sharing the cache gives the same answer.
  Result<DpopProof> shared =
      Validator(options).Validate({.proofs = {Sign(GoodParts())}, .method = "POST", .url = kUrl});
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ(shared->jkt, first->jkt);
}

TEST(DpopKeyCacheTest, BoundedAndEmptiedWhenFull) {
  DpopKeyCache cache;
  auto entry = std::make_shared<const DpopKeyCache::Entry>(
      DpopKeyCache::Entry{jose::GenerateKey(KeyType::kEc, 256).value(), {}, "jkt"});
  for (std::size_t i = 0; i < DpopKeyCache::kMaxEntries; ++i) cache.Add(std::to_string(i), entry);
  EXPECT_EQ(cache.size(), DpopKeyCache::kMaxEntries);
  EXPECT_NE(cache.Find("0"), nullptr);
  cache.Add("one more", entry);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Find("0"), nullptr);
  EXPECT_NE(cache.Find("one more"), nullptr);
  cache.Add(std::string(DpopKeyCache::kMaxJwkBytes + 1, 'x'), entry);
  EXPECT_EQ(cache.size(), 1u);
}

// Item 3.
TEST_F(DpopTest, RequiredClaims) {
  for (const char* claim : {"jti", "htm", "htu", "iat"}) {
    ProofParts p = GoodParts();
    p.claims.erase(claim);
    EXPECT_EQ(ErrorOf(p), DpopError::kClaimMissing) << claim;
    p.claims[claim] = Json::array();
    EXPECT_EQ(ErrorOf(p), DpopError::kClaimType) << claim;
  }
  ProofParts p = GoodParts();
  p.claims["iat"] = std::to_string(kNow);
  EXPECT_EQ(ErrorOf(p), DpopError::kClaimType);
  p.claims["iat"] = kNow * 1000;  // milliseconds
  EXPECT_EQ(ErrorOf(p), DpopError::kClaimType);
}

TEST_F(DpopTest, JtiBounded) {
  ProofParts p = GoodParts();
  p.claims["jti"] = "";
  EXPECT_EQ(ErrorOf(p), DpopError::kJtiInvalid);
  p.claims["jti"] = std::string(256, 'j');
  EXPECT_EQ(ErrorOf(p), DpopError::kOk);
  p.claims["jti"] = std::string(257, 'j');
  EXPECT_EQ(ErrorOf(p), DpopError::kJtiInvalid);
}

// Item 8.
TEST_F(DpopTest, HtmMustBeTheMethod) {
  const std::string proof = Sign(GoodParts());
  EXPECT_EQ(DpopErrorOf(Check(proof, "GET").status()), DpopError::kHtmMismatch);
  EXPECT_EQ(DpopErrorOf(Check(proof, "post").status()), DpopError::kHtmMismatch);
  ProofParts p = GoodParts();
  p.claims["htm"] = std::string(65, 'P');  // no method is that long
  EXPECT_EQ(ErrorOf(p), DpopError::kHtmMismatch);
  EXPECT_TRUE(Check(proof, "POST").ok());
}

// Item 9.
TEST_F(DpopTest, HtuMustBeTheRequestUri) {
  const std::string proof = Sign(GoodParts());
  EXPECT_EQ(
      DpopErrorOf(Check(proof, "POST", "https://as.example.com/oauth2/v1/introspect").status()),
      DpopError::kHtuMismatch);
  EXPECT_EQ(DpopErrorOf(Check(proof, "POST", "http://as.example.com/oauth2/v1/token").status()),
            DpopError::kHtuMismatch);
  EXPECT_EQ(
      DpopErrorOf(Check(proof, "POST", "https://as.example.com:8443/oauth2/v1/token").status()),
      DpopError::kHtuMismatch);
  EXPECT_EQ(DpopErrorOf(Check(proof, "POST", "https://other.example.com/oauth2/v1/token").status()),
            DpopError::kHtuMismatch);
  EXPECT_EQ(DpopErrorOf(Check(proof, "POST", "not a url").status()), DpopError::kHtuMismatch);
  // Query, fragment, case of scheme and host, the default port: not significant.
  for (const char* url :
       {"https://as.example.com/oauth2/v1/token?x=1", "https://as.example.com/oauth2/v1/token#f",
        "HTTPS://AS.EXAMPLE.COM/oauth2/v1/token", "https://as.example.com:443/oauth2/v1/token",
        "https://as.example.com/oauth2/./v1/token", "https://as.example.com/%6Fauth2/v1/token"}) {
    EXPECT_TRUE(Check(proof, "POST", url).ok()) << url;
  }
  // The path is case-sensitive.
  EXPECT_EQ(DpopErrorOf(Check(proof, "POST", "https://as.example.com/OAUTH2/v1/token").status()),
            DpopError::kHtuMismatch);

  ProofParts p = GoodParts();
  p.claims["htu"] = "/oauth2/v1/token";
  EXPECT_EQ(ErrorOf(p), DpopError::kHtuInvalid);
  p.claims["htu"] = "ftp://as.example.com/oauth2/v1/token";
  EXPECT_EQ(ErrorOf(p), DpopError::kHtuInvalid);
  p.claims["htu"] = std::string(kUrl) + "/" + std::string(8 * 1024, 'a');
  EXPECT_EQ(ErrorOf(p), DpopError::kMalformed);  // beyond max_proof_bytes first
  DpopOptions large;
  large.max_proof_bytes = 64 * 1024;
  EXPECT_EQ(ErrorOf(p, large), DpopError::kHtuInvalid);
  // The proof's own query is ignored too.
  p.claims["htu"] = std::string(kUrl) + "?a=b";
  EXPECT_EQ(ErrorOf(p), DpopError::kOk);
}

TEST(NormalizeHtuTest, Rfc3986Normalisation) {
  struct Case {
    const char* in;
    const char* out;
  };
  for (const Case& c : {
           Case{"https://as.example.com/token", "https://as.example.com/token"},
           Case{"HtTpS://As.Example.COM:443/token?q#f", "https://as.example.com/token"},
           Case{"http://h:80/", "http://h/"},
           Case{"http://h:443/", "http://h:443/"},
           Case{"https://h:80/", "https://h:80/"},
           Case{"https://h:/", "https://h/"},
           Case{"https://h:08443/a", "https://h:8443/a"},
           Case{"https://h", "https://h/"},
           Case{"https://h?x", "https://h/"},
           Case{"https://h/a/b/../c/./d", "https://h/a/c/d"},
           Case{"https://h/a/..", "https://h/"},
           Case{"https://h/%7euser/%2fx/%3a", "https://h/~user/%2Fx/%3A"},
           Case{"https://[::1]:8443/x", "https://[::1]:8443/x"},
           Case{"https://[::1]:443/x", "https://[::1]/x"},
       }) {
    Result<std::string> n = NormalizeHtu(c.in);
    ASSERT_TRUE(n.ok()) << c.in << ": " << n.status().ToString();
    EXPECT_EQ(*n, c.out) << c.in;
  }
  for (const char* bad :
       {"", "/token", "as.example.com/token", "ftp://h/", "https://", "https:///x",
        "https://user@h/", "https://h:99999/", "https://h:8a/", "https://h/a b", "https://h/%zz",
        "https://a:b:443/", "https://a]/", "https://h/%4", "https://[::1/x", "https://h/\x7f",
        "https://h/\xc3\xa9"}) {
    Result<std::string> n = NormalizeHtu(bad);
    EXPECT_FALSE(n.ok()) << bad;
    EXPECT_EQ(DpopErrorOf(n.status()), DpopError::kHtuInvalid) << bad;
  }
  EXPECT_FALSE(NormalizeHtu("https://h/" + std::string(8 * 1024, 'a')).ok());
}

// Item 10, with the stateless nonces.
TEST_F(DpopTest, NonceWhenTheServerAsksForOne) {
  DpopNonces nonces = DpopNonces::Create(std::string(kNonceKey), clock_).value();
  DpopOptions options;
  options.nonces = &nonces;

  ProofParts p = GoodParts();
  EXPECT_EQ(ErrorOf(p, options), DpopError::kNonceMissing);
  EXPECT_TRUE(DpopErrorWantsNonce(DpopError::kNonceMissing));
  p.claims["nonce"] = "made-up";
  EXPECT_EQ(ErrorOf(p, options), DpopError::kNonceInvalid);
  EXPECT_TRUE(DpopErrorWantsNonce(DpopError::kNonceInvalid));
  p.claims["nonce"] = 5;
  EXPECT_EQ(ErrorOf(p, options), DpopError::kNonceInvalid);
  p.claims["nonce"] = nonces.Issue();
  EXPECT_EQ(ErrorOf(p, options), DpopError::kOk);
  // Without nonces configured, a nonce claim is not looked at.
  p.claims["nonce"] = "anything";
  EXPECT_EQ(ErrorOf(p), DpopError::kOk);
  EXPECT_FALSE(DpopErrorWantsNonce(DpopError::kHtuMismatch));
}

// Item 11.
TEST_F(DpopTest, IatWindow) {
  ProofParts p = GoodParts();
  p.claims["iat"] = kNow - 60;
  EXPECT_EQ(ErrorOf(p), DpopError::kOk);
  p.claims["iat"] = kNow - 61;
  EXPECT_EQ(ErrorOf(p), DpopError::kIatTooOld);
  p.claims["iat"] = kNow + 5;
  EXPECT_EQ(ErrorOf(p), DpopError::kOk);
  p.claims["iat"] = kNow + 6;
  EXPECT_EQ(ErrorOf(p), DpopError::kIatInFuture);
  DpopOptions wide;
  wide.max_age_seconds = 300;
  wide.clock_skew_seconds = 30;
  EXPECT_EQ(ErrorOf(p, wide), DpopError::kOk);
  p.claims["iat"] = kNow - 300;
  EXPECT_EQ(ErrorOf(p, wide), DpopError::kOk);
  // The same proof ages out on the clock.
  const std::string proof = Sign(GoodParts());
  EXPECT_TRUE(Check(proof).ok());
  clock_.Advance(61);
  EXPECT_EQ(DpopErrorOf(Check(proof).status()), DpopError::kIatTooOld);
}

// Item 12.
TEST_F(DpopTest, AthWhenAnAccessTokenIsPresented) {
  const std::string token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
  ProofParts p = GoodParts();
  p.claims["htm"] = "GET";
  p.claims["htu"] = "https://resource.example.org/protectedresource";
  const std::string rs = "https://resource.example.org/protectedresource";
  EXPECT_EQ(DpopErrorOf(Check(Sign(p), "GET", rs, token).status()), DpopError::kAthMissing);
  // At the token endpoint (no token given) "ath" is not needed.
  EXPECT_TRUE(Check(Sign(p), "GET", rs).ok());
  p.claims["ath"] = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo";  // RFC 9449 7.1
  EXPECT_TRUE(Check(Sign(p), "GET", rs, token).ok());
  EXPECT_EQ(DpopErrorOf(Check(Sign(p), "GET", rs, token + "x").status()), DpopError::kAthMismatch);
  p.claims["ath"] = 1;
  EXPECT_EQ(DpopErrorOf(Check(Sign(p), "GET", rs, token).status()), DpopError::kClaimType);
}

TEST(DpopErrorTest, EveryValueHasTextAndCode) {
  for (int i = 0; i <= static_cast<int>(DpopError::kReplayCacheFull); ++i) {
    const auto e = static_cast<DpopError>(i);
    EXPECT_FALSE(DpopErrorText(e).empty()) << i;
    EXPECT_NE(DpopErrorCode(e), "unknown") << i;
    if (e != DpopError::kOk) {
      const Status s = DpopFailure(e, "detail");
      EXPECT_EQ(DpopErrorOf(s), e);
      EXPECT_EQ(s.message(), std::string(DpopErrorText(e)) + ": detail");
    }
  }
  EXPECT_EQ(DpopFailure(DpopError::kReplayCacheFull).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(DpopFailure(DpopError::kReplayed).code(), StatusCode::kInvalidArgument);
}

// Stateless nonces on a FixedClock.
TEST(DpopNoncesTest, ValidForTheCurrentAndPreviousStepOnAnyNodeWithTheKey) {
  FixedClock clock(kNow - kNow % 300);  // the start of a step
  EXPECT_FALSE(DpopNonces::Create(std::string(31, 'k'), clock).ok());
  EXPECT_FALSE(DpopNonces::Create(std::string(kNonceKey), clock, 0).ok());
  DpopNonces node_a = DpopNonces::Create(std::string(kNonceKey), clock).value();
  DpopNonces node_b = DpopNonces::Create(std::string(kNonceKey), clock).value();
  DpopNonces other = DpopNonces::Create(std::string(32, 'z'), clock).value();

  const std::string nonce = node_a.Issue();
  EXPECT_EQ(nonce.size(), 54u);
  EXPECT_EQ(nonce, node_a.Issue());  // deterministic within a step
  EXPECT_TRUE(node_a.Accepts(nonce));
  EXPECT_TRUE(node_b.Accepts(nonce));
  EXPECT_FALSE(other.Accepts(nonce));

  clock.Advance(299);  // same step
  EXPECT_TRUE(node_b.Accepts(nonce));
  clock.Advance(1);  // next step: still accepted, a new nonce is issued
  EXPECT_TRUE(node_b.Accepts(nonce));
  EXPECT_NE(node_a.Issue(), nonce);
  clock.Advance(299);
  EXPECT_TRUE(node_b.Accepts(nonce));
  clock.Advance(1);  // two steps on: expired
  EXPECT_FALSE(node_b.Accepts(nonce));
  // A nonce from the future (a step ahead) is refused too.
  clock.Advance(-600);
  EXPECT_TRUE(node_a.Accepts(nonce));
  FixedClock later(kNow - kNow % 300 + 300);
  DpopNonces ahead = DpopNonces::Create(std::string(kNonceKey), later).value();
  EXPECT_FALSE(node_a.Accepts(ahead.Issue()));

  // Tampering: every character, the step, the length.
  const std::string fresh = node_a.Issue();
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    std::string bad = fresh;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(node_a.Accepts(bad)) << i;
  }
  EXPECT_FALSE(node_a.Accepts(fresh.substr(1)));
  EXPECT_FALSE(node_a.Accepts(fresh + "A"));
  EXPECT_FALSE(node_a.Accepts(""));
}

DpopProof ProofOf(std::string jkt, std::string jti, int64_t until) {
  DpopProof p;
  p.jkt = std::move(jkt);
  p.jti = std::move(jti);
  p.replay_until = until;
  return p;
}

TEST(ProofReplayCacheTest, AJtiIsAcceptedOncePerKeyWithinItsWindow) {
  InMemoryProofReplayCache cache(3);
  const DpopProof a = ProofOf("jkt-1", "jti-1", kNow + 61);
  EXPECT_TRUE(cache.Record(a, kNow).ok());
  EXPECT_EQ(DpopErrorOf(cache.Record(a, kNow)), DpopError::kReplayed);
  EXPECT_EQ(DpopErrorOf(cache.Record(a, kNow + 60)), DpopError::kReplayed);
  // Another key may use the same jti.
  EXPECT_TRUE(cache.Record(ProofOf("jkt-2", "jti-1", kNow + 61), kNow).ok());
  EXPECT_EQ(cache.size(), 2u);
  // Once the window is over the entry goes (the iat check refuses the proof by then).
  EXPECT_TRUE(cache.Record(a, kNow + 61).ok());
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ProofReplayCacheTest, FullCacheFailsClosedUntilEntriesExpire) {
  InMemoryProofReplayCache cache(2);
  EXPECT_TRUE(cache.Record(ProofOf("k", "1", kNow + 10), kNow).ok());
  EXPECT_TRUE(cache.Record(ProofOf("k", "2", kNow + 20), kNow).ok());
  const Status full = cache.Record(ProofOf("k", "3", kNow + 20), kNow);
  EXPECT_EQ(DpopErrorOf(full), DpopError::kReplayCacheFull);
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted);
  // The live entries were not evicted to make room.
  EXPECT_EQ(DpopErrorOf(cache.Record(ProofOf("k", "1", kNow + 10), kNow)), DpopError::kReplayed);
  EXPECT_TRUE(cache.Record(ProofOf("k", "3", kNow + 20), kNow + 10).ok());
  EXPECT_EQ(cache.size(), 2u);
}

TEST(ProofReplayCacheTest, ConcurrentRecordsOfOneProofAdmitExactlyOne) {
  InMemoryProofReplayCache cache;
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (cache.Record(ProofOf("k", "jti-" + std::to_string(i), kNow + 61), kNow).ok()) {
          admitted.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 200);
  EXPECT_EQ(cache.size(), 200u);
}

}  // namespace
}  // namespace tessera::oauth
