#include "process_memory.h"

#include <unistd.h>

#include <cstddef>
#include <cstdio>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

// gperftools' C interface, declared weak: present when tcmalloc is linked (tqdb-server), null in
// the test programs that link the same library without it.
extern "C" {
int MallocExtension_GetNumericProperty(const char* property, size_t* value) __attribute__((weak));
void MallocExtension_ReleaseToSystem(size_t num_bytes) __attribute__((weak));
}

namespace tqdb::server {
namespace {

bool UsingTcmalloc() { return MallocExtension_GetNumericProperty != nullptr; }

uint64_t TcmallocProperty(const char* name) {
  size_t value = 0;
  return MallocExtension_GetNumericProperty(name, &value) ? value : 0;
}

}  // namespace

uint64_t ResidentBytes() {
  std::FILE* file = std::fopen("/proc/self/statm", "r");
  if (file == nullptr) return 0;
  unsigned long long size = 0, resident = 0;  // in pages
  const int read = std::fscanf(file, "%llu %llu", &size, &resident);
  std::fclose(file);
  if (read != 2) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

const char* AllocatorName() { return UsingTcmalloc() ? "tcmalloc" : "libc"; }

void KeepLargeAllocationsOutOfTheHeap() {
#if defined(__GLIBC__)
  if (!UsingTcmalloc()) mallopt(M_MMAP_THRESHOLD, 256 << 10);  // a fixed value stops the raising
#endif
}

HeapBytes AllocatorBytes() {
  HeapBytes bytes;
  if (UsingTcmalloc()) {
    bytes.in_use = TcmallocProperty("generic.current_allocated_bytes");
    // Free in the page heap and in the per-thread and central caches; unmapped pages are gone.
    bytes.free = TcmallocProperty("tcmalloc.pageheap_free_bytes") +
                 TcmallocProperty("tcmalloc.current_total_thread_cache_bytes") +
                 TcmallocProperty("tcmalloc.central_cache_free_bytes");
    return bytes;
  }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 info = mallinfo2();
  bytes.in_use = info.uordblks + info.hblkhd;
  bytes.free = info.fordblks;
#endif
  return bytes;
}

FreeMemoryReturner::FreeMemoryReturner(uint64_t keep_bytes, absl::Duration period)
    : keep_bytes_(keep_bytes) {
  if (UsingTcmalloc()) thread_ = std::thread([=, this] { Run(period); });
}

FreeMemoryReturner::~FreeMemoryReturner() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void FreeMemoryReturner::ReturnNow() const {
  if (!UsingTcmalloc()) return;
  const uint64_t free = TcmallocProperty("tcmalloc.pageheap_free_bytes");
  if (free > keep_bytes_) MallocExtension_ReleaseToSystem(free - keep_bytes_);
}

void FreeMemoryReturner::Run(absl::Duration period) {
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), period)) ReturnNow();
}

}  // namespace tqdb::server
