#include "common/background_thread.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tessera {

void LowerCurrentThreadPriority() {
  // On Linux the nice value belongs to the thread (task) named by its id, not to the process.
  // +10 gives the thread about a tenth of the weight of a default one when both are runnable.
  constexpr int kNice = 10;
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  (void)::setpriority(PRIO_PROCESS, tid, kNice);
}

}  // namespace tessera
