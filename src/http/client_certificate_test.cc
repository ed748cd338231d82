#include "http/client_certificate.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>

namespace tessera::http {
namespace {

// ------------------------------------------------------------------ networks

TEST(IpNetworkTest, ParsesAddressesAndNetworks) {
  Result<IpNetwork> one = ParseIpNetwork("127.0.0.1");
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_FALSE(one->v6);
  EXPECT_EQ(one->prefix, 32);
  EXPECT_TRUE(one->Contains("127.0.0.1"));
  EXPECT_FALSE(one->Contains("127.0.0.2"));

  Result<IpNetwork> ten = ParseIpNetwork("10.0.0.0/8");
  ASSERT_TRUE(ten.ok());
  EXPECT_TRUE(ten->Contains("10.255.1.2"));
  EXPECT_FALSE(ten->Contains("11.0.0.1"));
  // A dual-stack listener reports IPv4 peers as IPv4-mapped IPv6 addresses.
  EXPECT_TRUE(ten->Contains("::ffff:10.1.2.3"));
  EXPECT_FALSE(ten->Contains("::ffff:11.1.2.3"));

  Result<IpNetwork> v6 = ParseIpNetwork("2001:db8::/32");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->v6);
  EXPECT_TRUE(v6->Contains("2001:db8:1::5"));
  EXPECT_FALSE(v6->Contains("2001:db9::5"));
  EXPECT_FALSE(v6->Contains("10.0.0.1"));  // families never mix

  Result<IpNetwork> loopback6 = ParseIpNetwork("::1");
  ASSERT_TRUE(loopback6.ok());
  EXPECT_EQ(loopback6->prefix, 128);
  EXPECT_TRUE(loopback6->Contains("::1"));
  EXPECT_FALSE(loopback6->Contains("127.0.0.1"));

  Result<IpNetwork> odd = ParseIpNetwork("192.168.4.0/22");  // a prefix not on a byte boundary
  ASSERT_TRUE(odd.ok());
  EXPECT_TRUE(odd->Contains("192.168.7.255"));
  EXPECT_FALSE(odd->Contains("192.168.8.0"));

  Result<IpNetwork> all = ParseIpNetwork("0.0.0.0/0");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->Contains("203.0.113.9"));
  EXPECT_FALSE(all->Contains("::2"));
}

TEST(IpNetworkTest, RefusesWhatIsNoNetwork) {
  for (const char* bad : {"", "proxy.example.com", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1",
                          "10.0.0.0/8/8", "10.0.0.0/ 8", "::1/129", "10.0.0.1/8", "2001:db8::1/32",
                          "fe80::1%eth0", "300.1.1.1", "10.0.0.0/0008"}) {
    Result<IpNetwork> n = ParseIpNetwork(bad);
    EXPECT_FALSE(n.ok()) << bad;
    if (!n.ok()) {
      EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST(IpNetworkTest, NoAddressIsInAnyNetwork) {
  std::vector<IpNetwork> networks = {*ParseIpNetwork("127.0.0.0/8"), *ParseIpNetwork("::1")};
  EXPECT_TRUE(InAnyNetwork(networks, "127.0.0.2"));
  EXPECT_TRUE(InAnyNetwork(networks, "::1"));
  EXPECT_FALSE(InAnyNetwork(networks, "192.0.2.1"));
  EXPECT_FALSE(InAnyNetwork(networks, ""));
  EXPECT_FALSE(InAnyNetwork(networks, "localhost"));
  EXPECT_FALSE(InAnyNetwork({}, "127.0.0.1"));
}

// ------------------------------------------------------------------ certificates for the tests

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

KeyPtr NewKey() { return KeyPtr(EVP_EC_gen("P-256"), EVP_PKEY_free); }

// A certificate for `key` named CN=`cn`, signed by `issuer_key` (and named by `issuer`; null:
// self-signed), valid from now + `from` to now + `to` seconds.
CertPtr MakeCert(const std::string& cn, EVP_PKEY* key, EVP_PKEY* issuer_key, X509* issuer, bool ca,
                 long from = -3600, long to = 86400) {
  CertPtr cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), from);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), to);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints,
                                            ca ? "critical,CA:TRUE" : "CA:FALSE");
  X509_add_ext(cert.get(), ext, -1);
  X509_EXTENSION_free(ext);
  if (ca) {
    ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert.get(), issuer_key, EVP_sha256());
  return cert;
}

std::string Der(X509* cert) {
  const int n = i2d_X509(cert, nullptr);
  std::string out(static_cast<std::size_t>(n), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  i2d_X509(cert, &p);
  return out;
}

std::string Pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

// What nginx's $ssl_client_escaped_cert writes: every byte outside RFC 3986's unreserved set
// percent-encoded.
std::string Escape(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

struct Pki {
  KeyPtr ca_key = NewKey();
  CertPtr ca = MakeCert("Test Client CA", ca_key.get(), ca_key.get(), nullptr, true);
  KeyPtr client_key = NewKey();
  CertPtr client = MakeCert("client.example.com", client_key.get(), ca_key.get(), ca.get(), false);
};

// ------------------------------------------------------------------ the forwarded header

TEST(ForwardedCertificateTest, DecodesNginxEscapedPem) {
  Pki pki;
  const std::string pem = Pem(pki.client.get());
  Result<std::string> der = DecodeForwardedCertificate(Escape(pem));
  ASSERT_TRUE(der.ok()) << der.status().message();
  EXPECT_EQ(*der, Der(pki.client.get()));
  // A proxy that escapes less (spaces and newlines only) decodes to the same certificate.
  std::string light;
  for (char c : pem) {
    light += c == '\n' ? std::string("%0A") : c == ' ' ? std::string("%20") : std::string(1, c);
  }
  ASSERT_TRUE(DecodeForwardedCertificate(light).ok());
  EXPECT_EQ(*DecodeForwardedCertificate(light), Der(pki.client.get()));
}

TEST(ForwardedCertificateTest, EmptyMeansNoCertificate) {
  Result<std::string> none = DecodeForwardedCertificate("");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
}

TEST(ForwardedCertificateTest, RefusesBadEscaping) {
  Pki pki;
  const std::string good = Escape(Pem(pki.client.get()));
  for (const std::string& bad :
       {good + "%", good + "%0", good.substr(0, 20) + "%G0" + good.substr(20),
        std::string("%2D%2D%2D%2D%2DBEGIN%zz")}) {
    Result<std::string> der = DecodeForwardedCertificate(bad);
    ASSERT_FALSE(der.ok());
    EXPECT_EQ(der.status().code(), StatusCode::kInvalidArgument);
  }
  // '+' is not a space here (this is not a form): a base64 '+' decodes as itself, and a '+'
  // put in place of an escaped space breaks the armour.
  std::string plus = good;
  for (std::size_t at = plus.find("%20"); at != std::string::npos; at = plus.find("%20")) {
    plus.replace(at, 3, "+");
  }
  EXPECT_FALSE(DecodeForwardedCertificate(plus).ok());
}

TEST(ForwardedCertificateTest, RefusesTwoCertificatesAndOtherBlocks) {
  Pki pki;
  const std::string leaf = Pem(pki.client.get());
  const std::string ca = Pem(pki.ca.get());
  Result<std::string> two = DecodeForwardedCertificate(Escape(leaf + ca));
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(two.status().message().find("more than one"), std::string::npos)
      << two.status().message();
  EXPECT_FALSE(DecodeForwardedCertificate(Escape("junk\n" + leaf)).ok());
  EXPECT_FALSE(DecodeForwardedCertificate(Escape(leaf + "junk")).ok());
  EXPECT_FALSE(DecodeForwardedCertificate(
                   Escape("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
                   .ok());
  // Base64 of something that is not a certificate, and a certificate with bytes after it.
  EXPECT_FALSE(
      DecodeForwardedCertificate(
          Escape("-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----"))
          .ok());
  EXPECT_FALSE(DecodeForwardedCertificate(
                   Escape("-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----"))
                   .ok());
  std::string padded = Der(pki.client.get()) + std::string(3, '\0');
  BIO* b64 = BIO_new(BIO_f_base64());
  BIO* mem = BIO_new(BIO_s_mem());
  BIO_push(b64, mem);
  BIO_write(b64, padded.data(), static_cast<int>(padded.size()));
  (void)BIO_flush(b64);
  char* data = nullptr;
  const long n = BIO_get_mem_data(mem, &data);
  const std::string body(data, static_cast<std::size_t>(n));
  BIO_free_all(b64);
  Result<std::string> trailing = DecodeForwardedCertificate(
      Escape("-----BEGIN CERTIFICATE-----\n" + body + "-----END CERTIFICATE-----\n"));
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.status().message().find("not one DER"), std::string::npos)
      << trailing.status().message();
}

TEST(ForwardedCertificateTest, RefusesOversizedValues) {
  Pki pki;
  std::string huge = Escape(Pem(pki.client.get()));
  huge += std::string(kMaxForwardedCertificateBytes, 'A');
  Result<std::string> der = DecodeForwardedCertificate(huge);
  ASSERT_FALSE(der.ok());
  EXPECT_NE(der.status().message().find("larger than"), std::string::npos);
  // Under the header limit but decoding to more DER than a client certificate may have.
  std::string big_body;
  for (std::size_t i = 0; i < (kMaxClientCertificateBytes + 3) / 3 * 4 + 8; i += 64) {
    big_body += std::string(64, 'A') + "\n";
  }
  Result<std::string> big = DecodeForwardedCertificate("-----BEGIN CERTIFICATE-----\n" + big_body +
                                                       "-----END CERTIFICATE-----");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kInvalidArgument);
}

// ------------------------------------------------------------------ the client CA

class ClientCaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One file per test and process: CTest runs the tests of this file in parallel processes.
    path_ = ::testing::TempDir() + "/tessera_client_ca_test." +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + "." +
            std::to_string(::getpid()) + ".pem";
    std::ofstream(path_) << Pem(pki_.ca.get());
  }
  void TearDown() override { std::remove(path_.c_str()); }

  Pki pki_;
  std::string path_;
  int64_t now_ = static_cast<int64_t>(std::time(nullptr));
};

TEST_F(ClientCaTest, ChainsOnlyCertificatesItIssued) {
  Result<std::shared_ptr<const ClientCa>> ca = ClientCa::Load(path_);
  ASSERT_TRUE(ca.ok()) << ca.status().message();
  EXPECT_TRUE((*ca)->Chains(Der(pki_.client.get()), {}, now_));

  // Self-signed, and issued by another CA of the same name: neither chains.
  KeyPtr own = NewKey();
  CertPtr self = MakeCert("client.example.com", own.get(), own.get(), nullptr, false);
  EXPECT_FALSE((*ca)->Chains(Der(self.get()), {}, now_));
  KeyPtr other_key = NewKey();
  CertPtr other_ca = MakeCert("Test Client CA", other_key.get(), other_key.get(), nullptr, true);
  CertPtr forged =
      MakeCert("client.example.com", own.get(), other_key.get(), other_ca.get(), false);
  EXPECT_FALSE((*ca)->Chains(Der(forged.get()), {}, now_));
  // Time is passed in: outside the leaf's validity it does not chain.
  EXPECT_FALSE((*ca)->Chains(Der(pki_.client.get()), {}, now_ + 2 * 86400));
  EXPECT_FALSE((*ca)->Chains(Der(pki_.client.get()), {}, now_ - 2 * 3600));
  // Garbage is no certificate.
  EXPECT_FALSE((*ca)->Chains("not DER", {}, now_));
  EXPECT_FALSE((*ca)->Chains("", {}, now_));
}

TEST_F(ClientCaTest, IntermediatesHelpButAreNotTrusted) {
  Result<std::shared_ptr<const ClientCa>> ca = ClientCa::Load(path_);
  ASSERT_TRUE(ca.ok());
  KeyPtr mid_key = NewKey();
  CertPtr mid = MakeCert("Issuing CA", mid_key.get(), pki_.ca_key.get(), pki_.ca.get(), true);
  KeyPtr leaf_key = NewKey();
  CertPtr leaf = MakeCert("deep.example.com", leaf_key.get(), mid_key.get(), mid.get(), false);
  EXPECT_FALSE((*ca)->Chains(Der(leaf.get()), {}, now_));
  EXPECT_TRUE((*ca)->Chains(Der(leaf.get()), {Der(mid.get())}, now_));
  EXPECT_FALSE((*ca)->Chains(Der(leaf.get()), {"garbage"}, now_));
  // A self-made "intermediate" is not an anchor.
  KeyPtr rogue_key = NewKey();
  CertPtr rogue = MakeCert("Issuing CA", rogue_key.get(), rogue_key.get(), nullptr, true);
  CertPtr rogue_leaf =
      MakeCert("deep.example.com", leaf_key.get(), rogue_key.get(), rogue.get(), false);
  EXPECT_FALSE((*ca)->Chains(Der(rogue_leaf.get()), {Der(rogue.get())}, now_));
}

TEST_F(ClientCaTest, LoadNamesTheFileItCannotUse) {
  Result<std::shared_ptr<const ClientCa>> missing = ClientCa::Load(path_ + ".missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find(path_ + ".missing"), std::string::npos);
  std::ofstream(path_) << "no certificate here\n";
  Result<std::shared_ptr<const ClientCa>> empty = ClientCa::Load(path_);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tessera::http
