// The process's memory as the kernel and the allocator count it.
#pragma once

#include <cstdint>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tqdb::server {

// Resident bytes of this process now (/proc/self/statm), or 0 where that file is missing.
uint64_t ResidentBytes();

// "tcmalloc" when gperftools' allocator serves malloc (tqdb-server links it), else "libc".
const char* AllocatorName();

struct HeapBytes {
  uint64_t in_use = 0;  // handed out by malloc (small chunks and mmapped ones)
  uint64_t free = 0;    // held by malloc for reuse, not returned to the kernel
};
// Under glibc's malloc: large allocations (request buffers, memtable arena blocks, batch
// scratch) come straight from the kernel and go back to it when freed. glibc's default raises
// that threshold to the largest block freed so far (up to 32 MiB), after which such blocks are
// carved from the heap, and the free space they leave stays resident: a bulk load then doubles
// the RSS. Call once, first. Nothing to do under tcmalloc (FreeMemoryReturner bounds it).
void KeepLargeAllocationsOutOfTheHeap();

// The allocator's totals (tcmalloc's counters, or glibc's mallinfo2 over all its arenas).
HeapBytes AllocatorBytes();

// tcmalloc keeps freed pages for reuse (that is what makes a bulk load cheap: no page faults for
// the next request's buffers) and returns them to the kernel only when asked. This asks, from a
// thread of its own, every `period`: whatever it holds free beyond `keep_bytes` goes back, so the
// RSS after a load settles within a period. Does nothing under another allocator.
class FreeMemoryReturner {
 public:
  FreeMemoryReturner(uint64_t keep_bytes, absl::Duration period);
  ~FreeMemoryReturner();
  FreeMemoryReturner(const FreeMemoryReturner&) = delete;
  FreeMemoryReturner& operator=(const FreeMemoryReturner&) = delete;

  // Returns the free pages beyond `keep_bytes` now (after opening the data directory, whose
  // passes over every segment leave their buffers free), rather than at the next period.
  void ReturnNow() const;

 private:
  void Run(absl::Duration period);

  const uint64_t keep_bytes_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tqdb::server
