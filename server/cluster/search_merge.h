// A search over a sharded collection asks every shard for its k best and keeps the k best of
// them all: each shard's list holds the best of its own ids, so the global k best are among the
// union. Exact when the shards' scores are comparable: re-ranked scores (exact floats), or
// estimates made with one center and codebook everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tqdb::cluster {

struct ShardHit {
  uint64_t id = 0;
  float score = 0;  // higher is better (as SearchHit::score)
};

// The `k` best of all lists, best first; ties go to the smaller id, so the order does not depend
// on which shard answered first.
std::vector<ShardHit> MergeTopK(const std::vector<std::vector<ShardHit>>& per_shard, size_t k);

}  // namespace tqdb::cluster
