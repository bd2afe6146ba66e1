// encode_kernels.inc for the avx2 level (its instruction set: engine/CMakeLists.txt).
#include <immintrin.h>

#include "quant/encode_kernels.h"

namespace tqdb::encode_avx2 {
namespace {
#include "quant/encode_kernels.inc"
}  // namespace

const EncodeKernels& Kernels() { return kKernels; }

}  // namespace tqdb::encode_avx2
