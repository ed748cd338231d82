#include "oauth/tls_client_auth.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

namespace tessera::oauth {
namespace {

struct Entry {
  const char* type;
  std::string value;
  int set_with_previous = 0;  // 1: joins the previous entry's RDN (multi-valued)
};

// A self-signed certificate whose subject has `entries` in ASN.1 order (most significant
// first, as OpenSSL's "/C=US/O=Example/CN=client" lists them), with `sans` as dNSName entries.
std::string MakeCert(const std::vector<Entry>& entries, const std::vector<std::string>& sans = {},
                     int string_type = MBSTRING_UTF8) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const Entry& e : entries) {
    EXPECT_EQ(X509_NAME_add_entry_by_txt(
                  name, e.type, string_type, reinterpret_cast<const unsigned char*>(e.value.data()),
                  static_cast<int>(e.value.size()), -1, e.set_with_previous ? -1 : 0),
              1)
        << e.type;
  }
  X509_set_issuer_name(cert.get(), name);
  if (!sans.empty()) {
    std::string list;
    for (const std::string& s : sans) list += (list.empty() ? "DNS:" : ",DNS:") + s;
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, list.c_str());
    EXPECT_NE(ext, nullptr);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert.get(), key.get(), EVP_sha256());
  const int n = i2d_X509(cert.get(), nullptr);
  std::string der(static_cast<std::size_t>(n), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(cert.get(), &p);
  return der;
}

const std::vector<Entry> kClient = {
    {"C", "US"}, {"O", "Example Corp"}, {"OU", "Batch Jobs"}, {"CN", "client.example.com"}};

TEST(SubjectDnTest, MatchesInRfc4514Order) {
  const std::string der = MakeCert(kClient);
  EXPECT_EQ(CertificateSubjectText(der), "CN=client.example.com,OU=Batch Jobs,O=Example Corp,C=US");
  EXPECT_TRUE(SubjectDnMatches("CN=client.example.com,OU=Batch Jobs,O=Example Corp,C=US", der));
  // The reverse (OpenSSL's oneline) order names another DN.
  EXPECT_FALSE(SubjectDnMatches("C=US,O=Example Corp,OU=Batch Jobs,CN=client.example.com", der));
  // A prefix or a superset is not the subject.
  EXPECT_FALSE(SubjectDnMatches("CN=client.example.com", der));
  EXPECT_FALSE(
      SubjectDnMatches("CN=client.example.com,OU=Batch Jobs,O=Example Corp,C=US,DC=x", der));
  EXPECT_FALSE(SubjectDnMatches("CN=other.example.com,OU=Batch Jobs,O=Example Corp,C=US", der));
}

TEST(SubjectDnTest, NormalisesTypesSpacesCaseAndEscapes) {
  const std::string der = MakeCert(kClient);
  for (const char* same : {
           "cn=client.example.com,ou=batch jobs,o=example corp,c=us",
           "CN = client.example.com , OU = Batch  Jobs, O=Example Corp, C=US",
           // One DN in two literals.
           // NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
           "commonName=client.example.com,organizationalUnitName=Batch Jobs,organizationName="
           "Example Corp,countryName=US",
           "2.5.4.3=client.example.com,2.5.4.11=Batch Jobs,2.5.4.10=Example Corp,2.5.4.6=US",
           "OID.2.5.4.3=client.example.com,OU=Batch Jobs,O=Example Corp,C=US",
           "CN=client\\2Eexample.com,OU=Batch\\20Jobs,O=Example Corp;C=US",
       }) {
    EXPECT_TRUE(SubjectDnMatches(same, der)) << same;
  }
}

TEST(SubjectDnTest, EscapedSpecialCharactersAndMultiValuedRdns) {
  const std::string comma = MakeCert({{"O", "Example, Inc."}, {"CN", "a+b=c"}});
  EXPECT_TRUE(SubjectDnMatches("CN=a\\+b\\=c,O=Example\\, Inc.", comma));
  EXPECT_TRUE(SubjectDnMatches("CN=a\\2Bb\\3Dc,O=Example\\2C Inc.", comma));
  // Unescaped, the ',' splits the value into another RDN with no '=': refused, so no match.
  EXPECT_FALSE(SubjectDnMatches("CN=a\\+b\\=c,O=Example, Inc.", comma));

  const std::string multi = MakeCert({{"O", "Example"}, {"CN", "svc"}, {"UID", "42", 1}});
  EXPECT_TRUE(SubjectDnMatches("CN=svc+UID=42,O=Example", multi));
  EXPECT_TRUE(SubjectDnMatches("UID=42+CN=svc,O=Example", multi));   // a set: any order
  EXPECT_FALSE(SubjectDnMatches("CN=svc,UID=42,O=Example", multi));  // two RDNs, not one
}

TEST(SubjectDnTest, Utf8ValuesAndStringTypes) {
  const std::string der = MakeCert({{"O", "Zürich AG"}, {"CN", "Ünïcode"}});
  EXPECT_TRUE(SubjectDnMatches("CN=Ünïcode,O=Zürich AG", der));
  EXPECT_TRUE(SubjectDnMatches("CN=\\C3\\9Cn\\C3\\AFcode,O=Z\\C3\\BCrich AG", der));
  // Only ASCII letters are case-folded.
  EXPECT_FALSE(SubjectDnMatches("CN=ünïcode,O=Zürich AG", der));
  // A BMPString subject compares by its characters, not its encoding.
  const std::string bmp =
      MakeCert({{"CN", std::string("\0c\0l\0i\0e\0n\0t", 12)}}, {}, V_ASN1_BMPSTRING);
  EXPECT_TRUE(SubjectDnMatches("CN=client", bmp));
}

TEST(SubjectDnTest, RefusesMalformedConfiguredNames) {
  const std::string der = MakeCert(kClient);
  for (const char* bad : {"", "CN", "CN=client.example.com,", "XX=1", "CN=#0403616263", "CN=a\\",
                          "CN=a\\zz", "CN=a\"b", "CN=a<b", "=x"}) {
    EXPECT_FALSE(ParseDistinguishedName(bad).ok() && !ParseDistinguishedName(bad)->empty()) << bad;
    EXPECT_FALSE(SubjectDnMatches(bad, der)) << bad;
  }
  EXPECT_FALSE(ParseDistinguishedName(std::string(5000, 'a')).ok());
  std::string many;
  for (int i = 0; i < 70; ++i) many += (many.empty() ? "" : ",") + std::string("CN=x");
  EXPECT_FALSE(ParseDistinguishedName(many).ok());
  EXPECT_FALSE(SubjectDnMatches("CN=client", "not a certificate"));
}

TEST(SanDnsTest, MatchesOneDnsNameExactly) {
  const std::string der =
      MakeCert({{"CN", "not-the-san"}}, {"client.example.com", "*.jobs.example.com"});
  EXPECT_TRUE(SanDnsMatches("client.example.com", der));
  EXPECT_TRUE(SanDnsMatches("Client.Example.COM", der));
  EXPECT_TRUE(SanDnsMatches("client.example.com.", der));
  EXPECT_TRUE(SanDnsMatches("*.jobs.example.com", der));
  // No wildcard expansion, no suffix match, and the subject's CN is not a SAN.
  EXPECT_FALSE(SanDnsMatches("a.jobs.example.com", der));
  EXPECT_FALSE(SanDnsMatches("example.com", der));
  EXPECT_FALSE(SanDnsMatches("not-the-san", der));
  EXPECT_FALSE(SanDnsMatches("", der));
  EXPECT_FALSE(SanDnsMatches("client.example.com", MakeCert({{"CN", "client.example.com"}})));
  EXPECT_FALSE(SanDnsMatches("client.example.com", "garbage"));
}

}  // namespace
}  // namespace tessera::oauth
