// How a collection is spread over the cluster: a shard count fixed at creation, each id in
// shard hash(id) mod S, and each shard owned by one node under an epoch that grows every time
// the shard changes owner. The map is stored in etcd (shard_map_store.h) and written only by the
// controller; nodes and routers cache it and check epochs on every write (a request carrying an
// older epoch than the owner's gets FailedPrecondition and its sender re-reads the map).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace tqdb::cluster {

struct ShardOwner {
  std::string node;    // empty: not assigned yet
  uint64_t epoch = 0;  // 1 on first assignment, then +1 on every change of owner
};

struct ShardMap {
  std::string collection;
  std::vector<ShardOwner> shards;  // index = shard number; the count never changes
};

// The shard of `id` among `shards`: a fixed 64-bit hash (XXH3 of its 8 little-endian bytes)
// mod the count, the same on every node, build and machine.
uint32_t ShardOf(uint64_t id, uint32_t shards);

// The positions in `ids` of each shard's ids, in their order: what a router sends each owner.
std::vector<std::vector<size_t>> SplitByShard(absl::Span<const uint64_t> ids, uint32_t shards);

// The map after assigning every shard whose owner is not among `live_nodes` (or has none) to the
// live node that owns the fewest, so a node's loss moves only its shards and a new map spreads
// them evenly; those shards' epochs grow by one. Unchanged when no node is live.
ShardMap AssignShards(const ShardMap& current, const std::vector<std::string>& live_nodes);

// FailedPrecondition unless `node` owns `shard` at `epoch` (a stale router or a former owner).
absl::Status CheckOwner(const ShardMap& map, uint32_t shard, std::string_view node, uint64_t epoch);

// The map as stored in etcd (JSON), and back; DataLoss for a value that is not a map.
std::string EncodeShardMap(const ShardMap& map);
absl::StatusOr<ShardMap> DecodeShardMap(std::string_view value);

}  // namespace tqdb::cluster
