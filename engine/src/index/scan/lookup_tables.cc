#include "index/scan/lookup_tables.h"

#include <algorithm>
#include <cmath>

#include "index/scan/nibble_blocks.h"

namespace tqdb::scan {

void BuildQuantizedTables(const float* rotated_query, int dim, int bits, const float* centroids,
                          int padded_groups, QuantizedTables* out) {
  const int per_nibble = CoordinatesPerNibble(bits);
  const int groups = (dim + per_nibble - 1) / per_nibble;
  std::vector<float> tables =
      quant::BuildFloatTables(rotated_query, dim, bits, centroids, per_nibble, 16);
  double bias = 0;
  float widest = 0;
  for (int g = 0; g < groups; ++g) {
    float* t = &tables[g * 16];
    const auto [lo_it, hi_it] = std::minmax_element(t, t + 16);
    const float lo = *lo_it, hi = *hi_it;  // copies: t changes below
    bias += lo;
    widest = std::max(widest, hi - lo);
    for (int v = 0; v < 16; ++v) t[v] -= lo;
  }
  out->scale = widest > 0 ? 255.0f / widest : 1.0f;
  out->bias = static_cast<float>(bias);
  // Float arithmetic in Estimate and in the reference adds a little on top of the rounding.
  out->max_error = groups * 0.5f / out->scale * 1.0001f + 1e-6f * (std::abs(out->bias) + 1);
  out->tables.assign(static_cast<size_t>(padded_groups) * 16, 0);
  for (size_t i = 0; i < tables.size(); ++i) {
    out->tables[i] = static_cast<uint8_t>(std::lround(tables[i] * out->scale));
  }
}

}  // namespace tqdb::scan
