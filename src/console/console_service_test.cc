#include "console/console_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>

#include "store/sqlite/sqlite_store.h"

namespace tessera::console {
namespace {

constexpr char kPassword[] = "correct horse battery";

class ConsoleServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tessera-console-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto opened = store::SqliteStore::Open(dir_ + "/tessera.db", {});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    audit_ = std::make_unique<oauth::AuditLog>(*store_);
    ConsoleOptions options;
    options.idle_timeout = 600;
    options.session_lifetime = 3600;
    options.user_failure_burst = 3;
    options.user_failure_rate = 1.0 / 60;
    options.address_failure_burst = 5;
    options.address_failure_rate = 1.0 / 60;
    console_ = std::make_unique<ConsoleService>(*store_, *audit_, clock_, options);
  }
  void TearDown() override {
    console_.reset();
    audit_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Bootstrap(const char* name = "root") {
    auto r = console_->EnsureBootstrapOperator(name, kPassword);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  FixedClock clock_{1'700'000'000};
  std::string dir_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<oauth::AuditLog> audit_;
  std::unique_ptr<ConsoleService> console_;
};

TEST_F(ConsoleServiceTest, BootstrapCreatesAnAdministratorOnceAndRefusesShortPasswords) {
  auto r = console_->EnsureBootstrapOperator("root", kPassword);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, BootstrapOutcome::kCreated);
  auto op = store_->FindOperatorByName("root");
  ASSERT_TRUE(op.ok());
  EXPECT_EQ(op->role, "administrator");
  EXPECT_TRUE(op->active);
  EXPECT_NE(op->password_hash.find("$argon2id$"), std::string::npos);
  EXPECT_EQ(op->password_hash.find(kPassword), std::string::npos);
  r = console_->EnsureBootstrapOperator("root", "another password!");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, BootstrapOutcome::kAlreadyPresent);
  // The existing operator's password is kept.
  EXPECT_FALSE(console_->SignIn("root", kPassword, "a", "e").failure.has_value());

  auto short_pw = console_->EnsureBootstrapOperator("other", "elevenchars");
  ASSERT_FALSE(short_pw.ok());
  EXPECT_EQ(short_pw.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(short_pw.status().message().find("TESSERA_CONSOLE_PASSWORD"), std::string::npos);
  EXPECT_NE(short_pw.status().message().find("12"), std::string::npos);
  EXPECT_EQ(store_->FindOperatorByName("other").status().code(), StatusCode::kNotFound);
}

TEST_F(ConsoleServiceTest, SignInIssuesASessionStoredOnlyAsItsHash) {
  Bootstrap();
  SignInResult r = console_->SignIn("root", kPassword, "192.0.2.1", "ecid");
  ASSERT_FALSE(r.failure.has_value());
  EXPECT_EQ(r.token.size(), 43u);
  EXPECT_EQ(r.op.user_name, "root");
  EXPECT_EQ(r.expires_at, clock_.NowSeconds() + 3600);
  EXPECT_EQ(store_->GetConsoleSession(r.token).status().code(), StatusCode::kNotFound);
  auto stored = store_->GetConsoleSession(ConsoleService::SessionId(r.token));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->operator_id, r.op.id);
  auto who = console_->Authenticate(r.token);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->op.user_name, "root");
  EXPECT_EQ(console_->Authenticate(r.token + "x").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(console_->Authenticate("").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(ConsoleServiceTest, UnknownUserAndWrongPasswordAreTheSameRefusal) {
  Bootstrap();
  SignInResult wrong = console_->SignIn("root", "not the password", "a1", "e");
  SignInResult unknown = console_->SignIn("nobody", kPassword, "a2", "e");
  ASSERT_TRUE(wrong.failure.has_value());
  ASSERT_TRUE(unknown.failure.has_value());
  EXPECT_EQ(*wrong.failure, SignInFailure::kBadCredentials);
  EXPECT_EQ(*unknown.failure, SignInFailure::kBadCredentials);
  EXPECT_TRUE(wrong.token.empty());
  EXPECT_TRUE(unknown.token.empty());
  // Overlong fields are refused as bad credentials too.
  EXPECT_EQ(*console_->SignIn(std::string(200, 'a'), kPassword, "a3", "e").failure,
            SignInFailure::kBadCredentials);
}

TEST_F(ConsoleServiceTest, InactiveOperatorCannotSignIn) {
  Bootstrap();
  auto op = store_->FindOperatorByName("root");
  ASSERT_TRUE(op.ok());
  SignInResult before = console_->SignIn("root", kPassword, "a", "e");
  ASSERT_FALSE(before.failure.has_value());
  op->active = false;
  ASSERT_TRUE(store_->UpdateOperator(*op).ok());
  EXPECT_EQ(*console_->SignIn("root", kPassword, "a", "e").failure, SignInFailure::kBadCredentials);
  EXPECT_EQ(console_->Authenticate(before.token).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(ConsoleServiceTest, FailuresThrottlePerUserNameWhateverThePassword) {
  Bootstrap();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(*console_->SignIn("root", "wrong password!", "addr" + std::to_string(i), "e").failure,
              SignInFailure::kBadCredentials);
  }
  // Spent: even the right password is refused, from any address.
  SignInResult r = console_->SignIn("root", kPassword, "elsewhere", "e");
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(*r.failure, SignInFailure::kThrottled);
  EXPECT_GE(r.retry_after, 1);
  // Unknown names throttle the same way: the throttle says nothing about existence.
  for (int i = 0; i < 3; ++i) (void)console_->SignIn("ghost", "x", "b" + std::to_string(i), "e");
  EXPECT_EQ(*console_->SignIn("ghost", "x", "b9", "e").failure, SignInFailure::kThrottled);
  // The bucket refills: one attempt per minute.
  clock_.Advance(60);
  EXPECT_FALSE(console_->SignIn("root", kPassword, "elsewhere", "e").failure.has_value());
}

TEST_F(ConsoleServiceTest, FailuresThrottlePerAddress) {
  Bootstrap();
  for (int i = 0; i < 5; ++i) {
    (void)console_->SignIn("user" + std::to_string(i), "wrong password!", "198.51.100.9", "e");
  }
  EXPECT_EQ(*console_->SignIn("root", kPassword, "198.51.100.9", "e").failure,
            SignInFailure::kThrottled);
  EXPECT_FALSE(console_->SignIn("root", kPassword, "198.51.100.10", "e").failure.has_value());
}

TEST_F(ConsoleServiceTest, IdleTimeoutEndsASessionAndActivityExtendsIt) {
  Bootstrap();
  SignInResult r = console_->SignIn("root", kPassword, "a", "e");
  ASSERT_FALSE(r.failure.has_value());
  clock_.Advance(599);
  ASSERT_TRUE(console_->Authenticate(r.token).ok());  // refreshes the idle clock
  clock_.Advance(599);
  ASSERT_TRUE(console_->Authenticate(r.token).ok());
  clock_.Advance(600);
  EXPECT_EQ(console_->Authenticate(r.token).status().code(), StatusCode::kUnauthenticated);
  // Ended for good: deleted from the store.
  EXPECT_EQ(store_->GetConsoleSession(ConsoleService::SessionId(r.token)).status().code(),
            StatusCode::kNotFound);
}

TEST_F(ConsoleServiceTest, AbsoluteLifetimeEndsAnActiveSession) {
  Bootstrap();
  SignInResult r = console_->SignIn("root", kPassword, "a", "e");
  ASSERT_FALSE(r.failure.has_value());
  for (int i = 0; i < 6; ++i) {
    clock_.Advance(590);
    ASSERT_TRUE(console_->Authenticate(r.token).ok()) << i;
  }
  clock_.Advance(60);  // 3600 s after sign-in
  EXPECT_EQ(console_->Authenticate(r.token).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(ConsoleServiceTest, SignOutEndsTheSessionServerSide) {
  Bootstrap();
  SignInResult r = console_->SignIn("root", kPassword, "a", "e");
  ASSERT_FALSE(r.failure.has_value());
  ASSERT_TRUE(console_->SignOut(r.token, "e").ok());
  EXPECT_EQ(console_->Authenticate(r.token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(console_->SignOut(r.token, "e").ok());  // nothing left to end
}

TEST_F(ConsoleServiceTest, PasswordChangeNeedsTheCurrentOneAndEndsOtherSessions) {
  Bootstrap();
  SignInResult mine = console_->SignIn("root", kPassword, "a", "e");
  SignInResult other = console_->SignIn("root", kPassword, "b", "e");
  ASSERT_FALSE(mine.failure.has_value());
  ASSERT_FALSE(other.failure.has_value());
  auto who = console_->Authenticate(mine.token);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(console_->ChangeOwnPassword(*who, "wrong current!", "a brand new secret", "e").code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(console_->ChangeOwnPassword(*who, kPassword, "too short", "e").code(),
            StatusCode::kInvalidArgument);
  clock_.Advance(10);
  ASSERT_TRUE(console_->ChangeOwnPassword(*who, kPassword, "a brand new secret", "e").ok());
  EXPECT_TRUE(console_->Authenticate(mine.token).ok());
  EXPECT_EQ(console_->Authenticate(other.token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(*console_->SignIn("root", kPassword, "c", "e").failure, SignInFailure::kBadCredentials);
  EXPECT_FALSE(console_->SignIn("root", "a brand new secret", "c", "e").failure.has_value());
  auto op = store_->FindOperatorByName("root");
  ASSERT_TRUE(op.ok());
  EXPECT_EQ(op->password_changed_at, clock_.NowSeconds());
}

TEST_F(ConsoleServiceTest, AdministrationCreatesListsResetsAndDeletes) {
  auto bob = console_->CreateOperator("bob", kPassword, "admin-client", "e");
  ASSERT_TRUE(bob.ok()) << bob.status().ToString();
  EXPECT_EQ(console_->CreateOperator("bob", kPassword, "x", "e").status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(console_->CreateOperator("carol", "short", "x", "e").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(console_->CreateOperator("bad\nname", kPassword, "x", "e").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(console_->CreateOperator("", kPassword, "x", "e").status().code(),
            StatusCode::kInvalidArgument);
  auto list = console_->ListOperators();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);

  SignInResult s = console_->SignIn("bob", kPassword, "a", "e");
  ASSERT_FALSE(s.failure.has_value());
  ASSERT_TRUE(console_->ResetPassword(bob->id, "reset by the admin", "x", "e").ok());
  EXPECT_EQ(console_->Authenticate(s.token).status().code(), StatusCode::kUnauthenticated);
  s = console_->SignIn("bob", "reset by the admin", "a", "e");
  ASSERT_FALSE(s.failure.has_value());
  ASSERT_TRUE(console_->DeleteOperator(bob->id, "x", "e").ok());
  EXPECT_EQ(console_->Authenticate(s.token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(console_->DeleteOperator(bob->id, "x", "e").code(), StatusCode::kNotFound);
  audit_->Flush();
  store::AuditFilter f;
  f.outcome = "operator.create";
  auto events = store_->ListAudit(f);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].client_id, "admin-client");
  EXPECT_EQ((*events)[0].subject, "bob");
}

}  // namespace
}  // namespace tessera::console
