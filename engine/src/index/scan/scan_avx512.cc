// AVX-512BW kernel: four groups per 64-byte register (vpshufb works within 128-bit lanes).
// Built with -mavx512f -mavx512bw and only called when the CPU has them (scan_dispatch.cc).
// GCC 12's _mm512_extracti32x4_epi32 passes _mm_undefined_si128() as the masked-off source and
// then warns about it; the mask is all ones, so nothing undefined is read.
#if defined(__GNUC__) && !defined(__clang__)
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

void ScanBlockAvx512(const uint8_t* block, const uint8_t* tables, int groups, uint32_t* out) {
  const __m512i low_nibbles = _mm512_set1_epi8(0x0f);
  const __m512i zero = _mm512_setzero_si512();
  __m256i total[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                      _mm256_setzero_si256()};
  for (int g = 0; g < groups;) {
    const int end = Min(groups, g + 4 * 256);  // 256 additions per 16-bit lane at most
    __m512i acc[4] = {zero, zero, zero, zero};
    for (; g < end; g += 4) {
      // Lane l holds group g + l, for the codes and for the tables.
      const __m512i codes = _mm512_loadu_si512(block + g * kGroupBytes);
      const __m512i lut = _mm512_loadu_si512(tables + g * 16);
      const __m512i lo = _mm512_shuffle_epi8(lut, _mm512_and_si512(codes, low_nibbles));
      const __m512i hi =
          _mm512_shuffle_epi8(lut, _mm512_and_si512(_mm512_srli_epi16(codes, 4), low_nibbles));
      acc[0] = _mm512_add_epi16(acc[0], _mm512_unpacklo_epi8(lo, zero));
      acc[1] = _mm512_add_epi16(acc[1], _mm512_unpackhi_epi8(lo, zero));
      acc[2] = _mm512_add_epi16(acc[2], _mm512_unpacklo_epi8(hi, zero));
      acc[3] = _mm512_add_epi16(acc[3], _mm512_unpackhi_epi8(hi, zero));
    }
    // Fold the four groups' lanes and widen to 32 bits.
    for (int k = 0; k < 4; ++k) {
      __m256i sum = _mm256_cvtepu16_epi32(_mm512_extracti32x4_epi32(acc[k], 0));
      sum = _mm256_add_epi32(sum, _mm256_cvtepu16_epi32(_mm512_extracti32x4_epi32(acc[k], 1)));
      sum = _mm256_add_epi32(sum, _mm256_cvtepu16_epi32(_mm512_extracti32x4_epi32(acc[k], 2)));
      sum = _mm256_add_epi32(sum, _mm256_cvtepu16_epi32(_mm512_extracti32x4_epi32(acc[k], 3)));
      total[k] = _mm256_add_epi32(total[k], sum);
    }
  }
  for (int k = 0; k < 4; ++k) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8 * k), total[k]);
  }
}

}  // namespace tqdb::scan
