#include "quant/fast_rotation.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "quant/multiversioned.h"
#include "quant/random.h"

namespace tqdb {

namespace {

// Per-thread buffer, so applying a rotation in a hot loop allocates nothing after the first call.
std::vector<float>& Scratch(int dim) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < static_cast<size_t>(dim)) buffer.resize(dim);
  return buffer;
}

}  // namespace

// The transform and the permute-and-sign pass are compiled for AVX-512, AVX2 and baseline x86-64,
// and the loader picks one by CPU (GCC function multi-versioning). They only add, subtract and
// multiply element by element (nothing to fuse or reorder), so every version gives the same bits.
// Not under the sanitizers: the loader runs the version resolvers (ifuncs) before the
// sanitizer's runtime is up, and the program crashes at start (quant/multiversioned.h).

namespace {

// The first four stages (half = 1, 2, 4, 8) on 16 values held in registers: the same butterflies
// as the loop below, without its per-pair loop overhead, which dominated the transform.
inline void FirstFourStages(float* x) {
  float v[16];
  for (int i = 0; i < 16; ++i) v[i] = x[i];
#pragma GCC unroll 16
  for (int half = 1; half < 16; half *= 2) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) {
      if (i & half) continue;
      const float u = v[i], w = v[i + half];
      v[i] = u + w;
      v[i + half] = u - w;
    }
  }
  for (int i = 0; i < 16; ++i) x[i] = v[i];
}

}  // namespace

TQDB_MULTIVERSIONED void WalshHadamardTransform(float* x, int n) {
  int half = 1;
  if (n >= 16) {
    for (int start = 0; start < n; start += 16) FirstFourStages(x + start);
    half = 16;
  }
  for (; half < n; half *= 2) {
    for (int start = 0; start < n; start += 2 * half) {
      float* a = x + start;
      float* b = a + half;
      for (int j = 0; j < half; ++j) {
        const float u = a[j], v = b[j];
        a[j] = u + v;
        b[j] = u - v;
      }
    }
  }
}

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

namespace {

// out[j] = in[perm[j]] * s[j].
TQDB_MULTIVERSIONED void PermuteAndScale(const float* in, const uint32_t* perm, const float* s,
                                         int n, float* out) {
  for (int j = 0; j < n; ++j) out[j] = in[perm[j]] * s[j];
}

TQDB_MULTIVERSIONED void Scale(const float* s, int n, float* out) {
  for (int j = 0; j < n; ++j) out[j] *= s[j];
}

}  // namespace

void FastRotation::Apply(const float* in, float* out) const {
  std::vector<float>& scratch = Scratch(dim_);
  std::memcpy(scratch.data(), in, sizeof(float) * dim_);
  float* tail = out + (dim_ - window_);
  for (int round = 0; round < kRounds; ++round) {
    // out[j] = scratch[perm[j]] * s[j]: the permutation and the first sign flip in one pass.
    const uint32_t* perm = Permutation(round);
    const float* s = ScaledSigns(round, 0);
    if (round > 0) std::memcpy(scratch.data(), out, sizeof(float) * dim_);
    PermuteAndScale(scratch.data(), perm, s, dim_, out);
    WalshHadamardTransform(out, window_);
    if (window_ == dim_) continue;
    Scale(ScaledSigns(round, 1), dim_, out);
    WalshHadamardTransform(tail, window_);
  }
}

void FastRotation::ApplyInverse(const float* in, float* out) const {
  // (H diag(s / sqrt(p)))^-1 = diag(s / sqrt(p)) H, since H H = p I and s = 1 / s.
  if (out != in) std::memcpy(out, in, sizeof(float) * dim_);
  std::vector<float>& scratch = Scratch(dim_);
  float* tail = out + (dim_ - window_);
  for (int round = kRounds - 1; round >= 0; --round) {
    if (window_ != dim_) {
      WalshHadamardTransform(tail, window_);
      const float* s = ScaledSigns(round, 1);
      for (int j = 0; j < dim_; ++j) out[j] *= s[j];
    }
    WalshHadamardTransform(out, window_);
    // Undo out[j] = x[perm[j]] * s[j]: x[perm[j]] = out[j] * s[j].
    const uint32_t* perm = Permutation(round);
    const float* s = ScaledSigns(round, 0);
    std::memcpy(scratch.data(), out, sizeof(float) * dim_);
    for (int j = 0; j < dim_; ++j) out[perm[j]] = scratch[j] * s[j];
  }
}

}  // namespace tqdb
