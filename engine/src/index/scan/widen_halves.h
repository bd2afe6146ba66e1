// Widening a block's compact factors (IEEE halves, quant/half_float.h) to the floats the pruning
// kernels and the exact keys read. One call per block of kBlockSize slots, shared by every query
// of a batch.
#pragma once

#include <cstdint>
#include <cstring>

#include "index/store/nibble_blocks.h"

namespace tqdb::scan {

// out[i] = the float of halves[i] for i < count <= kBlockSize; out[count..kBlockSize) are set
// too (to zero), so the SIMD paths need no tail. Every path gives the exact value.
using WidenHalvesFn = void (*)(const uint16_t* halves, int count, float* out);

void WidenHalvesScalar(const uint16_t* halves, int count, float* out);
void WidenHalvesAvx2(const uint16_t* halves, int count, float* out);
void WidenHalvesAvx512(const uint16_t* halves, int count, float* out);

WidenHalvesFn ActiveWidenHalves();  // for ActiveScanLevel()

// What the SIMD paths read: a whole block where it is; a last, partial one copied into `padded`
// (room for kBlockSize halves) with zeros after it, since reading past it could leave its chunk.
// Only a partial block touches `padded`, so whole ones cost no zeroing.
inline const uint16_t* WholeBlock(const uint16_t* halves, int count, uint16_t* padded) {
  if (count == kBlockSize) return halves;
  std::memcpy(padded, halves, count * sizeof(uint16_t));
  std::memset(padded + count, 0, (kBlockSize - count) * sizeof(uint16_t));
  return padded;
}

}  // namespace tqdb::scan
