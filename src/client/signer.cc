// AssertionSigner: RFC 7523 assertions signed with a key pinned to one algorithm (RFC 8725 3.1).
#include <fstream>
#include <iterator>
#include <sstream>

#include "common/random.h"
#include "jose/algorithm.h"
#include "jose/json.h"
#include "jose/jws.h"
#include "jose/keyio.h"
#include "tessera/client.h"

namespace tessera::client {
namespace {

constexpr std::size_t kMaxFileBytes = 1 << 20;

Result<std::string> ReadFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + std::string(what) + " " + path);
  std::string data;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<std::size_t>(in.gcount()));
    if (data.size() > kMaxFileBytes) {
      return Status::ResourceExhausted(std::string(what) + " " + path + " is too large");
    }
  }
  if (in.bad()) return Status::Unavailable("cannot read " + std::string(what) + " " + path);
  return data;
}

// The algorithm named `name`, or the key's default; the key pinned to exactly that algorithm.
Result<std::pair<jose::Key, jose::Algorithm>> Pin(const jose::Key& key, std::string_view name) {
  jose::Algorithm alg = key.algorithms().First();
  if (!name.empty()) {
    std::optional<jose::Algorithm> a = jose::AlgorithmFromName(name);
    if (!a || !key.CompatibleAlgorithms().Contains(*a) ||
        jose::FamilyOf(*a) == jose::AlgorithmFamily::kHmac) {
      return Status::InvalidArgument("algorithm \"" + std::string(name) +
                                     "\" does not suit the key; it can use " +
                                     key.CompatibleAlgorithms().ToString());
    }
    alg = *a;
  }
  Result<jose::Key> pinned = key.RestrictTo({alg});
  if (!pinned.ok()) return pinned.status();
  return std::make_pair(std::move(pinned).value(), alg);
}

}  // namespace

const Clock& SystemClock() {
  static const tessera::SystemClock clock;
  return clock;
}

class AssertionSigner::Impl {
 public:
  jose::Key key;
  jose::Algorithm alg = jose::Algorithm::kRS256;
  jose::Json header;
  std::string audience;
  int64_t ttl = 0;
  const Clock* clock = nullptr;

  static Result<std::shared_ptr<const Impl>> Make(const jose::Key& key,
                                                  std::optional<jose::Certificate> cert,
                                                  const SignerOptions& o) {
    if (!key.has_private()) return Status::InvalidArgument("the signing key is not a private key");
    if (cert) {
      Result<std::string> a = jose::PublicKeyToPem(cert->public_key);
      Result<std::string> b = jose::PublicKeyToPem(key);
      if (!a.ok() || !b.ok() || *a != *b) {
        return Status::InvalidArgument("the certificate is not the certificate of the signing key");
      }
    }
    if (o.kid.empty() && !o.use_x5t) {
      return Status::InvalidArgument(
          "name the key for the server: a kid (certificate alias) or x5t (with a certificate)");
    }
    if (o.use_x5t && !cert) {
      return Status::InvalidArgument("x5t needs the certificate of the signing key");
    }
    if (o.ttl_seconds <= 0) return Status::InvalidArgument("the assertion ttl must be positive");
    if (o.audience.empty()) return Status::InvalidArgument("the assertion audience is empty");
    auto impl = std::make_shared<Impl>();
    TESSERA_ASSIGN_OR_RETURN(auto pinned, Pin(key, o.alg));
    impl->key = std::move(pinned.first);
    impl->alg = pinned.second;
    impl->header = {{"typ", "JWT"}};
    if (!o.kid.empty()) impl->header["kid"] = o.kid;
    if (o.use_x5t) impl->header["x5t"] = cert->x5t;
    impl->audience = o.audience;
    impl->ttl = o.ttl_seconds;
    impl->clock = o.clock != nullptr ? o.clock : &SystemClock();
    return std::shared_ptr<const Impl>(std::move(impl));
  }
};

Result<AssertionSigner> AssertionSigner::FromPem(std::string_view key_pem,
                                                 const SignerOptions& options,
                                                 std::string_view password,
                                                 std::string_view certificate) {
  Result<jose::Key> key = jose::LoadPrivateKey(key_pem, password);
  if (!key.ok()) {
    return Status::InvalidArgument(
        key.status().WithContext("cannot load the private key").message());
  }
  std::optional<jose::Certificate> cert;
  if (!certificate.empty()) {
    Result<jose::Certificate> c = jose::LoadCertificate(certificate);
    if (!c.ok()) {
      return Status::InvalidArgument(
          c.status().WithContext("cannot load the certificate").message());
    }
    cert = std::move(c).value();
  }
  TESSERA_ASSIGN_OR_RETURN(std::shared_ptr<const Impl> impl, Impl::Make(*key, cert, options));
  return AssertionSigner(std::move(impl));
}

Result<AssertionSigner> AssertionSigner::FromPemFile(const std::string& key_file,
                                                     const SignerOptions& options,
                                                     std::string_view password,
                                                     const std::string& certificate_file) {
  TESSERA_ASSIGN_OR_RETURN(std::string pem, ReadFile(key_file, "key file"));
  std::string cert;
  if (!certificate_file.empty()) {
    TESSERA_ASSIGN_OR_RETURN(cert, ReadFile(certificate_file, "certificate file"));
  }
  Result<AssertionSigner> s = FromPem(pem, options, password, cert);
  if (!s.ok()) return s.status().WithContext(key_file);
  return s;
}

Result<AssertionSigner> AssertionSigner::FromPkcs12(std::string_view der, std::string_view password,
                                                    const SignerOptions& options) {
  Result<jose::Pkcs12Contents> p12 = jose::LoadPkcs12(der, password);
  if (!p12.ok()) {
    return Status::InvalidArgument(p12.status().WithContext("cannot open the PKCS#12").message());
  }
  TESSERA_ASSIGN_OR_RETURN(std::shared_ptr<const Impl> impl,
                           Impl::Make(p12->private_key, p12->certificate, options));
  return AssertionSigner(std::move(impl));
}

Result<AssertionSigner> AssertionSigner::FromPkcs12File(const std::string& file,
                                                        std::string_view password,
                                                        const SignerOptions& options) {
  TESSERA_ASSIGN_OR_RETURN(std::string der, ReadFile(file, "PKCS#12 file"));
  Result<AssertionSigner> s = FromPkcs12(der, password, options);
  if (!s.ok()) return s.status().WithContext(file);
  return s;
}

Result<std::string> AssertionSigner::Sign(std::string_view issuer, std::string_view subject) const {
  if (issuer.empty() || subject.empty()) {
    return Status::InvalidArgument("an assertion needs a non-empty iss and sub");
  }
  const int64_t now = impl_->clock->NowSeconds();
  // RFC 7523 3: iss, sub, aud, exp required; jti single-use (contract section 2 rule 7).
  const jose::Json claims = {{"iss", issuer}, {"sub", subject},          {"aud", impl_->audience},
                             {"iat", now},    {"exp", now + impl_->ttl}, {"jti", RandomUuid()}};
  return jose::SignJwt(claims, impl_->key, impl_->alg, impl_->header);
}

}  // namespace tessera::client
