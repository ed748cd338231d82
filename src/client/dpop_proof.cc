// DPoP proofs (RFC 9449 4.2): what the client signs for each request.
#include "client/dpop_proof.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>

#include "common/random.h"
#include "jose/base64url.h"
#include "jose/digest.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/keyio.h"

namespace tessera::client {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 1 << 20;
constexpr std::size_t kJtiBytes = 16;  // RFC 9449 11.1 asks for at least 96 random bits
constexpr std::size_t kMaxUrlBytes = 8 * 1024;
constexpr std::size_t kMaxNonceBytes = 1024;

// RFC 9110 5.6.2 tchar.
bool IsTchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 9449 8.1: nonce = 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E.
bool IsNqchar(char c) { return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\'; }

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

Result<std::shared_ptr<const DpopKey::Impl>> DpopKey::Impl::Make(const jose::Key& key,
                                                                 std::string_view alg_name) {
  if (!key.valid() || !key.has_private()) {
    return Status::InvalidArgument("a DPoP key must be a private key");
  }
  if (key.type() == jose::KeyType::kHmac) {
    return Status::InvalidArgument("a DPoP key must be asymmetric (RFC 9449 4.2)");
  }
  jose::Algorithm alg = key.algorithms().First();
  if (!alg_name.empty()) {
    std::optional<jose::Algorithm> a = jose::AlgorithmFromName(alg_name);
    if (!a || !key.CompatibleAlgorithms().Contains(*a)) {
      return Status::InvalidArgument("algorithm \"" + std::string(alg_name) +
                                     "\" does not suit the DPoP key; it can use " +
                                     key.CompatibleAlgorithms().ToString());
    }
    alg = *a;
  }
  auto impl = std::make_shared<Impl>();
  Result<jose::Key> pinned = key.RestrictTo({alg});
  if (!pinned.ok()) return Status::InvalidArgument(pinned.status().message());
  impl->key = std::move(pinned).value();
  impl->alg = alg;
  impl->alg_name = std::string(jose::AlgorithmName(alg));
  Result<jose::Json> jwk = jose::PublicJwk(impl->key, "");
  if (!jwk.ok()) return Status::InvalidArgument(jwk.status().message());
  // The proof carries the key only (RFC 9449 4.2): "use" and "alg" say nothing the header does
  // not, and fewer members leave less for a server to reject.
  jwk->erase("use");
  jwk->erase("alg");
  impl->jwk = std::move(jwk).value();
  impl->jwk_text = jose::DumpCompact(impl->jwk);
  Result<std::string> jkt = jose::JwkThumbprint(impl->key);
  if (!jkt.ok()) return Status::InvalidArgument(jkt.status().message());
  impl->jkt = std::move(jkt).value();
  return std::shared_ptr<const Impl>(std::move(impl));
}

Result<std::string> SignDpopProof(const DpopKey::Impl& key, const DpopProofRequest& request) {
  if (request.method.empty() || request.method.size() > 64 ||
      !std::all_of(request.method.begin(), request.method.end(), IsTchar)) {
    return Status::InvalidArgument("DPoP: the method is not an HTTP method token");
  }
  // htu (RFC 9449 4.2): the target URI without query and fragment.
  const std::string_view htu = request.url.substr(0, request.url.find_first_of("?#"));
  if (htu.size() > kMaxUrlBytes ||
      !(StartsWithNoCase(htu, "https://") || StartsWithNoCase(htu, "http://"))) {
    return Status::InvalidArgument("DPoP: the URL is not an absolute http(s) URL");
  }
  if (request.nonce.size() > kMaxNonceBytes ||
      !std::all_of(request.nonce.begin(), request.nonce.end(), IsNqchar)) {
    return Status::InvalidArgument("DPoP: the nonce holds characters RFC 9449 8.1 forbids");
  }
  jose::Json claims = {{"jti", request.jti.empty() ? RandomToken(kJtiBytes) : request.jti},
                       {"htm", request.method},
                       {"htu", htu},
                       {"iat", request.now}};
  if (!request.access_token.empty()) {
    claims["ath"] = jose::Base64UrlEncode(jose::Sha256(request.access_token));
  }
  if (!request.nonce.empty()) claims["nonce"] = request.nonce;
  const jose::Json header = {{"typ", "dpop+jwt"}, {"jwk", key.jwk}};
  Result<std::string> jwt = jose::SignJwt(claims, key.key, key.alg, header);
  if (!jwt.ok()) return Status::Internal(jwt.status().WithContext("DPoP proof").message());
  return jwt;
}

Result<DpopKey> DpopKey::Generate(std::string_view alg_name) {
  std::optional<jose::Algorithm> alg = jose::AlgorithmFromName(alg_name);
  Result<jose::Key> key =
      Status::InvalidArgument("unsupported DPoP algorithm \"" + std::string(alg_name) + "\"");
  if (alg) {
    switch (jose::FamilyOf(*alg)) {
      case jose::AlgorithmFamily::kRsaPkcs1:
      case jose::AlgorithmFamily::kRsaPss:
        key = jose::GenerateKey(jose::KeyType::kRsa, 2048);
        break;
      case jose::AlgorithmFamily::kEcdsa:
        key = jose::GenerateKey(jose::KeyType::kEc, *alg == jose::Algorithm::kES256   ? 256
                                                    : *alg == jose::Algorithm::kES384 ? 384
                                                                                      : 521);
        break;
      case jose::AlgorithmFamily::kEdDsa:
        key = jose::GenerateKey(jose::KeyType::kEd25519, 256);
        break;
      case jose::AlgorithmFamily::kHmac:
        break;  // a shared secret proves nothing about the sender
    }
  }
  if (!key.ok()) return Status::InvalidArgument(key.status().message());
  TESSERA_ASSIGN_OR_RETURN(std::shared_ptr<const Impl> impl, Impl::Make(*key, alg_name));
  return DpopKey(std::move(impl));
}

Result<DpopKey> DpopKey::FromPem(std::string_view key_pem, std::string_view alg,
                                 std::string_view password) {
  Result<jose::Key> key = jose::LoadPrivateKey(key_pem, password);
  if (!key.ok()) {
    return Status::InvalidArgument(
        key.status().WithContext("cannot load the DPoP private key").message());
  }
  TESSERA_ASSIGN_OR_RETURN(std::shared_ptr<const Impl> impl, Impl::Make(*key, alg));
  return DpopKey(std::move(impl));
}

Result<DpopKey> DpopKey::FromPemFile(const std::string& key_file, std::string_view alg,
                                     std::string_view password) {
  std::ifstream in(key_file, std::ios::binary);
  if (!in) return Status::NotFound("cannot read DPoP key file " + key_file);
  std::string pem(kMaxKeyFileBytes + 1, '\0');
  in.read(pem.data(), static_cast<std::streamsize>(pem.size()));
  if (in.bad()) return Status::Unavailable("cannot read DPoP key file " + key_file);
  pem.resize(static_cast<std::size_t>(in.gcount()));
  if (pem.size() > kMaxKeyFileBytes) {
    return Status::ResourceExhausted("DPoP key file " + key_file + " is too large");
  }
  Result<DpopKey> key = FromPem(pem, alg, password);
  if (!key.ok()) return key.status().WithContext(key_file);
  return key;
}

const std::string& DpopKey::Thumbprint() const { return impl_->jkt; }
const std::string& DpopKey::Algorithm() const { return impl_->alg_name; }
const std::string& DpopKey::PublicJwk() const { return impl_->jwk_text; }

Result<std::string> DpopKey::PrivateKeyPem() const {
  Result<std::string> pem = jose::PrivateKeyToPem(impl_->key);
  if (!pem.ok()) return Status::Internal(pem.status().message());
  return pem;
}

bool ValidDpopNonce(std::string_view nonce) {
  return !nonce.empty() && nonce.size() <= kMaxNonceBytes &&
         std::all_of(nonce.begin(), nonce.end(), IsNqchar);
}

Result<std::string> MakeDpopProof(const DpopKey& key, std::string_view method, std::string_view url,
                                  std::string_view access_token, std::string_view nonce,
                                  int64_t now) {
  return SignDpopProof(*key.impl_, {.method = method,
                                    .url = url,
                                    .access_token = access_token,
                                    .nonce = nonce,
                                    .now = now,
                                    .jti = {}});
}

}  // namespace tessera::client
