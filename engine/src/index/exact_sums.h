// The exact scorer's sums (metric.cc's ExactScore: re-rank and exact search), compiled once per
// SIMD level from one source (exact_sums.inc) and picked by the engine's SIMD level. In double,
// in eight lanes (coordinate j in lane j % 8) added in a fixed order at the end: every level,
// vectorized or not, gives the scalar build's bits (simd_kernels_test), where one running sum
// had made each candidate's score a chain of dependent adds.
#pragma once

#include "quant/simd_level.h"

namespace tqdb {

struct ExactSums {
  // <q, x> and |x|^2 over j < n.
  void (*dot_and_norm)(const float* q, const float* x, int n, double* dot, double* norm_x_sq);
  // <q, x> alone (a query's offset <q, m> for each list it probes).
  double (*dot)(const float* q, const float* x, int n);
  // |q - x|^2 over j < n.
  double (*squared_distance)(const float* q, const float* x, int n);
};

const ExactSums& ExactSumsFor(SimdLevel level);
inline const ExactSums& ActiveExactSums() { return ExactSumsFor(ActiveSimdLevel()); }

}  // namespace tqdb
