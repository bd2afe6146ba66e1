// Haar-random orthogonal matrix: the reference rotation (O(d^2) per vector, O(d^3) to build).
#pragma once

#include <cstdint>
#include <vector>

#include "quant/rotation.h"

namespace tqdb {

class DenseRotation final : public Rotation {
 public:
  DenseRotation(int dim, uint64_t seed);

  int dim() const override { return dim_; }
  void Apply(const float* in, float* out) const override;
  void ApplyInverse(const float* in, float* out) const override;
  size_t MemoryBytes() const override { return sizeof(*this) + matrix_.capacity() * sizeof(float); }

 private:
  int dim_;
  std::vector<float> matrix_;  // row-major dim x dim, orthogonal
};

}  // namespace tqdb
