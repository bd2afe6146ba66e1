#include "index/search_hits.h"

#include "index/rerank.h"

namespace tqdb {

std::vector<SearchHit> HitsOf(const InvertedLists& lists, const ScanLabels& labels, Metric metric,
                              const float* query, float query_norm_sq, TopK top,
                              const SearchParameters& params) {
  const std::vector<std::pair<float, uint32_t>> best = std::move(top).Sorted();
  return HitsOf(
      metric, query, query_norm_sq, lists.layout().dim, best, params,
      [&](size_t c) { return lists.id(labels.At(best[c].second)); },
      [&](size_t c) {
        const Location at = labels.At(best[c].second);
        return lists.store(at.list).vector(at.slot);
      });
}

}  // namespace tqdb
