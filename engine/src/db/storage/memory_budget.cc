#include "db/storage/memory_budget_parts.h"

namespace tqdb {

std::shared_ptr<SharedMemoryBudget> SharedMemoryBudget::Make(size_t block_cache_bytes,
                                                             size_t write_buffer_bytes) {
  return std::shared_ptr<SharedMemoryBudget>(
      new SharedMemoryBudget(block_cache_bytes, write_buffer_bytes));
}

SharedMemoryBudget::SharedMemoryBudget(size_t block_cache_bytes, size_t write_buffer_bytes)
    : block_cache_bytes_(block_cache_bytes),
      write_buffer_bytes_(write_buffer_bytes),
      parts_(std::make_unique<Parts>()) {
  parts_->block_cache = rocksdb::NewLRUCache(block_cache_bytes);
  // As a database's own (store.cc): no stall, the largest memtable is flushed past the budget.
  parts_->write_buffers = std::make_shared<rocksdb::WriteBufferManager>(write_buffer_bytes, nullptr,
                                                                        /*allow_stall=*/false);
}

SharedMemoryBudget::~SharedMemoryBudget() = default;

}  // namespace tqdb
