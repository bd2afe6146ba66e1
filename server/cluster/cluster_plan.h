// Which shard moves even out a cluster's collections over its registered nodes, or empty one
// node before it leaves, planned from GetClusterStatus and carried out one MoveShard at a time:
// by the controller once the cluster has been still a while (cluster_controller.h), and by
// `tqdb cluster rebalance` and `tqdb cluster drain NODE`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tqdb/v1/tqdb.pb.h"

namespace tqdb::cluster {

struct ShardMove {
  std::string collection;
  uint32_t shard = 0;
  std::string from;
  std::string to;
};

// Per collection: with `drain` set, that node's shards first, each to the registered node that
// then holds the fewest of the collection's shards; then, from the node holding the most to
// the one holding the fewest, one shard at a time until they differ by at most one. Shards
// whose owner is not registered stay (a node that is down cannot send them). Ties go to the
// smaller node id and the larger shard number, so the plan is the same on every run.
std::vector<ShardMove> PlanMoves(const v1::GetClusterStatusResponse& status,
                                 const std::string& drain = "");

}  // namespace tqdb::cluster
