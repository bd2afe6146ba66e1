// The SIMD level vector code runs at in this process: the best the CPU supports, chosen once;
// TQDB_SIMD=scalar|avx2|avx512 in the environment (or ForceSimdLevel, for tests) overrides it,
// so every path can be tested on one machine. The engine's one dispatch mechanism: the rotation
// (quant/rotation_kernels.h), the coarse quantizer's dot products and the fast-scan kernels
// (index/scan/scan_kernels.h) all pick their versions by it.
#pragma once

namespace tqdb {

enum class SimdLevel { kScalar, kAvx2, kAvx512 };

const char* SimdLevelName(SimdLevel level);
// Whether this CPU can run `level`.
bool CpuSupports(SimdLevel level);
// The level in use: TQDB_SIMD if set (and supported), else the best the CPU supports.
SimdLevel ActiveSimdLevel();
// Forces a level for this process (tests); false if the CPU lacks it.
bool ForceSimdLevel(SimdLevel level);

// The version of a kernel for `level`, among the one built per level: every dispatcher's switch.
template <typename T>
T ForSimdLevel(SimdLevel level, T scalar, T avx2, T avx512) {
  switch (level) {
    case SimdLevel::kAvx512:
      return avx512;
    case SimdLevel::kAvx2:
      return avx2;
    case SimdLevel::kScalar:
      break;
  }
  return scalar;
}

}  // namespace tqdb
