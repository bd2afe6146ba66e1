// encode_kernels.inc for the scalar level (its instruction set: engine/CMakeLists.txt).
#include "quant/encode_kernels.h"

namespace tqdb::encode_scalar {
namespace {
#include "quant/encode_kernels.inc"
}  // namespace

const EncodeKernels& Kernels() { return kKernels; }

}  // namespace tqdb::encode_scalar
