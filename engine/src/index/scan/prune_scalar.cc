// The reference pruning and table-key kernels: prune_kernels.h's formulas, one vector at a time.
#include <cmath>

#include "index/scan/prune_kernels.h"
#include "quant/half_float.h"

namespace tqdb::scan {

float PruneBound(const PruneTerms& t, uint32_t p_sum, uint32_t q_sum, float n, float a) {
  if (n < 0) return __builtin_huge_valf();
  const float abs_a = std::fabs(a);
  const float p = std::fma(t.p1, static_cast<float>(p_sum), t.p0);
  const float q = std::fma(t.q1, static_cast<float>(q_sum), t.q0);
  const float inner = std::fma(abs_a, t.e, std::fma(a, q, p));
  const float scale = std::fma(t.a_norm, std::fmax(n, 0.0f), t.a_const);
  const float square = n * n;
  const float bound = std::fma(scale, inner, std::fma(t.c1, square, t.c0));
  // |scale| (|p| + |a| |q| + |a| e) + |c0| + |c1| n^2, times the slack share.
  const float magnitude =
      std::fma(std::fabs(scale), std::fma(abs_a, std::fabs(q) + t.e, std::fabs(p)),
               std::fma(std::fabs(t.c1), square, std::fabs(t.c0)));
  return std::fma(magnitude, kPruneSlack, bound);
}

uint32_t PruneBlockScalar(const PruneTerms& t, const uint32_t* p_sums, const uint32_t* q_sums,
                          const float* norms, const float* auxs, int count, float threshold) {
  uint32_t keep = 0;
  for (int i = 0; i < count; ++i) {
    if (PruneBound(t, p_sums[i], q_sums[i], norms[i], auxs[i]) > threshold) keep |= 1u << i;
  }
  return keep;
}

float TableKey(const PruneTerms& t, uint32_t p_sum, uint32_t q_sum, float n, float a) {
  const float p = std::fma(t.p1, static_cast<float>(p_sum), t.p0);
  const float q = std::fma(t.q1, static_cast<float>(q_sum), t.q0);
  const float scale = std::fma(t.a_norm, std::fmax(n, 0.0f), t.a_const);
  return std::fma(scale, std::fma(a, q, p), std::fma(t.c1, n * n, t.c0));
}

uint32_t KeyBlockScalar(const PruneTerms& t, const uint32_t* p_sums, const uint32_t* q_sums,
                        const float* norms, const float* auxs, int count, float threshold,
                        float* keys) {
  uint32_t keep = 0;
  for (int i = 0; i < count; ++i) {
    keys[i] = TableKey(t, p_sums[i], q_sums[i], norms[i], auxs[i]);
    if (keys[i] >= threshold || norms[i] < 0) keep |= 1u << i;
  }
  return keep;
}

uint32_t KeyHalvesScalar(const PruneTerms& t, const uint32_t* p_sums, const uint32_t* q_sums,
                         const uint16_t* norms, const uint16_t* auxs, int count, float threshold,
                         float* keys) {
  float norm_floats[kBlockSize], aux_floats[kBlockSize];
  for (int i = 0; i < count; ++i) {
    norm_floats[i] = HalfToFloat(norms[i]);
    aux_floats[i] = HalfToFloat(auxs[i]);
  }
  return KeyBlockScalar(t, p_sums, q_sums, norm_floats, aux_floats, count, threshold, keys);
}

}  // namespace tqdb::scan
