// Scheduling of housekeeping threads that have no queue to fall behind on (the expiry purger).
#ifndef TESSERA_COMMON_BACKGROUND_THREAD_H_
#define TESSERA_COMMON_BACKGROUND_THREAD_H_

namespace tessera {

// Lowers the calling thread's scheduling priority (Linux: nice +10 for this thread alone), so
// that when it and a request-serving thread both want the same core the requests go first and
// its work fills the idle time instead of delaying an answer by a scheduler time slice. It
// still gets a share of the CPU, so it never starves. Best effort: a failure is ignored.
void LowerCurrentThreadPriority();

}  // namespace tessera

#endif  // TESSERA_COMMON_BACKGROUND_THREAD_H_
