#include "oauth/signing_keys.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <latch>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "tessera/clock.h"

namespace tessera::oauth {
namespace {

namespace fs = std::filesystem;

// One node's view of a store shared by several: the real store, with a step of this node's run
// before and after each call, to put two nodes' calls in a chosen order.
class SteppedStore final : public store::SigningKeyStore {
 public:
  struct Steps {
    std::function<void()> after_list, before_add, after_add, before_retire, after_retire;
  };
  SteppedStore(store::SigningKeyStore& real, Steps steps) : real_(real), steps_(std::move(steps)) {}

  Status AddSigningKey(const store::SigningKeyRecord& key) override {
    Run(steps_.before_add);
    Status s = real_.AddSigningKey(key);
    Run(steps_.after_add);
    return s;
  }
  Result<std::vector<store::SigningKeyRecord>> ListSigningKeys() override {
    auto keys = real_.ListSigningKeys();
    Run(steps_.after_list);
    return keys;
  }
  Status RetireOtherKeys(const std::string& active_kid, int64_t now,
                         int64_t publish_until) override {
    Run(steps_.before_retire);
    Status s = real_.RetireOtherKeys(active_kid, now, publish_until);
    Run(steps_.after_retire);
    return s;
  }
  Status RevokeSigningKey(const std::string& kid, int64_t now) override {
    return real_.RevokeSigningKey(kid, now);
  }

 private:
  // Each step runs once: the first call of its kind is the one being ordered.
  static void Run(std::function<void()>& step) {
    if (step) std::exchange(step, nullptr)();
  }
  store::SigningKeyStore& real_;
  Steps steps_;
};

// Two nodes starting together on one store both find no key and each make one; the first to
// retire the others retires the second's key. The second must start anyway, with the first's
// key, so that both sign with the same one.
TEST(SigningKeysTest, NodesStartingTogetherAgreeOnOneActiveKey) {
  char pattern[] = "/tmp/tessera-keys-test.XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const fs::path dir = pattern;
  {
    auto db = store::SqliteStore::Open((dir / "tessera.db").string(), store::SqliteOptions{});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    FixedClock clock(1700000000);
    SigningKeyOptions options;
    options.alg = jose::Algorithm::kES256;

    // a: list, add, retire.  b: list, add (after a's), retire (after a's).
    std::latch b_listed(1), a_added(1), b_added(1), a_retired(1);
    SteppedStore::Steps a_steps;
    a_steps.before_add = [&] { b_listed.wait(); };
    a_steps.after_add = [&] { a_added.count_down(); };
    a_steps.before_retire = [&] { b_added.wait(); };
    a_steps.after_retire = [&] { a_retired.count_down(); };
    SteppedStore::Steps b_steps;
    b_steps.after_list = [&] { b_listed.count_down(); };
    b_steps.before_add = [&] { a_added.wait(); };
    b_steps.after_add = [&] { b_added.count_down(); };
    b_steps.before_retire = [&] { a_retired.wait(); };
    SteppedStore a_view(**db, std::move(a_steps));
    SteppedStore b_view(**db, std::move(b_steps));
    SigningKeys a(a_view, clock, options);
    SigningKeys b(b_view, clock, options);
    Status a_started, b_started;
    std::thread node_a([&] { a_started = a.EnsureActiveKey(); });
    std::thread node_b([&] { b_started = b.EnsureActiveKey(); });
    node_a.join();
    node_b.join();

    ASSERT_TRUE(a_started.ok()) << a_started.ToString();
    ASSERT_TRUE(b_started.ok()) << b_started.ToString();
    auto a_key = a.Active();
    auto b_key = b.Active();
    ASSERT_TRUE(a_key.ok() && b_key.ok());
    EXPECT_EQ((*b_key)->kid, (*a_key)->kid);
    auto keys = (*db)->ListSigningKeys();
    ASSERT_TRUE(keys.ok());
    EXPECT_EQ(keys->size(), 2u);  // b's key is retired, not lost
  }
  fs::remove_all(dir);
}

// A revoked key leaves the JWKS and Find at once, never signs again, and revoking the active
// key makes a successor first, so the domain keeps issuing.
TEST(SigningKeysTest, RevokeWithdrawsAKeyAtOnce) {
  char pattern[] = "/tmp/tessera-keys-test.XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const fs::path dir = pattern;
  {
    auto db = store::SqliteStore::Open((dir / "tessera.db").string(), store::SqliteOptions{});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    FixedClock clock(1700000000);
    SigningKeyOptions options;
    options.alg = jose::Algorithm::kES256;
    options.refresh_seconds = 3600;  // no refresh would hide a stale cache
    SigningKeys keys(**db, clock, options);
    ASSERT_TRUE(keys.EnsureActiveKey().ok());
    const std::string first = (*keys.Active())->kid;
    Result<std::string> second = keys.Rotate();
    ASSERT_TRUE(second.ok());
    ASSERT_TRUE(keys.Find(first).ok());  // retired, still published

    // A retired key: gone from Find and the JWKS; the active key is untouched.
    Result<std::string> active = keys.Revoke(first);
    ASSERT_TRUE(active.ok()) << active.status().ToString();
    EXPECT_EQ(*active, *second);
    EXPECT_EQ(keys.Find(first).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(keys.JwksJson()->find(first), std::string::npos);
    EXPECT_NE(keys.JwksJson()->find(*second), std::string::npos);

    // The active key: a successor is made first and signs from now on.
    clock.Advance(10);
    active = keys.Revoke(*second);
    ASSERT_TRUE(active.ok()) << active.status().ToString();
    EXPECT_NE(*active, *second);
    EXPECT_EQ((*keys.Active())->kid, *active);
    EXPECT_EQ(keys.Find(*second).status().code(), StatusCode::kNotFound);
    Result<std::string> token = keys.Sign(jose::Json{{"sub", "x"}});
    ASSERT_TRUE(token.ok());
    Result<jose::Jws> jws = jose::ParseJwt(*token);
    ASSERT_TRUE(jws.ok());
    EXPECT_EQ(jws->kid.value_or(""), *active);

    // Idempotent, and an unknown kid is kNotFound.
    EXPECT_TRUE(keys.Revoke(first).ok());
    EXPECT_EQ(keys.Revoke("no-such-kid").status().code(), StatusCode::kNotFound);
    // A second node sharing the store sees the revocation at its next read.
    SigningKeys other(**db, clock, options);
    EXPECT_EQ(other.Find(first).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(other.Find(*second).status().code(), StatusCode::kNotFound);
    EXPECT_TRUE(other.Find(*active).ok());
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tessera::oauth
