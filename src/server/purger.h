// The housekeeping of `tessera serve`: expired jti and revocation rows, and audit events older
// than the retention, deleted in bounded batches on a background thread, off the request path.
#ifndef TESSERA_SERVER_PURGER_H_
#define TESSERA_SERVER_PURGER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "store/store.h"
#include "tessera/clock.h"

namespace tessera::server {

struct PurgeOptions {
  int64_t audit_retention = 7776000;    // seconds an audit event is kept (90 days); 0 = for ever
  int batch = 1000;                     // rows per store call
  int max_batches = 100;                // store calls per kind and round: bounded work
  int64_t console_idle_timeout = 1800;  // console sessions idle this long are purged too
};

// One round at `now`: used jtis and revocations past their expiry, console sessions past their
// absolute end or idle for console_idle_timeout, and audit events whose time is before
// now - audit_retention. Stops at the first store error (the next round retries).
Status PurgeOnce(store::Store& store, int64_t now, const PurgeOptions& options);

// Runs PurgeOnce every `interval` on its own low-priority thread until destroyed.
class Purger {
 public:
  Purger(store::Store& store, const Clock& clock, PurgeOptions options,
         std::chrono::seconds interval = std::chrono::seconds(30));
  ~Purger();
  Purger(const Purger&) = delete;
  Purger& operator=(const Purger&) = delete;

 private:
  void Run();
  store::Store& store_;
  const Clock& clock_;
  const PurgeOptions options_;
  const std::chrono::seconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace tessera::server

#endif  // TESSERA_SERVER_PURGER_H_
