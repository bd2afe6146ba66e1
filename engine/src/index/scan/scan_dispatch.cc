// The fast-scan kernels of the active SIMD level (quant/simd_level.h).
#include "index/scan/prune_kernels.h"
#include "index/scan/scan_kernels.h"

namespace tqdb::scan {

ScanBlockFn ActiveScanBlock() {
  return ForSimdLevel(ActiveScanLevel(), ScanBlockScalar, ScanBlockAvx2, ScanBlockAvx512);
}

ScanQueriesFn ActiveScanQueries() {
  return ForSimdLevel(ActiveScanLevel(), ScanQueriesScalar, ScanQueriesAvx2, ScanQueriesAvx512);
}

PruneBlockFn ActivePruneBlock() {
  return ForSimdLevel(ActiveScanLevel(), PruneBlockScalar, PruneBlockAvx2, PruneBlockAvx512);
}

KeyBlockFn ActiveKeyBlock() {
  return ForSimdLevel(ActiveScanLevel(), KeyBlockScalar, KeyBlockAvx2, KeyBlockAvx512);
}

KeyHalvesFn ActiveKeyHalves() {
  return ForSimdLevel(ActiveScanLevel(), KeyHalvesScalar, KeyHalvesAvx2, KeyHalvesAvx512);
}

}  // namespace tqdb::scan
