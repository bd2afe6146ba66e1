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
  const bool lower_better = LowerIsBetter(metric);
  std::stable_sort(scored.begin(), scored.end(), [&](const auto& a, const auto& b) {
    return lower_better ? a.first < b.first : a.first > b.first;
  });
  if (scored.size() > static_cast<size_t>(k)) scored.resize(k);
  return scored;
}

}  // namespace tqdb
