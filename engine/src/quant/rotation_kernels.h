// The fast rotation's element-wise loops (fast_rotation.cc), compiled once per SIMD level from
// one source (rotation_kernels.inc) and picked by the engine's SIMD level (simd_level.h). They
// only add, subtract and multiply element by element (nothing to fuse or reorder), so every
// level gives the same bits as the baseline build; rotation_test checks each against it.
#pragma once

#include <cstdint>

#include "quant/simd_level.h"

namespace tqdb {

struct RotationKernels {
  // The unnormalized Walsh-Hadamard transform of x[0, n), n a power of two, in place.
  void (*walsh_hadamard)(float* x, int n);
  // out[j] = in[perm[j]] * s[j] for j < n.
  void (*permute_and_scale)(const float* in, const uint32_t* perm, const float* s, int n,
                            float* out);
  // out[j] *= s[j] for j < n.
  void (*scale)(const float* s, int n, float* out);
};

// The kernels compiled for `level` (the baseline x86-64 build for kScalar).
const RotationKernels& RotationKernelsFor(SimdLevel level);
inline const RotationKernels& ActiveRotationKernels() {
  return RotationKernelsFor(ActiveSimdLevel());
}

}  // namespace tqdb
