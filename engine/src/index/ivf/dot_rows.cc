#include "index/ivf/dot_rows.h"

namespace tqdb::ivf {

namespace dot_rows_scalar {
void DotRows(const float* x, size_t rows, const float* centroids, size_t k, int dim, float* scores);
}
namespace dot_rows_avx2 {
void DotRows(const float* x, size_t rows, const float* centroids, size_t k, int dim, float* scores);
}
namespace dot_rows_avx512 {
void DotRows(const float* x, size_t rows, const float* centroids, size_t k, int dim, float* scores);
}

DotRowsFn DotRowsFor(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512:
      return dot_rows_avx512::DotRows;
    case SimdLevel::kAvx2:
      return dot_rows_avx2::DotRows;
    case SimdLevel::kScalar:
      break;
  }
  return dot_rows_scalar::DotRows;
}

}  // namespace tqdb::ivf
