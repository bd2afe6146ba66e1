#include "quant/float_tables.h"

#include <cstddef>
#include <cstdint>

namespace tqdb::quant {

std::vector<float> BuildFloatTables(const float* rotated_query, int dim, int bits,
                                    const float* centroids, int codes_per_group, int entries) {
  const uint32_t mask = (1u << bits) - 1;
  const int groups = (dim + codes_per_group - 1) / codes_per_group;
  std::vector<float> tables(static_cast<size_t>(groups) * entries);
  for (int g = 0; g < groups; ++g) {
    float* t = &tables[static_cast<size_t>(g) * entries];
    for (uint32_t v = 0; v < static_cast<uint32_t>(entries); ++v) {
      float sum = 0;
      for (int k = 0; k < codes_per_group; ++k) {
        const int j = g * codes_per_group + k;
        // Coordinates past dim are padding bits (always zero): they contribute nothing.
        if (j < dim) sum += rotated_query[j] * centroids[(v >> (k * bits)) & mask];
      }
      t[v] = sum;
    }
  }
  return tables;
}

}  // namespace tqdb::quant
