// MallocAllocator: which allocator serves this process's malloc, found at run time.
//
// "mimalloc <major>.<minor>.<patch>" when mimalloc is loaded (linked into the executable, as
// the release build of `tessera` does, or preloaded) and a block from malloc() is in its heap;
// "default" otherwise (the C library's malloc, or a sanitizer's). `tessera serve` logs it at
// startup, so an operator can tell which one a binary runs with.
//
// Thread safety: may be called from any thread.
#ifndef TESSERA_COMMON_ALLOCATOR_H_
#define TESSERA_COMMON_ALLOCATOR_H_

#include <string>

namespace tessera {

std::string MallocAllocator();

}  // namespace tessera

#endif  // TESSERA_COMMON_ALLOCATOR_H_
