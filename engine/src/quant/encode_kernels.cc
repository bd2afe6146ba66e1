#include "quant/encode_kernels.h"

namespace tqdb {

namespace encode_scalar {
const EncodeKernels& Kernels();
}
namespace encode_avx2 {
const EncodeKernels& Kernels();
}
namespace encode_avx512 {
const EncodeKernels& Kernels();
}

const EncodeKernels& EncodeKernelsFor(SimdLevel level) {
  return *ForSimdLevel(level, &encode_scalar::Kernels(), &encode_avx2::Kernels(),
                       &encode_avx512::Kernels());
}

}  // namespace tqdb
