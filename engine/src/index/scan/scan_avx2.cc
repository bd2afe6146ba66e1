// AVX2 kernel: two groups per 32-byte register, looked up with one byte shuffle per half-byte.
// Built with -mavx2 and only called when the CPU has it (scan_dispatch.cc).
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

// Adds one chunk's 16-bit accumulators (lo words, lo odd, hi words, hi odd) to the 32-bit totals
// of vectors 0-7, 8-15, 16-23, 24-31; as in scan_avx512.cc (at most 256 groups per chunk, so the
// two lanes summed fit 16 bits).
void Fold(const __m256i* acc, __m256i* total) {
  __m128i parts[4];
  for (int k = 0; k < 4; ++k) {
    const __m256i part =
        k % 2 == 0 ? _mm256_sub_epi16(acc[k], _mm256_slli_epi16(acc[k + 1], 8)) : acc[k];
    parts[k] = _mm_add_epi16(_mm256_castsi256_si128(part), _mm256_extracti128_si256(part, 1));
  }
  for (int half = 0; half < 2; ++half) {
    const __m128i even = parts[2 * half], odd = parts[2 * half + 1];
    total[2 * half] =
        _mm256_add_epi32(total[2 * half], _mm256_cvtepu16_epi32(_mm_unpacklo_epi16(even, odd)));
    total[2 * half + 1] =
        _mm256_add_epi32(total[2 * half + 1], _mm256_cvtepu16_epi32(_mm_unpackhi_epi16(even, odd)));
  }
}

// Q <= 2 queries against one block (4 x Q accumulators fit the 16 registers).
template <int Q>
void ScanQueries(const uint8_t* block, const uint8_t* const* tables, int groups, uint32_t* out) {
  const __m256i low_nibbles = _mm256_set1_epi8(0x0f);
  const __m256i zero = _mm256_setzero_si256();
  __m256i total[Q][4];
  for (int q = 0; q < Q; ++q) {
    for (int k = 0; k < 4; ++k) total[q][k] = zero;
  }
  for (int g = 0; g < groups;) {
    const int end = Min(groups, g + 256);  // <= 256 entries (<= 255 each) in both lanes
    // 16-bit words (even + 256 x odd) and the odd vector alone, no unpacking.
    __m256i acc[Q][4];
    for (int q = 0; q < Q; ++q) {
      for (int k = 0; k < 4; ++k) acc[q][k] = zero;
    }
    for (; g < end; g += 2) {
      // Lane 0 holds group g, lane 1 group g + 1; same for the tables.
      const __m256i codes =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + g * kGroupBytes));
      const __m256i lo_index = _mm256_and_si256(codes, low_nibbles);
      const __m256i hi_index = _mm256_and_si256(_mm256_srli_epi16(codes, 4), low_nibbles);
      for (int q = 0; q < Q; ++q) {
        const __m256i lut =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tables[q] + g * 16));
        const __m256i lo = _mm256_shuffle_epi8(lut, lo_index);
        const __m256i hi = _mm256_shuffle_epi8(lut, hi_index);
        acc[q][0] = _mm256_add_epi16(acc[q][0], lo);
        acc[q][1] = _mm256_add_epi16(acc[q][1], _mm256_srli_epi16(lo, 8));
        acc[q][2] = _mm256_add_epi16(acc[q][2], hi);
        acc[q][3] = _mm256_add_epi16(acc[q][3], _mm256_srli_epi16(hi, 8));
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

void ScanBlockAvx2(const uint8_t* block, const uint8_t* tables, int groups, uint32_t* out) {
  ScanQueries<1>(block, &tables, groups, out);
}

void ScanQueriesAvx2(const uint8_t* block, const uint8_t* const* tables, int queries, int groups,
                     uint32_t* out) {
  for (int q = 0; q < queries; q += 2) {
    if (queries - q >= 2) {
      ScanQueries<2>(block, tables + q, groups, out + q * kBlockSize);
    } else {
      ScanQueries<1>(block, tables + q, groups, out + q * kBlockSize);
    }
  }
}

}  // namespace tqdb::scan
