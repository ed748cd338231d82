#include "server/purger.h"

#include "common/background_thread.h"

namespace tessera::server {

Status PurgeOnce(store::Store& store, int64_t now, const PurgeOptions& o) {
  bool jtis = true, revocations = true, sessions = true, audit = o.audit_retention > 0;
  for (int i = 0; i < o.max_batches && (jtis || revocations || sessions || audit); ++i) {
    if (jtis) {
      TESSERA_ASSIGN_OR_RETURN(int n, store.PurgeExpiredJtis(now, o.batch));
      jtis = n == o.batch;
    }
    if (revocations) {
      TESSERA_ASSIGN_OR_RETURN(int n, store.PurgeExpiredRevocations(now, o.batch));
      revocations = n == o.batch;
    }
    if (sessions) {
      TESSERA_ASSIGN_OR_RETURN(
          int n, store.PurgeConsoleSessions(now, now - o.console_idle_timeout, o.batch));
      sessions = n == o.batch;
    }
    if (audit) {
      TESSERA_ASSIGN_OR_RETURN(int n, store.PurgeAuditBefore(now - o.audit_retention, o.batch));
      audit = n == o.batch;
    }
  }
  return Status::Ok();
}

Purger::Purger(store::Store& store, const Clock& clock, PurgeOptions options,
               std::chrono::seconds interval)
    : store_(store), clock_(clock), options_(options), interval_(interval), thread_([this] {
        Run();
      }) {}

Purger::~Purger() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Purger::Run() {
  LowerCurrentThreadPriority();
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) {
    lock.unlock();
    // A failed round (the store away) is retried at the next one.
    (void)PurgeOnce(store_, clock_.NowSeconds(), options_);
    lock.lock();
  }
}

}  // namespace tessera::server
