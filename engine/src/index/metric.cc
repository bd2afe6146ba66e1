#include "tqdb/metric.h"

#include <cmath>

#include "index/exact_sums.h"

namespace tqdb {

const char* MetricName(Metric metric) {
  switch (metric) {
    case Metric::kInnerProduct:
      return "ip";
    case Metric::kCosine:
      return "cosine";
    case Metric::kL2:
      return "l2";
  }
  return "unknown";
}

double Dot(const float* a, const float* b, int dim) {
  double sum = 0;
  for (int j = 0; j < dim; ++j) sum += static_cast<double>(a[j]) * b[j];
  return sum;
}

float ExactScore(Metric metric, const float* query, float query_norm_sq, const float* x, int dim) {
  const ExactSums& sums = ActiveExactSums();
  if (metric == Metric::kL2) {
    // |q|^2 + |x|^2 - 2<q,x> cancels badly for near neighbours; sum the differences instead.
    return static_cast<float>(sums.squared_distance(query, x, dim));
  }
  double dot = 0, norm_x_sq = 0;
  sums.dot_and_norm(query, x, dim, &dot, &norm_x_sq);
  if (metric == Metric::kInnerProduct) return static_cast<float>(dot);
  return norm_x_sq == 0 ? 0.0f : static_cast<float>(dot / std::sqrt(query_norm_sq * norm_x_sq));
}

}  // namespace tqdb
