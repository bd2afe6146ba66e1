// exact_sums.inc for the scalar level (its instruction set: engine/CMakeLists.txt).
#include "index/exact_sums.h"

namespace tqdb::exact_scalar {
namespace {
#include "index/exact_sums.inc"
}  // namespace

const ExactSums& Sums() { return kSums; }

}  // namespace tqdb::exact_scalar
