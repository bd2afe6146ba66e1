// Which SIMD level the fast-scan kernels use in this process: "avx512", "avx2" or "scalar".
// Chosen once by CPU features; TQDB_SIMD=scalar|avx2|avx512 in the environment overrides it.
#pragma once

namespace tqdb {

const char* ActiveSimdLevelName();

}  // namespace tqdb
