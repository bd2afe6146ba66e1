// AVX2 pruning kernel: 8 vectors per register, four registers per block. Built with -mavx2
// -mfma and only called when the CPU has both (scan_dispatch.cc).
#include <immintrin.h>

#include "index/scan/prune_kernels.h"

namespace tqdb::scan {
namespace {

// Bits of the 8 vectors from `first` (of `count` in the block) that are kept.
uint32_t PruneEight(const PruneTerms& t, const uint32_t* p_sums, const uint32_t* q_sums,
                    const float* norms, const float* auxs, int first, int count, float threshold) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i valid = _mm256_cmpgt_epi32(_mm256_set1_epi32(count - first), lane);
  const __m256 zero = _mm256_setzero_ps();
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 n = _mm256_maskload_ps(norms + first, valid);
  const __m256 a = _mm256_maskload_ps(auxs + first, valid);
  const __m256 abs_a = _mm256_andnot_ps(sign, a);
  // Sums stay far below 2^31, so the signed conversion gives the unsigned value.
  const __m256 p_sum =
      _mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p_sums + first)));
  const __m256 q_sum =
      _mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q_sums + first)));
  const __m256 e = _mm256_set1_ps(t.e);
  const __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(t.p1), p_sum, _mm256_set1_ps(t.p0));
  const __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(t.q1), q_sum, _mm256_set1_ps(t.q0));
  const __m256 inner = _mm256_fmadd_ps(abs_a, e, _mm256_fmadd_ps(a, q, p));
  const __m256 scale =
      _mm256_fmadd_ps(_mm256_set1_ps(t.a_norm), _mm256_max_ps(n, zero), _mm256_set1_ps(t.a_const));
  const __m256 square = _mm256_mul_ps(n, n);
  const __m256 bound = _mm256_fmadd_ps(
      scale, inner, _mm256_fmadd_ps(_mm256_set1_ps(t.c1), square, _mm256_set1_ps(t.c0)));
  const __m256 magnitude =
      _mm256_fmadd_ps(_mm256_andnot_ps(sign, scale),
                      _mm256_fmadd_ps(abs_a, _mm256_add_ps(_mm256_andnot_ps(sign, q), e),
                                      _mm256_andnot_ps(sign, p)),
                      _mm256_fmadd_ps(_mm256_andnot_ps(sign, _mm256_set1_ps(t.c1)), square,
                                      _mm256_andnot_ps(sign, _mm256_set1_ps(t.c0))));
  const __m256 slackened = _mm256_fmadd_ps(magnitude, _mm256_set1_ps(kPruneSlack), bound);
  const __m256 keep = _mm256_or_ps(_mm256_cmp_ps(slackened, _mm256_set1_ps(threshold), _CMP_GT_OQ),
                                   _mm256_cmp_ps(n, zero, _CMP_LT_OQ));
  return static_cast<uint32_t>(_mm256_movemask_ps(_mm256_and_ps(keep, _mm256_castsi256_ps(valid))));
}

}  // namespace

uint32_t PruneBlockAvx2(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                        const float* norms, const float* auxs, int count, float threshold) {
  uint32_t keep = 0;
  for (int first = 0; first < count; first += 8) {
    keep |= PruneEight(terms, p_sums, q_sums, norms, auxs, first, count, threshold) << first;
  }
  return keep;
}

}  // namespace tqdb::scan
