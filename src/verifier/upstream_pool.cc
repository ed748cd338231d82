#include "verifier/upstream_pool.h"

#include <algorithm>
#include <utility>

namespace tessera::gateway {

UpstreamPool::UpstreamPool(int threads, std::size_t max_queued)
    : max_queued_(max_queued), workers_(static_cast<std::size_t>(std::max(threads, 1))) {
  threads_.reserve(workers_.size());
  for (Worker& w : workers_) threads_.emplace_back([this, &w] { Run(w); });
}

UpstreamPool::~UpstreamPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  for (Worker& w : workers_) w.wake.notify_one();
  for (std::thread& t : threads_) t.join();
}

bool UpstreamPool::Submit(Call call) {
  Worker* w = nullptr;
  {
    std::lock_guard lock(mu_);
    if (idle_.empty()) {
      // Capacity counts the threads, not the idle list: a thread still starting, or on its way
      // back from a call, takes a queued call as soon as it gets here.
      if (running_ + queue_.size() >= workers_.size() + max_queued_) return false;
      queue_.push_back(std::move(call));
      return true;
    }
    w = idle_.back();
    idle_.pop_back();
    w->listed = false;
    w->call = std::move(call);
    ++running_;
  }
  w->wake.notify_one();
  return true;
}

void UpstreamPool::Run(Worker& self) {
  std::unique_lock lock(mu_);
  // A thread that has never run a call joins the idle list at the bottom: one that has is warmer
  // (its stack, libcurl handle and connection), and threads still starting must not take the
  // place of the one the last call used.
  bool used = false;
  auto list = [&] {
    if (!self.listed) idle_.insert(used ? idle_.end() : idle_.begin(), &self);
    self.listed = true;
  };
  while (true) {
    Call call;
    if (self.call != nullptr) {  // handed over while it was idle (or finishing its last call)
      call = std::move(self.call);
      self.call = nullptr;
    } else if (!queue_.empty()) {
      call = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    } else if (stop_) {
      if (self.listed) std::erase(idle_, &self);
      return;
    } else {
      // Idle: wait for a call of its own. A shared condition variable would wake its waiters
      // roughly in turn and walk light traffic through every thread.
      list();
      self.wake.wait(lock, [&] { return stop_ || self.call != nullptr; });
      continue;  // stopping: what is queued runs first
    }
    used = true;
    lock.unlock();
    std::function<void()> then = call();
    call = nullptr;  // what it holds goes before the lock is taken again
    lock.lock();
    --running_;
    if (then == nullptr) continue;
    // Idle before the rest runs, so what it provokes comes back to this thread. Not when calls
    // are waiting: the loop takes the next one right after.
    if (queue_.empty() && !stop_) list();
    lock.unlock();
    then();
    then = nullptr;
    lock.lock();
  }
}

}  // namespace tessera::gateway
