#include "http/api/jti_batcher.h"

#include <utility>

namespace tessera::http {

JtiBatcher::JtiBatcher(const oauth::TokenService& tokens, Metrics* metrics, std::size_t max_batch,
                       std::size_t remembered)
    : tokens_(tokens),
      metrics_(metrics),
      max_batch_(max_batch > 0 ? max_batch : 1),
      remembered_(remembered) {
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

std::string JtiBatcher::Key(const oauth::PendingJti& p) {
  // Length-prefixed: no (issuer, jti) pair can spell another's key.
  return std::to_string(p.issuer.size()) + ':' + p.issuer + p.jti;
}

void JtiBatcher::Remember(std::string key) {
  if (remembered_ == 0) return;
  if (auto it = index_.find(key); it != index_.end()) {
    recent_.splice(recent_.begin(), recent_, it->second);
    return;
  }
  recent_.push_front(std::move(key));
  index_.emplace(recent_.front(), recent_.begin());
  if (recent_.size() > remembered_) {
    index_.erase(recent_.back());
    recent_.pop_back();
  }
}

std::optional<oauth::Rejection> JtiBatcher::KnownReplay(
    const std::vector<oauth::PendingJti>& jtis) {
  std::lock_guard lock(recent_mu_);
  for (const oauth::PendingJti& p : jtis) {
    std::string key = Key(p);
    if (index_.count(key) == 0) continue;
    // Kept at the front while it is being replayed: a flood of one jti never reaches the store.
    Remember(std::move(key));
    return oauth::TokenService::ReplayRejection(p);
  }
  return std::nullopt;
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
  {
    // Only the jtis of requests whose every jti the store has just recorded as new: nothing
    // here can refuse a jti the store would take.
    std::lock_guard lock(recent_mu_);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (results[i]) continue;
      for (const oauth::PendingJti& p : *batch[i].jtis) Remember(Key(p));
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
}

}  // namespace tessera::http
