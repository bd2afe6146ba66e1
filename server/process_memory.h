// The process's memory as the kernel and the allocator count it.
#pragma once

#include <cstdint>

namespace tqdb::server {

// Resident bytes of this process now (/proc/self/statm), or 0 where that file is missing.
uint64_t ResidentBytes();

struct HeapBytes {
  uint64_t in_use = 0;  // handed out by malloc (small chunks and mmapped ones)
  uint64_t free = 0;    // held by malloc for reuse, not returned to the kernel
};
// Large allocations (request buffers, memtable arena blocks, batch scratch) come straight from
// the kernel and go back to it when freed. glibc's default raises that threshold to the largest
// block freed so far (up to 32 MiB), after which such blocks are carved from the heap, and the
// free space they leave stays resident: a bulk load then doubles the RSS. Call once, first.
void KeepLargeAllocationsOutOfTheHeap();

// The C allocator's totals over all its arenas (glibc's mallinfo2; zeros elsewhere).
HeapBytes AllocatorBytes();

}  // namespace tqdb::server
