#include "quant/half_float.h"

#include <cstring>

namespace tqdb {
namespace {

uint32_t BitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

float FloatOf(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

}  // namespace

uint16_t FloatToHalf(float value) {
  uint32_t bits = BitsOf(value);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  bits &= 0x7fffffffu;
  if (bits > 0x7f800000u) return sign | 0x7e00u;   // NaN stays NaN
  if (bits >= 0x47800000u) return sign | 0x7c00u;  // >= 2^16: infinity
  if (bits < 0x38800000u) {
    // Below 2^-14, a subnormal half counts units of 2^-24: adding 0.5 (whose float spacing is
    // 2^-24) rounds to one, ties to even, and leaves the count in the low mantissa bits.
    return sign | static_cast<uint16_t>(BitsOf(FloatOf(bits) + 0.5f) - BitsOf(0.5f));
  }
  // Rebias the exponent (127 -> 15) and round the 13 dropped bits to nearest, ties to even; a
  // carry moves into the exponent, up to infinity for values that round past 65504.
  const uint32_t odd = (bits >> 13) & 1u;
  bits = bits - (112u << 23) + 0xfffu + odd;
  return sign | static_cast<uint16_t>(bits >> 13);
}

float HalfToFloat(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  const uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa x 2^-24, exact in a float
    const float magnitude = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
    return FloatOf(sign | BitsOf(magnitude));
  }
  if (exponent == 31) return FloatOf(sign | 0x7f800000u | (mantissa << 13));
  return FloatOf(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

}  // namespace tqdb
