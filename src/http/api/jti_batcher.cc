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
}

void JtiBatcher::Submit(const std::vector<oauth::PendingJti>* jtis, Done done, const Defer& defer) {
  bool schedule = false;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Entry{jtis, std::move(done)});
    if (!flush_pending_) flush_pending_ = schedule = true;
  }
  if (!schedule) return;
  if (defer) {
    // Deferred, not run now: the requests the server has already read are handled first and
    // join this batch.
    defer([this, defer] { Flush(defer); });
  } else {
    Flush(defer);
  }
}

void JtiBatcher::Flush(const Defer& defer) {
  std::vector<Entry> batch;
  bool more = false;
  {
    std::lock_guard lock(mu_);
    if (queue_.size() <= max_batch_) {
      batch.swap(queue_);
    } else {
      batch.assign(
          std::make_move_iterator(queue_.begin()),
          std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(max_batch_)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(max_batch_));
      more = true;
    }
    // Submits from now on schedule a new flush, unless the rest of the queue already has one.
    flush_pending_ = more;
  }
  if (more && defer) defer([this, defer] { Flush(defer); });
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
  if (more && !defer) Flush(defer);
}

}  // namespace tessera::http
