// Lloyd-Max scalar codebooks for the sphere-coordinate density f_d (docs/DESIGN.md, "Codebook").
//
// The codebook depends only on (dimension, bits): it is computed deterministically at run time by
// iterating the Lloyd-Max conditions (boundaries at midpoints, centroids at conditional means) on
// the exact density, and cached per (d, b).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"

namespace tqdb {

inline constexpr int kMaxCodebookBits = 8;

struct Codebook {
  int dim = 0;
  int bits = 0;
  // 2^bits reconstruction points, ascending and symmetric around 0.
  std::vector<float> centroids;
  // 2^bits - 1 decision boundaries: the midpoints of neighbouring centroids.
  std::vector<float> boundaries;
  // The same centroids in double precision, as the iteration left them.
  std::vector<double> exact_centroids;
  // Expected per-coordinate squared error E[(T - c(T))^2] under f_d.
  double coordinate_mse = 0;
  // Lloyd iterations used to reach the fixed point.
  int iterations = 0;

  // Expected |u - u~|^2 for a unit vector: dim * coordinate_mse.
  double UnitVectorDistortion() const { return dim * coordinate_mse; }
  // Index of the centroid nearest to y.
  uint8_t Quantize(float y) const;
};

// Computes the codebook from scratch; dim >= 1, bits in [1, 8]. For dim = 1 the coordinate is
// +-1 with probability 1/2 each, and the codebook is 2^bits evenly spaced points on [-1, 1].
absl::StatusOr<Codebook> ComputeLloydMaxCodebook(int dim, int bits);

// The cached codebook for (dim, bits); thread-safe, computed on first use.
absl::StatusOr<std::shared_ptr<const Codebook>> GetCodebook(int dim, int bits);

}  // namespace tqdb
