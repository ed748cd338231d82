#include "oauth/signing_keys.h"

#include <algorithm>

#include "jose/base64url.h"
#include "jose/digest.h"
#include "jose/jwk.h"
#include "jose/keyio.h"

namespace tessera::oauth {
namespace {

jose::KeyType KeyTypeFor(jose::Algorithm alg) {
  switch (jose::FamilyOf(alg)) {
    case jose::AlgorithmFamily::kEcdsa:
      return jose::KeyType::kEc;
    case jose::AlgorithmFamily::kEdDsa:
      return jose::KeyType::kEd25519;
    default:
      return jose::KeyType::kRsa;
  }
}

Result<std::shared_ptr<const LoadedKey>> Load(const store::SigningKeyRecord& rec) {
  auto loaded = std::make_shared<LoadedKey>();
  std::optional<jose::Algorithm> alg = jose::AlgorithmFromName(rec.alg);
  if (!alg) return Status::Internal("signing key " + rec.kid + " has unknown alg " + rec.alg);
  loaded->kid = rec.kid;
  loaded->alg = *alg;
  TESSERA_ASSIGN_OR_RETURN(jose::Key key, jose::LoadPrivateKey(rec.private_pem));
  TESSERA_ASSIGN_OR_RETURN(loaded->key, key.RestrictTo({*alg}));
  TESSERA_ASSIGN_OR_RETURN(loaded->public_key, loaded->key.PublicKey());
  TESSERA_ASSIGN_OR_RETURN(loaded->jwk, jose::PublicJwk(loaded->public_key, rec.kid));
  if (!rec.cert_der.empty()) {
    loaded->x5t = jose::X5tOf(rec.cert_der);
    loaded->x5t_s256 = jose::X5tS256Of(rec.cert_der);
    loaded->jwk["x5t"] = loaded->x5t;
    loaded->jwk["x5t#S256"] = loaded->x5t_s256;
    loaded->jwk["x5c"] = jose::Json::array({jose::Base64Encode(rec.cert_der)});
  }
  jose::Json header = {{"kid", loaded->kid}, {"typ", "JWT"}};
  if (!loaded->x5t.empty()) {
    header["x5t"] = loaded->x5t;
    header["x5t#S256"] = loaded->x5t_s256;
  }
  loaded->encoded_header = jose::EncodeProtectedHeader(loaded->alg, header);
  loaded->active = rec.retired_at == 0;
  loaded->publish_until = rec.publish_until;
  // Domain separation: the label makes this key useless for anything but nonces, and the
  // private key it comes from never leaves this process.
  loaded->dpop_nonce_key = jose::HmacSha256(rec.private_pem, "tessera dpop nonce key v1");
  return std::shared_ptr<const LoadedKey>(std::move(loaded));
}

}  // namespace

SigningKeys::SigningKeys(store::SigningKeyStore& store, const Clock& clock,
                         SigningKeyOptions options)
    : store_(store), clock_(clock), options_(options) {}

Result<store::SigningKeyRecord> SigningKeys::NewKeyRecord() {
  const jose::KeyType type = KeyTypeFor(options_.alg);
  TESSERA_ASSIGN_OR_RETURN(jose::Key key,
                           jose::GenerateKey(type, type == jose::KeyType::kEc ? 256 : 2048));
  TESSERA_ASSIGN_OR_RETURN(jose::Key pinned, key.RestrictTo({options_.alg}));
  const int64_t now = clock_.NowSeconds();
  TESSERA_ASSIGN_OR_RETURN(
      jose::Certificate cert,
      jose::MakeSelfSignedCertificate(pinned, "CN=Tessera token signing", 3650, now));
  store::SigningKeyRecord rec;
  TESSERA_ASSIGN_OR_RETURN(rec.kid, jose::JwkThumbprint(pinned));
  rec.alg = std::string(jose::AlgorithmName(options_.alg));
  TESSERA_ASSIGN_OR_RETURN(rec.private_pem, jose::PrivateKeyToPem(pinned));
  rec.cert_der = cert.der;
  rec.created_at = now;
  return rec;
}

Result<std::shared_ptr<const SigningKeys::Snapshot>> SigningKeys::Current(bool force) {
  {
    std::lock_guard lock(mu_);
    if (!force && snapshot_ &&
        clock_.NowSeconds() - snapshot_->loaded_at < options_.refresh_seconds) {
      return snapshot_;
    }
  }
  Result<std::vector<store::SigningKeyRecord>> recs = store_.ListSigningKeys();
  if (!recs.ok()) {
    // Keep signing with what we have while the store is briefly away; the jti write will fail
    // anyway, so no token is issued without the store.
    std::lock_guard lock(mu_);
    if (snapshot_) return snapshot_;
    return recs.status();
  }
  auto snap = std::make_shared<Snapshot>();
  const int64_t now = clock_.NowSeconds();
  std::shared_ptr<const Snapshot> previous;
  {
    std::lock_guard lock(mu_);
    previous = snapshot_;
  }
  for (const auto& rec : *recs) {
    if (rec.revoked_at != 0) continue;  // withdrawn: neither published nor trusted
    if (rec.retired_at != 0 && rec.publish_until < now) continue;  // no token it signed is alive
    // A key already loaded and unchanged is reused: parsing and checking a private key costs far
    // more than a token, and a refresh runs on a request thread.
    std::shared_ptr<const LoadedKey> k;
    if (previous) {
      for (const auto& p : previous->keys) {
        if (p->kid == rec.kid && p->active == (rec.retired_at == 0) &&
            p->publish_until == rec.publish_until)
          k = p;
      }
    }
    if (!k) {
      TESSERA_ASSIGN_OR_RETURN(k, Load(rec));
    }
    if (k->active && !snap->active) snap->active = k;
    snap->keys.push_back(std::move(k));
  }
  snap->loaded_at = now;
  std::shared_ptr<const Snapshot> value = snap;
  std::lock_guard lock(mu_);
  snapshot_ = value;
  return value;
}

Status SigningKeys::EnsureActiveKey() {
  TESSERA_ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> snap, Current(true));
  if (snap->active) return Status::Ok();
  TESSERA_ASSIGN_OR_RETURN(store::SigningKeyRecord rec, NewKeyRecord());
  TESSERA_RETURN_IF_ERROR(store_.AddSigningKey(rec));
  Status retired =
      store_.RetireOtherKeys(rec.kid, rec.created_at, rec.created_at + options_.max_token_lifetime);
  if (retired.code() == StatusCode::kFailedPrecondition) {
    // Nodes starting together on one shared store each made a key; the one that retired the
    // others (ours among them) won, and its key is the domain's: use it.
    TESSERA_ASSIGN_OR_RETURN(snap, Current(true));
    if (snap->active) return Status::Ok();
  }
  TESSERA_RETURN_IF_ERROR(retired);
  return Current(true).status();
}

Result<std::shared_ptr<const LoadedKey>> SigningKeys::Active() {
  TESSERA_ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> snap, Current(false));
  if (!snap->active) return Status::FailedPrecondition("no active signing key");
  return snap->active;
}

Result<std::shared_ptr<const LoadedKey>> SigningKeys::Find(const std::string& kid) {
  for (bool force : {false, true}) {
    TESSERA_ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> snap, Current(force));
    for (const auto& k : snap->keys) {
      if (k->kid == kid) return k;
    }
  }
  return Status::NotFound("no published signing key with kid " + kid.substr(0, 64));
}

Result<std::string> SigningKeys::JwksJson() {
  TESSERA_ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> snap, Current(false));
  jose::Json keys = jose::Json::array();
  for (const auto& k : snap->keys) keys.push_back(k->jwk);
  return jose::DumpCompact(jose::Json{{"keys", keys}});
}

Result<std::string> SigningKeys::Rotate() {
  TESSERA_ASSIGN_OR_RETURN(store::SigningKeyRecord rec, NewKeyRecord());
  TESSERA_RETURN_IF_ERROR(store_.AddSigningKey(rec));
  TESSERA_RETURN_IF_ERROR(store_.RetireOtherKeys(rec.kid, rec.created_at,
                                                 rec.created_at + options_.max_token_lifetime));
  TESSERA_RETURN_IF_ERROR(Current(true).status());
  return rec.kid;
}

Result<std::string> SigningKeys::Revoke(const std::string& kid) {
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::SigningKeyRecord> recs, store_.ListSigningKeys());
  const auto it =
      std::find_if(recs.begin(), recs.end(), [&](const auto& r) { return r.kid == kid; });
  if (it == recs.end()) return Status::NotFound("no signing key with kid " + kid.substr(0, 64));
  if (it->retired_at == 0 && it->revoked_at == 0) {
    // The active key: a successor first, so that tokens can be issued the moment it is gone.
    TESSERA_RETURN_IF_ERROR(Rotate().status());
  }
  TESSERA_RETURN_IF_ERROR(store_.RevokeSigningKey(kid, clock_.NowSeconds()));
  TESSERA_ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> snap, Current(true));
  if (!snap->active) return Status::FailedPrecondition("no active signing key");
  return snap->active->kid;
}

Result<std::vector<store::SigningKeyRecord>> SigningKeys::List() {
  return store_.ListSigningKeys();
}

Result<std::string> SigningKeys::Sign(const jose::Json& claims) {
  return SignPayload(jose::DumpCompact(claims));
}

Result<std::string> SigningKeys::SignPayload(std::string_view claims_json) {
  TESSERA_ASSIGN_OR_RETURN(std::shared_ptr<const LoadedKey> k, Active());
  return jose::SignEncoded(k->encoded_header, claims_json, k->key, k->alg);
}

}  // namespace tessera::oauth
