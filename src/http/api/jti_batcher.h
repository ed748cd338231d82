// JtiBatcher: records the jtis of concurrent token requests together (group commit).
//
// Recording a jti is one store write that must be durable before the token is sent (RFC 7523 3
// item 7); in SQLite each commit writes its pages to the WAL. Under load many token requests
// are ready at once: each queues its jtis here and waits, and one flush, deferred until the
// server has taken in what is ready, records the whole queue with TokenService::RecordJtis (one
// store transaction per round) and hands every request its own result. A lone request is
// flushed as soon as the server has nothing else queued, so it waits for nothing.
//
// Example (a handler):
//   batcher.Submit(&prepared->jtis, [prepared](std::optional<oauth::Rejection> r) { ... },
//                  request.defer);
//
// Thread safety: Submit may be called from any thread; each `done` runs exactly once, on the
// thread that flushes.
#ifndef TESSERA_HTTP_API_JTI_BATCHER_H_
#define TESSERA_HTTP_API_JTI_BATCHER_H_

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "http/metrics.h"
#include "oauth/token_service.h"

namespace tessera::http {

class JtiBatcher {
 public:
  using Done = std::function<void(std::optional<oauth::Rejection>)>;
  using Defer = std::function<void(std::function<void()>)>;

  // `max_batch`: the most requests one flush records; more wait for the next flush. `metrics`,
  // when given, counts flushes and the requests they carried (their ratio is the batch size)
  // and must outlive the batcher.
  explicit JtiBatcher(const oauth::TokenService& tokens, Metrics* metrics = nullptr,
                      std::size_t max_batch = 512);
  JtiBatcher(const JtiBatcher&) = delete;
  JtiBatcher& operator=(const JtiBatcher&) = delete;

  // Queues `jtis` (which must stay valid until `done` runs) and arranges a flush through
  // `defer` unless one is already pending. An empty `defer` flushes at once, on this thread.
  // `done` gets nullopt when every jti was recorded, else the rejection (replay, store error).
  void Submit(const std::vector<oauth::PendingJti>* jtis, Done done, const Defer& defer);

 private:
  struct Entry {
    const std::vector<oauth::PendingJti>* jtis;
    Done done;
  };
  void Flush(const Defer& defer);

  const oauth::TokenService& tokens_;
  Metrics* const metrics_;
  const std::size_t max_batch_;
  std::mutex mu_;
  std::vector<Entry> queue_;
  bool flush_pending_ = false;
};

}  // namespace tessera::http

#endif  // TESSERA_HTTP_API_JTI_BATCHER_H_
