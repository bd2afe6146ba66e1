// rotation_kernels.inc for the avx512 level (its instruction set: engine/CMakeLists.txt).
// GCC 12's AVX-512 intrinsics (shuffles, conversions, extracts) pass an undefined register as
// the masked-off source and then warn about it; their masks are all ones, so nothing undefined
// is read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "quant/rotation_kernels.h"

namespace tqdb::rotation_avx512 {
namespace {
#include "quant/rotation_kernels.inc"
}  // namespace

const RotationKernels& Kernels() { return kKernels; }

}  // namespace tqdb::rotation_avx512
