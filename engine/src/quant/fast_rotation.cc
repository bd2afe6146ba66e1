#include "quant/fast_rotation.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "quant/random.h"
#include "quant/rotation_kernels.h"

namespace tqdb {

namespace {

// Per-thread buffer, so applying a rotation in a hot loop allocates nothing after the first call.
std::vector<float>& Scratch(int dim) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < static_cast<size_t>(dim)) buffer.resize(dim);
  return buffer;
}

}  // namespace

FastRotation::FastRotation(int dim, uint64_t seed)
    : dim_(dim),
      window_(static_cast<int>(std::bit_floor(static_cast<unsigned>(dim)))),
      permutations_(size_t{1} * kRounds * dim),
      scaled_signs_(size_t{2} * kRounds * dim) {
  SeededRandom random(seed);
  const float scale = 1.0f / std::sqrt(static_cast<float>(window_));
  // Only the coordinates a window's Hadamard transform touches carry its 1/sqrt(p) scale.
  for (int round = 0; round < kRounds; ++round) {
    for (int window = 0; window < 2; ++window) {
      float* s = &scaled_signs_[(size_t{2} * round + window) * dim];
      const int begin = window == 0 ? 0 : dim - window_;
      for (int j = 0; j < dim; ++j) {
        s[j] = random.Sign() * (j >= begin && j < begin + window_ ? scale : 1.0f);
      }
    }
  }
  for (int round = 0; round < kRounds; ++round) {
    // Fisher-Yates with the project's own uniform draw (std::shuffle is library-specific).
    uint32_t* perm = &permutations_[size_t{1} * round * dim];
    for (int j = 0; j < dim; ++j) perm[j] = j;
    for (int j = dim - 1; j > 0; --j) {
      const int k = std::min(j, static_cast<int>(random.Uniform() * (j + 1)));
      std::swap(perm[j], perm[k]);
    }
  }
}

void FastRotation::Apply(const float* in, float* out) const {
  const RotationKernels& kernels = ActiveRotationKernels();
  float* scratch = Scratch(dim_).data();
  // The rounds write out and scratch by turns, the last one out: each round's permutation
  // reads the one before's result where it lies, with no copy between rounds (`in` may be
  // `out`: the first round reads it whole into the other buffer).
  const float* source = in;
  for (int round = 0; round < kRounds; ++round) {
    float* target = (kRounds - 1 - round) % 2 == 0 ? out : scratch;
    // target[j] = source[perm[j]] * s[j]: the permutation and the first sign flip in one pass.
    kernels.permute_and_scale(source, Permutation(round), ScaledSigns(round, 0), dim_, target);
    kernels.walsh_hadamard(target, window_);
    if (window_ != dim_) {
      kernels.scale(ScaledSigns(round, 1), dim_, target);
      kernels.walsh_hadamard(target + (dim_ - window_), window_);
    }
    source = target;
  }
}

void FastRotation::ApplyInverse(const float* in, float* out) const {
  // (H diag(s / sqrt(p)))^-1 = diag(s / sqrt(p)) H, since H H = p I and s = 1 / s.
  const RotationKernels& kernels = ActiveRotationKernels();
  if (out != in) std::memcpy(out, in, sizeof(float) * dim_);
  std::vector<float>& scratch = Scratch(dim_);
  float* tail = out + (dim_ - window_);
  for (int round = kRounds - 1; round >= 0; --round) {
    if (window_ != dim_) {
      kernels.walsh_hadamard(tail, window_);
      kernels.scale(ScaledSigns(round, 1), dim_, out);
    }
    kernels.walsh_hadamard(out, window_);
    // Undo out[j] = x[perm[j]] * s[j]: x[perm[j]] = out[j] * s[j].
    const uint32_t* perm = Permutation(round);
    const float* s = ScaledSigns(round, 0);
    std::memcpy(scratch.data(), out, sizeof(float) * dim_);
    for (int j = 0; j < dim_; ++j) out[perm[j]] = scratch[j] * s[j];
  }
}

}  // namespace tqdb
