// Picks the kernel once per process, by CPU features or the TQDB_SIMD environment variable.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "index/scan/prune_kernels.h"
#include "index/scan/scan_kernels.h"
#include "tqdb/simd.h"

namespace tqdb::scan {
namespace {

ScanLevel DetectLevel() {
  ScanLevel best = CpuSupports(ScanLevel::kAvx512) ? ScanLevel::kAvx512
                   : CpuSupports(ScanLevel::kAvx2) ? ScanLevel::kAvx2
                                                   : ScanLevel::kScalar;
  if (const char* forced = std::getenv("TQDB_SIMD"); forced != nullptr && *forced != '\0') {
    for (ScanLevel level : {ScanLevel::kScalar, ScanLevel::kAvx2, ScanLevel::kAvx512}) {
      if (std::strcmp(forced, ScanLevelName(level)) == 0) {
        if (CpuSupports(level)) return level;
        std::fprintf(stderr, "tqdb: TQDB_SIMD=%s is not supported by this CPU; using %s\n", forced,
                     ScanLevelName(best));
        return best;
      }
    }
    std::fprintf(stderr, "tqdb: unknown TQDB_SIMD=%s (scalar, avx2, avx512); using %s\n", forced,
                 ScanLevelName(best));
  }
  return best;
}

std::atomic<int>& LevelSlot() {
  static std::atomic<int> level{static_cast<int>(DetectLevel())};
  return level;
}

}  // namespace

const char* ScanLevelName(ScanLevel level) {
  switch (level) {
    case ScanLevel::kScalar:
      return "scalar";
    case ScanLevel::kAvx2:
      return "avx2";
    case ScanLevel::kAvx512:
      return "avx512";
  }
  return "unknown";
}

bool CpuSupports(ScanLevel level) {
  switch (level) {
    case ScanLevel::kScalar:
      return true;
    case ScanLevel::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case ScanLevel::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  }
  return false;
}

ScanLevel ActiveScanLevel() { return static_cast<ScanLevel>(LevelSlot().load()); }

bool ForceScanLevel(ScanLevel level) {
  if (!CpuSupports(level)) return false;
  LevelSlot().store(static_cast<int>(level));
  return true;
}

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

namespace tqdb {

const char* ActiveSimdLevelName() { return scan::ScanLevelName(scan::ActiveScanLevel()); }

}  // namespace tqdb
