#include "common/allocator.h"

#include <dlfcn.h>

#include <cstdlib>

namespace tessera {

std::string MallocAllocator() {
  // Looked up, not linked: the libraries that carry this file must not pull mimalloc into the
  // programs that use them, and the answer must hold for a preloaded allocator too.
  using InHeap = bool (*)(const void*);
  using Version = int (*)();
  auto in_heap = reinterpret_cast<InHeap>(dlsym(RTLD_DEFAULT, "mi_is_in_heap_region"));
  auto version = reinterpret_cast<Version>(dlsym(RTLD_DEFAULT, "mi_version"));
  if (in_heap == nullptr || version == nullptr) return "default";
  // Loaded is not enough: a library may link mimalloc for its own mi_malloc calls while the C
  // library still serves malloc. Ask about a block malloc itself handed out.
  void* block = std::malloc(64);
  const bool serves = block != nullptr && in_heap(block);
  std::free(block);
  if (!serves) return "default";
  const int v = version();  // 209 for 2.0.9
  return "mimalloc " + std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." +
         std::to_string(v % 10);
}

}  // namespace tessera
