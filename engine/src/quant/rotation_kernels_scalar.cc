// rotation_kernels.inc for the scalar level (its instruction set: engine/CMakeLists.txt).
#include "quant/rotation_kernels.h"

namespace tqdb::rotation_scalar {
namespace {
#include "quant/rotation_kernels.inc"
}  // namespace

const RotationKernels& Kernels() { return kKernels; }

}  // namespace tqdb::rotation_scalar
