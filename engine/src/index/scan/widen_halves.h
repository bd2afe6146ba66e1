// Widening a block's compact factors (IEEE halves, quant/half_float.h) to the floats the pruning
// kernels and the exact keys read. One call per block of kBlockSize slots, shared by every query
// of a batch.
#pragma once

#include <cstdint>

namespace tqdb::scan {

// out[i] = the float of halves[i] for i < count <= kBlockSize; out[count..kBlockSize) are set
// too (to zero), so the SIMD paths need no tail. Every path gives the exact value.
using WidenHalvesFn = void (*)(const uint16_t* halves, int count, float* out);

void WidenHalvesScalar(const uint16_t* halves, int count, float* out);
void WidenHalvesAvx2(const uint16_t* halves, int count, float* out);
void WidenHalvesAvx512(const uint16_t* halves, int count, float* out);

WidenHalvesFn ActiveWidenHalves();  // for ActiveScanLevel()

}  // namespace tqdb::scan
