// Structured random orthogonal transform in O(d log d) that keeps exactly d coordinates.
#pragma once

#include <cstdint>
#include <vector>

#include "quant/rotation.h"

namespace tqdb {

// Each of kRounds rounds applies
//   P (a random permutation), D_a (random signs), H on the window [0, p),
//   D_b (random signs),                          H on the window [d - p, d)
// where p is the largest power of two <= d and H the normalized Walsh-Hadamard transform.
// Every step is orthogonal, so the product is; the two windows overlap (p > d/2) and together
// cover every coordinate, so energy spreads over all d outputs without padding the code to 2^k.
// The permutation matters when d is not a power of two: without it energy crosses between the
// windows only through their overlap (a single coordinate for d = 2p - 1) and the outputs keep
// unequal variances; with it each window sees a random subset every round. When d is a power
// of two the windows coincide and the second half-round is skipped.
class FastRotation final : public Rotation {
 public:
  static constexpr int kRounds = 4;

  FastRotation(int dim, uint64_t seed);

  int dim() const override { return dim_; }
  void Apply(const float* in, float* out) const override;
  void ApplyInverse(const float* in, float* out) const override;
  size_t MemoryBytes() const override {
    return sizeof(*this) + permutations_.capacity() * sizeof(uint32_t) +
           scaled_signs_.capacity() * sizeof(float);
  }

 private:
  // Signs for round r and window w; those inside the window are pre-multiplied by 1/sqrt(p) so
  // that the unnormalized Hadamard butterflies give an orthogonal step.
  const float* ScaledSigns(int round, int window) const {
    return &scaled_signs_[(size_t{2} * round + window) * dim_];
  }

  const uint32_t* Permutation(int round) const { return &permutations_[size_t{1} * round * dim_]; }

  int dim_;
  int window_;                          // p
  std::vector<uint32_t> permutations_;  // kRounds permutations of [0, d)
  std::vector<float> scaled_signs_;
};

}  // namespace tqdb
