// What a SharedMemoryBudget holds (tqdb/memory_budget.h): the RocksDB cache and memtable
// manager its stores share.
#pragma once

#include <memory>

#include "rocksdb/cache.h"
#include "rocksdb/write_buffer_manager.h"
#include "tqdb/memory_budget.h"

namespace tqdb {

struct SharedMemoryBudget::Parts {
  std::shared_ptr<rocksdb::Cache> block_cache;  // data, index and filter blocks, and rows
  std::shared_ptr<rocksdb::WriteBufferManager> write_buffers;
};

}  // namespace tqdb
