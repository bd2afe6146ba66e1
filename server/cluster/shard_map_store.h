// Shard maps in etcd (cluster_keys.h): read linearizably with the revision they were written at,
// and written only by the controller, only over the map it read (a compare on the map's
// revision and on the controller key's, in one transaction): two controllers, or one that lost
// its key without knowing, cannot both change a map.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cluster/controller_election.h"
#include "cluster/etcd_client.h"
#include "cluster/shard_map.h"

namespace tqdb::cluster {

struct StoredShardMap {
  ShardMap map;
  int64_t revision = 0;  // the key's mod_revision: what the next write compares
};

absl::StatusOr<std::optional<StoredShardMap>> ReadShardMap(EtcdClient& etcd,
                                                           const std::string& collection);

// Writes `map` over the one read at `expected_revision` (0: none stored yet) while the
// controller elected at `controller_fence` still holds its key; returns whether it wrote (false:
// re-read and decide again).
absl::StatusOr<bool> WriteShardMap(EtcdClient& etcd, const ShardMap& map, int64_t expected_revision,
                                   int64_t controller_fence);

// Removes the collection from the cluster: its shard map (the one read at `expected_revision`)
// and its record, together, under the same fence as WriteShardMap; returns whether it removed
// them (false: the map changed or the controller did; re-read and decide again).
absl::StatusOr<bool> RemoveCollectionRecords(EtcdClient& etcd, const std::string& collection,
                                             int64_t expected_revision, int64_t controller_fence);

}  // namespace tqdb::cluster
