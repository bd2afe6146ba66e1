#include "quant/simd_level.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tqdb/simd.h"

namespace tqdb {
namespace {

SimdLevel DetectLevel() {
  SimdLevel best = CpuSupports(SimdLevel::kAvx512) ? SimdLevel::kAvx512
                   : CpuSupports(SimdLevel::kAvx2) ? SimdLevel::kAvx2
                                                   : SimdLevel::kScalar;
  if (const char* forced = std::getenv("TQDB_SIMD"); forced != nullptr && *forced != '\0') {
    for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
      if (std::strcmp(forced, SimdLevelName(level)) == 0) {
        if (CpuSupports(level)) return level;
        std::fprintf(stderr, "tqdb: TQDB_SIMD=%s is not supported by this CPU; using %s\n", forced,
                     SimdLevelName(best));
        return best;
      }
    }
    std::fprintf(stderr, "tqdb: unknown TQDB_SIMD=%s (scalar, avx2, avx512); using %s\n", forced,
                 SimdLevelName(best));
  }
  return best;
}

std::atomic<int>& LevelSlot() {
  static std::atomic<int> level{static_cast<int>(DetectLevel())};
  return level;
}

}  // namespace

const char* SimdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return "scalar";
    case SimdLevel::kAvx2:
      return "avx2";
    case SimdLevel::kAvx512:
      return "avx512";
  }
  return "unknown";
}

bool CpuSupports(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return true;
    case SimdLevel::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SimdLevel::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  }
  return false;
}

SimdLevel ActiveSimdLevel() { return static_cast<SimdLevel>(LevelSlot().load()); }

bool ForceSimdLevel(SimdLevel level) {
  if (!CpuSupports(level)) return false;
  LevelSlot().store(static_cast<int>(level));
  return true;
}

const char* ActiveSimdLevelName() { return SimdLevelName(ActiveSimdLevel()); }

}  // namespace tqdb
