// FAISS baselines at a given code size: PQ with 8-bit sub-quantizers, PQ fast scan with 4-bit
// sub-quantizers, and the scalar quantizer where FAISS has a type of that many bits.
//
// FAISS PQ needs the sub-quantizer count m to divide the dimension. To give it exactly the bytes
// asked for, vectors are zero-padded to m * ceil(d / m) columns with the real columns spread
// evenly over the sub-spaces (each gets floor or ceil of d / m of them); zero columns change no
// inner product or distance.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "method.h"

namespace tqdb::bench {

// The FAISS version linked, its SIMD level, and what it lacks (RaBitQ, TurboQuant scalar
// quantizers).
std::string FaissDescription();

// True when the linked FAISS runs real SIMD kernels (AVX2 or better; the pinned build from
// ../shared/third_party), false for a generic build such as Debian's libfaiss-dev 1.7.3.
bool FaissHasNativeSimd();

// The line every benchmark table starts with: CPU model, tqdb's SIMD level, the FAISS version
// and SIMD level, and a warning that speed ratios are meaningless when FaissHasNativeSimd() is
// false.
std::string BaselineHeader();

// Baselines with `code_bytes` bytes per vector at dimension d; `label` tags the rows (e.g.
// "= tqdb code"). Rows FAISS cannot build at that size are left out.
std::vector<std::unique_ptr<Method>> MakeFaissMethods(int dim, int code_bytes, BenchMetric metric,
                                                      const std::string& label);

// True for the PQ fast-scan rows ("PQ{m}x4fs ...").
bool IsPqFastScan(const std::string& method_name);

// The baselines that are defined per bit width rather than per byte: RaBitQ{b}, RaBitQfs{b},
// RR{d},SQtqmse{b} and SQtq{b} (b >= 2), each at the bytes FAISS really stores for it (RaBitQ:
// 8 bytes of factors at 1 bit, 20 above). Those this FAISS lacks are left out.
std::vector<std::unique_ptr<Method>> MakeFaissBitMethods(int dim, int bits, BenchMetric metric);

// Removes the FAISS rows whose name starts with one of the comma-separated `prefixes` (a
// benchmark's --skip flag, e.g. "SQtq": its scan runs at 4-13 QPS at d = 100). tqdb rows stay.
void DropFaissRows(const std::string& prefixes, std::vector<std::unique_ptr<Method>>* methods);

// Maps d real columns onto m sub-spaces of ceil(d / m) columns; exposed for the tests.
std::vector<int> SpreadColumns(int dim, int subspaces);

// `n` rows of `dim` floats laid out on `columns` (padded column -> real column, -1: zero), each
// value times `scale`: what a padded FAISS index takes.
std::vector<float> PadRows(const float* rows, size_t n, int dim, const std::vector<int>& columns,
                           float scale = 1.0f);

}  // namespace tqdb::bench
