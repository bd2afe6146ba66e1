// rotation_kernels.inc for the avx2 level (its instruction set: engine/CMakeLists.txt).
#include <immintrin.h>

#include "quant/rotation_kernels.h"

namespace tqdb::rotation_avx2 {
namespace {
#include "quant/rotation_kernels.inc"
}  // namespace

const RotationKernels& Kernels() { return kKernels; }

}  // namespace tqdb::rotation_avx2
