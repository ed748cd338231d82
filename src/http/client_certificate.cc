#include "http/client_certificate.h"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "jose/base64url.h"
#include "jose/openssl_util.h"

namespace tessera::http {
namespace {

constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
// A chain longer than this is not a client certificate's (RFC 5280 allows more; nobody uses it).
constexpr int kMaxChainDepth = 8;

using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, jose::Deleter<X509_STORE_CTX_free>>;
using X509StackPtr =
    std::unique_ptr<STACK_OF(X509),
                    decltype([](STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); })>;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// The address as 16 bytes (IPv4 in the first 4), and whether it is IPv6; false when `text` is
// no address. An IPv4-mapped IPv6 address is returned as its IPv4 address.
bool ParseAddress(std::string_view text, std::array<unsigned char, 16>& out, bool& v6) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  const std::string s(text);
  out.fill(0);
  if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
    v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), out.data()) != 1) return false;
  constexpr std::array<unsigned char, 12> kMapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped.begin(), kMapped.end(), out.begin())) {
    std::memmove(out.data(), out.data() + 12, 4);
    std::fill(out.begin() + 4, out.end(), 0);
    v6 = false;
    return true;
  }
  v6 = true;
  return true;
}

// Whether the first `bits` bits of a and b agree.
bool PrefixEqual(const std::array<unsigned char, 16>& a, const std::array<unsigned char, 16>& b,
                 int bits) {
  const int whole = bits / 8;
  if (!std::equal(a.begin(), a.begin() + whole, b.begin())) return false;
  const int rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

bool IpNetwork::Contains(std::string_view text) const {
  std::array<unsigned char, 16> other{};
  bool other_v6 = false;
  if (!ParseAddress(text, other, other_v6) || other_v6 != v6) return false;
  return PrefixEqual(address, other, prefix);
}

Result<IpNetwork> ParseIpNetwork(std::string_view text) {
  const std::string quoted = "'" + std::string(text.substr(0, 64)) + "'";
  const std::size_t slash = text.find('/');
  IpNetwork net;
  // An IPv4-mapped address is its IPv4 address, with an IPv4 prefix length.
  if (!ParseAddress(text.substr(0, slash), net.address, net.v6)) {
    return Status::InvalidArgument("trusted proxy " + quoted + ": not an IP address or network");
  }
  const int max = net.v6 ? 128 : 32;
  net.prefix = max;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    int prefix = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || digits.size() > 3 || ec != std::errc() ||
        end != digits.data() + digits.size() || prefix < 0 || prefix > max) {
      return Status::InvalidArgument("trusted proxy " + quoted + ": prefix length must be 0 to " +
                                     std::to_string(max));
    }
    net.prefix = prefix;
  }
  std::array<unsigned char, 16> zero_host = net.address;
  for (int bit = net.prefix; bit < max; ++bit) {
    zero_host[bit / 8] &= static_cast<unsigned char>(~(0x80 >> (bit % 8)));
  }
  if (zero_host != net.address) {
    return Status::InvalidArgument("trusted proxy " + quoted +
                                   ": host bits set beyond the prefix length");
  }
  return net;
}

bool InAnyNetwork(const std::vector<IpNetwork>& networks, std::string_view address) {
  return std::any_of(networks.begin(), networks.end(),
                     [&](const IpNetwork& n) { return n.Contains(address); });
}

Result<std::string> DecodeForwardedCertificate(std::string_view value) {
  if (value.empty()) return Status::NotFound("no client certificate forwarded");
  if (value.size() > kMaxForwardedCertificateBytes) {
    return Status::InvalidArgument("forwarded client certificate larger than " +
                                   std::to_string(kMaxForwardedCertificateBytes) + " bytes");
  }
  // RFC 3986 2.1 percent-decoding, nothing else.
  std::string pem;
  pem.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      pem.push_back(value[i]);
      continue;
    }
    const int hi = i + 2 < value.size() ? HexValue(value[i + 1]) : -1;
    const int lo = i + 2 < value.size() ? HexValue(value[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return Status::InvalidArgument("forwarded client certificate: bad %-escape");
    }
    pem.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  const std::string_view text = Trim(pem);
  if (text.substr(0, kBegin.size()) != kBegin) {
    return Status::InvalidArgument(
        "forwarded client certificate: not a PEM CERTIFICATE block alone");
  }
  if (text.find("-----BEGIN", kBegin.size()) != std::string_view::npos) {
    return Status::InvalidArgument("forwarded client certificate: more than one PEM block");
  }
  const std::size_t end = text.find(kEnd);
  if (end == std::string_view::npos || end + kEnd.size() != text.size()) {
    return Status::InvalidArgument(
        "forwarded client certificate: not a PEM CERTIFICATE block alone");
  }
  const std::string_view body = text.substr(kBegin.size(), end - kBegin.size());
  Result<std::string> der = jose::Base64Decode(body);
  if (!der.ok()) {
    return Status::InvalidArgument("forwarded client certificate: invalid base64");
  }
  if (der->empty() || der->size() > kMaxClientCertificateBytes) {
    return Status::InvalidArgument("forwarded client certificate: empty or larger than " +
                                   std::to_string(kMaxClientCertificateBytes) + " bytes");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  jose::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der->size())));
  jose::ClearOpenSslErrors();
  if (cert == nullptr || p != reinterpret_cast<const unsigned char*>(der->data()) + der->size()) {
    return Status::InvalidArgument("forwarded client certificate: not one DER X.509 certificate");
  }
  return std::move(der).value();
}

ClientCa::ClientCa(X509_STORE* store, std::string file) : store_(store), file_(std::move(file)) {}

ClientCa::~ClientCa() { X509_STORE_free(store_); }

Result<std::shared_ptr<const ClientCa>> ClientCa::Load(const std::string& pem_file) {
  jose::ClearOpenSslErrors();
  X509_STORE* raw = X509_STORE_new();
  if (raw == nullptr) return Status::Internal("client CA: out of memory");
  std::shared_ptr<const ClientCa> ca(new ClientCa(raw, pem_file));
  // X509_STORE_load_file counts the certificates it adds only through the store's objects.
  if (X509_STORE_load_file(raw, pem_file.c_str()) != 1) {
    std::string reason = jose::TakeOpenSslError();
    return Status::InvalidArgument("TLS client CA " + pem_file + ": " +
                                   (reason.empty() ? "cannot be read" : reason));
  }
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(raw);
  const bool any = objects != nullptr && sk_X509_OBJECT_num(objects) > 0;
  jose::ClearOpenSslErrors();
  if (!any) {
    return Status::InvalidArgument("TLS client CA " + pem_file + ": no certificate in the file");
  }
  X509_VERIFY_PARAM_set_depth(X509_STORE_get0_param(raw), kMaxChainDepth);
  return ca;
}

bool ClientCa::Chains(std::string_view der, const std::vector<std::string>& intermediates,
                      int64_t now) const {
  auto parse = [](std::string_view bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    return jose::X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(bytes.size())));
  };
  jose::X509Ptr leaf = parse(der);
  if (leaf == nullptr) {
    jose::ClearOpenSslErrors();
    return false;
  }
  X509StackPtr untrusted(sk_X509_new_null());
  if (untrusted == nullptr) return false;
  for (const std::string& bytes : intermediates) {
    jose::X509Ptr cert = parse(bytes);
    if (cert == nullptr || sk_X509_push(untrusted.get(), cert.get()) == 0) {
      jose::ClearOpenSslErrors();
      return false;
    }
    (void)cert.release();  // owned by the stack now
  }
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (ctx == nullptr || X509_STORE_CTX_init(ctx.get(), store_, leaf.get(), untrusted.get()) != 1) {
    jose::ClearOpenSslErrors();
    return false;
  }
  // The purpose and trust settings OpenSSL applies to a client's chain in a TLS handshake.
  X509_STORE_CTX_set_default(ctx.get(), "ssl_client");
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now));
  X509_VERIFY_PARAM_set_depth(param, kMaxChainDepth);
  const bool ok = X509_verify_cert(ctx.get()) == 1;
  jose::ClearOpenSslErrors();
  return ok;
}

}  // namespace tessera::http
