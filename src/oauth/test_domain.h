// TestDomain: a real identity domain for the oauth unit tests. A SQLite store in a fresh
// temporary directory (deleted afterwards), the Directory, an active signing key, the audit log
// and the token service, all reading one FixedClock; helpers that create users, apps and
// certificates in the store and sign assertions with keys generated in process.
//
// Nothing here is a stand-in: the rules under test read the same store, cache and keys as the
// server does. The Directory caches for DomainConfig::cache_ttl_seconds of the FixedClock, so a
// test that changes the store after a look-up calls directory->Invalidate() (as the admin API
// does) or advances the clock past the bound.
//
// Example:
//   TestDomain d;
//   const TestKey& k = TestKey::Rsa();
//   d.PutCertificate(store::CertificateKind::kClient, "assert", k.cert);
//   store::App app = d.AddClient("client-a", {"assert"});
//   d.AddUser("alice");
//   std::string jwt = d.Sign(d.Claims("client-a", "alice"), k, {{"kid", "assert"}});
//   AssertionResult r = d.tokens->validator().Validate(jwt, app, AssertionKind::kUserGrant);
#ifndef TESSERA_OAUTH_TEST_DOMAIN_H_
#define TESSERA_OAUTH_TEST_DOMAIN_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "jose/base64url.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/keyio.h"
#include "jose/test_examples.h"
#include "oauth/audit.h"
#include "oauth/config.h"
#include "oauth/directory.h"
#include "oauth/secrets.h"
#include "oauth/signing_keys.h"
#include "oauth/token_service.h"
#include "store/sqlite/sqlite_store.h"
#include "tessera/clock.h"

namespace tessera::oauth::testing {

// The fixed "now" of every test domain: 2030-03-17T17:46:40Z.
inline constexpr int64_t kNow = 1'900'000'000;

// A private key and a self-signed certificate for it, valid from kNow - 60 for `days` days.
struct TestKey {
  jose::Key key;
  jose::Certificate cert;
  jose::Algorithm alg = jose::Algorithm::kRS256;  // what the key signs with

  static TestKey Make(jose::KeyType type, int bits, jose::Algorithm alg, const char* subject,
                      int days = 30, int64_t not_before = kNow - 60) {
    Result<jose::Key> key = jose::GenerateKey(type, bits);
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    return WithCertificate(key.ok() ? *key : jose::Key(), alg, subject, days, not_before);
  }
  static TestKey WithCertificate(const jose::Key& key, jose::Algorithm alg, const char* subject,
                                 int days = 30, int64_t not_before = kNow - 60) {
    Result<jose::Certificate> cert =
        jose::MakeSelfSignedCertificate(key, subject, days, not_before);
    EXPECT_TRUE(cert.ok()) << cert.status().ToString();
    return {key, cert.ok() ? *cert : jose::Certificate(), alg};
  }
  // An RSA key generated once per test program (generating one takes a while).
  static const TestKey& Rsa() {
    static const TestKey k = Make(jose::KeyType::kRsa, 2048, jose::Algorithm::kRS256, "CN=rsa");
    return k;
  }
  // A second RSA key, not generated: the published one of RFC 7515 appendix A.2.
  static const TestKey& OtherRsa() {
    static const TestKey k = [] {
      jose::JwkOptions options;
      options.allow_private = true;
      Result<jose::Jwk> jwk = jose::ParseJwkText(jose::testing::kA2Jwk, options);
      EXPECT_TRUE(jwk.ok()) << jwk.status().ToString();
      return WithCertificate(jwk.ok() ? jwk->key : jose::Key(), jose::Algorithm::kRS256,
                             "CN=other-rsa");
    }();
    return k;
  }
  static TestKey Ec(const char* subject = "CN=ec") {
    return Make(jose::KeyType::kEc, 256, jose::Algorithm::kES256, subject);
  }
};

class TestDomain {
 public:
  explicit TestDomain(DomainConfig config = {}) : config(std::move(config)) {
    char tmpl[] = "/tmp/tessera-oauth-test-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    dir_ = tmpl;
    auto opened = store::SqliteStore::Open(dir_ + "/tessera.db", {});
    if (!opened.ok()) {
      ADD_FAILURE() << opened.status().ToString();
      return;
    }
    store = std::move(opened).value();
    directory = std::make_unique<Directory>(*store, clock, this->config.cache_ttl_seconds);
    SigningKeyOptions key_options;
    key_options.alg = jose::Algorithm::kES256;  // quick to generate; the alg is not under test
    keys = std::make_unique<SigningKeys>(*store, clock, key_options);
    EXPECT_TRUE(keys->EnsureActiveKey().ok());
    audit = std::make_unique<AuditLog>(*store);
    tokens = std::make_unique<TokenService>(*store, *directory, *keys, *audit, this->config, clock);
  }
  ~TestDomain() {
    tokens.reset();
    audit.reset();
    keys.reset();
    directory.reset();
    store.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  TestDomain(const TestDomain&) = delete;
  TestDomain& operator=(const TestDomain&) = delete;

  store::User AddUser(const std::string& user_name, bool active = true) {
    store::User u;
    u.id = "u-" + user_name;
    u.user_name = user_name;
    u.active = active;
    u.created_at = u.updated_at = kNow;
    EXPECT_TRUE(store->CreateUser(u).ok()) << user_name;
    return u;
  }

  // An active confidential app with secret "secret-<client_id>", both grants, the given
  // certificate aliases attached, and the store's defaults otherwise (RS256, jti required).
  store::App AddClient(const std::string& client_id, std::vector<std::string> certificates = {},
                       std::vector<std::string> allowed_scopes = {}) {
    store::App a;
    a.id = "id-" + client_id;
    a.client_id = client_id;
    a.display_name = client_id;
    a.active = true;
    a.secret_hash = HashSecret("secret-" + client_id).value();
    a.allowed_grants = {kGrantClientCredentials, kGrantJwtBearer};
    a.certificate_aliases = std::move(certificates);
    a.allowed_scopes = std::move(allowed_scopes);
    a.created_at = a.updated_at = kNow;
    EXPECT_TRUE(store->CreateApp(a).ok()) << client_id;
    return a;
  }

  // An active resource app with `audience` and scope `values`.
  store::App AddResource(const std::string& id, const std::string& audience,
                         std::vector<std::string> values, int64_t access_token_expiry = 0) {
    store::App a;
    a.id = id;
    a.display_name = id;
    a.kind = store::AppKind::kResource;
    a.active = true;
    a.audience = audience;
    a.scopes = std::move(values);
    a.access_token_expiry = access_token_expiry;
    a.created_at = a.updated_at = kNow;
    EXPECT_TRUE(store->CreateApp(a).ok()) << id;
    return a;
  }

  // Replaces an app's record (by id) and drops the directory's cache, as the admin API does.
  void UpdateApp(const store::App& app) {
    EXPECT_TRUE(store->UpdateApp(app).ok()) << app.id;
    directory->Invalidate();
  }

  void PutCertificate(store::CertificateKind kind, const std::string& alias,
                      const jose::Certificate& cert) {
    store::CertificateRecord rec{alias, cert.der, cert.x5t, cert.x5t_s256, cert.not_after, kNow};
    EXPECT_TRUE(store->PutCertificate(kind, rec).ok()) << alias;
  }

  // The claims of an assertion that passes rules 4-7 at the clock's now: iss, sub, aud (the
  // IDCS audience), iat now, exp now + 300, and a jti unique to this domain.
  jose::Json Claims(const std::string& iss, const std::string& sub) {
    const int64_t now = clock.NowSeconds();
    return {{"iss", iss}, {"sub", sub},       {"aud", kOracleAudience},
            {"iat", now}, {"exp", now + 300}, {"jti", "jti-" + std::to_string(++jti_counter_)}};
  }

  // A compact JWS of `claims` signed by `k` with its algorithm; `header` adds members to alg.
  static std::string Sign(const jose::Json& claims, const TestKey& k,
                          const jose::Json& header = jose::Json::object()) {
    Result<std::string> jwt = jose::SignJwt(claims, k.key, k.alg, header);
    EXPECT_TRUE(jwt.ok()) << jwt.status().ToString();
    return jwt.ok() ? *jwt : std::string();
  }

  // header.payload.signature from the exact JSON texts, signed by `k` over what was written
  // (for duplicate members, alg "none" and other headers SignJwt would not write).
  static std::string SignRaw(std::string_view header_json, std::string_view claims_json,
                             const TestKey* k) {
    const std::string input =
        jose::Base64UrlEncode(header_json) + "." + jose::Base64UrlEncode(claims_json);
    if (k == nullptr) return input + "." + jose::Base64UrlEncode("not a signature");
    Result<std::string> sig = k->key.Sign(k->alg, input);
    EXPECT_TRUE(sig.ok()) << sig.status().ToString();
    return input + "." + jose::Base64UrlEncode(sig.ok() ? *sig : std::string());
  }

  FixedClock clock{kNow};
  DomainConfig config;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<Directory> directory;
  std::unique_ptr<SigningKeys> keys;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<TokenService> tokens;

 private:
  std::string dir_;
  int jti_counter_ = 0;
};

}  // namespace tessera::oauth::testing

#endif  // TESSERA_OAUTH_TEST_DOMAIN_H_
