// RocksDB's state as a database reports it (Database::Stats), for monitoring: its own header so
// the storage layer that fills it needs nothing of the database's API.
#pragma once

#include <cstdint>

namespace tqdb {

// RocksDB's state for monitoring (Database::Stats).
struct StorageStats {
  bool writes_stopped = false;            // RocksDB stalls writes until compaction catches up
  uint64_t delayed_write_rate = 0;        // bytes/s while writes are slowed down, else 0
  uint64_t pending_compaction_bytes = 0;  // estimated bytes compaction still has to rewrite
  uint64_t running_compactions = 0;
  uint64_t memtable_bytes = 0;     // all memtables, all column families
  uint64_t block_cache_bytes = 0;  // in use, index and filter blocks included
  uint64_t block_cache_capacity = 0;
  uint64_t write_buffer_limit = 0;
  uint64_t table_readers_bytes = 0;  // table files' readers outside the cache
  uint64_t disk_bytes = 0;           // live table files
  // The budget the cache and memtable limit belong to when shared with other databases
  // (tqdb/memory_budget.h), so that a sum over them counts its cache once; null: its own.
  const void* shared_budget = nullptr;
};

}  // namespace tqdb
