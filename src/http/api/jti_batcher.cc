#include "http/api/jti_batcher.h"

#include <utility>

namespace tessera::http {

JtiBatcher::JtiBatcher(const oauth::TokenService& tokens, Metrics* metrics, std::size_t max_batch)
    : tokens_(tokens), metrics_(metrics), max_batch_(max_batch > 0 ? max_batch : 1) {
  if (metrics_ != nullptr) {
    metrics_->Describe("tessera_jti_flushes_total",
                       "Store transactions recording the jtis of token requests.");
    metrics_->Describe("tessera_jti_flushed_requests_total",
                       "Token requests whose jtis those transactions recorded.");
  }
  writer_ = std::thread([this] { Run(); });
}

JtiBatcher::~JtiBatcher() { Stop(); }

void JtiBatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
    awake_ = true;
  }
  cv_.notify_one();
  writer_.join();
}

void JtiBatcher::Submit(const std::vector<oauth::PendingJti>* jtis, Done done, const Defer& defer) {
  bool wake = false;
  {
    std::unique_lock lock(mu_);
    if (stop_) {  // the writer is gone: record this one here, outside the lock
      lock.unlock();
      std::vector<Entry> alone;
      alone.push_back(Entry{jtis, std::move(done)});
      Record(std::move(alone));
      return;
    }
    queue_.push_back(Entry{jtis, std::move(done)});
    if (!busy_) busy_ = wake = true;
  }
  if (!wake) return;
  if (defer) {
    // Deferred, not now: the requests the server has already read are handled first and join
    // this batch.
    defer([this] { Wake(); });
  } else {
    Wake();
  }
}

void JtiBatcher::Wake() {
  {
    std::lock_guard lock(mu_);
    awake_ = true;
  }
  cv_.notify_one();
}

void JtiBatcher::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return awake_; });
    if (queue_.empty()) {
      // Submits from now on wake the writer again.
      awake_ = busy_ = false;
      if (stop_) return;
      continue;
    }
    std::vector<Entry> batch;
    if (queue_.size() <= max_batch_) {
      batch.swap(queue_);
    } else {
      batch.assign(
          std::make_move_iterator(queue_.begin()),
          std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(max_batch_)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(max_batch_));
    }
    lock.unlock();
    Record(std::move(batch));
    lock.lock();
    // Still awake: what was queued during the commit is the next batch, at once.
  }
}

void JtiBatcher::Record(std::vector<Entry> batch) {
  if (metrics_ != nullptr) {
    metrics_->Increment("tessera_jti_flushes_total");
    metrics_->Increment("tessera_jti_flushed_requests_total", {},
                        static_cast<double>(batch.size()));
  }
  std::vector<const std::vector<oauth::PendingJti>*> jtis;
  jtis.reserve(batch.size());
  for (const Entry& e : batch) jtis.push_back(e.jtis);
  std::vector<std::optional<oauth::Rejection>> results = tokens_.RecordJtis(jtis);
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
}

}  // namespace tessera::http
