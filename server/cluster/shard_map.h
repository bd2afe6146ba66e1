// How a collection is spread over the cluster: a shard count fixed at creation, each id in
// shard hash(id) mod S, and each shard owned by one node under an epoch that grows every time
// the shard changes owner. The map is stored in etcd (shard_map_store.h) and written only by the
// controller; nodes and routers cache it and check epochs on every write (a request carrying an
// older epoch than the owner's gets FailedPrecondition and its sender re-reads the map).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace tqdb::cluster {

struct ShardOwner {
  ShardOwner() = default;
  ShardOwner(std::string node, uint64_t epoch) : node(std::move(node)), epoch(epoch) {}

  std::string node;    // empty: not assigned yet
  uint64_t epoch = 0;  // 1 on first assignment, then +1 on every change of owner
  // Replicas (issue 34): the other nodes holding copies that follow the owner's log, and those
  // of them whose copy holds every write acknowledged so far (a sync write waits for these; a
  // failover promotes one of them). in_sync is a subset of replicas.
  std::vector<std::string> replicas;
  std::vector<std::string> in_sync;
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

// The map with `factor` - 1 replicas per shard where live nodes allow: a shard keeps its live
// replicas, loses those not live (from in_sync too), and takes the live nodes holding the
// fewest copies (owned or replicated) that do not hold it yet; ties go to the first by name, so
// every controller agrees. A replica added is not in sync, even to a new, empty shard: it must
// exist and catch up first (its owner then admits it). Owners and epochs do not change.
ShardMap PlaceReplicas(const ShardMap& current, const std::vector<std::string>& live_nodes,
                       uint32_t factor);

// Failover (issue 34): the map after each shard whose owner is not among `live_nodes` is given
// to its first live in-sync replica (in the map's order), epoch + 1; the former owner becomes a
// replica out of sync (back, it copies the new owner's shard), the promoted node leaves the
// replicas, and the other in-sync replicas stay in sync (each holds every acknowledged write).
// A shard with no live in-sync replica keeps its owner: promoting a copy that may lack
// acknowledged writes would lose them. Unchanged when nothing is to be promoted.
ShardMap PromoteReplicas(const ShardMap& current, const std::vector<std::string>& live_nodes);

// The shard's in-sync replicas with `nodes` removed (a copy that did not acknowledge a write in
// time) or `node` added (a copy that caught up); the rest of the map unchanged.
ShardMap WithoutInSync(const ShardMap& current, uint32_t shard,
                       absl::Span<const std::string> nodes);
ShardMap WithInSync(const ShardMap& current, uint32_t shard, const std::string& node);

// FailedPrecondition unless `node` owns `shard` at `epoch` (a stale router or a former owner).
absl::Status CheckOwner(const ShardMap& map, uint32_t shard, std::string_view node, uint64_t epoch);

// The map as stored in etcd (JSON), and back; DataLoss for a value that is not a map.
std::string EncodeShardMap(const ShardMap& map);
absl::StatusOr<ShardMap> DecodeShardMap(std::string_view value);

}  // namespace tqdb::cluster
