#include "quant/rotation_kernels.h"

namespace tqdb {

namespace rotation_scalar {
const RotationKernels& Kernels();
}
namespace rotation_avx2 {
const RotationKernels& Kernels();
}
namespace rotation_avx512 {
const RotationKernels& Kernels();
}

const RotationKernels& RotationKernelsFor(SimdLevel level) {
  return *ForSimdLevel(level, &rotation_scalar::Kernels(), &rotation_avx2::Kernels(),
                       &rotation_avx512::Kernels());
}

}  // namespace tqdb
