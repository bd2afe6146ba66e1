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
#include "tqdb/code_parts.h"

namespace tqdb::scan {

// Steps of a residual table entry per step of its 8-bit table entry (see below).
inline constexpr uint32_t kResidualSteps = 254;

struct QuantizedTables {
  std::vector<uint8_t> tables;  // padded groups x 16, zero for padding groups
  float scale = 1;
  float bias = 0;
  float max_error = 0;

  // The second 8 bits (when asked for): R_g[v] = 127 + round(254 (T_g[v] - min_g) scale - 254
  // Q_g[v]), each table's rounding residual in steps of 1 / (254 scale); 127 (no residual) for
  // padding groups. With S = sum_g Q_g and R = sum_g R_g, the combined count C = 254 S + R gives
  //   sum_g T_g = refined_bias + C refined_step + e,  |e| <= refined_max_error,
  // 254 times tighter than max_error: the scan refines a block's survivors with one more pass
  // before scoring any exactly.
  std::vector<uint8_t> residual;
  float refined_bias = 0;
  float refined_step = 0;
  float refined_max_error = 0;

  // The float estimate behind an 8-bit sum, and the bound on its distance to the exact one.
  float Estimate(uint32_t sum) const { return bias + sum / scale; }
};

// Builds the tables for `dim` rotated query values and a codebook of 2^bits `centroids`;
// `padded_groups` as in NibbleBlocks. `with_residual` adds the residual tables.
void BuildQuantizedTables(const float* rotated_query, int dim, int bits, const float* centroids,
                          int padded_groups, QuantizedTables* out, bool with_residual = false);
// The same over a code of several widths (NibbleBlocks' group order): centroids[i] holds the
// 2^bits values of parts[i].
void BuildQuantizedTables(const float* rotated_query, const CodeParts& parts,
                          const float* const* centroids, int padded_groups, QuantizedTables* out,
                          bool with_residual = false);

}  // namespace tqdb::scan
