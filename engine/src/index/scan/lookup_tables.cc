#include "index/scan/lookup_tables.h"

#include <algorithm>
#include <cmath>

#include "index/store/nibble_blocks.h"

namespace tqdb::scan {

void BuildQuantizedTables(const float* rotated_query, int dim, int bits, const float* centroids,
                          int padded_groups, QuantizedTables* out, bool with_residual) {
  BuildQuantizedTables(rotated_query, CodeParts{{0, dim, bits, 0}}, &centroids, padded_groups, out,
                       with_residual);
}

void BuildQuantizedTables(const float* rotated_query, const CodeParts& parts,
                          const float* const* centroids, int padded_groups, QuantizedTables* out,
                          bool with_residual) {
  // Each part's float tables, in the blocks' group order; mass >= sum_j |q'_j c_j| for any code.
  std::vector<float> tables;
  int dim = 0;
  double mass = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const CodePart& part = parts[i];
    const float* q = rotated_query + part.first;
    std::vector<float> part_tables = quant::BuildFloatTables(q, part.dims, part.bits, centroids[i],
                                                             CoordinatesPerNibble(part.bits), 16);
    tables.insert(tables.end(), part_tables.begin(), part_tables.end());
    double largest_centroid = 0;
    for (int c = 0; c < (1 << part.bits); ++c) {
      largest_centroid = std::max(largest_centroid, std::abs(double{centroids[i][c]}));
    }
    for (int j = 0; j < part.dims; ++j) mass += std::abs(double{q[j]}) * largest_centroid;
    dim += part.dims;
  }
  const int groups = static_cast<int>(tables.size() / 16);
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
  // The exact scorer sums dim float products one by one: it may be off by dim x 2^-24 of their
  // magnitudes, and Estimate's own float arithmetic adds a little.
  const double float_error = dim * mass / (1 << 24) + 1e-6 * (std::abs(bias) + 1);
  out->max_error = static_cast<float>(groups * 0.5 / out->scale * 1.0001 + float_error);
  out->tables.assign(static_cast<size_t>(padded_groups) * 16, 0);
  // Locals and raw pointers: a store through uint8_t* may alias anything, so the compiler would
  // otherwise reload out->scale and the vectors' data pointers at every entry (and not
  // vectorize). Rounded to nearest by adding a half and truncating (the values are >= 0):
  // std::lround is a library call per entry.
  const float scale = out->scale;
  const float* source = tables.data();
  const size_t entries = tables.size();
  uint8_t* quantized = out->tables.data();
  for (size_t i = 0; i < entries; ++i) {
    quantized[i] = static_cast<uint8_t>(source[i] * scale + 0.5f);
  }
  if (!with_residual) return;
  constexpr int kSteps = static_cast<int>(kResidualSteps), kMiddle = kSteps / 2;
  out->residual.assign(static_cast<size_t>(padded_groups) * 16, kMiddle);
  uint8_t* residuals = out->residual.data();
  for (size_t i = 0; i < entries; ++i) {
    // In [-0.5, 0.5] units of 1 / scale, up to float rounding: clamped into the byte.
    const double residual = double{source[i]} * scale - quantized[i];
    const double shifted = std::clamp(residual * kSteps + kMiddle + 0.5, 0.0, 2.0 * kMiddle + 1);
    residuals[i] = static_cast<uint8_t>(shifted);
  }
  out->refined_step = 1.0f / (kSteps * out->scale);
  out->refined_bias =
      static_cast<float>(bias - double{kMiddle} * padded_groups / kSteps / out->scale);
  // Each residual is rounded by at most half a step; the combined count C <= 255 x 255 x groups
  // loses up to 2^-24 of itself when the scan turns it into a float.
  const double count_max = (255.0 * kSteps + 255.0) * padded_groups;
  out->refined_max_error =
      static_cast<float>((groups * 0.5 + count_max / (1 << 24)) * out->refined_step * 1.0001 +
                         float_error + 1e-6 * std::abs(double{out->refined_bias}));
}

}  // namespace tqdb::scan
