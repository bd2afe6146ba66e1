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

void ScanBlockAvx2(const uint8_t* block, const uint8_t* tables, int groups, uint32_t* out) {
  const __m256i low_nibbles = _mm256_set1_epi8(0x0f);
  const __m256i zero = _mm256_setzero_si256();
  // 32-bit totals for vectors 0-7, 8-15, 16-23, 24-31.
  __m256i total[4] = {zero, zero, zero, zero};
  for (int g = 0; g < groups;) {
    const int end = Min(groups, g + 2 * 256);  // 256 entries (<= 255 each) per 16-bit lane
    // As in scan_avx512.cc: 16-bit words (even + 256 x odd) and the odd vector alone, no
    // unpacking; even = words - 256 x odd.
    __m256i lo_words = zero, lo_odd = zero, hi_words = zero, hi_odd = zero;
    for (; g < end; g += 2) {
      // Lane 0 holds group g, lane 1 group g + 1; same for the two tables.
      const __m256i codes =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + g * kGroupBytes));
      const __m256i lut = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tables + g * 16));
      const __m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(codes, low_nibbles));
      const __m256i hi =
          _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(codes, 4), low_nibbles));
      lo_words = _mm256_add_epi16(lo_words, lo);
      lo_odd = _mm256_add_epi16(lo_odd, _mm256_srli_epi16(lo, 8));
      hi_words = _mm256_add_epi16(hi_words, hi);
      hi_odd = _mm256_add_epi16(hi_odd, _mm256_srli_epi16(hi, 8));
    }
    const __m256i parts[4] = {_mm256_sub_epi16(lo_words, _mm256_slli_epi16(lo_odd, 8)), lo_odd,
                              _mm256_sub_epi16(hi_words, _mm256_slli_epi16(hi_odd, 8)), hi_odd};
    // Fold the two groups' lanes and widen to 32 bits: word w is vector 2w (even) or 2w + 1.
    __m256i folded[4];
    for (int k = 0; k < 4; ++k) {
      folded[k] = _mm256_add_epi32(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(parts[k])),
                                   _mm256_cvtepu16_epi32(_mm256_extracti128_si256(parts[k], 1)));
    }
    for (int half = 0; half < 2; ++half) {
      const __m256i a = _mm256_unpacklo_epi32(folded[2 * half], folded[2 * half + 1]);
      const __m256i b = _mm256_unpackhi_epi32(folded[2 * half], folded[2 * half + 1]);
      total[2 * half] = _mm256_add_epi32(total[2 * half], _mm256_permute2x128_si256(a, b, 0x20));
      total[2 * half + 1] =
          _mm256_add_epi32(total[2 * half + 1], _mm256_permute2x128_si256(a, b, 0x31));
    }
  }
  for (int k = 0; k < 4; ++k) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8 * k), total[k]);
  }
}

}  // namespace tqdb::scan
