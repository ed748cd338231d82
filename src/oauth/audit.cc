#include "oauth/audit.h"

#include <cstdio>
#include <vector>

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
  constexpr std::size_t kMaxBatch = 256;
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) return;
    // Everything queued so far, in one transaction: under load one commit serves many requests.
    std::vector<store::AuditEvent> batch;
    while (!queue_.empty() && batch.size() < kMaxBatch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    in_flight_ += batch.size();
    lock.unlock();
    Status s = store_.AppendAudits(batch);
    if (!s.ok()) {
      // The store is away: keep the events and retry shortly rather than lose them.
      std::fprintf(stderr, "tessera: audit write failed (will retry): %s\n", s.ToString().c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    lock.lock();
    in_flight_ -= batch.size();
    if (!s.ok() && !stop_) {
      for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(std::move(*it));
    }
    if (queue_.empty() && in_flight_ == 0) drained_.notify_all();
  }
}

}  // namespace tessera::oauth
