// The process's resident memory (RSS), as the kernel counts it.
#pragma once

#include <cstdint>

namespace tqdb::server {

// Resident bytes of this process now (/proc/self/statm), or 0 where that file is missing.
uint64_t ResidentBytes();

}  // namespace tqdb::server
