// SigningKeys: the identity domain's token-signing keys, their rotation and their JWKS.
//
// Exactly one key is active; it signs every access token and trust token this node mints.
// Retired keys stay published in the JWKS until `publish_until` (the retirement time plus the
// longest lifetime a token can have), so every token they signed stays verifiable until it
// expires (contract section 3). Keys are named by their RFC 7638 thumbprint (kid), carry a
// self-signed certificate (so tokens carry x5t and x5t#S256), and are parsed once per refresh,
// never per request. Every node re-reads the key table at most `refresh_seconds` after its last
// read, which bounds how long a rotation on another node takes to be seen here.
//
// A revoked key (Revoke: a key believed compromised) is withdrawn at once on this node, and on
// every other node within `refresh_seconds`: it leaves the JWKS, Find no longer returns it, so no
// token it signed verifies here any more (introspection, the admin API, tokeninfo), and it
// never signs again.
//
// Thread safety: all methods may be called concurrently.
#ifndef TESSERA_OAUTH_SIGNING_KEYS_H_
#define TESSERA_OAUTH_SIGNING_KEYS_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "jose/jws.h"
#include "jose/key.h"
#include "store/store.h"
#include "tessera/clock.h"

namespace tessera::oauth {

struct SigningKeyOptions {
  jose::Algorithm alg = jose::Algorithm::kRS256;  // RS256, ES256 or EdDSA
  int64_t refresh_seconds = 5;
  int64_t max_token_lifetime = 31556952;  // how long a retired key must stay published
};

struct LoadedKey {
  std::string kid;
  jose::Algorithm alg;
  jose::Key key;         // private; pinned to alg
  jose::Key public_key;  // pinned to alg
  std::string x5t, x5t_s256;
  // The JWS header of every token it signs, encoded (jose::EncodeProtectedHeader): alg, kid,
  // typ "JWT", x5t, x5t#S256.
  std::string encoded_header;
  jose::Json jwk;  // public JWK with kid, alg, use, x5t, x5t#S256, x5c
  bool active = false;
  int64_t publish_until = 0;
  // The DPoP server-nonce key (dpop_nonce.h) of this key's era: HMAC-SHA-256 of its stored
  // private key under a fixed label, so every node derives the same one from the key table and
  // nothing more is stored. Secret: never logged.
  std::string dpop_nonce_key;
};

class SigningKeys {
 public:
  SigningKeys(store::SigningKeyStore& store, const Clock& clock, SigningKeyOptions options);

  // Creates a key if none is active (first start). Idempotent.
  Status EnsureActiveKey();
  // The active key (refreshing from the store when due). kUnavailable if the store is down and
  // nothing was ever loaded; kFailedPrecondition if no key is active.
  Result<std::shared_ptr<const LoadedKey>> Active();
  // A published key by kid (active or retired, not past publish_until).
  Result<std::shared_ptr<const LoadedKey>> Find(const std::string& kid);
  // {"keys":[...]} of every published key.
  Result<std::string> JwksJson();
  // A new active key; the old ones are retired and stay published. Returns the new kid.
  Result<std::string> Rotate();

  // Withdraws `kid` now. When it is the active key, a new active key is made first (as Rotate),
  // so the domain never stops issuing. kNotFound if no key has that kid; revoking a revoked key
  // is OK and changes nothing. Returns the active kid afterwards.
  Result<std::string> Revoke(const std::string& kid);
  // Every stored key, newest first (the records as stored, private keys included: callers
  // show only the public fields).
  Result<std::vector<store::SigningKeyRecord>> List();

  // Signs `claims` with the active key; header alg, kid, typ "JWT", x5t, x5t#S256.
  Result<std::string> Sign(const jose::Json& claims);
  // The same for claims already serialised: `claims_json` is one JSON object's text (as
  // jose::JsonObjectWriter writes it), signed as it is.
  Result<std::string> SignPayload(std::string_view claims_json);

 private:
  struct Snapshot {
    std::vector<std::shared_ptr<const LoadedKey>> keys;
    std::shared_ptr<const LoadedKey> active;
    int64_t loaded_at = 0;
  };
  Result<std::shared_ptr<const Snapshot>> Current(bool force);
  Result<store::SigningKeyRecord> NewKeyRecord();

  store::SigningKeyStore& store_;
  const Clock& clock_;
  const SigningKeyOptions options_;
  std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_;  // GUARDED_BY(mu_)
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_SIGNING_KEYS_H_
