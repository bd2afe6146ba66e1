#include "index/exact_sums.h"

namespace tqdb {

namespace exact_scalar {
const ExactSums& Sums();
}
namespace exact_avx2 {
const ExactSums& Sums();
}
namespace exact_avx512 {
const ExactSums& Sums();
}

const ExactSums& ExactSumsFor(SimdLevel level) {
  return *ForSimdLevel(level, &exact_scalar::Sums(), &exact_avx2::Sums(), &exact_avx512::Sums());
}

}  // namespace tqdb
