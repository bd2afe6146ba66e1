// Per-query float lookup tables over packed codes: the one table builder behind both the scalar
// reference scorer (CodeScorer) and the fast-scan kernels' 8-bit tables (index/scan/).
#pragma once

#include <vector>

namespace tqdb::quant {

// The float tables every scorer starts from: for groups of `codes_per_group` consecutive
// coordinates, entry v of group g is sum_k q'_{g * codes_per_group + k} * c[code k of v], where
// code k of v is bits k*b .. k*b + b-1 of v (the packing order of bit_packing.h). `entries`
// values per group (2^(codes_per_group * b), or 16 for the single 3-bit code of a nibble);
// ceil(dim / codes_per_group) groups, row-major.
std::vector<float> BuildFloatTables(const float* rotated_query, int dim, int bits,
                                    const float* centroids, int codes_per_group, int entries);

}  // namespace tqdb::quant
