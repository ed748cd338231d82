#include "oauth/tls_client_auth.h"

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <memory>

#include "jose/openssl_util.h"

namespace tessera::oauth {
namespace {

constexpr std::size_t kMaxDnLength = 4096;
constexpr std::size_t kMaxRdns = 64;

using GeneralNamesPtr =
    std::unique_ptr<GENERAL_NAMES,
                    decltype([](GENERAL_NAMES* names) { GENERAL_NAMES_free(names); })>;
using ObjectPtr = std::unique_ptr<ASN1_OBJECT, jose::Deleter<ASN1_OBJECT_free>>;

// The attribute types a DN names by name (RFC 4519 and the PKCS #9 email address); any other
// type is written as its dotted OID.
constexpr std::array kNamedTypes = {
    NID_commonName,
    NID_countryName,
    NID_localityName,
    NID_stateOrProvinceName,
    NID_streetAddress,
    NID_organizationName,
    NID_organizationalUnitName,
    NID_domainComponent,
    NID_userId,
    NID_pkcs9_emailAddress,
    NID_serialNumber,
    NID_title,
    NID_surname,
    NID_givenName,
    NID_initials,
    NID_generationQualifier,
    NID_dnQualifier,
    NID_pseudonym,
    NID_businessCategory,
    NID_postalCode,
};

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

std::string OidText(const ASN1_OBJECT* obj) {
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof(buf)) return {};
  return std::string(buf, static_cast<std::size_t>(n));
}

// The dotted OID of an attribute type written by name (case-insensitive) or as an OID.
Result<std::string> TypeOid(std::string_view type) {
  for (int nid : kNamedTypes) {
    const char* sn = OBJ_nid2sn(nid);
    const char* ln = OBJ_nid2ln(nid);
    if ((sn != nullptr && IEquals(type, sn)) || (ln != nullptr && IEquals(type, ln))) {
      return OidText(OBJ_nid2obj(nid));
    }
  }
  std::string_view digits = type;
  if (digits.size() > 4 && IEquals(digits.substr(0, 4), "oid.")) digits.remove_prefix(4);
  const bool numeric = !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.';
  });
  if (numeric && digits.size() < 100) {
    ObjectPtr obj(OBJ_txt2obj(std::string(digits).c_str(), 1));
    jose::ClearOpenSslErrors();
    if (obj != nullptr) return OidText(obj.get());
  }
  return Status::InvalidArgument("unknown attribute type '" + std::string(type.substr(0, 64)) +
                                 "'");
}

// Leading and trailing spaces dropped, inner runs made one, ASCII letters lower-cased.
std::string NormalizeValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool space = false;
  for (char c : value) {
    if (c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(Lower(c));
  }
  return out;
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

void SortRdn(Rdn& rdn) { std::sort(rdn.begin(), rdn.end()); }

std::string Hostname(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) out.push_back(Lower(c));
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

jose::X509Ptr ParseDer(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  jose::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    jose::ClearOpenSslErrors();
    return nullptr;
  }
  return cert;
}

}  // namespace

Result<DistinguishedName> ParseDistinguishedName(std::string_view text) {
  if (text.size() > kMaxDnLength) {
    return Status::InvalidArgument("distinguished name longer than 4096 characters");
  }
  DistinguishedName dn;
  if (TrimSpaces(text).empty()) return dn;
  Rdn rdn;
  std::size_t i = 0;
  while (true) {
    // attributeType "="
    const std::size_t eq = text.find('=', i);
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("distinguished name: an attribute without '='");
    }
    TESSERA_ASSIGN_OR_RETURN(std::string oid, TypeOid(TrimSpaces(text.substr(i, eq - i))));
    i = eq + 1;
    while (i < text.size() && text[i] == ' ') ++i;
    if (i < text.size() && text[i] == '#') {
      return Status::InvalidArgument(
          "distinguished name: the '#' (BER) form of a value is not supported");
    }
    // RFC 4514 2.4 / 3: the value, escapes resolved, up to an unescaped ',' '+' or the end.
    std::string value;
    char end = '\0';
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (c == ',' || c == '+' || c == ';') {
        end = c == ';' ? ',' : c;  // RFC 4514 4: ';' was a separator in RFC 1779
        ++i;
        break;
      }
      if (c != '\\') {
        if (c == '"' || c == '<' || c == '>' || c == '=') {
          return Status::InvalidArgument(std::string("distinguished name: unescaped '") + c +
                                         "' in a value");
        }
        value.push_back(c);
        continue;
      }
      if (i + 1 >= text.size()) {
        return Status::InvalidArgument("distinguished name: '\\' at the end");
      }
      const char next = text[i + 1];
      if (std::string_view(" \"#+,;<=>\\").find(next) != std::string_view::npos) {
        value.push_back(next);
        ++i;
        continue;
      }
      const int hi = Hex(next);
      const int lo = i + 2 < text.size() ? Hex(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument("distinguished name: bad escape after '\\'");
      }
      value.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
    rdn.emplace_back(std::move(oid), NormalizeValue(value));
    if (end != '+') {
      SortRdn(rdn);
      dn.push_back(std::move(rdn));
      rdn.clear();
      if (dn.size() > kMaxRdns) {
        return Status::InvalidArgument("distinguished name: more than 64 RDNs");
      }
    }
    if (end == '\0') break;
  }
  return dn;
}

Result<DistinguishedName> CertificateSubject(std::string_view der) {
  jose::X509Ptr cert = ParseDer(der);
  if (cert == nullptr) return Status::InvalidArgument("not a DER X.509 certificate");
  const X509_NAME* name = X509_get_subject_name(cert.get());
  const int count = X509_NAME_entry_count(name);
  DistinguishedName dn;
  int set = -1;
  // RFC 4514 2.1: the last RDN of the ASN.1 sequence first.
  for (int i = count - 1; i >= 0; --i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    if (X509_NAME_ENTRY_set(entry) != set || dn.empty()) {
      if (!dn.empty()) SortRdn(dn.back());
      dn.emplace_back();
      set = X509_NAME_ENTRY_set(entry);
    }
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    if (n < 0) {
      jose::ClearOpenSslErrors();
      return Status::InvalidArgument("certificate subject: a value that is not text");
    }
    std::string value(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
    OPENSSL_free(utf8);
    dn.back().emplace_back(OidText(X509_NAME_ENTRY_get_object(entry)), NormalizeValue(value));
  }
  if (!dn.empty()) SortRdn(dn.back());
  return dn;
}

std::string CertificateSubjectText(std::string_view der) {
  jose::X509Ptr cert = ParseDer(der);
  if (cert == nullptr) return "(unreadable)";
  jose::BioPtr bio(BIO_new(BIO_s_mem()));
  // RFC 4514 order, UTF-8 kept as such (no \XX for non-ASCII bytes).
  const unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
  if (bio == nullptr ||
      X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert.get()), 0, flags) < 0) {
    jose::ClearOpenSslErrors();
    return "(unreadable)";
  }
  return jose::BioContents(bio.get());
}

bool SubjectDnMatches(std::string_view configured, std::string_view der) {
  Result<DistinguishedName> want = ParseDistinguishedName(configured);
  if (!want.ok() || want->empty()) return false;
  Result<DistinguishedName> have = CertificateSubject(der);
  return have.ok() && *have == *want;
}

bool SanDnsMatches(std::string_view configured, std::string_view der) {
  const std::string want = Hostname(configured);
  if (want.empty()) return false;
  jose::X509Ptr cert = ParseDer(der);
  if (cert == nullptr) return false;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  jose::ClearOpenSslErrors();
  if (names == nullptr) return false;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_DNS) continue;
    const ASN1_IA5STRING* dns = name->d.dNSName;
    const std::string_view have(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                static_cast<std::size_t>(ASN1_STRING_length(dns)));
    // A NUL inside a name is an old trick against C string compares; never a match.
    if (have.find('\0') != std::string_view::npos) continue;
    if (Hostname(have) == want) return true;
  }
  return false;
}

}  // namespace tessera::oauth
