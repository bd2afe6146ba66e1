// The AVX2 versions of the fast-scan and pruning kernels: their one source (scan_queries.inc,
// prune_block.inc) over the AVX2 wrapper. Built with -mavx2 -mfma and only called when the CPU
// has both (scan_dispatch.cc).
#include <immintrin.h>

#include "index/scan/prune_kernels.h"
#include "index/scan/scan_kernels.h"
#include "index/scan/simd_avx2.h"
#include "index/scan/widen_halves.h"
#include "index/store/nibble_blocks.h"

namespace tqdb::scan {
namespace {
#include "index/scan/prune_block.inc"
#include "index/scan/scan_queries.inc"
}  // namespace

void ScanBlockAvx2(const uint8_t* block, const uint8_t* tables, int groups, uint32_t* out) {
  ScanQueriesOf<Avx2, 1>(block, &tables, groups, out);
}

void ScanQueriesAvx2(const uint8_t* block, const uint8_t* const* tables, int queries, int groups,
                     uint32_t* out) {
  ScanQueriesWith<Avx2>(block, tables, queries, groups, out);
}

uint32_t PruneBlockAvx2(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                        const float* norms, const float* auxs, int count, float threshold) {
  return PruneBlockWith<Avx2>(terms, p_sums, q_sums, norms, auxs, count, threshold);
}

// Without F16C (not part of AVX2): the half's exponent and mantissa moved to a float's bits
// scale by 2^-112 against their value, normals and subnormals alike; a multiply by 2^112 fixes
// that exactly, and exponent 31 (infinity, NaN) is set to a float's all-ones exponent.
uint32_t KeyBlockAvx2(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                      const float* norms, const float* auxs, int count, float threshold,
                      float* keys) {
  return KeyBlockWith<Avx2>(terms, p_sums, q_sums, norms, auxs, count, threshold, keys);
}

void WidenHalvesAvx2(const uint16_t* halves, int count, float* out) {
  alignas(32) uint16_t padded[kBlockSize] = {};
  halves = WholeBlock(halves, count, padded);
  const __m256i magnitude_mask = _mm256_set1_epi32(0x7fff);
  const __m256i sign_mask = _mm256_set1_epi32(0x8000);
  const __m256i last_finite = _mm256_set1_epi32(0x7bff << 13);
  const __m256i float_exponent = _mm256_set1_epi32(0x7f800000);
  const __m256 rebias = _mm256_set1_ps(0x1p112f);
  for (int i = 0; i < kBlockSize; i += 8) {
    const __m256i h =
        _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(halves + i)));
    const __m256i magnitude = _mm256_slli_epi32(_mm256_and_si256(h, magnitude_mask), 13);
    __m256 value = _mm256_mul_ps(_mm256_castsi256_ps(magnitude), rebias);
    const __m256i special = _mm256_cmpgt_epi32(magnitude, last_finite);
    value = _mm256_or_ps(value, _mm256_castsi256_ps(_mm256_and_si256(special, float_exponent)));
    const __m256i sign = _mm256_slli_epi32(_mm256_and_si256(h, sign_mask), 16);
    _mm256_storeu_ps(out + i, _mm256_or_ps(value, _mm256_castsi256_ps(sign)));
  }
}

}  // namespace tqdb::scan
