#include "oauth/audit.h"

#include <vector>

#include "common/log_value.h"

namespace tessera::oauth {
namespace {
constexpr std::size_t kMaxBatch = 256;
constexpr auto kGatherTime = std::chrono::milliseconds(5);
}  // namespace

std::string_view AuditReasonCode(std::string_view reason) {
  return reason.substr(0, reason.find(':'));
}

std::optional<int> AssertionRuleOf(const store::AuditEvent& event) {
  if (event.outcome != "rejected") return std::nullopt;
  std::optional<Reason> reason = ReasonFromCode(AuditReasonCode(event.reason));
  if (!reason) return std::nullopt;
  return AssertionRule(*reason);
}

AuditLog::AuditLog(store::AuditStore& store, Logger& logger, std::size_t max_queued)
    : store_(store), logger_(logger), max_queued_(max_queued), worker_([this] { Run(); }) {}

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
      const bool was_empty = queue_.empty();
      queue_.push_back(std::move(event));
      lock.unlock();
      // Only the first event of a batch wakes the writer: a wake-up per request would cost a
      // futex call and a context switch on every token request.
      if (was_empty) cv_.notify_one();
      return;
    }
  }
  // Back-pressure instead of loss.
  if (Status s = store_.AppendAudit(event); !s.ok()) {
    logger_.Log(LogLevel::kError, "audit write failed, event lost: " + LogValue(s.ToString()));
  }
}

void AuditLog::Flush() {
  std::unique_lock lock(mu_);
  ++flushing_;
  cv_.notify_all();
  // Bounded: with the store down for good, shutdown must still finish.
  drained_.wait_for(lock, std::chrono::seconds(5),
                    [this] { return queue_.empty() && in_flight_ == 0; });
  --flushing_;
}

void AuditLog::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) return;
    // Let a batch gather for a few milliseconds (less under a flush or at shutdown): under load
    // one commit then carries hundreds of events instead of one.
    cv_.wait_for(lock, kGatherTime,
                 [this] { return stop_ || flushing_ > 0 || queue_.size() >= kMaxBatch; });
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
      logger_.Log(LogLevel::kWarning, "audit write failed (will retry): " + LogValue(s.ToString()));
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
