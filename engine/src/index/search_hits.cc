#include "index/search_hits.h"

#include "index/rerank.h"

namespace tqdb {

std::vector<SearchHit> HitsOf(const InvertedLists& lists, const ScanLabels& labels, Metric metric,
                              const float* query, float query_norm_sq, TopK top,
                              const SearchParameters& params) {
  const std::vector<std::pair<float, uint32_t>> best = std::move(top).Sorted();
  // Each candidate's location, looked up once (a re-rank asks for its id and its floats).
  std::vector<Location> where(best.size());
  for (size_t c = 0; c < best.size(); ++c) where[c] = labels.At(best[c].second);
  return HitsOf(
      metric, query, query_norm_sq, lists.layout().dim, best, params,
      [&](size_t c) { return lists.id(where[c]); },
      [&](size_t c) { return lists.store(where[c].list).vector(where[c].slot); });
}

}  // namespace tqdb
