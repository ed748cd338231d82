// The threads `tessera gateway` runs its upstream calls on.
//
// Each call blocks (in libcurl) until its upstream answers; on these threads it holds one of
// them, not one of the server's, so the server's threads go on verifying, refusing and relaying
// while upstreams are slow. At most `threads` calls run at once and up to `max_queued` more wait
// their turn: Submit refuses beyond that, whether the threads are busy or still starting.
//
// A call goes to the thread that became idle last (one that has run no call yet counts as idle
// longest, so threads still starting never take the place of a warm one). With light traffic
// one or two threads do all the work, and their stacks, libcurl handles and upstream connections
// stay warm; a burst still spreads over every thread. A call returns what is left to do once its
// result is in (relaying the answer), and the thread is back on the idle list before that runs:
// the next request the answer provokes (a client sending one after another) finds this very
// thread, whatever the scheduler does between the two.
//
// The destructor runs what is queued, then joins the threads: destroy the pool only once no
// caller waits on a result it has not yet been given.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tessera::gateway {

class UpstreamPool {
 public:
  // `threads` below 1 counts as 1.
  UpstreamPool(int threads, std::size_t max_queued);
  ~UpstreamPool();
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // A call, and what it leaves to run once its thread is idle again (may be empty). A call handed
  // to the thread meanwhile waits for that to finish.
  using Call = std::function<std::function<void()>()>;

  // Hands `call` to an idle thread or queues it; false (and `call` dropped) when `threads` calls
  // are running or handed over and `max_queued` are waiting.
  [[nodiscard]] bool Submit(Call call);

 private:
  struct Worker {
    std::condition_variable wake;
    Call call;            // handed over by Submit; guarded by mu_
    bool listed = false;  // on idle_; guarded by mu_
  };

  void Run(Worker& self);

  const std::size_t max_queued_;
  std::mutex mu_;
  std::deque<Worker> workers_;  // fixed after construction; a deque never moves them
  std::vector<Worker*> idle_;   // waiting threads, the last idled at the back; mu_
  std::deque<Call> queue_;      // calls no thread was free for; guarded by mu_
  std::size_t running_ = 0;     // calls handed over or running; guarded by mu_
  bool stop_ = false;           // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace tessera::gateway
