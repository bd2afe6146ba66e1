#include "quant/float_tables.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace tqdb::quant {

// A group's entries are built one coordinate at a time: after coordinates 0..k-1 the first
// 2^(k b) entries hold the partial sums of every code of those coordinates, and coordinate k
// extends them to 2^((k + 1) b) entries, entry idx + c 2^(k b) = entry idx + q'_k c[c]. Each
// entry is summed in coordinate order from 0, the same float operations in the same order as
// the direct sum_k (so the tables are bit for bit the same), in about one add per entry instead
// of codes_per_group multiply-adds with shifts and masks (the products are taken once per
// coordinate).
std::vector<float> BuildFloatTables(const float* rotated_query, int dim, int bits,
                                    const float* centroids, int codes_per_group, int entries) {
  const size_t codes = size_t{1} << bits;
  const int groups = (dim + codes_per_group - 1) / codes_per_group;
  std::vector<float> tables(static_cast<size_t>(groups) * entries);
  std::vector<float> products(codes);  // q'_j c[c] for the coordinate being added
  for (int g = 0; g < groups; ++g) {
    float* t = &tables[static_cast<size_t>(g) * entries];
    size_t filled = 1;
    for (int k = 0; k < codes_per_group; ++k) {
      const int j = g * codes_per_group + k;
      if (j >= dim) {
        // A padding coordinate (its code bits are always zero) contributes nothing, whatever
        // the entry's bits there.
        for (size_t c = 1; c < codes; ++c) std::copy_n(t, filled, t + c * filled);
      } else {
        for (size_t c = 0; c < codes; ++c) products[c] = rotated_query[j] * centroids[c];
        if (k == 0) {
          for (size_t c = 0; c < codes; ++c) t[c] = 0.0f + products[c];  // the sum starts at 0
        } else {
          // Code 0's block holds the partial sums: the other blocks first, then it in place.
          for (size_t c = 1; c < codes; ++c) {
            float* block = t + c * filled;
            const float p = products[c];
            for (size_t idx = 0; idx < filled; ++idx) block[idx] = t[idx] + p;
          }
          for (size_t idx = 0; idx < filled; ++idx) t[idx] += products[0];
        }
      }
      filled *= codes;
    }
    // Entries past 2^(codes_per_group b) (the unused half of a 3-bit nibble) repeat the table:
    // only the low bits of an entry name codes.
    for (size_t v = filled; v < static_cast<size_t>(entries); ++v) t[v] = t[v % filled];
  }
  return tables;
}

}  // namespace tqdb::quant
