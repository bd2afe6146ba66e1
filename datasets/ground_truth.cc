#include "ground_truth.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace tqdb {

void NormalizeRows(std::vector<float>& values, int d) {
  for (size_t i = 0; i < values.size() / d; ++i) {
    float* row = &values[i * d];
    double s = 0;
    for (int j = 0; j < d; ++j) s += static_cast<double>(row[j]) * row[j];
    if (s == 0) continue;
    const float inv = static_cast<float>(1 / std::sqrt(s));
    for (int j = 0; j < d; ++j) row[j] *= inv;
  }
}

std::vector<std::vector<uint64_t>> ExactTopKByInnerProduct(const float* base, size_t n,
                                                           const float* queries, size_t nq, int d,
                                                           int k) {
  std::vector<std::vector<uint64_t>> result(nq);
  const size_t keep = std::min<size_t>(k, n);
#pragma omp parallel for schedule(dynamic, 4)
  for (size_t qi = 0; qi < nq; ++qi) {
    const float* q = queries + qi * d;
    std::vector<std::pair<float, uint64_t>> scored(n);
    for (size_t i = 0; i < n; ++i) {
      const float* x = base + i * d;
      float dot = 0;
#pragma omp simd reduction(+ : dot)
      for (int j = 0; j < d; ++j) dot += q[j] * x[j];
      scored[i] = {dot, i};
    }
    std::partial_sort(scored.begin(), scored.begin() + keep, scored.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t i = 0; i < keep; ++i) result[qi].push_back(scored[i].second);
  }
  return result;
}

}  // namespace tqdb
