// Directory: the per-node, read-mostly view of the identity domain over the store.
//
// Apps, users, parsed certificates and resource apps are cached for at most `ttl_seconds`
// (the staleness bound every node observes for changes made on another node); a change made
// through this node's admin API calls Invalidate() and is seen at once. Certificates are parsed
// into jose keys once per load, never per request (decoding a key costs tens of microseconds).
//
// Errors: kNotFound for an absent name; the store's kUnavailable passes through.
// Thread safety: all methods may be called concurrently.
#ifndef TESSERA_OAUTH_DIRECTORY_H_
#define TESSERA_OAUTH_DIRECTORY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "jose/keyio.h"
#include "store/store.h"
#include "tessera/clock.h"

namespace tessera::oauth {

struct NamedCertificate {
  std::string alias;
  jose::Certificate cert;
};

// A resource app's audience and scope values, for resolving fully qualified scopes.
struct ResourceView {
  std::string id;
  std::string display_name;
  std::string audience;
  std::vector<std::string> scopes;
  int64_t access_token_expiry = 0;
  bool active = true;  // an inactive resource app grants no scope (contract section 4)
};

class Directory {
 public:
  Directory(store::Store& store, const Clock& clock, int64_t ttl_seconds);

  Result<std::shared_ptr<const store::App>> FindClient(const std::string& client_id);
  Result<std::shared_ptr<const store::User>> FindUser(const std::string& user_name);
  // The client certificate registered under `alias`, parsed.
  Result<std::shared_ptr<const NamedCertificate>> ClientCertificate(const std::string& alias);
  Result<std::shared_ptr<const std::vector<NamedCertificate>>> PartnerCertificates();
  Result<std::shared_ptr<const std::vector<ResourceView>>> Resources();

  // Drops every cached entry (after an admin write on this node).
  void Invalidate();
  // How many times Invalidate ran: other per-node caches (FederationTrusts) follow it.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  template <typename T>
  struct Entry {
    std::shared_ptr<const T> value;
    int64_t loaded_at = 0;
  };
  bool Fresh(int64_t loaded_at) const;

  store::Store& store_;
  const Clock& clock_;
  const int64_t ttl_;
  std::mutex mu_;
  std::atomic<uint64_t> generation_{0};
  std::unordered_map<std::string, Entry<store::App>> clients_;      // GUARDED_BY(mu_)
  std::unordered_map<std::string, Entry<store::User>> users_;       // GUARDED_BY(mu_)
  std::unordered_map<std::string, Entry<NamedCertificate>> certs_;  // GUARDED_BY(mu_)
  Entry<std::vector<NamedCertificate>> partners_;                   // GUARDED_BY(mu_)
  Entry<std::vector<ResourceView>> resources_;                      // GUARDED_BY(mu_)
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_DIRECTORY_H_
