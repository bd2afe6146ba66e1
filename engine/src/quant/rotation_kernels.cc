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
  switch (level) {
    case SimdLevel::kAvx512:
      return rotation_avx512::Kernels();
    case SimdLevel::kAvx2:
      return rotation_avx2::Kernels();
    case SimdLevel::kScalar:
      break;
  }
  return rotation_scalar::Kernels();
}

}  // namespace tqdb
