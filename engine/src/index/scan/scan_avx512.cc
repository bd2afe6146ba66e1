// AVX-512BW kernel: four groups per 64-byte register (vpshufb works within 128-bit lanes).
// Built with -mavx512f -mavx512bw and only called when the CPU has them (scan_dispatch.cc).
// GCC 12's _mm512_extracti64x4_epi64 passes an undefined register as the masked-off source and
// then warns about it; the mask is all ones, so nothing undefined is read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "index/scan/nibble_blocks.h"
#include "index/scan/scan_kernels.h"

namespace tqdb::scan {
namespace {

// Not std::min: an inline template instantiated in a -mavx* file could be picked by the linker
// for other files and run on CPUs without the extension. Internal linkage keeps it here.
int Min(int a, int b) { return a < b ? a : b; }

}  // namespace

namespace {

// Adds one chunk's 16-bit accumulators (lo words, lo odd, hi words, hi odd; see below) to the
// 32-bit totals of vectors 0-7, 8-15, 16-23, 24-31. The chunk has at most 256 groups, so even the
// four groups' lanes summed fit 16 bits: they are added before widening (fewer steps than
// widening each lane).
void Fold(const __m512i* acc, __m256i* total) {
  __m128i parts[4];
  for (int k = 0; k < 4; ++k) {
    // even = words - 256 x odd, exact modulo 2^16 since the sums fit in 16 bits.
    const __m512i part =
        k % 2 == 0 ? _mm512_sub_epi16(acc[k], _mm512_slli_epi16(acc[k + 1], 8)) : acc[k];
    const __m256i half =
        _mm256_add_epi16(_mm512_castsi512_si256(part), _mm512_extracti64x4_epi64(part, 1));
    parts[k] = _mm_add_epi16(_mm256_castsi256_si128(half), _mm256_extracti128_si256(half, 1));
  }
  // Word w of an even part is vector 2w, of an odd part 2w + 1: interleaving restores the order.
  for (int half = 0; half < 2; ++half) {
    const __m128i even = parts[2 * half], odd = parts[2 * half + 1];
    total[2 * half] =
        _mm256_add_epi32(total[2 * half], _mm256_cvtepu16_epi32(_mm_unpacklo_epi16(even, odd)));
    total[2 * half + 1] =
        _mm256_add_epi32(total[2 * half + 1], _mm256_cvtepu16_epi32(_mm_unpackhi_epi16(even, odd)));
  }
}

// Q queries against one block: each load of codes serves all Q tables (4 x Q accumulators and
// the loaded nibbles fit the 32 registers for Q <= 4).
template <int Q>
void ScanQueries(const uint8_t* block, const uint8_t* const* tables, int groups, uint32_t* out) {
  const __m512i low_nibbles = _mm512_set1_epi8(0x0f);
  const __m512i zero = _mm512_setzero_si512();
  __m256i total[Q][4];
  for (int q = 0; q < Q; ++q) {
    for (int k = 0; k < 4; ++k) total[q][k] = _mm256_setzero_si256();
  }
  for (int g = 0; g < groups;) {
    const int end = Min(groups, g + 256);  // <= 256 entries (<= 255 each) in all four lanes
    // Byte lookups are added as 16-bit words (even vector + 256 x odd vector) and, shifted, as
    // the odd vector alone: no unpacking, which competes with the lookups for the shuffle unit.
    __m512i acc[Q][4];
    for (int q = 0; q < Q; ++q) {
      for (int k = 0; k < 4; ++k) acc[q][k] = zero;
    }
    for (; g < end; g += 4) {
      // Lane l holds group g + l, for the codes and for the tables.
      const __m512i codes = _mm512_loadu_si512(block + g * kGroupBytes);
      const __m512i lo_index = _mm512_and_si512(codes, low_nibbles);
      const __m512i hi_index = _mm512_and_si512(_mm512_srli_epi16(codes, 4), low_nibbles);
      for (int q = 0; q < Q; ++q) {
        const __m512i lut = _mm512_loadu_si512(tables[q] + g * 16);
        const __m512i lo = _mm512_shuffle_epi8(lut, lo_index);
        const __m512i hi = _mm512_shuffle_epi8(lut, hi_index);
        acc[q][0] = _mm512_add_epi16(acc[q][0], lo);
        acc[q][1] = _mm512_add_epi16(acc[q][1], _mm512_srli_epi16(lo, 8));
        acc[q][2] = _mm512_add_epi16(acc[q][2], hi);
        acc[q][3] = _mm512_add_epi16(acc[q][3], _mm512_srli_epi16(hi, 8));
      }
    }
    for (int q = 0; q < Q; ++q) Fold(acc[q], total[q]);
  }
  for (int q = 0; q < Q; ++q) {
    for (int k = 0; k < 4; ++k) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + q * kBlockSize + 8 * k), total[q][k]);
    }
  }
}

}  // namespace

void ScanBlockAvx512(const uint8_t* block, const uint8_t* tables, int groups, uint32_t* out) {
  ScanQueries<1>(block, &tables, groups, out);
}

void ScanQueriesAvx512(const uint8_t* block, const uint8_t* const* tables, int queries, int groups,
                       uint32_t* out) {
  for (int q = 0; q < queries; q += kMaxQueries) {
    switch (Min(queries - q, kMaxQueries)) {
      case 1:
        ScanQueries<1>(block, tables + q, groups, out + q * kBlockSize);
        break;
      case 2:
        ScanQueries<2>(block, tables + q, groups, out + q * kBlockSize);
        break;
      case 3:
        ScanQueries<3>(block, tables + q, groups, out + q * kBlockSize);
        break;
      default:
        ScanQueries<4>(block, tables + q, groups, out + q * kBlockSize);
        break;
    }
  }
}

}  // namespace tqdb::scan
