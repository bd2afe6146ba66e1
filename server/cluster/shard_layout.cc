#include "cluster/shard_layout.h"

#include <algorithm>
#include <cmath>

namespace tqdb::cluster {

uint64_t ShardPartitionAt(uint64_t partition_at, size_t shards) {
  if (shards <= 1) return partition_at;
  return (partition_at + shards - 1) / shards;
}

uint32_t ShardLists(uint32_t lists, size_t shards) {
  if (lists == 0 || shards <= 1) return lists;
  const double scaled = std::round(lists / std::sqrt(static_cast<double>(shards)));
  return static_cast<uint32_t>(std::max(1.0, scaled));
}

}  // namespace tqdb::cluster
