// The coarse quantizer's dot products without BLAS (a search's few rows against every
// centroid), compiled once per SIMD level from one source (dot_rows.inc) and picked by the
// engine's SIMD level (quant/simd_level.h). The sums keep one order at every level (eight lanes,
// then the tail, then the lanes), so every level gives the baseline build's bits.
#pragma once

#include <cstddef>

#include "quant/simd_level.h"

namespace tqdb::ivf {

// Row r of `scores` = <x_r, c> for every centroid c (rows x k, row-major; dim columns each).
using DotRowsFn = void (*)(const float* x, size_t rows, const float* centroids, size_t k, int dim,
                           float* scores);

// The version compiled for `level` (the baseline x86-64 build for kScalar).
DotRowsFn DotRowsFor(SimdLevel level);
inline DotRowsFn ActiveDotRows() { return DotRowsFor(ActiveSimdLevel()); }

}  // namespace tqdb::ivf
