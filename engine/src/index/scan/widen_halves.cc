// The reference widening, one half at a time, and the dispatch.
#include "index/scan/widen_halves.h"

#include "index/scan/scan_kernels.h"
#include "quant/half_float.h"

namespace tqdb::scan {

void WidenHalvesScalar(const uint16_t* halves, int count, float* out) {
  for (int i = 0; i < kBlockSize; ++i) out[i] = i < count ? HalfToFloat(halves[i]) : 0.0f;
}

WidenHalvesFn ActiveWidenHalves() {
  return ForSimdLevel(ActiveScanLevel(), WidenHalvesScalar, WidenHalvesAvx2, WidenHalvesAvx512);
}

}  // namespace tqdb::scan
