// AuditLog: records every issuance, rejection and admin action without putting a database write
// on the request's critical path.
//
// Record() queues the event; one background thread appends queued events to the AuditStore in
// order, in batches of up to 256 per transaction gathered over a few milliseconds. When the queue
// holds `max_queued` events, Record() writes synchronously instead, so no event is ever dropped.
// Flush() waits (at most 5 s) until everything queued so far is written; the destructor flushes.
// Events queued but not yet written when the process is killed are lost: at most the last few
// milliseconds of audit (the jti itself is written synchronously, never here).
// A failed batch is logged (a warning to `logger`) and retried every 200 ms until it is written
// or the log is destroyed; a failed synchronous write is logged as an error and the event lost.
//
// Thread safety: Record and Flush may be called concurrently.
#ifndef TESSERA_OAUTH_AUDIT_H_
#define TESSERA_OAUTH_AUDIT_H_

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include "common/logger.h"
#include "oauth/reasons.h"
#include "store/store.h"

namespace tessera::oauth {

// The code part of an AuditEvent::reason: the text before the first ':', or the whole text when
// it has none (a rejection's reason is "<code>: <detail>", token_service.cc). The stores group
// and filter by the same rule (store::AuditFilter::reason_code, CountRejectionsByReason).
std::string_view AuditReasonCode(std::string_view reason);

// The AssertionChecks rule (AssertionRule) that refused a request, for a "rejected" event whose
// reason code is a Reason that maps to one; nullopt for every other event.
std::optional<int> AssertionRuleOf(const store::AuditEvent& event);

class AuditLog {
 public:
  // `logger` must outlive the AuditLog.
  explicit AuditLog(store::AuditStore& store, Logger& logger = StderrLogger(),
                    std::size_t max_queued = 10000);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  void Record(store::AuditEvent event);
  void Flush();

 private:
  void Run();

  store::AuditStore& store_;
  Logger& logger_;
  const std::size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable drained_;
  std::deque<store::AuditEvent> queue_;  // GUARDED_BY(mu_)
  std::size_t in_flight_ = 0;            // GUARDED_BY(mu_)
  int flushing_ = 0;                     // GUARDED_BY(mu_): Flush() calls waiting
  bool stop_ = false;                    // GUARDED_BY(mu_)
  std::thread worker_;
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_AUDIT_H_
