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
  return ForSimdLevel<DotRowsFn>(level, dot_rows_scalar::DotRows, dot_rows_avx2::DotRows,
                                 dot_rows_avx512::DotRows);
}

}  // namespace tqdb::ivf
