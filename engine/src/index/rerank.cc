#include "index/rerank.h"

#include <algorithm>

namespace tqdb {

std::vector<std::pair<float, size_t>> RerankExact(
    Metric metric, const float* query, float query_norm_sq, int dim, size_t candidates, int k,
    const std::function<const float*(size_t)>& vector_of) {
  std::vector<std::pair<float, size_t>> scored(candidates);
  // The candidates' floats are scattered in memory: ask for the start of each before scoring
  // any, so the cache misses overlap instead of coming one after another.
  const size_t head = std::min<size_t>(dim * sizeof(float), 256);
  for (size_t i = 0; i < candidates; ++i) {
    const char* row = reinterpret_cast<const char*>(vector_of(i));
    for (size_t offset = 0; offset < head; offset += 64) __builtin_prefetch(row + offset);
  }
  for (size_t i = 0; i < candidates; ++i) {
    scored[i] = {ExactScore(metric, query, query_norm_sq, vector_of(i), dim), i};
  }
  // Only the best k are ordered (a partial sort, where a stable sort of every candidate took a
  // buffer and a merge); equal scores keep the candidates' order, as a stable sort's would.
  const bool lower_better = LowerIsBetter(metric);
  const size_t kept = std::min(scored.size(), static_cast<size_t>(k));
  std::partial_sort(scored.begin(), scored.begin() + kept, scored.end(),
                    [&](const auto& a, const auto& b) {
                      if (a.first != b.first) {
                        return lower_better ? a.first < b.first : a.first > b.first;
                      }
                      return a.second < b.second;
                    });
  scored.resize(kept);
  return scored;
}

std::vector<SearchHit> HitsOf(Metric metric, const float* query, float query_norm_sq, int dim,
                              const std::vector<std::pair<float, uint32_t>>& best,
                              const SearchParameters& params,
                              const std::function<uint64_t(size_t)>& id_of,
                              const std::function<const float*(size_t)>& vector_of) {
  std::vector<SearchHit> hits;
  if (params.rerank) {
    for (const auto& [score, c] :
         RerankExact(metric, query, query_norm_sq, dim, best.size(), params.k, vector_of)) {
      hits.push_back({id_of(c), score});
    }
    return hits;
  }
  hits.reserve(std::min<size_t>(best.size(), params.k));
  for (size_t c = 0; c < best.size() && c < static_cast<size_t>(params.k); ++c) {
    hits.push_back({id_of(c), ScoreOfKey(metric, best[c].first)});
  }
  return hits;
}

}  // namespace tqdb
