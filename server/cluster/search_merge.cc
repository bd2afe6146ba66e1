#include "cluster/search_merge.h"

#include <algorithm>

namespace tqdb::cluster {

std::vector<ShardHit> MergeTopK(const std::vector<std::vector<ShardHit>>& per_shard, size_t k) {
  std::vector<ShardHit> all;
  for (const std::vector<ShardHit>& hits : per_shard)
    all.insert(all.end(), hits.begin(), hits.end());
  const auto better = [](const ShardHit& a, const ShardHit& b) {
    return a.score > b.score || (a.score == b.score && a.id < b.id);
  };
  const size_t keep = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + keep, all.end(), better);
  all.resize(keep);
  return all;
}

}  // namespace tqdb::cluster
