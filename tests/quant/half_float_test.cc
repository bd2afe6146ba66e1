// Half precision for the compact factors: every half widens exactly and rounds back to itself,
// and a float rounds to the nearest half, ties to even, up to infinity past 65504.
#include "quant/half_float.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "gtest/gtest.h"

namespace tqdb {
namespace {

bool IsNan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0; }

TEST(HalfFloatTest, EveryHalfWidensExactlyAndRoundsBackToItself) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const auto half = static_cast<uint16_t>(h);
    const float value = HalfToFloat(half);
    if (IsNan(half)) {
      EXPECT_TRUE(std::isnan(value)) << h;
      EXPECT_TRUE(IsNan(FloatToHalf(value))) << h;
      continue;
    }
    EXPECT_EQ(FloatToHalf(value), half) << h;
    // The value is sign x mantissa x 2^(exponent - 25) (subnormals: exponent field 1, no
    // implicit bit), computed independently of the bit layout.
    const int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    if (exponent == 31) {
      EXPECT_TRUE(std::isinf(value)) << h;
      continue;
    }
    const double magnitude =
        exponent == 0 ? std::ldexp(mantissa, -24) : std::ldexp(1024 + mantissa, exponent - 25);
    EXPECT_EQ(value, (h & 0x8000) != 0 ? -magnitude : magnitude) << h;
  }
  EXPECT_EQ(HalfToFloat(FloatToHalf(kMaxHalf)), kMaxHalf);
}

TEST(HalfFloatTest, FloatsRoundToTheNearestHalfTiesToEven) {
  // Between consecutive positive halves a and b: below the midpoint rounds to a, above to b,
  // and the midpoint to the one with an even mantissa.
  for (uint32_t h = 0; h < 0x7bff; ++h) {
    const float a = HalfToFloat(static_cast<uint16_t>(h));
    const float b = HalfToFloat(static_cast<uint16_t>(h + 1));
    const float mid = a + (b - a) / 2;  // exact: halves have 11 significant bits
    const uint16_t even = (h & 1) == 0 ? static_cast<uint16_t>(h) : static_cast<uint16_t>(h + 1);
    EXPECT_EQ(FloatToHalf(mid), even) << h;
    EXPECT_EQ(FloatToHalf(-mid), even | 0x8000) << h;
    EXPECT_EQ(FloatToHalf(std::nextafter(mid, a)), h) << h;
    EXPECT_EQ(FloatToHalf(std::nextafter(mid, b)), h + 1) << h;
  }
  // Past 65504 by half a step (65520) and more: infinity; just below it: 65504.
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00);
  EXPECT_EQ(FloatToHalf(std::nextafter(65520.0f, 0.0f)), 0x7bff);
  EXPECT_EQ(FloatToHalf(1e30f), 0x7c00);
  EXPECT_EQ(FloatToHalf(-std::numeric_limits<float>::infinity()), 0xfc00);
  EXPECT_EQ(FloatToHalf(1e-30f), 0);  // below half the smallest subnormal
  // Random floats over the whole range land on a half no farther than half a step.
  std::mt19937 gen(5);
  std::uniform_real_distribution<float> exponent(-26, 16);
  for (int i = 0; i < 100000; ++i) {
    const float x = std::exp2(exponent(gen)) * (i % 2 == 0 ? 1 : -1);
    if (std::fabs(x) >= 65520) continue;
    const uint16_t h = FloatToHalf(x);
    const float rounded = HalfToFloat(h);
    const float up = HalfToFloat(static_cast<uint16_t>(h + 1));
    const float down = (h & 0x7fff) == 0 ? 0.0f : HalfToFloat(static_cast<uint16_t>(h - 1));
    EXPECT_LE(std::fabs(rounded - x), std::fabs(up - x)) << x;
    EXPECT_LE(std::fabs(rounded - x), std::fabs(down - x)) << x;
  }
}

TEST(HalfFloatTest, KnownValuesAndRandomRoundTrips) {
  EXPECT_EQ(FloatToHalf(0.0f), 0);
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalf(-1.0f), 0xbc00);
  EXPECT_EQ(FloatToHalf(0.5f), 0x3800);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));  // the smallest subnormal
  // Halfway between 1 and the next half (1 + 2^-10) rounds to the even one (1), 3/4 of the way up.
  EXPECT_EQ(FloatToHalf(1.0f - std::ldexp(1.0f, -12)), 0x3c00);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -1) + std::ldexp(1.0f, -12)), 0x3800);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -1) + std::ldexp(3.0f, -13)), 0x3801);
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  for (int i = 0; i < 100000; ++i) {
    const float x = unit(gen) * std::ldexp(1.0f, -static_cast<int>(gen() % 20));
    const float back = HalfToFloat(FloatToHalf(x));
    // Half a unit in the last place: 2^-11 relative, or 2^-25 absolute among subnormals.
    EXPECT_LE(std::abs(back - x),
              std::max(std::abs(x) * std::ldexp(1.0f, -11), std::ldexp(1.0f, -25)))
        << x;
    // Every half decodes to itself.
    const uint16_t h = static_cast<uint16_t>(gen() & 0x3bff);  // |value| < 1
    EXPECT_EQ(FloatToHalf(HalfToFloat(h)), h);
  }
}

}  // namespace
}  // namespace tqdb
