#include "store/store_contract_test.h"

#include <gmock/gmock.h>

#include <atomic>
#include <latch>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tessera::store {

void StoreContractTest::SetUp() {
  store_ = GetParam().make();
  ASSERT_NE(store_, nullptr) << "the " << GetParam().name << " factory returned no store";
}

void StoreContractTest::TearDown() { store_.reset(); }

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Runs `body(i)` on `n` threads released together, so they contend for real.
template <typename Body>
void RunConcurrently(int n, Body body) {
  std::latch start(n);
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      body(i);
    });
  }
  for (auto& t : threads) t.join();
}

User MakeUser(const std::string& id, const std::string& name) {
  User u;
  u.id = id;
  u.user_name = name;
  u.given_name = "Given " + name;
  u.family_name = "Family " + name;
  u.emails = {name + "@example.com", name + "@example.org"};
  u.active = true;
  u.created_at = 1700000000;
  u.updated_at = 1700000001;
  return u;
}

App MakeConfidentialApp(const std::string& id, const std::string& client_id,
                        int64_t created_at = 1700000000) {
  App a;
  a.id = id;
  a.client_id = client_id;
  a.display_name = "App " + client_id;
  a.description = "the description of " + client_id;
  a.kind = AppKind::kConfidential;
  a.active = true;
  a.is_admin = true;
  a.secret_hash = "$hash$" + client_id;
  a.allowed_grants = {"client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer"};
  a.allowed_scopes = {"https://api.example.com:443urn:opc:resource:consumer::all"};
  a.certificate_aliases = {"assert", "assert2"};
  a.allowed_operations = {"introspect", "trustToken"};
  a.assertion_algs = {"RS256", "ES256"};
  a.require_jti = false;
  a.access_token_expiry = 3600;
  a.dpop_bound_access_tokens = true;
  a.tls_client_auth_subject_dn = "CN=" + client_id + ",O=Example";
  a.created_at = created_at;
  a.updated_at = created_at + 1;
  return a;
}

App MakeResourceApp(const std::string& id, const std::string& audience) {
  App a;
  a.id = id;
  a.display_name = "Resource " + audience;
  a.kind = AppKind::kResource;
  a.audience = audience;
  a.scopes = {"urn:opc:resource:consumer::all", "read"};
  a.access_token_expiry = 600;
  a.created_at = 1700000100;
  a.updated_at = 1700000100;
  return a;
}

CertificateRecord MakeCert(const std::string& alias, const std::string& x5t) {
  CertificateRecord c;
  c.alias = alias;
  // Real DER holds NUL and high bytes; the store must keep them exactly.
  c.der = std::string("\x30\x82\x00\x01\xff\x00\x7f", 7) + alias;
  c.x5t = x5t;
  c.x5t_s256 = "s256-" + x5t;
  c.not_after = 1900000000;
  c.created_at = 1700000000;
  return c;
}

SigningKeyRecord MakeKey(const std::string& kid, int64_t created_at) {
  SigningKeyRecord k;
  k.kid = kid;
  k.alg = "RS256";
  k.private_pem = "-----BEGIN PRIVATE KEY-----\n" + kid + "\n-----END PRIVATE KEY-----\n";
  k.cert_der = std::string("\x30\x00\x82", 3) + kid;
  k.created_at = created_at;
  return k;
}

AuditEvent MakeEvent(int64_t time, const std::string& client_id, const std::string& outcome) {
  AuditEvent e;
  e.time = time;
  e.ecid = "ecid-" + std::to_string(time);
  e.client_id = client_id;
  e.subject = "alice";
  e.grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
  e.outcome = outcome;
  e.reason = outcome == "issued" ? "" : "assertion_expired: assertion expired";
  return e;
}

std::vector<std::string> Names(const std::vector<User>& users) {
  std::vector<std::string> out;
  out.reserve(users.size());
  for (const auto& u : users) out.push_back(u.user_name);
  return out;
}

// ---- Ping.

TEST_P(StoreContractTest, PingAnswersOk) { EXPECT_TRUE(store_->Ping().ok()); }

// ---- Users.

TEST_P(StoreContractTest, UserRoundTripsEveryField) {
  User alice = MakeUser("u1", "alice");
  alice.active = false;
  ASSERT_TRUE(store_->CreateUser(alice).ok());
  User bob = MakeUser("u2", "bob");
  bob.emails.clear();
  bob.given_name.clear();
  ASSERT_TRUE(store_->CreateUser(bob).ok());

  auto got = store_->GetUser("u1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, alice);
  got = store_->GetUser("u2");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, bob);
}

TEST_P(StoreContractTest, UserFindByNameMatchesExactly) {
  ASSERT_TRUE(store_->CreateUser(MakeUser("u1", "alice")).ok());
  auto found = store_->FindUserByName("alice");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->id, "u1");
  EXPECT_EQ(store_->FindUserByName("Alice").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->FindUserByName("ali").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->FindUserByName("").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreContractTest, UserFindByEmailMatchesAnyAddressExactly) {
  store::User alice = MakeUser("u1", "alice");
  alice.emails = {"alice@example.com", "a@example.org"};
  store::User bob = MakeUser("u2", "bob");
  bob.emails = {"bob@example.com", "shared@example.com"};
  store::User carol = MakeUser("u3", "carol");
  carol.emails = {"shared@example.com"};
  for (const store::User& u : {alice, bob, carol}) ASSERT_TRUE(store_->CreateUser(u).ok());
  auto found = store_->FindUsersByEmail("a@example.org");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().id, "u1");
  found = store_->FindUsersByEmail("shared@example.com");
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ(found->at(0).id, "u2");
  EXPECT_EQ(found->at(1).id, "u3");
  for (const char* none : {"ALICE@example.com", "alice@example", "", "\"alice@example.com\""}) {
    found = store_->FindUsersByEmail(none);
    ASSERT_TRUE(found.ok());
    EXPECT_TRUE(found->empty()) << none;
  }
}

TEST_P(StoreContractTest, UserAbsentIdIsNotFound) {
  EXPECT_EQ(store_->GetUser("nobody").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->UpdateUser(MakeUser("nobody", "x")).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteUser("nobody").code(), StatusCode::kNotFound);
}

TEST_P(StoreContractTest, UserDuplicatesAreAlreadyExists) {
  ASSERT_TRUE(store_->CreateUser(MakeUser("u1", "alice")).ok());
  EXPECT_EQ(store_->CreateUser(MakeUser("u2", "alice")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateUser(MakeUser("u1", "bob")).code(), StatusCode::kAlreadyExists);
  // Names differing only in case are different names.
  EXPECT_TRUE(store_->CreateUser(MakeUser("u3", "Alice")).ok());
  // The failed creates left nothing behind.
  auto all = store_->ListUsers(0, 100);
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(Names(*all), ElementsAre("Alice", "alice"));
}

TEST_P(StoreContractTest, UserEmptyIdIsInvalidArgument) {
  EXPECT_EQ(store_->CreateUser(MakeUser("", "alice")).code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreContractTest, UserListIsOrderedByNameAndPaged) {
  ASSERT_TRUE(store_->CreateUser(MakeUser("u1", "carol")).ok());
  ASSERT_TRUE(store_->CreateUser(MakeUser("u2", "alice")).ok());
  ASSERT_TRUE(store_->CreateUser(MakeUser("u3", "bob")).ok());

  auto all = store_->ListUsers(0, 10);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_THAT(Names(*all), ElementsAre("alice", "bob", "carol"));
  EXPECT_EQ((*all)[0], MakeUser("u2", "alice"));

  auto page = store_->ListUsers(1, 1);
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Names(*page), ElementsAre("bob"));
  page = store_->ListUsers(2, 5);
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Names(*page), ElementsAre("carol"));
  page = store_->ListUsers(3, 5);
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(*page, IsEmpty());
  page = store_->ListUsers(0, 0);
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(*page, IsEmpty());

  EXPECT_EQ(store_->ListUsers(-1, 5).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListUsers(0, -1).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreContractTest, UserUpdateReplacesFieldsButKeepsCreatedAt) {
  ASSERT_TRUE(store_->CreateUser(MakeUser("u1", "alice")).ok());
  User changed = MakeUser("u1", "alice2");
  changed.given_name = "Alicia";
  changed.emails = {"new@example.com"};
  changed.active = false;
  changed.created_at = 5;  // ignored
  changed.updated_at = 1800000000;
  ASSERT_TRUE(store_->UpdateUser(changed).ok());

  auto got = store_->GetUser("u1");
  ASSERT_TRUE(got.ok());
  User expected = changed;
  expected.created_at = 1700000000;
  EXPECT_EQ(*got, expected);
  EXPECT_EQ(store_->FindUserByName("alice").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->FindUserByName("alice2").ok());
}

TEST_P(StoreContractTest, UserUpdateToTakenNameIsAlreadyExistsAndChangesNothing) {
  ASSERT_TRUE(store_->CreateUser(MakeUser("u1", "alice")).ok());
  ASSERT_TRUE(store_->CreateUser(MakeUser("u2", "bob")).ok());
  User clash = MakeUser("u2", "alice");
  clash.given_name = "changed";
  EXPECT_EQ(store_->UpdateUser(clash).code(), StatusCode::kAlreadyExists);
  auto bob = store_->GetUser("u2");
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(*bob, MakeUser("u2", "bob"));
}

TEST_P(StoreContractTest, UserDeleteRemovesAndFreesTheName) {
  ASSERT_TRUE(store_->CreateUser(MakeUser("u1", "alice")).ok());
  ASSERT_TRUE(store_->CreateUser(MakeUser("u2", "bob")).ok());
  ASSERT_TRUE(store_->DeleteUser("u1").ok());
  EXPECT_EQ(store_->GetUser("u1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->FindUserByName("alice").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteUser("u1").code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->GetUser("u2").ok());
  EXPECT_TRUE(store_->CreateUser(MakeUser("u3", "alice")).ok());
}

// ---- Apps.

TEST_P(StoreContractTest, AppRoundTripsEveryField) {
  const App confidential = MakeConfidentialApp("a1", "client-one");
  const App resource = MakeResourceApp("a2", "https://api.example.com:443");
  ASSERT_TRUE(store_->CreateApp(confidential).ok());
  ASSERT_TRUE(store_->CreateApp(resource).ok());
  auto got = store_->GetApp("a1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, confidential);
  got = store_->GetApp("a2");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, resource);
  EXPECT_EQ(got->kind, AppKind::kResource);
}

TEST_P(StoreContractTest, AppFindByClientId) {
  ASSERT_TRUE(store_->CreateApp(MakeConfidentialApp("a1", "client-one")).ok());
  ASSERT_TRUE(store_->CreateApp(MakeResourceApp("a2", "https://api.example.com")).ok());
  auto found = store_->FindAppByClientId("client-one");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->id, "a1");
  EXPECT_EQ(store_->FindAppByClientId("client-two").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->FindAppByClientId("CLIENT-ONE").status().code(), StatusCode::kNotFound);
  // Resource apps have no client id; the empty one names no app.
  EXPECT_EQ(store_->FindAppByClientId("").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreContractTest, AppDuplicatesAreAlreadyExists) {
  ASSERT_TRUE(store_->CreateApp(MakeConfidentialApp("a1", "client-one")).ok());
  EXPECT_EQ(store_->CreateApp(MakeConfidentialApp("a2", "client-one")).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateApp(MakeConfidentialApp("a1", "client-two")).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateApp(MakeConfidentialApp("", "client-three")).code(),
            StatusCode::kInvalidArgument);
  // Any number of resource apps share the empty client id.
  EXPECT_TRUE(store_->CreateApp(MakeResourceApp("r1", "https://one.example.com")).ok());
  EXPECT_TRUE(store_->CreateApp(MakeResourceApp("r2", "https://two.example.com")).ok());
}

TEST_P(StoreContractTest, AppAbsentIdIsNotFound) {
  EXPECT_EQ(store_->GetApp("none").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->UpdateApp(MakeConfidentialApp("none", "c")).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteApp("none").code(), StatusCode::kNotFound);
}

TEST_P(StoreContractTest, AppListIsOrderedByCreationAndPaged) {
  ASSERT_TRUE(store_->CreateApp(MakeConfidentialApp("a3", "c3", 300)).ok());
  ASSERT_TRUE(store_->CreateApp(MakeConfidentialApp("a1", "c1", 100)).ok());
  ASSERT_TRUE(store_->CreateApp(MakeConfidentialApp("a2b", "c2b", 200)).ok());
  ASSERT_TRUE(store_->CreateApp(MakeConfidentialApp("a2a", "c2a", 200)).ok());
  auto ids = [](const std::vector<App>& apps) {
    std::vector<std::string> out;
    out.reserve(apps.size());
    for (const auto& a : apps) out.push_back(a.id);
    return out;
  };
  auto all = store_->ListApps(0, 10);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_THAT(ids(*all), ElementsAre("a1", "a2a", "a2b", "a3"));
  EXPECT_EQ((*all)[0], MakeConfidentialApp("a1", "c1", 100));
  auto page = store_->ListApps(1, 2);
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(ids(*page), ElementsAre("a2a", "a2b"));
  page = store_->ListApps(4, 2);
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(*page, IsEmpty());
  EXPECT_EQ(store_->ListApps(-1, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListApps(0, -1).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreContractTest, AppUpdateReplacesFieldsButKeepsCreatedAt) {
  ASSERT_TRUE(store_->CreateApp(MakeConfidentialApp("a1", "client-one")).ok());
  App changed = MakeConfidentialApp("a1", "client-renamed");
  changed.active = false;
  changed.is_admin = false;
  changed.allowed_scopes = {};
  changed.certificate_aliases = {"other"};
  changed.assertion_algs = {"EdDSA"};
  changed.require_jti = true;
  changed.access_token_expiry = 60;
  changed.dpop_bound_access_tokens = false;
  changed.tls_client_certificate_bound_access_tokens = true;
  changed.tls_client_auth_subject_dn = "";
  changed.tls_client_auth_san_dns = "client.example.com";
  changed.created_at = 1;  // ignored
  changed.updated_at = 1800000000;
  ASSERT_TRUE(store_->UpdateApp(changed).ok());
  auto got = store_->GetApp("a1");
  ASSERT_TRUE(got.ok());
  App expected = changed;
  expected.created_at = 1700000000;
  EXPECT_EQ(*got, expected);
  EXPECT_EQ(store_->FindAppByClientId("client-one").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->FindAppByClientId("client-renamed").ok());
}

TEST_P(StoreContractTest, AppUpdateToTakenClientIdIsAlreadyExists) {
  ASSERT_TRUE(store_->CreateApp(MakeConfidentialApp("a1", "one")).ok());
  ASSERT_TRUE(store_->CreateApp(MakeConfidentialApp("a2", "two")).ok());
  EXPECT_EQ(store_->UpdateApp(MakeConfidentialApp("a2", "one")).code(), StatusCode::kAlreadyExists);
  auto two = store_->GetApp("a2");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->client_id, "two");
}

TEST_P(StoreContractTest, AppDeleteRemovesAndFreesTheClientId) {
  ASSERT_TRUE(store_->CreateApp(MakeConfidentialApp("a1", "one")).ok());
  ASSERT_TRUE(store_->CreateApp(MakeConfidentialApp("a2", "two")).ok());
  ASSERT_TRUE(store_->DeleteApp("a1").ok());
  EXPECT_EQ(store_->GetApp("a1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteApp("a1").code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->GetApp("a2").ok());
  EXPECT_TRUE(store_->CreateApp(MakeConfidentialApp("a3", "one")).ok());
}

// ---- Certificates.

TEST_P(StoreContractTest, CertificateRoundTripsBinaryDer) {
  const CertificateRecord cert = MakeCert("assert", "x5t-1");
  ASSERT_TRUE(store_->PutCertificate(CertificateKind::kClient, cert).ok());
  auto got = store_->GetCertificate(CertificateKind::kClient, "assert");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, cert);
  EXPECT_EQ(got->der.size(), cert.der.size());
}

TEST_P(StoreContractTest, CertificateAliasIsUniquePerKind) {
  ASSERT_TRUE(store_->PutCertificate(CertificateKind::kClient, MakeCert("a", "t1")).ok());
  EXPECT_EQ(store_->PutCertificate(CertificateKind::kClient, MakeCert("a", "t2")).code(),
            StatusCode::kAlreadyExists);
  EXPECT_TRUE(store_->PutCertificate(CertificateKind::kPartner, MakeCert("a", "t3")).ok());
  EXPECT_EQ(store_->PutCertificate(CertificateKind::kClient, MakeCert("", "t4")).code(),
            StatusCode::kInvalidArgument);
  auto client = store_->GetCertificate(CertificateKind::kClient, "a");
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(client->x5t, "t1");  // not replaced by the refused put
  auto partner = store_->GetCertificate(CertificateKind::kPartner, "a");
  ASSERT_TRUE(partner.ok());
  EXPECT_EQ(partner->x5t, "t3");
}

TEST_P(StoreContractTest, CertificateAbsentIsNotFound) {
  ASSERT_TRUE(store_->PutCertificate(CertificateKind::kClient, MakeCert("a", "t1")).ok());
  EXPECT_EQ(store_->GetCertificate(CertificateKind::kClient, "b").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->GetCertificate(CertificateKind::kPartner, "a").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteCertificate(CertificateKind::kPartner, "a").code(),
            StatusCode::kNotFound);
}

TEST_P(StoreContractTest, CertificateListIsPerKindOrderedByAlias) {
  ASSERT_TRUE(store_->PutCertificate(CertificateKind::kClient, MakeCert("zeta", "t1")).ok());
  ASSERT_TRUE(store_->PutCertificate(CertificateKind::kClient, MakeCert("alpha", "t2")).ok());
  ASSERT_TRUE(store_->PutCertificate(CertificateKind::kPartner, MakeCert("mid", "t3")).ok());
  auto clients = store_->ListCertificates(CertificateKind::kClient);
  ASSERT_TRUE(clients.ok()) << clients.status().ToString();
  ASSERT_EQ(clients->size(), 2u);
  EXPECT_EQ((*clients)[0], MakeCert("alpha", "t2"));
  EXPECT_EQ((*clients)[1], MakeCert("zeta", "t1"));
  auto partners = store_->ListCertificates(CertificateKind::kPartner);
  ASSERT_TRUE(partners.ok());
  ASSERT_EQ(partners->size(), 1u);
  EXPECT_EQ((*partners)[0].alias, "mid");
}

TEST_P(StoreContractTest, CertificateDeleteRemovesOnlyThatKind) {
  ASSERT_TRUE(store_->PutCertificate(CertificateKind::kClient, MakeCert("a", "t1")).ok());
  ASSERT_TRUE(store_->PutCertificate(CertificateKind::kPartner, MakeCert("a", "t1")).ok());
  ASSERT_TRUE(store_->DeleteCertificate(CertificateKind::kClient, "a").ok());
  EXPECT_EQ(store_->GetCertificate(CertificateKind::kClient, "a").status().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(store_->GetCertificate(CertificateKind::kPartner, "a").ok());
  EXPECT_EQ(store_->DeleteCertificate(CertificateKind::kClient, "a").code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->PutCertificate(CertificateKind::kClient, MakeCert("a", "t9")).ok());
}

// ---- Signing keys.

TEST_P(StoreContractTest, SigningKeysRoundTripNewestFirst) {
  SigningKeyRecord old_key = MakeKey("k-old", 100);
  old_key.retired_at = 150;
  old_key.publish_until = 250;
  old_key.alg = "ES256";
  SigningKeyRecord no_cert = MakeKey("k-new", 300);
  no_cert.cert_der.clear();
  ASSERT_TRUE(store_->AddSigningKey(MakeKey("k-mid-1", 200)).ok());
  ASSERT_TRUE(store_->AddSigningKey(old_key).ok());
  ASSERT_TRUE(store_->AddSigningKey(no_cert).ok());
  ASSERT_TRUE(store_->AddSigningKey(MakeKey("k-mid-2", 200)).ok());  // same second, added later

  auto keys = store_->ListSigningKeys();
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 4u);
  EXPECT_EQ((*keys)[0], no_cert);
  EXPECT_EQ((*keys)[1], MakeKey("k-mid-2", 200));
  EXPECT_EQ((*keys)[2], MakeKey("k-mid-1", 200));
  EXPECT_EQ((*keys)[3], old_key);
}

TEST_P(StoreContractTest, SigningKeyDuplicateKidIsAlreadyExists) {
  ASSERT_TRUE(store_->AddSigningKey(MakeKey("k1", 100)).ok());
  EXPECT_EQ(store_->AddSigningKey(MakeKey("k1", 200)).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->AddSigningKey(MakeKey("", 200)).code(), StatusCode::kInvalidArgument);
  auto keys = store_->ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].created_at, 100);
}

int CountActive(const std::vector<SigningKeyRecord>& keys) {
  int n = 0;
  for (const auto& k : keys) n += k.retired_at == 0 ? 1 : 0;
  return n;
}

TEST_P(StoreContractTest, RetireOtherKeysLeavesExactlyOneActiveKey) {
  SigningKeyRecord long_retired = MakeKey("k0", 50);
  long_retired.retired_at = 60;
  long_retired.publish_until = 70;
  ASSERT_TRUE(store_->AddSigningKey(long_retired).ok());
  ASSERT_TRUE(store_->AddSigningKey(MakeKey("k1", 100)).ok());
  ASSERT_TRUE(store_->AddSigningKey(MakeKey("k2", 200)).ok());
  ASSERT_TRUE(store_->AddSigningKey(MakeKey("k3", 300)).ok());

  ASSERT_TRUE(store_->RetireOtherKeys("k3", 1000, 5000).ok());
  auto keys = store_->ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 4u);
  EXPECT_EQ(CountActive(*keys), 1);
  EXPECT_EQ((*keys)[0].kid, "k3");
  EXPECT_EQ((*keys)[0].retired_at, 0);
  for (int i : {1, 2}) {
    EXPECT_EQ((*keys)[i].retired_at, 1000) << (*keys)[i].kid;
    EXPECT_EQ((*keys)[i].publish_until, 5000) << (*keys)[i].kid;
  }
  EXPECT_EQ((*keys)[3], long_retired);  // already retired: untouched

  // Idempotent: retiring the others again changes nothing.
  ASSERT_TRUE(store_->RetireOtherKeys("k3", 2000, 9000).ok());
  auto again = store_->ListSigningKeys();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *keys);
}

TEST_P(StoreContractTest, RetireOtherKeysRefusesAnAbsentOrRetiredKeyAndChangesNothing) {
  SigningKeyRecord retired = MakeKey("k-retired", 50);
  retired.retired_at = 60;
  retired.publish_until = 70;
  ASSERT_TRUE(store_->AddSigningKey(retired).ok());
  ASSERT_TRUE(store_->AddSigningKey(MakeKey("k1", 100)).ok());
  auto before = store_->ListSigningKeys();
  ASSERT_TRUE(before.ok());

  EXPECT_EQ(store_->RetireOtherKeys("absent", 1000, 5000).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->RetireOtherKeys("k-retired", 1000, 5000).code(),
            StatusCode::kFailedPrecondition);
  auto after = store_->ListSigningKeys();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, *before);
  EXPECT_EQ(CountActive(*after), 1);
}

TEST_P(StoreContractTest, RevokeSigningKeyWithdrawsItAndIsIdempotent) {
  SigningKeyRecord retired = MakeKey("k-retired", 50);
  retired.retired_at = 60;
  retired.publish_until = 9000;
  ASSERT_TRUE(store_->AddSigningKey(retired).ok());
  ASSERT_TRUE(store_->AddSigningKey(MakeKey("k-active", 100)).ok());

  // A retired key: revoked_at set, no longer published, retired_at kept.
  ASSERT_TRUE(store_->RevokeSigningKey("k-retired", 500).ok());
  // The active key: revoked and retired at that time (the caller made a successor first).
  ASSERT_TRUE(store_->RevokeSigningKey("k-active", 600).ok());
  auto keys = store_->ListSigningKeys();
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].kid, "k-active");
  EXPECT_EQ((*keys)[0].revoked_at, 600);
  EXPECT_EQ((*keys)[0].retired_at, 600);
  EXPECT_EQ((*keys)[0].publish_until, 0);
  EXPECT_EQ((*keys)[1].revoked_at, 500);
  EXPECT_EQ((*keys)[1].retired_at, 60);
  EXPECT_EQ((*keys)[1].publish_until, 0);
  EXPECT_EQ(CountActive(*keys), 0);

  // Again: nothing changes, the first revocation time stays.
  ASSERT_TRUE(store_->RevokeSigningKey("k-retired", 700).ok());
  auto again = store_->ListSigningKeys();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *keys);
  EXPECT_EQ(store_->RevokeSigningKey("absent", 700).code(), StatusCode::kNotFound);
  // A revoked key can never become the active one again.
  EXPECT_EQ(store_->RetireOtherKeys("k-active", 800, 900).code(), StatusCode::kFailedPrecondition);

  // revoked_at round-trips through AddSigningKey.
  SigningKeyRecord imported = MakeKey("k-imported", 40);
  imported.retired_at = imported.revoked_at = 45;
  ASSERT_TRUE(store_->AddSigningKey(imported).ok());
  auto all = store_->ListSigningKeys();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->back(), imported);
}

TEST_P(StoreContractTest, ConcurrentRotationsLeaveExactlyOneActiveKey) {
  constexpr int kThreads = 8;
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(store_->AddSigningKey(MakeKey("k" + std::to_string(i), 100 + i)).ok());
  }
  std::atomic<int> ok{0};
  std::atomic<int> unexpected{0};
  RunConcurrently(kThreads, [&](int i) {
    Status s = store_->RetireOtherKeys("k" + std::to_string(i), 1000, 5000);
    if (s.ok()) {
      ok++;
    } else if (s.code() != StatusCode::kFailedPrecondition) {
      unexpected++;
    }
  });
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_GE(ok.load(), 1);
  auto keys = store_->ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(CountActive(*keys), 1);
}

// ---- Trust-token issuers.

TrustTokenIssuerRecord MakeIssuer(const std::string& issuer, bool with_cert) {
  TrustTokenIssuerRecord r;
  r.issuer = issuer;
  if (with_cert) {
    r.cert_alias = "alias-" + issuer;
    r.cert_der = std::string("\x30\x00\xff", 3) + issuer;
  } else {
    r.shared_secret = "secret-of-" + issuer;
  }
  r.created_at = 1700000000;
  return r;
}

TEST_P(StoreContractTest, TrustTokenIssuerLifecycle) {
  const auto hs = MakeIssuer("https://fusion.example.com", false);
  const auto rs = MakeIssuer("https://apps.example.com", true);
  ASSERT_TRUE(store_->PutTrustTokenIssuer(hs).ok());
  ASSERT_TRUE(store_->PutTrustTokenIssuer(rs).ok());
  EXPECT_EQ(store_->PutTrustTokenIssuer(MakeIssuer("https://apps.example.com", false)).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->PutTrustTokenIssuer(MakeIssuer("", false)).code(),
            StatusCode::kInvalidArgument);

  auto got = store_->GetTrustTokenIssuer("https://fusion.example.com");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, hs);
  got = store_->GetTrustTokenIssuer("https://apps.example.com");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, rs);
  EXPECT_EQ(store_->GetTrustTokenIssuer("https://other").status().code(), StatusCode::kNotFound);

  auto all = store_->ListTrustTokenIssuers();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0], rs);  // ordered by issuer
  EXPECT_EQ((*all)[1], hs);

  ASSERT_TRUE(store_->DeleteTrustTokenIssuer("https://apps.example.com").ok());
  EXPECT_EQ(store_->DeleteTrustTokenIssuer("https://apps.example.com").code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->GetTrustTokenIssuer("https://apps.example.com").status().code(),
            StatusCode::kNotFound);
  all = store_->ListTrustTokenIssuers();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0], hs);
}

// ---- Federation trusts.

FederationTrustRecord MakeTrust(const std::string& id, const std::string& name,
                                const std::string& issuer, int64_t created_at = 1700000000) {
  FederationTrustRecord r;
  r.id = id;
  r.name = name;
  r.issuer = issuer;
  r.active = true;
  r.document = R"({"name":")" + name + R"(","issuer":")" + issuer + R"(","note":"\u00e9 é"})";
  r.created_at = created_at;
  r.updated_at = created_at + 1;
  return r;
}

TEST_P(StoreContractTest, FederationTrustRoundTripsEveryField) {
  FederationTrustRecord t =
      MakeTrust("t1", "github", "https://token.actions.githubusercontent.com");
  t.active = false;
  ASSERT_TRUE(store_->CreateFederationTrust(t).ok());
  auto got = store_->GetFederationTrust("t1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, t);
  EXPECT_EQ(store_->GetFederationTrust("t2").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CreateFederationTrust(MakeTrust("", "x", "https://x")).code(),
            StatusCode::kInvalidArgument);
}

TEST_P(StoreContractTest, FederationTrustNameAndIdAreUnique) {
  ASSERT_TRUE(store_->CreateFederationTrust(MakeTrust("t1", "github", "https://a")).ok());
  EXPECT_EQ(store_->CreateFederationTrust(MakeTrust("t2", "github", "https://b")).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateFederationTrust(MakeTrust("t1", "other", "https://b")).code(),
            StatusCode::kAlreadyExists);
  // Names compare byte for byte.
  EXPECT_TRUE(store_->CreateFederationTrust(MakeTrust("t3", "GitHub", "https://a")).ok());
  auto all = store_->ListFederationTrusts();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST_P(StoreContractTest, FederationTrustListIsOrderedByCreationThenId) {
  ASSERT_TRUE(store_->CreateFederationTrust(MakeTrust("b", "n1", "https://a", 20)).ok());
  ASSERT_TRUE(store_->CreateFederationTrust(MakeTrust("c", "n2", "https://a", 10)).ok());
  ASSERT_TRUE(store_->CreateFederationTrust(MakeTrust("a", "n3", "https://b", 20)).ok());
  auto all = store_->ListFederationTrusts();
  ASSERT_TRUE(all.ok());
  std::vector<std::string> ids;
  for (const auto& t : *all) ids.push_back(t.id);
  EXPECT_THAT(ids, ElementsAre("c", "a", "b"));
}

TEST_P(StoreContractTest, FederationTrustsAreFoundByExactIssuer) {
  ASSERT_TRUE(
      store_->CreateFederationTrust(MakeTrust("t1", "one", "https://idp.example.com", 30)).ok());
  ASSERT_TRUE(
      store_->CreateFederationTrust(MakeTrust("t2", "two", "https://idp.example.com", 10)).ok());
  ASSERT_TRUE(
      store_->CreateFederationTrust(MakeTrust("t3", "three", "https://idp.example.com/", 5)).ok());
  ASSERT_TRUE(
      store_->CreateFederationTrust(MakeTrust("t4", "four", "https://IDP.example.com", 5)).ok());
  auto found = store_->FindFederationTrustsByIssuer("https://idp.example.com");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  std::vector<std::string> ids;
  for (const auto& t : *found) ids.push_back(t.id);
  EXPECT_THAT(ids, ElementsAre("t2", "t1"));  // exact issuer, by created_at
  found = store_->FindFederationTrustsByIssuer("https://nobody.example.com");
  ASSERT_TRUE(found.ok());
  EXPECT_THAT(*found, IsEmpty());
}

TEST_P(StoreContractTest, FederationTrustUpdateReplacesFieldsButKeepsCreatedAt) {
  ASSERT_TRUE(store_->CreateFederationTrust(MakeTrust("t1", "one", "https://a", 100)).ok());
  FederationTrustRecord changed = MakeTrust("t1", "renamed", "https://b", 999);
  changed.active = false;
  changed.document = R"({"changed":true})";
  changed.updated_at = 200;
  ASSERT_TRUE(store_->UpdateFederationTrust(changed).ok());
  auto got = store_->GetFederationTrust("t1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "renamed");
  EXPECT_EQ(got->issuer, "https://b");
  EXPECT_FALSE(got->active);
  EXPECT_EQ(got->document, R"({"changed":true})");
  EXPECT_EQ(got->created_at, 100);
  EXPECT_EQ(got->updated_at, 200);
  auto by_old = store_->FindFederationTrustsByIssuer("https://a");
  ASSERT_TRUE(by_old.ok());
  EXPECT_THAT(*by_old, IsEmpty());
  EXPECT_EQ(store_->UpdateFederationTrust(MakeTrust("absent", "x", "https://a")).code(),
            StatusCode::kNotFound);
}

TEST_P(StoreContractTest, FederationTrustUpdateToTakenNameIsAlreadyExistsAndChangesNothing) {
  ASSERT_TRUE(store_->CreateFederationTrust(MakeTrust("t1", "one", "https://a")).ok());
  const FederationTrustRecord two = MakeTrust("t2", "two", "https://b");
  ASSERT_TRUE(store_->CreateFederationTrust(two).ok());
  EXPECT_EQ(store_->UpdateFederationTrust(MakeTrust("t2", "one", "https://c")).code(),
            StatusCode::kAlreadyExists);
  auto got = store_->GetFederationTrust("t2");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, two);
}

TEST_P(StoreContractTest, FederationTrustDeleteRemovesAndFreesTheName) {
  ASSERT_TRUE(store_->CreateFederationTrust(MakeTrust("t1", "one", "https://a")).ok());
  ASSERT_TRUE(store_->DeleteFederationTrust("t1").ok());
  EXPECT_EQ(store_->DeleteFederationTrust("t1").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetFederationTrust("t1").status().code(), StatusCode::kNotFound);
  auto found = store_->FindFederationTrustsByIssuer("https://a");
  ASSERT_TRUE(found.ok());
  EXPECT_THAT(*found, IsEmpty());
  EXPECT_TRUE(store_->CreateFederationTrust(MakeTrust("t2", "one", "https://a")).ok());
}

// ---- Replay.

TEST_P(StoreContractTest, ConsumeJtiIsNewOnceThenAReplay) {
  auto first = store_->ConsumeJti("client-a", "jti-1", 2000);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(*first);
  auto second = store_->ConsumeJti("client-a", "jti-1", 2000);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  // A replay with another expiry is still a replay.
  auto third = store_->ConsumeJti("client-a", "jti-1", 9000);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(*third);
}

TEST_P(StoreContractTest, ConsumeJtiIsKeyedByIssuerAndJti) {
  ASSERT_TRUE(*store_->ConsumeJti("client-a", "jti-1", 2000));
  auto other_issuer = store_->ConsumeJti("client-b", "jti-1", 2000);
  ASSERT_TRUE(other_issuer.ok());
  EXPECT_TRUE(*other_issuer);
  auto other_jti = store_->ConsumeJti("client-a", "jti-2", 2000);
  ASSERT_TRUE(other_jti.ok());
  EXPECT_TRUE(*other_jti);
  // No separator ambiguity: ("ab", "c") and ("a", "bc") are different pairs.
  EXPECT_TRUE(*store_->ConsumeJti("ab", "c", 2000));
  EXPECT_TRUE(*store_->ConsumeJti("a", "bc", 2000));
}

TEST_P(StoreContractTest, IsJtiUsedReportsRecordedPairs) {
  auto used = store_->IsJtiUsed("client-a", "jti-1");
  ASSERT_TRUE(used.ok()) << used.status().ToString();
  EXPECT_FALSE(*used);
  ASSERT_TRUE(*store_->ConsumeJti("client-a", "jti-1", 2000));
  EXPECT_TRUE(*store_->IsJtiUsed("client-a", "jti-1"));
  EXPECT_FALSE(*store_->IsJtiUsed("client-b", "jti-1"));
}

TEST_P(StoreContractTest, ConsumeJtiRaceHasExactlyOneWinner) {
  constexpr int kThreads = 20;
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    const std::string jti = "raced-" + std::to_string(round);
    std::atomic<int> wins{0};
    std::atomic<int> errors{0};
    RunConcurrently(kThreads, [&](int) {
      auto r = store_->ConsumeJti("client-a", jti, 5000);
      if (!r.ok()) {
        errors++;
      } else if (*r) {
        wins++;
      }
    });
    EXPECT_EQ(errors.load(), 0) << jti;
    EXPECT_EQ(wins.load(), 1) << jti;
  }
}

TEST_P(StoreContractTest, ConsumeJtisAnswersEachRecordAsConsumeJtiWouldInOrder) {
  ASSERT_TRUE(*store_->ConsumeJti("client-a", "used-before", 2000));
  const std::vector<JtiRecord> batch = {
      {"client-a", "new-1", 2000}, {"client-a", "used-before", 2000},
      {"client-b", "new-1", 2000}, {"client-a", "new-1", 3000},  // repeated in the batch
      {"client-a", "new-2", 2000},
  };
  auto fresh = store_->ConsumeJtis(batch);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_EQ(*fresh, (std::vector<bool>{true, false, true, false, true}));
  // Recorded for good: each is a replay now.
  for (const JtiRecord& r : batch)
    EXPECT_FALSE(*store_->ConsumeJti(r.issuer, r.jti, 2000)) << r.jti;
  auto empty = store_->ConsumeJtis({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST_P(StoreContractTest, ConsumeJtisRacingBatchesHaveExactlyOneWinnerPerPair) {
  constexpr int kThreads = 8;
  constexpr int kPairs = 20;
  std::atomic<int> wins{0};
  std::atomic<int> errors{0};
  RunConcurrently(kThreads, [&](int thread) {
    // Every thread records every pair, in a different order and in two batches.
    std::vector<JtiRecord> first, second;
    for (int i = 0; i < kPairs; ++i) {
      JtiRecord r{"client-a", "batched-" + std::to_string((i + thread * 3) % kPairs), 5000};
      (i % 2 == 0 ? first : second).push_back(std::move(r));
    }
    for (const auto* batch : {&first, &second}) {
      auto fresh = store_->ConsumeJtis(*batch);
      if (!fresh.ok()) {
        errors++;
        continue;
      }
      for (bool f : *fresh) wins += f ? 1 : 0;
    }
  });
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(wins.load(), kPairs);
}

TEST_P(StoreContractTest, PurgeExpiredJtisRemovesOnlyExpiredPairs) {
  ASSERT_TRUE(*store_->ConsumeJti("c", "expired", 100));
  ASSERT_TRUE(*store_->ConsumeJti("c", "boundary", 200));
  ASSERT_TRUE(*store_->ConsumeJti("c", "live", 300));
  auto purged = store_->PurgeExpiredJtis(200, 100);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(*purged, 1);
  EXPECT_FALSE(*store_->IsJtiUsed("c", "expired"));
  EXPECT_TRUE(*store_->IsJtiUsed("c", "boundary"));  // expires_at == now is not yet expired
  EXPECT_TRUE(*store_->IsJtiUsed("c", "live"));
  // A purged pair is new again; the kept ones are still replays.
  EXPECT_TRUE(*store_->ConsumeJti("c", "expired", 400));
  EXPECT_FALSE(*store_->ConsumeJti("c", "boundary", 400));
}

TEST_P(StoreContractTest, PurgeExpiredJtisRespectsTheBatchLimit) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(*store_->ConsumeJti("c", "old-" + std::to_string(i), 100 + i));
  }
  ASSERT_TRUE(*store_->ConsumeJti("c", "live-1", 5000));
  ASSERT_TRUE(*store_->ConsumeJti("c", "live-2", 6000));
  EXPECT_EQ(*store_->PurgeExpiredJtis(1000, 0), 0);
  EXPECT_EQ(*store_->PurgeExpiredJtis(1000, 4), 4);
  EXPECT_EQ(*store_->PurgeExpiredJtis(1000, 4), 4);
  EXPECT_EQ(*store_->PurgeExpiredJtis(1000, 4), 2);
  EXPECT_EQ(*store_->PurgeExpiredJtis(1000, 4), 0);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(*store_->IsJtiUsed("c", "old-" + std::to_string(i)));
  EXPECT_TRUE(*store_->IsJtiUsed("c", "live-1"));
  EXPECT_TRUE(*store_->IsJtiUsed("c", "live-2"));
  EXPECT_EQ(store_->PurgeExpiredJtis(1000, -1).status().code(), StatusCode::kInvalidArgument);
}

// ---- Revocation.

TEST_P(StoreContractTest, RevokeTokenIsIdempotent) {
  auto revoked = store_->IsRevoked("at-1");
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_FALSE(*revoked);
  ASSERT_TRUE(store_->RevokeToken("at-1", 2000).ok());
  EXPECT_TRUE(*store_->IsRevoked("at-1"));
  EXPECT_FALSE(*store_->IsRevoked("at-2"));
  EXPECT_TRUE(store_->RevokeToken("at-1", 2000).ok());
  EXPECT_TRUE(*store_->IsRevoked("at-1"));
  EXPECT_EQ(store_->RevokeToken("", 2000).code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreContractTest, RevokeTokenKeepsTheLaterExpiry) {
  ASSERT_TRUE(store_->RevokeToken("later-first", 500).ok());
  ASSERT_TRUE(store_->RevokeToken("later-first", 100).ok());
  ASSERT_TRUE(store_->RevokeToken("later-second", 100).ok());
  ASSERT_TRUE(store_->RevokeToken("later-second", 500).ok());
  EXPECT_EQ(*store_->PurgeExpiredRevocations(200, 100), 0);
  EXPECT_TRUE(*store_->IsRevoked("later-first"));
  EXPECT_TRUE(*store_->IsRevoked("later-second"));
  EXPECT_EQ(*store_->PurgeExpiredRevocations(501, 100), 2);
  EXPECT_FALSE(*store_->IsRevoked("later-first"));
}

TEST_P(StoreContractTest, PurgeExpiredRevocationsIsBoundedAndKeepsLiveOnes) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store_->RevokeToken("old-" + std::to_string(i), 10).ok());
  ASSERT_TRUE(store_->RevokeToken("boundary", 100).ok());
  ASSERT_TRUE(store_->RevokeToken("live", 1000).ok());
  EXPECT_EQ(*store_->PurgeExpiredRevocations(100, 3), 3);
  EXPECT_EQ(*store_->PurgeExpiredRevocations(100, 3), 2);
  EXPECT_EQ(*store_->PurgeExpiredRevocations(100, 3), 0);
  EXPECT_TRUE(*store_->IsRevoked("boundary"));
  EXPECT_TRUE(*store_->IsRevoked("live"));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(*store_->IsRevoked("old-" + std::to_string(i)));
  EXPECT_EQ(store_->PurgeExpiredRevocations(100, -1).status().code(), StatusCode::kInvalidArgument);
}

// ---- Audit.

TEST_P(StoreContractTest, AuditAssignsIdsAndListsNewestFirst) {
  ASSERT_TRUE(store_->AppendAudit(MakeEvent(100, "c1", "issued")).ok());
  AuditEvent with_id = MakeEvent(300, "c2", "rejected");
  with_id.id = 999999;  // ignored: the store assigns ids
  ASSERT_TRUE(store_->AppendAudit(with_id).ok());
  ASSERT_TRUE(store_->AppendAudit(MakeEvent(200, "c1", "issued")).ok());
  AuditEvent same_second = MakeEvent(300, "c3", "issued");
  ASSERT_TRUE(store_->AppendAudit(same_second).ok());

  auto events = store_->ListAudit(AuditFilter{});
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 4u);
  // Newest first; within one second, the later append first.
  EXPECT_EQ((*events)[0].client_id, "c3");
  EXPECT_EQ((*events)[1].client_id, "c2");
  EXPECT_EQ((*events)[2].time, 200);
  EXPECT_EQ((*events)[3].time, 100);
  std::set<int64_t> ids;
  for (const auto& e : *events) {
    EXPECT_GT(e.id, 0);
    ids.insert(e.id);
  }
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_NE((*events)[1].id, 999999);
  // Ids grow with each append.
  EXPECT_LT((*events)[3].id, (*events)[2].id);  // appended 1st, 3rd
  EXPECT_LT((*events)[1].id, (*events)[0].id);  // appended 2nd, 4th
  // Every field round-trips.
  AuditEvent expected = same_second;
  expected.id = (*events)[0].id;
  EXPECT_EQ((*events)[0], expected);
}

TEST_P(StoreContractTest, AuditBatchAppendsInOrder) {
  std::vector<AuditEvent> batch = {MakeEvent(10, "b1", "issued"), MakeEvent(10, "b2", "rejected"),
                                   MakeEvent(11, "b3", "issued")};
  ASSERT_TRUE(store_->AppendAudits(batch).ok());
  ASSERT_TRUE(store_->AppendAudits({}).ok());
  auto events = store_->ListAudit(AuditFilter{});
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].client_id, "b3");
  EXPECT_EQ((*events)[1].client_id, "b2");  // same second: the later append first
  EXPECT_EQ((*events)[2].client_id, "b1");
  EXPECT_LT((*events)[2].id, (*events)[1].id);
}

// Batches may travel as arrays: values an array's text form would quote or split (braces,
// commas, quotes, backslashes, NULL-like words, empty, non-ASCII) come back exactly.
TEST_P(StoreContractTest, BatchesKeepEveryValueExactly) {
  const std::vector<std::string> odd = {"{a,b}", "\"q\" \\ x", "NULL", "", "é ☃", " lead"};
  std::vector<AuditEvent> batch;
  batch.reserve(odd.size());
  for (std::size_t i = 0; i < odd.size(); ++i) {
    AuditEvent e = MakeEvent(static_cast<int64_t>(20 + i), odd[i], "rejected");
    e.ecid = odd[(i + 1) % odd.size()];
    e.subject = odd[(i + 2) % odd.size()];
    e.reason = odd[(i + 3) % odd.size()];
    batch.push_back(e);
  }
  ASSERT_TRUE(store_->AppendAudits(batch).ok());
  auto events = store_->ListAudit(AuditFilter{});
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), odd.size());
  for (std::size_t i = 0; i < odd.size(); ++i) {
    const AuditEvent& got = (*events)[odd.size() - 1 - i];  // newest first
    EXPECT_EQ(got.client_id, batch[i].client_id) << i;
    EXPECT_EQ(got.ecid, batch[i].ecid) << i;
    EXPECT_EQ(got.subject, batch[i].subject) << i;
    EXPECT_EQ(got.reason, batch[i].reason) << i;
  }

  std::vector<JtiRecord> jtis;
  jtis.reserve(odd.size());
  for (const std::string& v : odd) jtis.push_back({"iss " + v, v.empty() ? "{}" : v, 5000});
  auto fresh = store_->ConsumeJtis(jtis);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_EQ(*fresh, std::vector<bool>(odd.size(), true));
  for (const JtiRecord& r : jtis) EXPECT_FALSE(*store_->ConsumeJti(r.issuer, r.jti, 5000)) << r.jti;
}

TEST_P(StoreContractTest, PurgeAuditBeforeDeletesOnlyOlderEventsInBoundedBatches) {
  for (int64_t t : {100, 200, 200, 300, 400})
    ASSERT_TRUE(store_->AppendAudit(MakeEvent(t, "c", "issued")).ok());
  // Older than 300: the events at 100 and 200, at most 2 per call.
  auto first = store_->PurgeAuditBefore(300, 2);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, 2);
  auto second = store_->PurgeAuditBefore(300, 2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 1);
  auto none = store_->PurgeAuditBefore(300, 2);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  auto events = store_->ListAudit(AuditFilter{});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].time, 400);
  EXPECT_EQ((*events)[1].time, 300);  // time == before is kept
  EXPECT_EQ(store_->PurgeAuditBefore(300, -1).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreContractTest, AuditFiltersCombine) {
  ASSERT_TRUE(store_->AppendAudit(MakeEvent(100, "c1", "issued")).ok());
  ASSERT_TRUE(store_->AppendAudit(MakeEvent(200, "c1", "rejected")).ok());
  ASSERT_TRUE(store_->AppendAudit(MakeEvent(300, "c2", "issued")).ok());
  ASSERT_TRUE(store_->AppendAudit(MakeEvent(400, "c1", "issued")).ok());
  ASSERT_TRUE(store_->AppendAudit(MakeEvent(500, "c2", "rejected")).ok());
  auto times = [&](const AuditFilter& f) {
    std::vector<int64_t> out;
    auto events = store_->ListAudit(f);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    if (events.ok()) {
      for (const auto& e : *events) out.push_back(e.time);
    }
    return out;
  };
  AuditFilter f;
  f.client_id = "c1";
  EXPECT_THAT(times(f), ElementsAre(400, 200, 100));
  f = AuditFilter{};
  f.outcome = "rejected";
  EXPECT_THAT(times(f), ElementsAre(500, 200));
  f = AuditFilter{};
  f.since = 200;  // inclusive
  f.until = 400;  // inclusive
  EXPECT_THAT(times(f), ElementsAre(400, 300, 200));
  f = AuditFilter{};
  f.since = 401;
  EXPECT_THAT(times(f), ElementsAre(500));
  f = AuditFilter{};
  f.until = 199;
  EXPECT_THAT(times(f), ElementsAre(100));
  f = AuditFilter{};
  f.client_id = "c1";
  f.outcome = "issued";
  f.since = 150;
  EXPECT_THAT(times(f), ElementsAre(400));
  f = AuditFilter{};
  f.client_id = "nobody";
  EXPECT_THAT(times(f), IsEmpty());
}

TEST_P(StoreContractTest, AuditFiltersByGrantAndExactReasonCode) {
  auto add = [&](int64_t time, const std::string& grant, const std::string& reason) {
    AuditEvent e = MakeEvent(time, "c1", "rejected");
    e.grant = grant;
    e.reason = reason;
    ASSERT_TRUE(store_->AppendAudit(e).ok());
  };
  add(100, "client_credentials", "unknown_client: no app with client id 'x'");
  add(200, "client_credentials", "assertion_expired: assertion expired at 150");
  add(300, "jwt-bearer", "assertion_expired: assertion expired at 250 (via trust t1)");
  add(400, "jwt-bearer", "assertion_expired");  // a code with no detail
  add(500, "jwt-bearer", "assertion_expired_x: a longer code");
  add(600, "jwt-bearer", "note: assertion_expired");  // the code only in the free text
  add(700, "jwt-bearer", "assertion_expire: a shorter code");
  add(800, "jwt%bearer", "assertion%expired: wildcards");
  auto times = [&](const AuditFilter& f) {
    std::vector<int64_t> out;
    auto events = store_->ListAudit(f);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    if (events.ok()) {
      for (const auto& e : *events) out.push_back(e.time);
    }
    auto total = store_->CountAudit(f);
    EXPECT_TRUE(total.ok());
    if (total.ok()) {
      EXPECT_EQ(*total, static_cast<int64_t>(out.size()));
    }
    return out;
  };
  AuditFilter f;
  f.reason_code = "assertion_expired";
  EXPECT_THAT(times(f), ElementsAre(400, 300, 200));
  f.grant = "jwt-bearer";
  EXPECT_THAT(times(f), ElementsAre(400, 300));
  f.since = 350;
  EXPECT_THAT(times(f), ElementsAre(400));
  f = AuditFilter{};
  f.grant = "client_credentials";
  EXPECT_THAT(times(f), ElementsAre(200, 100));
  f = AuditFilter{};
  f.reason_code = "assertion";  // a prefix of a code is no code
  EXPECT_THAT(times(f), IsEmpty());
  f.reason_code = "assertion_expired_x";
  EXPECT_THAT(times(f), ElementsAre(500));
  f.reason_code = "assertion_expire";
  EXPECT_THAT(times(f), ElementsAre(700));
  // Neither filter is a pattern: '%' and '_' are ordinary characters.
  f.reason_code = "assertion%expired";
  EXPECT_THAT(times(f), ElementsAre(800));
  f.reason_code = "assertion_expired%";
  EXPECT_THAT(times(f), IsEmpty());
  f = AuditFilter{};
  f.grant = "jwt_bearer";
  EXPECT_THAT(times(f), IsEmpty());
  f.grant = "jwt%";
  EXPECT_THAT(times(f), IsEmpty());
}

TEST_P(StoreContractTest, CountRejectionsByReasonGroupsTheCodeWithinTheWindow) {
  auto add = [&](int64_t time, const std::string& outcome, const std::string& reason) {
    AuditEvent e = MakeEvent(time, "c1", outcome);
    e.reason = reason;
    ASSERT_TRUE(store_->AppendAudit(e).ok());
  };
  add(100, "rejected", "unknown_client: no app 'a'");
  add(150, "rejected", "unknown_client: no app 'b'");
  add(200, "rejected", "assertion_expired: at 10");
  add(210, "rejected", "assertion_expired: at 20 (via trust t: x)");
  add(220, "rejected", "assertion_expired");
  add(230, "rejected", "bad_client_secret: the secret does not match");
  add(240, "rejected", "assertion_audience_rejected: aud");
  add(250, "issued", "assertion_expired: an issued event never counts");
  add(260, "app.update", "unknown_client: nor an admin action");
  add(999, "rejected", "unknown_client: after the window");
  add(50, "rejected", "unknown_client: before the window");

  auto counts = store_->CountRejectionsByReason(100, 300, 10);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  // By count descending, then by code; both bounds inclusive.
  EXPECT_THAT(*counts,
              ElementsAre(ReasonCount{"assertion_expired", 3}, ReasonCount{"unknown_client", 2},
                          ReasonCount{"assertion_audience_rejected", 1},
                          ReasonCount{"bad_client_secret", 1}));
  auto bounded = store_->CountRejectionsByReason(100, 300, 2);
  ASSERT_TRUE(bounded.ok());
  EXPECT_THAT(*bounded,
              ElementsAre(ReasonCount{"assertion_expired", 3}, ReasonCount{"unknown_client", 2}));
  auto empty = store_->CountRejectionsByReason(400, 500, 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_THAT(*empty, IsEmpty());
  EXPECT_EQ(store_->CountRejectionsByReason(0, 1000, -1).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(StoreContractTest, AuditListIsBoundedByLimit) {
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(store_->AppendAudit(MakeEvent(i * 10, "c", "x")).ok());
  AuditFilter f;
  f.limit = 2;
  auto events = store_->ListAudit(f);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].time, 50);
  EXPECT_EQ((*events)[1].time, 40);
  f.limit = 0;
  events = store_->ListAudit(f);
  ASSERT_TRUE(events.ok());
  EXPECT_THAT(*events, IsEmpty());
  f.limit = -1;
  EXPECT_EQ(store_->ListAudit(f).status().code(), StatusCode::kInvalidArgument);
}

// ---- Concurrency across ports.

TEST_P(StoreContractTest, ConcurrentWritersAndReadersSeeTheirOwnWrites) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::atomic<int> failures{0};
  RunConcurrently(kThreads, [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string id = "u-" + std::to_string(t) + "-" + std::to_string(i);
      if (!store_->CreateUser(MakeUser(id, "name-" + id)).ok()) failures++;
      auto got = store_->GetUser(id);
      if (!got.ok() || got->user_name != "name-" + id) failures++;
      if (!store_->AppendAudit(MakeEvent(t * 1000 + i, id, "issued")).ok()) failures++;
      auto found = store_->FindUserByName("name-" + id);
      if (!found.ok() || found->id != id) failures++;
    }
  });
  EXPECT_EQ(failures.load(), 0);
  auto all = store_->ListUsers(0, kThreads * kPerThread + 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), static_cast<size_t>(kThreads * kPerThread));
  AuditFilter f;
  f.limit = 1000;
  auto events = store_->ListAudit(f);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), static_cast<size_t>(kThreads * kPerThread));
}

// ---- Certificate use and audit totals (appended with migration 004 / 003).

TEST_P(StoreContractTest, CertificateUseIsRecordedPerKindAndOnlyMovesForward) {
  ASSERT_TRUE(store_->PutCertificate(CertificateKind::kClient, MakeCert("a", "t1")).ok());
  ASSERT_TRUE(store_->PutCertificate(CertificateKind::kClient, MakeCert("b", "t2")).ok());
  ASSERT_TRUE(store_->PutCertificate(CertificateKind::kPartner, MakeCert("a", "t3")).ok());
  auto none = store_->ListCertificateUses(CertificateKind::kClient);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_THAT(*none, IsEmpty());  // never used: not listed

  ASSERT_TRUE(store_->RecordCertificateUse(CertificateKind::kClient, "a", 1000).ok());
  ASSERT_TRUE(store_->RecordCertificateUse(CertificateKind::kClient, "a", 900).ok());  // older
  ASSERT_TRUE(store_->RecordCertificateUse(CertificateKind::kPartner, "a", 50).ok());
  // An alias deleted since its use is no error, and creates nothing.
  ASSERT_TRUE(store_->RecordCertificateUse(CertificateKind::kClient, "gone", 1000).ok());
  auto uses = store_->ListCertificateUses(CertificateKind::kClient);
  ASSERT_TRUE(uses.ok()) << uses.status().ToString();
  EXPECT_EQ(*uses, (std::map<std::string, int64_t>{{"a", 1000}}));
  ASSERT_TRUE(store_->RecordCertificateUse(CertificateKind::kClient, "a", 1060).ok());
  ASSERT_TRUE(store_->RecordCertificateUse(CertificateKind::kClient, "b", 7).ok());
  uses = store_->ListCertificateUses(CertificateKind::kClient);
  ASSERT_TRUE(uses.ok());
  EXPECT_EQ(*uses, (std::map<std::string, int64_t>{{"a", 1060}, {"b", 7}}));
  auto partner = store_->ListCertificateUses(CertificateKind::kPartner);
  ASSERT_TRUE(partner.ok());
  EXPECT_EQ(*partner, (std::map<std::string, int64_t>{{"a", 50}}));
  // The record itself is unchanged by its use.
  auto got = store_->GetCertificate(CertificateKind::kClient, "a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, MakeCert("a", "t1"));
  // Deleting the certificate forgets its use.
  ASSERT_TRUE(store_->DeleteCertificate(CertificateKind::kClient, "a").ok());
  uses = store_->ListCertificateUses(CertificateKind::kClient);
  ASSERT_TRUE(uses.ok());
  EXPECT_EQ(*uses, (std::map<std::string, int64_t>{{"b", 7}}));
}

TEST_P(StoreContractTest, AuditCountIsTheTotalOfTheFilterWhateverTheLimit) {
  std::vector<AuditEvent> events;
  events.reserve(10);
  for (int i = 0; i < 7; ++i) events.push_back(MakeEvent(100 + i, "c1", "issued"));
  for (int i = 0; i < 3; ++i) events.push_back(MakeEvent(200 + i, "c2", "rejected"));
  ASSERT_TRUE(store_->AppendAudits(events).ok());
  AuditFilter all;
  all.limit = 2;
  auto total = store_->CountAudit(all);
  ASSERT_TRUE(total.ok()) << total.status().ToString();
  EXPECT_EQ(*total, 10);
  auto listed = store_->ListAudit(all);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);
  AuditFilter c1;
  c1.client_id = "c1";
  c1.since = 102;
  c1.until = 105;
  total = store_->CountAudit(c1);
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(*total, 4);
  AuditFilter rejected;
  rejected.outcome = "rejected";
  total = store_->CountAudit(rejected);
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(*total, 3);
  AuditFilter nobody;
  nobody.client_id = "nobody";
  total = store_->CountAudit(nobody);
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(*total, 0);
}

// ---- Console operators and sessions.

Operator MakeOperator(const std::string& id, const std::string& user_name) {
  Operator op;
  op.id = id;
  op.user_name = user_name;
  op.password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
  op.role = "administrator";
  op.active = true;
  op.created_at = 1000;
  op.updated_at = 1001;
  op.password_changed_at = 1002;
  return op;
}

ConsoleSession MakeSession(const std::string& id, const std::string& operator_id,
                           int64_t last_seen_at, int64_t expires_at) {
  return ConsoleSession{id, operator_id, 100, last_seen_at, expires_at};
}

TEST_P(StoreContractTest, OperatorRoundTripsAndNamesAreUnique) {
  const Operator alice = MakeOperator("op1", "alice");
  ASSERT_TRUE(store_->CreateOperator(alice).ok());
  auto got = store_->GetOperator("op1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, alice);
  got = store_->FindOperatorByName("alice");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, alice);
  EXPECT_EQ(store_->FindOperatorByName("Alice").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetOperator("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CreateOperator(MakeOperator("op2", "alice")).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateOperator(MakeOperator("op1", "bob")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateOperator(MakeOperator("", "carol")).code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreContractTest, OperatorListUpdateAndDelete) {
  ASSERT_TRUE(store_->CreateOperator(MakeOperator("op2", "zed")).ok());
  ASSERT_TRUE(store_->CreateOperator(MakeOperator("op1", "amy")).ok());
  auto list = store_->ListOperators();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].user_name, "amy");
  EXPECT_EQ((*list)[1].user_name, "zed");

  Operator changed = MakeOperator("op1", "amy");
  changed.password_hash = "$argon2id$other";
  changed.active = false;
  changed.created_at = 5;  // kept as stored
  changed.updated_at = 2000;
  changed.password_changed_at = 2000;
  ASSERT_TRUE(store_->UpdateOperator(changed).ok());
  auto got = store_->GetOperator("op1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->password_hash, "$argon2id$other");
  EXPECT_FALSE(got->active);
  EXPECT_EQ(got->created_at, 1000);
  EXPECT_EQ(got->updated_at, 2000);
  EXPECT_EQ(got->password_changed_at, 2000);
  EXPECT_EQ(store_->UpdateOperator(MakeOperator("absent", "x")).code(), StatusCode::kNotFound);
  changed.user_name = "zed";
  EXPECT_EQ(store_->UpdateOperator(changed).code(), StatusCode::kAlreadyExists);

  ASSERT_TRUE(store_->CreateConsoleSession(MakeSession("s1", "op1", 100, 500)).ok());
  ASSERT_TRUE(store_->CreateConsoleSession(MakeSession("s2", "op2", 100, 500)).ok());
  ASSERT_TRUE(store_->DeleteOperator("op1").ok());
  EXPECT_EQ(store_->GetOperator("op1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteOperator("op1").code(), StatusCode::kNotFound);
  // The operator's sessions went with them; the others stay.
  EXPECT_EQ(store_->GetConsoleSession("s1").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->GetConsoleSession("s2").ok());
  ASSERT_TRUE(store_->CreateOperator(MakeOperator("op3", "amy")).ok());
}

TEST_P(StoreContractTest, ConsoleSessionLifecycle) {
  const ConsoleSession s1 = MakeSession("s1", "op1", 150, 500);
  ASSERT_TRUE(store_->CreateConsoleSession(s1).ok());
  EXPECT_EQ(store_->CreateConsoleSession(s1).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateConsoleSession(MakeSession("", "op1", 1, 2)).code(),
            StatusCode::kInvalidArgument);
  auto got = store_->GetConsoleSession("s1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, s1);

  ASSERT_TRUE(store_->TouchConsoleSession("s1", 200).ok());
  ASSERT_TRUE(store_->TouchConsoleSession("s1", 180).ok());  // never backwards
  got = store_->GetConsoleSession("s1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->last_seen_at, 200);
  EXPECT_EQ(store_->TouchConsoleSession("absent", 200).code(), StatusCode::kNotFound);

  ASSERT_TRUE(store_->DeleteConsoleSession("s1").ok());
  EXPECT_EQ(store_->GetConsoleSession("s1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteConsoleSession("s1").code(), StatusCode::kNotFound);
}

TEST_P(StoreContractTest, ConsoleSessionsOfAnOperatorAreDeletedButTheKeptOne) {
  ASSERT_TRUE(store_->CreateConsoleSession(MakeSession("a", "op1", 100, 500)).ok());
  ASSERT_TRUE(store_->CreateConsoleSession(MakeSession("b", "op1", 100, 500)).ok());
  ASSERT_TRUE(store_->CreateConsoleSession(MakeSession("c", "op1", 100, 500)).ok());
  ASSERT_TRUE(store_->CreateConsoleSession(MakeSession("d", "op2", 100, 500)).ok());
  auto n = store_->DeleteOperatorSessions("op1", "b");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  EXPECT_TRUE(store_->GetConsoleSession("b").ok());
  EXPECT_TRUE(store_->GetConsoleSession("d").ok());
  EXPECT_FALSE(store_->GetConsoleSession("a").ok());
  n = store_->DeleteOperatorSessions("op1", "");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
}

TEST_P(StoreContractTest, ConsoleSessionPurgeTakesExpiredAndIdleInBoundedBatches) {
  // now = 1000, idle_before = 900.
  ASSERT_TRUE(store_->CreateConsoleSession(MakeSession("expired", "op", 990, 1000)).ok());
  ASSERT_TRUE(store_->CreateConsoleSession(MakeSession("idle", "op", 899, 5000)).ok());
  ASSERT_TRUE(store_->CreateConsoleSession(MakeSession("live", "op", 900, 1001)).ok());
  auto n = store_->PurgeConsoleSessions(1000, 900, 1);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  n = store_->PurgeConsoleSessions(1000, 900, 10);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_FALSE(store_->GetConsoleSession("expired").ok());
  EXPECT_FALSE(store_->GetConsoleSession("idle").ok());
  EXPECT_TRUE(store_->GetConsoleSession("live").ok());
  EXPECT_EQ(store_->PurgeConsoleSessions(1000, 900, -1).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tessera::store
