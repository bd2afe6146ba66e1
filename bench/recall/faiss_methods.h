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

// The FAISS version linked, and what it lacks (RaBitQ, TurboQuant scalar quantizers), for the
// tables' header.
std::string FaissDescription();

// Baselines with `code_bytes` bytes per vector at dimension d; `label` tags the rows (e.g.
// "= tqdb code"). Rows FAISS cannot build at that size are left out.
std::vector<std::unique_ptr<Method>> MakeFaissMethods(int dim, int code_bytes, BenchMetric metric,
                                                      const std::string& label);

// Maps d real columns onto m sub-spaces of ceil(d / m) columns; exposed for the tests.
std::vector<int> SpreadColumns(int dim, int subspaces);

}  // namespace tqdb::bench
