// IEEE 754 half precision (binary16) for the compact per-vector factors: 11 significant bits,
// finite up to 65504. Portable bit arithmetic, so the result does not depend on the compiler's
// _Float16 support or the CPU's F16C.
#pragma once

#include <cstdint>

namespace tqdb {

// The largest finite half.
inline constexpr float kMaxHalf = 65504.0f;

// Rounds to the nearest half (ties to even); beyond kMaxHalf (after rounding) gives infinity.
uint16_t FloatToHalf(float value);
// Exact: every half is a float.
float HalfToFloat(uint16_t half);
// The float nearest `value` that a half holds exactly.
inline float RoundToHalf(float value) { return HalfToFloat(FloatToHalf(value)); }

}  // namespace tqdb
