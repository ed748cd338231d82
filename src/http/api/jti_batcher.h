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
// A replay is refused without the store when this batcher recorded that jti itself, among the
// last `remembered` it recorded (KnownReplay): a flood of one replayed assertion then costs no
// store transaction and takes no store write lock. The list only ever refuses: a jti not in it
// (recorded long ago, or by another node sharing the store) goes to the store's atomic insert,
// which decides as before; no entry is made for a jti the store has not recorded.
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
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
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
  // `remembered`: how many recorded jtis KnownReplay knows (the most recently recorded or
  // refused; about 200 bytes each: 16384 take some 3 MB).
  explicit JtiBatcher(const oauth::TokenService& tokens, Metrics* metrics = nullptr,
                      std::size_t max_batch = 512, std::size_t remembered = 16384);
  // Stop().
  ~JtiBatcher();
  JtiBatcher(const JtiBatcher&) = delete;
  JtiBatcher& operator=(const JtiBatcher&) = delete;

  // Queues `jtis` (which must stay valid until `done` runs) and wakes the writer through
  // `defer` (at once when `defer` is empty) unless it is already awake. `done` gets nullopt
  // when every jti was recorded, else the rejection (replay, store error).
  void Submit(const std::vector<oauth::PendingJti>* jtis, Done done, const Defer& defer);

  // RFC 7523 3 item 7 and RFC 9449 11.1 from memory: the rejection RecordJtis would give
  // (oauth::TokenService::ReplayRejection) for the first of `jtis` that this batcher has
  // recorded, else nullopt (then Submit them). Unlike the store's rounds, the jtis before the
  // known one are not spent: the request is refused before any is recorded, as for any other
  // refusal before the jti step.
  std::optional<oauth::Rejection> KnownReplay(const std::vector<oauth::PendingJti>& jtis);

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
  static std::string Key(const oauth::PendingJti& p);
  void Remember(std::string key);  // with recent_mu_ held

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
  // The jtis recorded lately, most recent (or most recently refused) first; bounded by
  // remembered_.
  const std::size_t remembered_;
  std::mutex recent_mu_;
  std::list<std::string> recent_;                                            // recent_mu_
  std::unordered_map<std::string, std::list<std::string>::iterator> index_;  // recent_mu_
};

}  // namespace tessera::http

#endif  // TESSERA_HTTP_API_JTI_BATCHER_H_
