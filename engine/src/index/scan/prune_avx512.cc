// AVX-512 pruning kernel: 16 vectors per register, two registers per block. Built with
// -mavx512f and only called when the CPU has it (scan_dispatch.cc).
// GCC 12's _mm512_abs_ps and _mm512_cvtepu32_ps pass an undefined register as the masked-off
// source and then warn about it; their masks are all ones, so nothing undefined is read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "index/scan/prune_kernels.h"

namespace tqdb::scan {
namespace {

// Bits of the 16 vectors from `first` (of `count` in the block) that are kept.
uint32_t PruneSixteen(const PruneTerms& t, const uint32_t* p_sums, const uint32_t* q_sums,
                      const float* norms, const float* auxs, int first, int count,
                      float threshold) {
  const int lanes = count - first;
  const __mmask16 valid = lanes >= 16 ? 0xffff : static_cast<__mmask16>((1u << lanes) - 1);
  const __m512 zero = _mm512_setzero_ps();
  const __m512 n = _mm512_maskz_loadu_ps(valid, norms + first);
  const __m512 a = _mm512_maskz_loadu_ps(valid, auxs + first);
  const __m512 abs_a = _mm512_abs_ps(a);
  const __m512 p_sum = _mm512_cvtepu32_ps(_mm512_loadu_si512(p_sums + first));
  const __m512 q_sum = _mm512_cvtepu32_ps(_mm512_loadu_si512(q_sums + first));
  const __m512 e = _mm512_set1_ps(t.e);
  const __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(t.p1), p_sum, _mm512_set1_ps(t.p0));
  const __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(t.q1), q_sum, _mm512_set1_ps(t.q0));
  const __m512 inner = _mm512_fmadd_ps(abs_a, e, _mm512_fmadd_ps(a, q, p));
  const __m512 scale =
      _mm512_fmadd_ps(_mm512_set1_ps(t.a_norm), _mm512_max_ps(n, zero), _mm512_set1_ps(t.a_const));
  const __m512 square = _mm512_mul_ps(n, n);
  const __m512 bound = _mm512_fmadd_ps(
      scale, inner, _mm512_fmadd_ps(_mm512_set1_ps(t.c1), square, _mm512_set1_ps(t.c0)));
  const __m512 magnitude =
      _mm512_fmadd_ps(_mm512_abs_ps(scale),
                      _mm512_fmadd_ps(abs_a, _mm512_add_ps(_mm512_abs_ps(q), e), _mm512_abs_ps(p)),
                      _mm512_fmadd_ps(_mm512_abs_ps(_mm512_set1_ps(t.c1)), square,
                                      _mm512_abs_ps(_mm512_set1_ps(t.c0))));
  const __m512 slackened = _mm512_fmadd_ps(magnitude, _mm512_set1_ps(kPruneSlack), bound);
  const __mmask16 keep = _mm512_cmp_ps_mask(slackened, _mm512_set1_ps(threshold), _CMP_GT_OQ) |
                         _mm512_cmp_ps_mask(n, zero, _CMP_LT_OQ);
  return static_cast<uint32_t>(keep & valid);
}

}  // namespace

uint32_t PruneBlockAvx512(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                          const float* norms, const float* auxs, int count, float threshold) {
  uint32_t keep = PruneSixteen(terms, p_sums, q_sums, norms, auxs, 0, count, threshold);
  if (count > 16) {
    keep |= PruneSixteen(terms, p_sums, q_sums, norms, auxs, 16, count, threshold) << 16;
  }
  return keep;
}

}  // namespace tqdb::scan
