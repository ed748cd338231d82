#include "jose/key.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include <vector>

namespace tessera::jose {

struct Key::Rep {
  KeyType type;
  int bits = 0;
  bool has_private = false;
  std::string_view curve;
  int ec_bytes = 0;  // size of one ECDSA coordinate (32, 48, 66)
  PkeyPtr pkey;      // null for HMAC
  std::string secret;
};

namespace {

// Digests are fetched once: in OpenSSL 3 an implicit fetch per call costs a lock and a lookup.
const EVP_MD* Digest(Algorithm alg) {
  static const EVP_MD* const k256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  static const EVP_MD* const k384 = EVP_MD_fetch(nullptr, "SHA2-384", nullptr);
  static const EVP_MD* const k512 = EVP_MD_fetch(nullptr, "SHA2-512", nullptr);
  switch (HashBytes(alg)) {
    case 32:
      return k256;
    case 48:
      return k384;
    case 64:
      return k512;
    default:
      return nullptr;
  }
}

AlgorithmSet RsaAlgorithms() {
  return {Algorithm::kRS256, Algorithm::kRS384, Algorithm::kRS512,
          Algorithm::kPS256, Algorithm::kPS384, Algorithm::kPS512};
}

Algorithm EcAlgorithm(int ec_bytes) {
  return ec_bytes == 32 ? Algorithm::kES256 : ec_bytes == 48 ? Algorithm::kES384 : Algorithm::kES512;
}

Status CheckRsaPolicy(EVP_PKEY* pkey, int bits) {
  // RFC 7518 3.3: "A key of size 2048 bits or larger MUST be used with these algorithms."
  if (bits < 2048) {
    return JoseFailure(JoseError::kKeyTooWeak,
                       "RSA key of " + std::to_string(bits) + " bits; at least 2048 required");
  }
  BIGNUM* e = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
    return OpenSslFailure(JoseError::kKeyInvalid, "RSA public exponent");
  }
  BnPtr e_owner(e);
  // e = 1 makes "signatures" equal to the padded message; an even e is not a valid RSA key.
  if (!BN_is_odd(e) || BN_cmp(e, BN_value_one()) <= 0) {
    return JoseFailure(JoseError::kKeyTooWeak, "RSA public exponent must be odd and at least 3");
  }
  return Status::Ok();
}

Status SetPssParams(EVP_PKEY_CTX* pctx, const EVP_MD* md) {
  // RFC 7518 3.5: MGF1 with the same hash, salt as long as the hash; never auto-detected.
  if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1) {
    return OpenSslFailure(JoseError::kCryptoFailure, "PSS parameters");
  }
  return Status::Ok();
}

// ECDSA raw R||S (RFC 7518 3.4) to the DER that OpenSSL verifies. The split is at a fixed
// position, so no attacker-chosen ASN.1 ever reaches OpenSSL's DER parser (ATTACKS B2).
Result<std::string> RawToDer(std::string_view raw, int n) {
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), n, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + n, n, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return OpenSslFailure(JoseError::kCryptoFailure, "ECDSA signature");
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return OpenSslFailure(JoseError::kCryptoFailure, "ECDSA DER encoding");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

Result<std::string> DerToRaw(std::string_view der, int n) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return OpenSslFailure(JoseError::kCryptoFailure, "ECDSA signature from OpenSSL");
  std::string out(static_cast<size_t>(2 * n), '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), o, n) != n ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), o + n, n) != n) {
    return OpenSslFailure(JoseError::kCryptoFailure, "ECDSA signature size");
  }
  return out;
}

}  // namespace

std::string_view KeyTypeName(KeyType t) {
  switch (t) {
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEc:
      return "EC";
    case KeyType::kEd25519:
      return "Ed25519";
    case KeyType::kHmac:
      return "HMAC";
  }
  return "?";
}

Result<Key> Key::FromPkey(PkeyPtr pkey) {
  if (!pkey) return JoseFailure(JoseError::kKeyInvalid, "no key");
  auto rep = std::make_shared<Rep>();
  EVP_PKEY* k = pkey.get();
  AlgorithmSet algs;
  switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_RSA: {
      rep->type = KeyType::kRsa;
      rep->bits = EVP_PKEY_get_bits(k);
      TESSERA_RETURN_IF_ERROR(CheckRsaPolicy(k, rep->bits));
      algs = {Algorithm::kRS256};
      break;
    }
    case EVP_PKEY_EC: {
      rep->type = KeyType::kEc;
      char group[64] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                         &len) != 1) {
        return OpenSslFailure(JoseError::kKeyInvalid, "EC key without a named curve");
      }
      const std::string_view g(group, len);
      if (g == "prime256v1" || g == "P-256") {
        rep->curve = "P-256", rep->bits = 256, rep->ec_bytes = 32;
      } else if (g == "secp384r1" || g == "P-384") {
        rep->curve = "P-384", rep->bits = 384, rep->ec_bytes = 48;
      } else if (g == "secp521r1" || g == "P-521") {
        rep->curve = "P-521", rep->bits = 521, rep->ec_bytes = 66;
      } else {
        return JoseFailure(JoseError::kKeyUnsupported, "EC curve " + std::string(g));
      }
      // ATTACKS B8: a point off the curve is refused before it can be used.
      PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, k, nullptr));
      if (!check || EVP_PKEY_public_check(check.get()) != 1) {
        return OpenSslFailure(JoseError::kKeyInvalid, "EC public point is not on the curve");
      }
      algs = {EcAlgorithm(rep->ec_bytes)};
      break;
    }
    case EVP_PKEY_ED25519:
      rep->type = KeyType::kEd25519;
      rep->bits = 256;
      rep->curve = "Ed25519";
      algs = {Algorithm::kEdDSA};
      break;
    default:
      return JoseFailure(JoseError::kKeyUnsupported,
                         std::string("key type ") + OBJ_nid2sn(EVP_PKEY_get_base_id(k)));
  }
  // A private key carries its private component; a bare public key does not.
  BIGNUM* priv = nullptr;
  if (rep->type == KeyType::kRsa) {
    rep->has_private = EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_D, &priv) == 1;
  } else if (rep->type == KeyType::kEc) {
    rep->has_private = EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &priv) == 1;
  } else {
    size_t len = 0;
    rep->has_private =
        EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PRIV_KEY, nullptr, 0, &len) == 1;
  }
  BN_clear_free(priv);
  ClearOpenSslErrors();
  rep->pkey = std::move(pkey);
  return Key(std::move(rep), algs);
}

Result<Key> Key::FromSecret(std::string_view secret, Algorithm alg) {
  if (FamilyOf(alg) != AlgorithmFamily::kHmac) {
    return JoseFailure(JoseError::kKeyMismatch, "a shared secret serves only HS256/384/512");
  }
  // RFC 7518 3.2: "A key of the same size as the hash output ... or larger MUST be used".
  if (secret.size() < static_cast<size_t>(HashBytes(alg))) {
    return JoseFailure(JoseError::kKeyTooWeak, std::string(AlgorithmName(alg)) + " needs a secret of at least " +
                                                   std::to_string(HashBytes(alg)) + " bytes");
  }
  auto rep = std::make_shared<Rep>();
  rep->type = KeyType::kHmac;
  rep->bits = static_cast<int>(secret.size() * 8);
  rep->has_private = true;
  rep->secret = std::string(secret);
  return Key(std::move(rep), {alg});
}

KeyType Key::type() const { return rep_ ? rep_->type : KeyType::kHmac; }
int Key::bits() const { return rep_ ? rep_->bits : 0; }
bool Key::has_private() const { return rep_ && rep_->has_private; }
std::string_view Key::curve() const { return rep_ ? rep_->curve : std::string_view(); }
EVP_PKEY* Key::pkey() const { return rep_ ? rep_->pkey.get() : nullptr; }
std::string_view Key::secret() const { return rep_ ? std::string_view(rep_->secret) : ""; }

AlgorithmSet Key::CompatibleAlgorithms() const {
  if (!rep_) return {};
  switch (rep_->type) {
    case KeyType::kRsa:
      return RsaAlgorithms();
    case KeyType::kEc:
      return {EcAlgorithm(rep_->ec_bytes)};
    case KeyType::kEd25519:
      return {Algorithm::kEdDSA};
    case KeyType::kHmac: {
      AlgorithmSet s;
      for (Algorithm a : {Algorithm::kHS256, Algorithm::kHS384, Algorithm::kHS512}) {
        if (rep_->secret.size() >= static_cast<size_t>(HashBytes(a))) s.Add(a);
      }
      return s;
    }
  }
  return {};
}

Result<Key> Key::RestrictTo(AlgorithmSet algs) const {
  if (!rep_) return JoseFailure(JoseError::kKeyInvalid, "empty key");
  if (algs.empty() || !algs.IsSubsetOf(CompatibleAlgorithms())) {
    return JoseFailure(JoseError::kKeyMismatch, std::string(KeyTypeName(rep_->type)) + " key cannot be used with " +
                                                    algs.ToString());
  }
  return Key(rep_, algs);
}

Result<Key> Key::PublicKey() const {
  if (!rep_) return JoseFailure(JoseError::kKeyInvalid, "empty key");
  if (rep_->type == KeyType::kHmac || !rep_->has_private) return *this;
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(rep_->pkey.get(), &der);
  if (len <= 0) return OpenSslFailure(JoseError::kCryptoFailure, "public key export");
  const unsigned char* p = der;
  PkeyPtr pub(d2i_PUBKEY(nullptr, &p, len));
  OPENSSL_free(der);
  if (!pub) return OpenSslFailure(JoseError::kCryptoFailure, "public key import");
  TESSERA_ASSIGN_OR_RETURN(Key k, FromPkey(std::move(pub)));
  return k.RestrictTo(algs_);
}

Status Key::CheckUsable(Algorithm alg) const {
  if (!rep_) return JoseFailure(JoseError::kKeyInvalid, "empty key");
  // RFC 8725 3.1: the key decides; a header naming anything else is refused.
  if (!algs_.Contains(alg)) {
    return JoseFailure(JoseError::kAlgNotAllowed, std::string(AlgorithmName(alg)) + " with a key pinned to " +
                                                      algs_.ToString());
  }
  return Status::Ok();
}

Status Key::Verify(Algorithm alg, std::string_view input, std::string_view sig) const {
  TESSERA_RETURN_IF_ERROR(CheckUsable(alg));
  const EVP_MD* md = Digest(alg);
  const AlgorithmFamily family = FamilyOf(alg);
  if (family == AlgorithmFamily::kHmac) {
    // RFC 7518 3.2: full-length tag only (ATTACKS A12), compared in constant time (A11).
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(md, rep_->secret.data(), static_cast<int>(rep_->secret.size()),
             reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
             &mac_len) == nullptr) {
      return OpenSslFailure(JoseError::kCryptoFailure, "HMAC");
    }
    if (sig.size() != mac_len) {
      return JoseFailure(JoseError::kSignatureLength, "MAC of " + std::to_string(sig.size()) +
                                                          " bytes, expected " + std::to_string(mac_len));
    }
    if (CRYPTO_memcmp(mac, sig.data(), mac_len) != 0) return JoseFailure(JoseError::kSignatureInvalid);
    return Status::Ok();
  }

  std::string der;
  std::string_view to_verify = sig;
  switch (family) {
    case AlgorithmFamily::kRsaPkcs1:
    case AlgorithmFamily::kRsaPss:
      // RFC 8017 8.2.2 step 1: the signature is exactly k octets.
      if (sig.size() != static_cast<size_t>(EVP_PKEY_get_size(rep_->pkey.get()))) {
        return JoseFailure(JoseError::kSignatureLength, "RSA signature of " + std::to_string(sig.size()) + " bytes");
      }
      break;
    case AlgorithmFamily::kEcdsa: {
      if (sig.size() != static_cast<size_t>(2 * rep_->ec_bytes)) {
        return JoseFailure(JoseError::kSignatureLength,
                           "ECDSA signature of " + std::to_string(sig.size()) + " bytes, expected " +
                               std::to_string(2 * rep_->ec_bytes) + " (raw R||S)");
      }
      TESSERA_ASSIGN_OR_RETURN(der, RawToDer(sig, rep_->ec_bytes));
      to_verify = der;
      break;
    }
    case AlgorithmFamily::kEdDsa:
      if (sig.size() != 64) {
        return JoseFailure(JoseError::kSignatureLength, "Ed25519 signature of " + std::to_string(sig.size()) + " bytes");
      }
      break;
    case AlgorithmFamily::kHmac:
      break;
  }

  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, rep_->pkey.get()) != 1) {
    return OpenSslFailure(JoseError::kCryptoFailure, "verify init");
  }
  if (family == AlgorithmFamily::kRsaPss) TESSERA_RETURN_IF_ERROR(SetPssParams(pctx, md));
  const int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(to_verify.data()),
                                  to_verify.size(), reinterpret_cast<const unsigned char*>(input.data()),
                                  input.size());
  if (rc != 1) {
    ClearOpenSslErrors();
    return JoseFailure(JoseError::kSignatureInvalid);
  }
  return Status::Ok();
}

Result<std::string> Key::Sign(Algorithm alg, std::string_view input) const {
  TESSERA_RETURN_IF_ERROR(CheckUsable(alg));
  if (!rep_->has_private) return JoseFailure(JoseError::kKeyNotPrivate, "signing needs a private key");
  const EVP_MD* md = Digest(alg);
  const AlgorithmFamily family = FamilyOf(alg);
  if (family == AlgorithmFamily::kHmac) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(md, rep_->secret.data(), static_cast<int>(rep_->secret.size()),
             reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
             &mac_len) == nullptr) {
      return OpenSslFailure(JoseError::kCryptoFailure, "HMAC");
    }
    return std::string(reinterpret_cast<char*>(mac), mac_len);
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, rep_->pkey.get()) != 1) {
    return OpenSslFailure(JoseError::kCryptoFailure, "sign init");
  }
  if (family == AlgorithmFamily::kRsaPss) TESSERA_RETURN_IF_ERROR(SetPssParams(pctx, md));
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) {
    return OpenSslFailure(JoseError::kCryptoFailure, "sign size");
  }
  std::string out(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in, input.size()) != 1) {
    return OpenSslFailure(JoseError::kCryptoFailure, "sign");
  }
  out.resize(len);
  if (family == AlgorithmFamily::kEcdsa) return DerToRaw(out, rep_->ec_bytes);
  return out;
}

}  // namespace tessera::jose
