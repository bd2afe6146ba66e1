// One RocksDB memory budget shared by several databases: a cluster node's shards, each a
// database directory of its own, draw on one block cache (with its row cache) and one memtable
// budget, so the node stays within its --cache_mb and --write_buffer_mb however many shards it
// holds, rather than each shard taking a fixed share.
#pragma once

#include <cstddef>
#include <memory>

namespace tqdb {

class SharedMemoryBudget {
 public:
  static std::shared_ptr<SharedMemoryBudget> Make(size_t block_cache_bytes,
                                                  size_t write_buffer_bytes);
  ~SharedMemoryBudget();

  size_t block_cache_bytes() const { return block_cache_bytes_; }
  size_t write_buffer_bytes() const { return write_buffer_bytes_; }
  // RocksDB's objects (db/storage/memory_budget_parts.h), for the stores that share them.
  struct Parts;
  const Parts& parts() const { return *parts_; }

 private:
  SharedMemoryBudget(size_t block_cache_bytes, size_t write_buffer_bytes);

  size_t block_cache_bytes_;
  size_t write_buffer_bytes_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace tqdb
