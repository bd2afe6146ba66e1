// exact_sums.inc for the avx2 level (its instruction set: engine/CMakeLists.txt).
#include <immintrin.h>

#include "index/exact_sums.h"

namespace tqdb::exact_avx2 {
namespace {
#include "index/exact_sums.inc"
}  // namespace

const ExactSums& Sums() { return kSums; }

}  // namespace tqdb::exact_avx2
