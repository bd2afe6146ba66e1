// exact_sums.inc for the avx512 level (its instruction set: engine/CMakeLists.txt).
// GCC 12's AVX-512 conversions pass an undefined register as the masked-off source and then
// warn about it; their masks are all ones, so nothing undefined is read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "index/exact_sums.h"

namespace tqdb::exact_avx512 {
namespace {
#include "index/exact_sums.inc"
}  // namespace

const ExactSums& Sums() { return kSums; }

}  // namespace tqdb::exact_avx512
