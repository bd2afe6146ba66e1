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

uint32_t KeyBlockAvx2(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                      const float* norms, const float* auxs, int count, float threshold,
                      float* keys) {
  return KeyBlockWith<Avx2>(terms, p_sums, q_sums, norms, auxs, count, threshold, keys);
}

uint32_t KeyHalvesAvx2(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                       const uint16_t* norms, const uint16_t* auxs, int count, float threshold,
                       float* keys) {
  return KeyHalvesWith<Avx2>(terms, p_sums, q_sums, norms, auxs, count, threshold, keys);
}

void WidenHalvesAvx2(const uint16_t* halves, int count, float* out) {
  alignas(32) uint16_t padded[kBlockSize];
  halves = WholeBlock(halves, count, padded);
  for (int i = 0; i < kBlockSize; i += Avx2::kFloatLanes) {
    _mm256_storeu_ps(out + i, Avx2::LoadHalves(halves + i));
  }
}

}  // namespace tqdb::scan
