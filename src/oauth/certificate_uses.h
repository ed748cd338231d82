// CertificateUses: when each client or partner certificate last verified an assertion.
//
// The token path only notes a use in memory (a mutex and a map update, no I/O); Flush writes the
// noted uses to the store, one write per certificate used since the previous Flush. Run by a
// background thread every `interval` (60 s in `tessera serve`), so a certificate's row is
// written at most once per interval however many tokens it verifies, and never while a token
// request waits. A crash loses at most the uses of the last interval; Last() merges the uses not
// yet written, so this node's answer is exact and other nodes' within one interval.
//
// Thread safety: every method may be called concurrently.
#ifndef TESSERA_OAUTH_CERTIFICATE_USES_H_
#define TESSERA_OAUTH_CERTIFICATE_USES_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "store/store.h"

namespace tessera::oauth {

class CertificateUses {
 public:
  explicit CertificateUses(store::Store& store);
  // Stops the background thread (if started) and writes what is pending.
  ~CertificateUses();
  CertificateUses(const CertificateUses&) = delete;
  CertificateUses& operator=(const CertificateUses&) = delete;

  // The certificate `alias` of `kind` verified an assertion at `at` (seconds).
  void Note(store::CertificateKind kind, const std::string& alias, int64_t at);

  // Writes every use noted since the last Flush. On a store error the uses stay pending and the
  // next Flush retries them.
  Status Flush();

  // Runs Flush every `interval` on a low-priority thread until destroyed.
  void StartFlushing(std::chrono::seconds interval);

  // alias -> last use, from the store and the uses not written yet.
  Result<std::map<std::string, int64_t>> Last(store::CertificateKind kind);

 private:
  using Key = std::pair<store::CertificateKind, std::string>;
  store::Store& store_;
  std::mutex mu_;
  std::map<Key, int64_t> pending_;  // GUARDED_BY(mu_); bounded by the certificates that exist
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_CERTIFICATE_USES_H_
