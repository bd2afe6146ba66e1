// rotation_kernels.inc for the avx512 level (its instruction set: engine/CMakeLists.txt).
#include "quant/rotation_kernels.h"

namespace tqdb::rotation_avx512 {
namespace {
#include "quant/rotation_kernels.inc"
}  // namespace

const RotationKernels& Kernels() { return kKernels; }

}  // namespace tqdb::rotation_avx512
