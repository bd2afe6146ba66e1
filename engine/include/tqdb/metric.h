// Similarity metrics and how an estimate of <q, u> becomes a score (docs/DESIGN.md, "Scores").
#pragma once

namespace tqdb {

enum class Metric {
  kInnerProduct,  // score = <q, x>, higher is better
  kCosine,        // score = <q, x> / (|q| |x|), higher is better; 0 for a zero vector
  kL2,            // score = |q - x|^2, lower is better
};

const char* MetricName(Metric metric);

// <a, b> over `dim` floats, accumulated in double precision.
double Dot(const float* a, const float* b, int dim);

// The exact score of `x` for `query` (both `dim` floats), in double precision. `query_norm_sq`
// is |query|^2, computed once per query by the caller.
float ExactScore(Metric metric, const float* query, float query_norm_sq, const float* x, int dim);

// True when a lower score is better (L2).
constexpr bool LowerIsBetter(Metric metric) { return metric == Metric::kL2; }

// The score reported for a search key (higher keys are better). L2 keys are minus the estimated
// squared distance |q|^2 + n^2 - 2 n <q, u>, which rounding can push past zero when |q| = n is
// large and the query is the vector itself; a distance is never negative, so it is clamped
// there. Ranking uses the key, so the order of near neighbours is kept.
constexpr float ScoreOfKey(Metric metric, float key) {
  if (!LowerIsBetter(metric)) return key;
  return key > 0 ? 0.0f : -key;
}

}  // namespace tqdb
