// dot_rows.inc for the avx512 level (its instruction set: engine/CMakeLists.txt).
#include "index/ivf/dot_rows.h"

namespace tqdb::ivf::dot_rows_avx512 {
#include "index/ivf/dot_rows.inc"
}  // namespace tqdb::ivf::dot_rows_avx512
