#include "oauth/audit.h"

#include <cstdio>

namespace tessera::oauth {

AuditLog::AuditLog(store::AuditStore& store, std::size_t max_queued)
    : store_(store), max_queued_(max_queued), worker_([this] { Run(); }) {}

AuditLog::~AuditLog() {
  Flush();
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void AuditLog::Record(store::AuditEvent event) {
  {
    std::unique_lock lock(mu_);
    if (queue_.size() < max_queued_) {
      queue_.push_back(std::move(event));
      lock.unlock();
      cv_.notify_one();
      return;
    }
  }
  // Back-pressure instead of loss.
  if (Status s = store_.AppendAudit(event); !s.ok()) {
    std::fprintf(stderr, "tessera: audit write failed: %s\n", s.ToString().c_str());
  }
}

void AuditLog::Flush() {
  std::unique_lock lock(mu_);
  // Bounded: with the store down for good, shutdown must still finish.
  drained_.wait_for(lock, std::chrono::seconds(5), [this] { return queue_.empty() && in_flight_ == 0; });
}

void AuditLog::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) return;
    store::AuditEvent event = std::move(queue_.front());
    queue_.pop_front();
    ++in_flight_;
    lock.unlock();
    Status s = store_.AppendAudit(event);
    if (!s.ok()) {
      // The store is away: keep the event and retry shortly rather than lose it.
      std::fprintf(stderr, "tessera: audit write failed (will retry): %s\n", s.ToString().c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    lock.lock();
    --in_flight_;
    if (!s.ok() && !stop_) queue_.push_front(std::move(event));
    if (queue_.empty() && in_flight_ == 0) drained_.notify_all();
  }
}

}  // namespace tessera::oauth
