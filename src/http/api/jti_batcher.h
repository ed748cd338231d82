// JtiBatcher: records the jtis of concurrent token requests together (group commit), on a
// thread of its own.
//
// Recording a jti is one store write that must be durable before the token is sent (RFC 7523 3
// item 7); in SQLite each commit writes its pages to the WAL, in PostgreSQL it is a round trip.
// Each token request queues its jtis here and waits, without holding a server thread. The
// batcher's writer thread records the whole queue with TokenService::RecordJtis (one store
// transaction per round) and hands every request its own result; what arrives while a commit is
// under way goes into the next one. The server threads thus never wait for a commit, a disk
// write, or a store lock held by a background writer (audit, checkpoints): they go on verifying
// and signing other requests meanwhile.
//
// The writer is woken through the request's `defer`, i.e. after the server has handled what it
// had already read, so requests that arrive together start in one batch; a lone request is
// committed as soon as the server has nothing else queued, so it waits for nothing.
//
// Example (a handler):
//   batcher.Submit(&prepared->jtis, [prepared](std::optional<oauth::Rejection> r) { ... },
//                  request.defer);
//
// Thread safety: Submit may be called from any thread; each `done` runs exactly once, on the
// writer thread (or, after Stop, on the submitting thread).
#ifndef TESSERA_HTTP_API_JTI_BATCHER_H_
#define TESSERA_HTTP_API_JTI_BATCHER_H_

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "http/metrics.h"
#include "oauth/token_service.h"

namespace tessera::http {

class JtiBatcher {
 public:
  using Done = std::function<void(std::optional<oauth::Rejection>)>;
  using Defer = std::function<void(std::function<void()>)>;

  // Starts the writer thread. `max_batch`: the most requests one commit records; more wait for
  // the next. `metrics`, when given, counts commits and the requests they carried (their ratio
  // is the batch size) and must outlive the batcher.
  explicit JtiBatcher(const oauth::TokenService& tokens, Metrics* metrics = nullptr,
                      std::size_t max_batch = 512);
  // Stop().
  ~JtiBatcher();
  JtiBatcher(const JtiBatcher&) = delete;
  JtiBatcher& operator=(const JtiBatcher&) = delete;

  // Queues `jtis` (which must stay valid until `done` runs) and wakes the writer through
  // `defer` (at once when `defer` is empty) unless it is already awake. `done` gets nullopt
  // when every jti was recorded, else the rejection (replay, store error).
  void Submit(const std::vector<oauth::PendingJti>* jtis, Done done, const Defer& defer);

  // Records everything queued, then ends the writer thread. Submits after it record at once on
  // the calling thread. Idempotent.
  void Stop();

 private:
  struct Entry {
    const std::vector<oauth::PendingJti>* jtis;
    Done done;
  };
  void Wake();
  void Run();
  void Record(std::vector<Entry> batch);

  const oauth::TokenService& tokens_;
  Metrics* const metrics_;
  const std::size_t max_batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Entry> queue_;  // guarded by mu_
  bool busy_ = false;         // a wake-up is on its way or the writer is recording; mu_
  bool awake_ = false;        // the writer has been told to record the queue; mu_
  bool stop_ = false;         // mu_
  std::thread writer_;
};

}  // namespace tessera::http

#endif  // TESSERA_HTTP_API_JTI_BATCHER_H_
