#include "jose/jwk.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include <set>

#include "jose/base64url.h"
#include "jose/error.h"
#include "jose/openssl_util.h"

namespace tessera::jose {
namespace {

using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>>;

Status JwkError(std::string_view detail) { return JoseFailure(JoseError::kJwkInvalid, detail); }

// The required base64url member `name`, decoded strictly.
Result<std::string> Required(const Json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end()) return JwkError(std::string("member \"") + name + "\" missing");
  if (!it->is_string()) return JwkError(std::string("member \"") + name + "\" is not a string");
  Result<std::string> raw = Base64UrlDecode(it->get_ref<const std::string&>());
  if (!raw.ok()) return JwkError(std::string("member \"") + name + "\": " + raw.status().message());
  return raw;
}

Status PushBn(OSSL_PARAM_BLD* bld, const char* key, const std::string& bytes,
              std::vector<BnPtr>& keep) {
  BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                         static_cast<int>(bytes.size()), nullptr);
  if (bn == nullptr) return OpenSslFailure(JoseError::kCryptoFailure, "bignum");
  keep.emplace_back(bn);
  if (OSSL_PARAM_BLD_push_BN(bld, key, bn) != 1)
    return OpenSslFailure(JoseError::kCryptoFailure, "param");
  return Status::Ok();
}

Result<PkeyPtr> FromData(const char* type, OSSL_PARAM_BLD* bld, bool is_private) {
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return OpenSslFailure(JoseError::kKeyInvalid, std::string(type) + " key parameters");
  }
  return PkeyPtr(pkey);
}

bool HasAnyPrivateMember(const Json& jwk) {
  for (const char* m : {"d", "p", "q", "dp", "dq", "qi", "oth"}) {
    if (jwk.contains(m)) return true;
  }
  return false;
}

Result<PkeyPtr> RsaFromJwk(const Json& jwk, bool is_private) {
  TESSERA_ASSIGN_OR_RETURN(std::string n, Required(jwk, "n"));
  TESSERA_ASSIGN_OR_RETURN(std::string e, Required(jwk, "e"));
  if (n.empty() || e.empty()) return JwkError("empty RSA modulus or exponent");
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  std::vector<BnPtr> keep;
  TESSERA_RETURN_IF_ERROR(PushBn(bld.get(), OSSL_PKEY_PARAM_RSA_N, n, keep));
  TESSERA_RETURN_IF_ERROR(PushBn(bld.get(), OSSL_PKEY_PARAM_RSA_E, e, keep));
  if (is_private) {
    static const std::pair<const char*, const char*> kMembers[] = {
        {"d", OSSL_PKEY_PARAM_RSA_D},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
        {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
        {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
    for (const auto& [member, param] : kMembers) {
      TESSERA_ASSIGN_OR_RETURN(std::string v, Required(jwk, member));
      TESSERA_RETURN_IF_ERROR(PushBn(bld.get(), param, v, keep));
    }
  }
  return FromData("RSA", bld.get(), is_private);
}

struct CurveInfo {
  const char* jwk_name;
  const char* group;
  size_t bytes;
};
constexpr CurveInfo kCurves[] = {
    {"P-256", "P-256", 32}, {"P-384", "P-384", 48}, {"P-521", "P-521", 66}};

Result<PkeyPtr> EcFromJwk(const Json& jwk, bool is_private) {
  auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string()) return JwkError("EC key without \"crv\"");
  const CurveInfo* info = nullptr;
  for (const auto& c : kCurves) {
    if (*crv == c.jwk_name) info = &c;
  }
  if (info == nullptr) {
    return JoseFailure(JoseError::kKeyUnsupported, "EC curve " + crv->get<std::string>());
  }
  TESSERA_ASSIGN_OR_RETURN(std::string x, Required(jwk, "x"));
  TESSERA_ASSIGN_OR_RETURN(std::string y, Required(jwk, "y"));
  // RFC 7518 6.2.1.2: x and y are the full coordinate length for the curve.
  if (x.size() != info->bytes || y.size() != info->bytes) {
    return JwkError(std::string("EC coordinates must be ") + std::to_string(info->bytes) +
                    " bytes for " + info->jwk_name);
  }
  std::string point = "\x04" + x + y;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  std::vector<BnPtr> keep;
  if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, info->group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return OpenSslFailure(JoseError::kCryptoFailure, "EC params");
  }
  if (is_private) {
    TESSERA_ASSIGN_OR_RETURN(std::string d, Required(jwk, "d"));
    if (d.size() != info->bytes) return JwkError("EC \"d\" has the wrong length");
    TESSERA_RETURN_IF_ERROR(PushBn(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d, keep));
  }
  return FromData("EC", bld.get(), is_private);
}

Result<PkeyPtr> OkpFromJwk(const Json& jwk, bool is_private) {
  auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string()) return JwkError("OKP key without \"crv\"");
  if (*crv != "Ed25519")
    return JoseFailure(JoseError::kKeyUnsupported, "OKP curve " + crv->get<std::string>());
  TESSERA_ASSIGN_OR_RETURN(std::string x, Required(jwk, "x"));
  if (x.size() != 32) return JwkError("Ed25519 \"x\" must be 32 bytes");
  const auto* xp = reinterpret_cast<const unsigned char*>(x.data());
  if (!is_private) {
    EVP_PKEY* k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, xp, 32);
    if (k == nullptr) return OpenSslFailure(JoseError::kKeyInvalid, "Ed25519 public key");
    return PkeyPtr(k);
  }
  TESSERA_ASSIGN_OR_RETURN(std::string d, Required(jwk, "d"));
  if (d.size() != 32) return JwkError("Ed25519 \"d\" must be 32 bytes");
  PkeyPtr k(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                         reinterpret_cast<const unsigned char*>(d.data()), 32));
  if (!k) return OpenSslFailure(JoseError::kKeyInvalid, "Ed25519 private key");
  unsigned char pub[32];
  size_t len = sizeof(pub);
  if (EVP_PKEY_get_raw_public_key(k.get(), pub, &len) != 1 || len != 32 ||
      memcmp(pub, xp, 32) != 0) {
    return JwkError("Ed25519 \"x\" is not the public key of \"d\"");
  }
  return k;
}

Status CheckUseAndOps(const Json& jwk) {
  if (auto use = jwk.find("use"); use != jwk.end()) {
    if (!use->is_string() || *use != "sig")
      return JwkError("\"use\" must be \"sig\" for a signature key");
  }
  if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
    if (!ops->is_array()) return JwkError("\"key_ops\" must be an array");
    bool fit = false;
    for (const auto& op : *ops) {
      if (!op.is_string()) return JwkError("\"key_ops\" must hold strings");
      if (op == "verify" || op == "sign") fit = true;
    }
    if (!fit) return JwkError("\"key_ops\" allows neither sign nor verify");
  }
  return Status::Ok();
}

Result<std::string> BnParam(EVP_PKEY* pkey, const char* name, int pad) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
    return OpenSslFailure(JoseError::kCryptoFailure, name);
  BnPtr owner(bn);
  const int len = pad > 0 ? pad : BN_num_bytes(bn);
  std::string out(static_cast<size_t>(len), '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), len) != len) {
    return OpenSslFailure(JoseError::kCryptoFailure, name);
  }
  return out;
}

// The RFC 7638 required members of the public key, as base64url strings.
Result<Json> RequiredMembers(const Key& key) {
  Json j = Json::object();
  EVP_PKEY* pkey = key.pkey();
  switch (key.type()) {
    case KeyType::kRsa: {
      TESSERA_ASSIGN_OR_RETURN(std::string n, BnParam(pkey, OSSL_PKEY_PARAM_RSA_N, 0));
      TESSERA_ASSIGN_OR_RETURN(std::string e, BnParam(pkey, OSSL_PKEY_PARAM_RSA_E, 0));
      j["kty"] = "RSA";
      j["n"] = Base64UrlEncode(n);
      j["e"] = Base64UrlEncode(e);
      return j;
    }
    case KeyType::kEc: {
      const auto bytes = static_cast<size_t>(key.bits() == 521 ? 66 : key.bits() / 8);
      // The uncompressed point 04 || x || y (SEC 1 2.3.3) in one export: asking for x and y one
      // at a time converts the point to affine coordinates (a field inversion) twice, which
      // made the thumbprint a measurable part of every DPoP proof check.
      unsigned char point[1 + 2 * 66];
      size_t len = 0;
      std::string x, y;
      if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                          sizeof(point), &len) == 1 &&
          len == 1 + 2 * bytes && point[0] == 0x04) {
        const auto* raw = reinterpret_cast<const char*>(point);
        x.assign(raw + 1, bytes);
        y.assign(raw + 1 + bytes, bytes);
      } else {
        // A key kept in compressed form (a certificate may carry one): coordinate by coordinate.
        const int pad = static_cast<int>(bytes);
        TESSERA_ASSIGN_OR_RETURN(x, BnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_X, pad));
        TESSERA_ASSIGN_OR_RETURN(y, BnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, pad));
      }
      j["kty"] = "EC";
      j["crv"] = std::string(key.curve());
      j["x"] = Base64UrlEncode(x);
      j["y"] = Base64UrlEncode(y);
      return j;
    }
    case KeyType::kEd25519: {
      unsigned char pub[32];
      size_t len = sizeof(pub);
      if (EVP_PKEY_get_raw_public_key(pkey, pub, &len) != 1 || len != 32) {
        return OpenSslFailure(JoseError::kCryptoFailure, "Ed25519 public key");
      }
      j["kty"] = "OKP";
      j["crv"] = "Ed25519";
      j["x"] = Base64UrlEncode(std::string_view(reinterpret_cast<char*>(pub), 32));
      return j;
    }
    case KeyType::kHmac:
      break;
  }
  return JoseFailure(JoseError::kKeyUnsupported, "shared secrets are never published as JWKs");
}

}  // namespace

Result<Jwk> ParseJwk(const Json& jwk, const JwkOptions& options) {
  if (!jwk.is_object()) return JwkError("a JWK is a JSON object");
  auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string())
    return JwkError("member \"kty\" missing or not a string");
  TESSERA_RETURN_IF_ERROR(CheckUseAndOps(jwk));
  Jwk out;
  if (auto kid = jwk.find("kid"); kid != jwk.end()) {
    if (!kid->is_string() || kid->get_ref<const std::string&>().size() > 256) {
      return JwkError("\"kid\" must be a string of at most 256 characters");
    }
    out.kid = kid->get<std::string>();
  }
  std::optional<Algorithm> alg;
  if (auto a = jwk.find("alg"); a != jwk.end()) {
    if (!a->is_string()) return JwkError("\"alg\" is not a string");
    alg = AlgorithmFromName(a->get<std::string>());
    if (!alg) return JoseFailure(JoseError::kAlgUnknown, "JWK alg " + a->get<std::string>());
  }
  const bool is_private = HasAnyPrivateMember(jwk);
  if (is_private && !options.allow_private) {
    return JwkError("private key members are not accepted here (publish only the public key)");
  }
  const std::string& type = kty->get_ref<const std::string&>();
  if (type == "oct") {
    if (!options.allow_symmetric)
      return JoseFailure(JoseError::kKeyUnsupported, "symmetric (oct) keys are not accepted here");
    if (!alg) return JwkError("an oct key needs \"alg\" to pin its HMAC algorithm");
    TESSERA_ASSIGN_OR_RETURN(std::string k, Required(jwk, "k"));
    TESSERA_ASSIGN_OR_RETURN(out.key, Key::FromSecret(k, *alg));
    return out;
  }
  Result<PkeyPtr> pkey =
      type == "RSA"   ? RsaFromJwk(jwk, is_private)
      : type == "EC"  ? EcFromJwk(jwk, is_private)
      : type == "OKP" ? OkpFromJwk(jwk, is_private)
                      : Result<PkeyPtr>(JoseFailure(JoseError::kKeyUnsupported, "kty " + type));
  if (!pkey.ok()) return pkey.status();
  TESSERA_ASSIGN_OR_RETURN(out.key, Key::FromPkey(std::move(pkey).value()));
  if (alg) {
    // Algorithm pinning (docs/security.md): the "alg" of a JWK pins the key or is an error.
    TESSERA_ASSIGN_OR_RETURN(out.key, out.key.RestrictTo({*alg}));
  }
  return out;
}

Result<Jwk> ParseJwkText(std::string_view text, const JwkOptions& options) {
  TESSERA_ASSIGN_OR_RETURN(Json j, ParseStrictJson(text, {options.max_bytes, 8}));
  return ParseJwk(j, options);
}

Result<std::vector<Jwk>> ParseJwks(std::string_view text, const JwkOptions& options) {
  TESSERA_ASSIGN_OR_RETURN(Json j, ParseStrictJson(text, {options.max_bytes, 8}));
  if (!j.is_object()) return JwkError("a JWK Set is a JSON object");
  auto keys = j.find("keys");
  if (keys == j.end() || !keys->is_array()) return JwkError("a JWK Set needs a \"keys\" array");
  if (keys->size() > options.max_keys) {
    return JoseFailure(JoseError::kTooLarge,
                       "JWK Set of " + std::to_string(keys->size()) + " keys");
  }
  std::vector<Jwk> out;
  std::set<std::string> kids;
  bool symmetric = false, asymmetric = false;
  for (const Json& k : *keys) {
    Result<Jwk> jwk = ParseJwk(k, options);
    if (!jwk.ok()) return jwk.status().WithContext("key " + std::to_string(out.size()));
    // Key policy (docs/security.md): a duplicate kid makes key selection ambiguous.
    if (!jwk->kid.empty() && !kids.insert(jwk->kid).second)
      return JwkError("duplicate kid \"" + jwk->kid + "\"");
    (jwk->key.type() == KeyType::kHmac ? symmetric : asymmetric) = true;
    out.push_back(std::move(jwk).value());
  }
  if (symmetric && asymmetric) return JwkError("a JWK Set mixes symmetric and asymmetric keys");
  return out;
}

Result<Json> PublicJwk(const Key& key, std::string_view kid) {
  TESSERA_ASSIGN_OR_RETURN(Json j, RequiredMembers(key));
  if (!kid.empty()) j["kid"] = std::string(kid);
  j["use"] = "sig";
  const AlgorithmSet algs = key.algorithms();
  if (!algs.empty() && algs == AlgorithmSet{algs.First()})
    j["alg"] = std::string(AlgorithmName(algs.First()));
  return j;
}

Result<std::string> JwkThumbprint(const Key& key) {
  // RFC 7638 3.2: required members only, lexicographic order, no whitespace. nlohmann::json
  // objects are ordered maps, so dump() yields exactly that order.
  TESSERA_ASSIGN_OR_RETURN(Json j, RequiredMembers(key));
  const std::string canonical = DumpCompact(j);
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), md);
  return Base64UrlEncode(std::string_view(reinterpret_cast<char*>(md), sizeof(md)));
}

}  // namespace tessera::jose
