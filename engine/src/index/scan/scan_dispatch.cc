// The fast-scan kernels of the active SIMD level (quant/simd_level.h).
#include "index/scan/prune_kernels.h"
#include "index/scan/scan_kernels.h"

namespace tqdb::scan {

ScanBlockFn ActiveScanBlock() {
  switch (ActiveScanLevel()) {
    case ScanLevel::kAvx512:
      return ScanBlockAvx512;
    case ScanLevel::kAvx2:
      return ScanBlockAvx2;
    case ScanLevel::kScalar:
      break;
  }
  return ScanBlockScalar;
}

ScanQueriesFn ActiveScanQueries() {
  switch (ActiveScanLevel()) {
    case ScanLevel::kAvx512:
      return ScanQueriesAvx512;
    case ScanLevel::kAvx2:
      return ScanQueriesAvx2;
    case ScanLevel::kScalar:
      break;
  }
  return ScanQueriesScalar;
}

PruneBlockFn ActivePruneBlock() {
  switch (ActiveScanLevel()) {
    case ScanLevel::kAvx512:
      return PruneBlockAvx512;
    case ScanLevel::kAvx2:
      return PruneBlockAvx2;
    case ScanLevel::kScalar:
      break;
  }
  return PruneBlockScalar;
}

}  // namespace tqdb::scan
