// Random orthogonal transforms applied to unit vectors before scalar quantization.
//
// After a uniformly random rotation every coordinate of a unit vector follows f_d and distinct
// coordinates are nearly independent, which is what lets one fixed scalar codebook serve any
// input (TurboQuant [Zandieh et al., arXiv:2504.19874], Section 3). Two implementations share
// one interface:
//   - DenseRotation: a Haar-random orthogonal matrix (QR of a Gaussian matrix); O(d^2) per
//     vector. The reference.
//   - FastRotation: rounds of random sign flips and normalized Walsh-Hadamard transforms;
//     O(d log d) per vector, and exactly d output coordinates for every d (see fast_rotation.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "tqdb/quantizer_config.h"  // RotationKind

namespace tqdb {

class Rotation {
 public:
  virtual ~Rotation() = default;

  virtual int dim() const = 0;
  // out = Pi * in. `in` and `out` hold dim() floats and may be the same buffer.
  virtual void Apply(const float* in, float* out) const = 0;
  // out = Pi^T * in, the exact inverse of Apply.
  virtual void ApplyInverse(const float* in, float* out) const = 0;
  // Bytes held (matrix, or permutations and signs).
  virtual size_t MemoryBytes() const = 0;
};

// A reproducible rotation for (kind, dim, seed); dim >= 1.
absl::StatusOr<std::unique_ptr<Rotation>> MakeRotation(RotationKind kind, int dim, uint64_t seed);

}  // namespace tqdb
