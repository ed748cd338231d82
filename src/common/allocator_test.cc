#include "common/allocator.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

namespace tessera {
namespace {

// This test binary is not linked with mimalloc: the C library (or a sanitizer) serves malloc.
TEST(MallocAllocatorTest, WithoutMimallocItIsTheDefault) {
  if (dlsym(RTLD_DEFAULT, "mi_version") != nullptr) GTEST_SKIP() << "mimalloc is preloaded";
  EXPECT_EQ(MallocAllocator(), "default");
}

// mimalloc loaded after start-up provides its own functions but not malloc, which was bound to
// the C library's already: loaded is not serving.
TEST(MallocAllocatorTest, MimallocLoadedButNotServingMallocIsNotReported) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's allocator is not to be mixed with another";
#else
  if (dlsym(RTLD_DEFAULT, "mi_version") != nullptr) GTEST_SKIP() << "mimalloc is preloaded";
  void* lib = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_GLOBAL);
  if (lib == nullptr) GTEST_SKIP() << "libmimalloc.so.2 is not installed";
  ASSERT_NE(dlsym(RTLD_DEFAULT, "mi_is_in_heap_region"), nullptr);
  EXPECT_EQ(MallocAllocator(), "default");
  // Not closed: a library that may hold blocks is never unloaded.
#endif
}

}  // namespace
}  // namespace tessera
