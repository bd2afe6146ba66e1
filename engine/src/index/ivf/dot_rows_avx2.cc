// dot_rows.inc for the avx2 level (its instruction set: engine/CMakeLists.txt).
#include "index/ivf/dot_rows.h"

namespace tqdb::ivf::dot_rows_avx2 {
#include "index/ivf/dot_rows.inc"
}  // namespace tqdb::ivf::dot_rows_avx2
