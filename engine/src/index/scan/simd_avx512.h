// The thin SIMD wrapper of simd_avx2.h for AVX-512 (F and BW): 64-byte registers. Included only
// by kernels_avx512.cc (built with -mavx512f -mavx512bw); local to it for the same reason.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace tqdb::scan {
namespace {

struct Avx512 {
  using Bytes = __m512i;
  static constexpr int kGroupsPerRegister = 4;  // vpshufb works within 128-bit lanes
  static constexpr int kMaxQueries = 4;         // 4 x 4 accumulators and the nibbles fit 32
  static Bytes Zero() { return _mm512_setzero_si512(); }
  static Bytes Splat(uint8_t v) { return _mm512_set1_epi8(static_cast<char>(v)); }
  static Bytes Load(const uint8_t* p) { return _mm512_loadu_si512(p); }
  static Bytes And(Bytes a, Bytes b) { return _mm512_and_si512(a, b); }
  static Bytes Lookup(Bytes table, Bytes index) { return _mm512_shuffle_epi8(table, index); }
  static Bytes Add16(Bytes a, Bytes b) { return _mm512_add_epi16(a, b); }
  static Bytes Sub16(Bytes a, Bytes b) { return _mm512_sub_epi16(a, b); }
  template <int kBits>
  static Bytes ShiftRight16(Bytes a) {
    return _mm512_srli_epi16(a, kBits);
  }
  template <int kBits>
  static Bytes ShiftLeft16(Bytes a) {
    return _mm512_slli_epi16(a, kBits);
  }
  static __m128i SumLanes16(Bytes a) {
    const __m256i half =
        _mm256_add_epi16(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1));
    return _mm_add_epi16(_mm256_castsi256_si128(half), _mm256_extracti128_si256(half, 1));
  }

  using Floats = __m512;
  using Lanes = __mmask16;
  using Compare = __mmask16;
  static constexpr int kFloatLanes = 16;
  static Lanes FirstLanes(int n) {
    return n >= 16 ? 0xffff : static_cast<__mmask16>((1u << n) - 1);
  }
  // The first `count` floats from p, zeros after: a plain load when all lanes are wanted (a
  // masked one costs more and the pruning kernels' loads were a third of their time).
  static Floats LoadFloats(int count, Lanes lanes, const float* p) {
    return count >= kFloatLanes ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(lanes, p);
  }
  // Two halves per store, as LoadSums reads them: a load spanning two stores is not forwarded
  // from them and waits for both to reach the cache.
  static void StoreSums(const __m256i* total, uint32_t* out) {
    for (int k = 0; k < 4; k += 2) {
      _mm512_storeu_si512(out + 8 * k,
                          _mm512_inserti64x4(_mm512_castsi256_si512(total[k]), total[k + 1], 1));
    }
  }
  static Floats LoadSums(const uint32_t* p) { return _mm512_cvtepu32_ps(_mm512_loadu_si512(p)); }
  // 16 IEEE halves widened exactly (vcvtph2ps is part of AVX-512F).
  static Floats LoadHalves(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static Floats Set(float v) { return _mm512_set1_ps(v); }
  static Floats Fma(Floats a, Floats b, Floats c) { return _mm512_fmadd_ps(a, b, c); }
  static Floats Mul(Floats a, Floats b) { return _mm512_mul_ps(a, b); }
  static Floats Add(Floats a, Floats b) { return _mm512_add_ps(a, b); }
  static Floats Max(Floats a, Floats b) { return _mm512_max_ps(a, b); }
  static Floats Abs(Floats a) { return _mm512_abs_ps(a); }
  static Compare Greater(Floats a, Floats b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static Compare Less(Floats a, Floats b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static Compare GreaterOrEqual(Floats a, Floats b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
  static void StoreFloats(float* p, Floats v) { _mm512_storeu_ps(p, v); }
  static Compare Or(Compare a, Compare b) { return a | b; }
  static uint32_t Bits(Compare c, Lanes lanes) { return static_cast<uint32_t>(c & lanes); }
};

}  // namespace
}  // namespace tqdb::scan
