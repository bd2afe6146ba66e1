// Per-query 8-bit lookup tables for the nibble kernels, with the bound their rounding implies.
//
// Float table of group g: T_g[v] = sum over the coordinates j in the nibble of q'_j * c[code_j(v)]
// (one coordinate per nibble at b = 3, whose entries 8..15 never occur).
// One scale for all groups keeps the 8-bit sums comparable across vectors:
//   Q_g[v] = round((T_g[v] - min_g) * scale),  scale = 255 / max_g (max_g - min_g),
// so  sum_g T_g[v_g] = bias + (sum_g Q_g[v_g]) / scale + e,  bias = sum_g min_g,
// and |e| <= groups * 0.5 / scale (each rounding is off by at most half a step): max_error.
#pragma once

#include <cstdint>
#include <vector>

#include "quant/float_tables.h"

namespace tqdb::scan {

struct QuantizedTables {
  std::vector<uint8_t> tables;  // padded groups x 16, zero for padding groups
  float scale = 1;
  float bias = 0;
  float max_error = 0;

  // The float estimate behind an 8-bit sum, and the bound on its distance to the exact one.
  float Estimate(uint32_t sum) const { return bias + sum / scale; }
};

// True when the kernels serve codes of `bits` per coordinate (nibble_blocks.h).
constexpr bool NibbleCodable(int bits) { return bits >= 1 && bits <= 4; }

// Builds the tables for `dim` rotated query values and a codebook of 2^bits `centroids`;
// `padded_groups` as in NibbleBlocks.
void BuildQuantizedTables(const float* rotated_query, int dim, int bits, const float* centroids,
                          int padded_groups, QuantizedTables* out);

}  // namespace tqdb::scan
