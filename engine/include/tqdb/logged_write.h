// One write as a data directory's write-ahead log holds it, for shipping to a replica (issue
// 34). Replicas apply a primary's log rather than its requests: tqdb's codes also change by
// background jobs (centering, partitioning, segment merges), which a replica replaying requests
// would run differently; the log's bytes make both copies the same.
#pragma once

#include <cstdint>
#include <string>

namespace tqdb {

struct LoggedWrite {
  uint64_t sequence = 0;  // RocksDB's sequence number of its first record
  uint32_t count = 0;     // its records, each taking the next sequence number
  std::string data;       // RocksDB's WriteBatch representation
};

}  // namespace tqdb
