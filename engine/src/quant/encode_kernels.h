// The encoder's per-coordinate loops (quantizer.cc), compiled once per SIMD level from one
// source (encode_kernels.inc) and picked by the engine's SIMD level (simd_level.h). Sums are
// accumulated in double in eight lanes (coordinate j in lane j % 8), then the lanes are added in
// a fixed order, so every level, vectorized or not, gives the baseline build's bits;
// simd_kernels_test checks each against it.
#pragma once

#include <cstdint>

#include "quant/simd_level.h"

namespace tqdb {

struct QuantizedSums {
  double dot_yc = 0;     // <y, c>: y the input, c its reconstruction
  double norm_c_sq = 0;  // |c|^2
};

struct EncodeKernels {
  // sum_j x[j]^2 over j < n, in double.
  double (*sum_squares)(const float* x, int n);
  // Each y[j] to the index of its Lloyd-Max cell: the number of `boundaries` (levels - 1 of
  // them, ascending) <= y[j], i.e. the nearest of the `centroids`; y[j] becomes the residual
  // y[j] - c[j]. Returns the sums of the reconstruction c.
  QuantizedSums (*quantize)(float* y, int n, const float* boundaries, const float* centroids,
                            int levels, uint8_t* indices);
};

const EncodeKernels& EncodeKernelsFor(SimdLevel level);
inline const EncodeKernels& ActiveEncodeKernels() { return EncodeKernelsFor(ActiveSimdLevel()); }

}  // namespace tqdb
