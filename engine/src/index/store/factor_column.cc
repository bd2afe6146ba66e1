#include "index/store/factor_column.h"

#include "index/scan/widen_halves.h"

namespace tqdb {

const float* FactorColumn::Block(size_t first, int count, float* buffer) const {
  if (!half_) return &floats_[first];
  // Chunks hold whole blocks, so a block's halves are contiguous.
  scan::ActiveWidenHalves()(&halves_[first], count, buffer);
  return buffer;
}

}  // namespace tqdb
