// dot_rows.inc for the scalar level (its instruction set: engine/CMakeLists.txt).
#include "index/ivf/dot_rows.h"

namespace tqdb::ivf::dot_rows_scalar {
#include "index/ivf/dot_rows.inc"
}  // namespace tqdb::ivf::dot_rows_scalar
