// The AVX-512 versions of the fast-scan and pruning kernels: their one source over the AVX-512
// wrapper. Built with -mavx512f -mavx512bw and only called when the CPU has both
// (scan_dispatch.cc).
// GCC 12's _mm512_extracti64x4_epi64, _mm512_abs_ps and _mm512_cvtepu32_ps pass an undefined
// register as the masked-off source and then warn about it; their masks are all ones, so
// nothing undefined is read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "index/scan/prune_kernels.h"
#include "index/scan/scan_kernels.h"
#include "index/scan/simd_avx512.h"
#include "index/scan/widen_halves.h"
#include "index/store/nibble_blocks.h"

namespace tqdb::scan {
namespace {
#include "index/scan/prune_block.inc"
#include "index/scan/scan_queries.inc"
}  // namespace

void ScanBlockAvx512(const uint8_t* block, const uint8_t* tables, int groups, uint32_t* out) {
  ScanQueriesOf<Avx512, 1>(block, &tables, groups, out);
}

void ScanQueriesAvx512(const uint8_t* block, const uint8_t* const* tables, int queries, int groups,
                       uint32_t* out) {
  ScanQueriesWith<Avx512>(block, tables, queries, groups, out);
}

uint32_t PruneBlockAvx512(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                          const float* norms, const float* auxs, int count, float threshold) {
  return PruneBlockWith<Avx512>(terms, p_sums, q_sums, norms, auxs, count, threshold);
}

uint32_t KeyBlockAvx512(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                        const float* norms, const float* auxs, int count, float threshold,
                        float* keys) {
  return KeyBlockWith<Avx512>(terms, p_sums, q_sums, norms, auxs, count, threshold, keys);
}

uint32_t KeyHalvesAvx512(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                         const uint16_t* norms, const uint16_t* auxs, int count, float threshold,
                         float* keys) {
  return KeyHalvesWith<Avx512>(terms, p_sums, q_sums, norms, auxs, count, threshold, keys);
}

void WidenHalvesAvx512(const uint16_t* halves, int count, float* out) {
  alignas(64) uint16_t padded[kBlockSize];
  halves = WholeBlock(halves, count, padded);
  for (int i = 0; i < kBlockSize; i += Avx512::kFloatLanes) {
    _mm512_storeu_ps(out + i, Avx512::LoadHalves(halves + i));
  }
}

}  // namespace tqdb::scan
