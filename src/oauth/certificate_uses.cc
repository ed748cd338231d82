#include "oauth/certificate_uses.h"

#include "common/background_thread.h"

namespace tessera::oauth {

CertificateUses::CertificateUses(store::Store& store) : store_(store) {}

CertificateUses::~CertificateUses() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  (void)Flush();  // best effort at shutdown: the store may be gone already
}

void CertificateUses::Note(store::CertificateKind kind, const std::string& alias, int64_t at) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t& last = pending_[{kind, alias}];
  if (at > last) last = at;
}

Status CertificateUses::Flush() {
  std::map<Key, int64_t> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(pending_);
  }
  for (auto it = batch.begin(); it != batch.end(); ++it) {
    Status s = store_.RecordCertificateUse(it->first.first, it->first.second, it->second);
    if (!s.ok()) {
      // Put back what was not written; a use noted meanwhile may be later.
      std::lock_guard<std::mutex> lock(mu_);
      for (auto rest = it; rest != batch.end(); ++rest) {
        int64_t& last = pending_[rest->first];
        if (rest->second > last) last = rest->second;
      }
      return s;
    }
  }
  return Status::Ok();
}

void CertificateUses::StartFlushing(std::chrono::seconds interval) {
  thread_ = std::thread([this, interval] {
    LowerCurrentThreadPriority();
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, interval, [this] { return stop_; });
      if (stop_) break;
      lock.unlock();
      // A store error keeps the uses pending for the next round (the store's own health is
      // what /ready reports).
      (void)Flush();
      lock.lock();
    }
  });
}

Result<std::map<std::string, int64_t>> CertificateUses::Last(store::CertificateKind kind) {
  TESSERA_ASSIGN_OR_RETURN(auto out, store_.ListCertificateUses(kind));
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, at] : pending_) {
    if (key.first != kind) continue;
    int64_t& last = out[key.second];
    if (at > last) last = at;
  }
  return out;
}

}  // namespace tessera::oauth
