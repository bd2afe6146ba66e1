// The thin SIMD wrapper the fast-scan and pruning kernels are written against (FAISS simdlib's
// shape): AVX2's 32-byte registers. Included only by kernels_avx2.cc (built with -mavx2 -mfma);
// the anonymous namespace keeps every function local to it, so the linker can never hand an
// AVX2 body to code that runs on a CPU without AVX2.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace tqdb::scan {
namespace {

struct Avx2 {
  // Bytes: nibble groups and their tables, two 16-byte groups per register.
  using Bytes = __m256i;
  static constexpr int kGroupsPerRegister = 2;
  static constexpr int kMaxQueries = 2;  // 4 x 2 accumulators fit the 16 registers
  static Bytes Zero() { return _mm256_setzero_si256(); }
  static Bytes Splat(uint8_t v) { return _mm256_set1_epi8(static_cast<char>(v)); }
  static Bytes Load(const uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }
  static Bytes And(Bytes a, Bytes b) { return _mm256_and_si256(a, b); }
  static Bytes Lookup(Bytes table, Bytes index) { return _mm256_shuffle_epi8(table, index); }
  static Bytes Add16(Bytes a, Bytes b) { return _mm256_add_epi16(a, b); }
  static Bytes Sub16(Bytes a, Bytes b) { return _mm256_sub_epi16(a, b); }
  template <int kBits>
  static Bytes ShiftRight16(Bytes a) {
    return _mm256_srli_epi16(a, kBits);
  }
  template <int kBits>
  static Bytes ShiftLeft16(Bytes a) {
    return _mm256_slli_epi16(a, kBits);
  }
  // The 16-bit words of the register's 16-byte lanes, added lane-wise.
  static __m128i SumLanes16(Bytes a) {
    return _mm_add_epi16(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
  }

  // Floats: one pruning bound per lane.
  using Floats = __m256;
  using Lanes = __m256i;  // which lanes hold a vector
  using Compare = __m256;
  static constexpr int kFloatLanes = 8;
  static Lanes FirstLanes(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static Floats LoadFloats(int count, Lanes lanes, const float* p) {
    return count >= kFloatLanes ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lanes);
  }
  // 8 IEEE halves widened exactly. Without F16C (not part of AVX2): the half's exponent and
  // mantissa moved to a float's bits scale by 2^-112 against their value, normals and
  // subnormals alike; a multiply by 2^112 fixes that exactly, and exponent 31 (infinity, NaN) is
  // set to a float's all-ones exponent.
  static Floats LoadHalves(const uint16_t* p) {
    const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    const __m256i magnitude = _mm256_slli_epi32(_mm256_and_si256(h, _mm256_set1_epi32(0x7fff)), 13);
    __m256 value = _mm256_mul_ps(_mm256_castsi256_ps(magnitude), _mm256_set1_ps(0x1p112f));
    const __m256i special = _mm256_cmpgt_epi32(magnitude, _mm256_set1_epi32(0x7bff << 13));
    value = _mm256_or_ps(
        value, _mm256_castsi256_ps(_mm256_and_si256(special, _mm256_set1_epi32(0x7f800000))));
    const __m256i sign = _mm256_slli_epi32(_mm256_and_si256(h, _mm256_set1_epi32(0x8000)), 16);
    return _mm256_or_ps(value, _mm256_castsi256_ps(sign));
  }
  // Sums stay far below 2^31, so the signed conversion gives the unsigned value.
  static void StoreSums(const __m256i* total, uint32_t* out) {
    for (int k = 0; k < 4; ++k) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8 * k), total[k]);
    }
  }
  static Floats LoadSums(const uint32_t* p) {
    return _mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static Floats Set(float v) { return _mm256_set1_ps(v); }
  static Floats Fma(Floats a, Floats b, Floats c) { return _mm256_fmadd_ps(a, b, c); }
  static Floats Mul(Floats a, Floats b) { return _mm256_mul_ps(a, b); }
  static Floats Add(Floats a, Floats b) { return _mm256_add_ps(a, b); }
  static Floats Max(Floats a, Floats b) { return _mm256_max_ps(a, b); }
  static Floats Abs(Floats a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static Compare Greater(Floats a, Floats b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static Compare Less(Floats a, Floats b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static Compare GreaterOrEqual(Floats a, Floats b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
  static void StoreFloats(float* p, Floats v) { _mm256_storeu_ps(p, v); }
  static Compare Or(Compare a, Compare b) { return _mm256_or_ps(a, b); }
  static uint32_t Bits(Compare c, Lanes lanes) {
    return static_cast<uint32_t>(_mm256_movemask_ps(_mm256_and_ps(c, _mm256_castsi256_ps(lanes))));
  }
};

}  // namespace
}  // namespace tqdb::scan
