// Fast-scan kernels: for one block of 32 vectors (NibbleBlocks layout) and one query's 8-bit
// tables, the 32 sums  out[i] = sum_g tables[g][nibble(i, g)]  as exact 32-bit integers.
// Every implementation returns identical sums; scan_scalar.cc is the reference.
//
// The version runs at the engine's SIMD level (quant/simd_level.h: by CPU features, or
// TQDB_SIMD=scalar|avx2|avx512, or ForceScanLevel), so tests cover every path on one machine.
#pragma once

#include <cstdint>

#include "quant/simd_level.h"

namespace tqdb::scan {

using ScanLevel = SimdLevel;
inline const char* ScanLevelName(ScanLevel level) { return SimdLevelName(level); }

using ScanBlockFn = void (*)(const uint8_t* block, const uint8_t* tables, int groups,
                             uint32_t* out);

void ScanBlockScalar(const uint8_t* block, const uint8_t* tables, int groups, uint32_t* out);
void ScanBlockAvx2(const uint8_t* block, const uint8_t* tables, int groups, uint32_t* out);
void ScanBlockAvx512(const uint8_t* block, const uint8_t* tables, int groups, uint32_t* out);

// Several queries against one block, which is read once for all of them (a batch's register
// blocking): out[q * 32 + i] is ScanBlock's out[i] for tables[q]. Any number of queries; the
// kernels take them kMaxQueries (AVX-512) or 2 (AVX2) at a time.
inline constexpr int kMaxQueries = 4;
using ScanQueriesFn = void (*)(const uint8_t* block, const uint8_t* const* tables, int queries,
                               int groups, uint32_t* out);
void ScanQueriesScalar(const uint8_t* block, const uint8_t* const* tables, int queries, int groups,
                       uint32_t* out);
void ScanQueriesAvx2(const uint8_t* block, const uint8_t* const* tables, int queries, int groups,
                     uint32_t* out);
void ScanQueriesAvx512(const uint8_t* block, const uint8_t* const* tables, int queries, int groups,
                       uint32_t* out);

using ::tqdb::CpuSupports;
inline ScanLevel ActiveScanLevel() { return ActiveSimdLevel(); }
// Forces a level for this process (tests): every kernel of the engine follows it.
inline bool ForceScanLevel(ScanLevel level) { return ForceSimdLevel(level); }
ScanBlockFn ActiveScanBlock();
ScanQueriesFn ActiveScanQueries();

}  // namespace tqdb::scan
