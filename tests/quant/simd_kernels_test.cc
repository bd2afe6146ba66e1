// Every SIMD level of the vector loops outside the fast scan (the rotation's and the encoder's
// kernels, the coarse quantizer's dot products) gives exactly the baseline build's bits, on inputs
// of every shape the code meets; and forcing a level moves the whole engine (one dispatch
// mechanism). Levels the CPU lacks are skipped, with a message.
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "index/exact_sums.h"
#include "index/ivf/dot_rows.h"
#include "quant/codebook.h"
#include "quant/encode_kernels.h"
#include "quant/rotation.h"
#include "quant/rotation_kernels.h"
#include "quant/simd_level.h"
#include "test_util.h"

namespace tqdb {
namespace {

constexpr SimdLevel kLevels[] = {SimdLevel::kAvx2, SimdLevel::kAvx512};

std::vector<float> Values(size_t n, uint64_t seed) {
  std::vector<float> v = testing::RandomUnitVectors(1, static_cast<int>(n), seed);
  for (size_t i = 0; i < n; ++i) v[i] *= static_cast<float>(1 + i % 7);
  return v;
}

TEST(SimdKernelsTest, RotationKernelsEqualTheBaselineAtEveryLevel) {
  const RotationKernels& scalar = RotationKernelsFor(SimdLevel::kScalar);
  for (SimdLevel level : kLevels) {
    if (!CpuSupports(level)) {
      std::printf("skipped %s: this CPU lacks it\n", SimdLevelName(level));
      continue;
    }
    const RotationKernels& simd = RotationKernelsFor(level);
    for (int n : {1, 2, 8, 16, 32, 64, 128, 1024, 2048}) {
      std::vector<float> a = Values(n, n), b = a;
      scalar.walsh_hadamard(a.data(), n);
      simd.walsh_hadamard(b.data(), n);
      EXPECT_EQ(std::memcmp(a.data(), b.data(), n * sizeof(float)), 0)
          << SimdLevelName(level) << " n " << n;
    }
    for (int n : {1, 7, 100, 1536}) {
      const std::vector<float> in = Values(n, 3), s = Values(n, 4);
      std::vector<uint32_t> perm(n);
      for (int j = 0; j < n; ++j) perm[j] = static_cast<uint32_t>((j * 7 + 3) % n);
      std::vector<float> a(n), b(n);
      scalar.permute_and_scale(in.data(), perm.data(), s.data(), n, a.data());
      simd.permute_and_scale(in.data(), perm.data(), s.data(), n, b.data());
      scalar.scale(s.data(), n, a.data());
      simd.scale(s.data(), n, b.data());
      EXPECT_EQ(std::memcmp(a.data(), b.data(), n * sizeof(float)), 0)
          << SimdLevelName(level) << " n " << n;
    }
  }
}

// Rotated unit-vector coordinates as the encoder meets them, with some exactly on a boundary.
std::vector<float> Coordinates(int n, const Codebook& codebook, uint64_t seed) {
  std::vector<float> y = testing::RandomUnitVectors(1, n, seed);
  for (int j = 0; j < n; j += 5) y[j] = codebook.boundaries[j % codebook.boundaries.size()];
  return y;
}

TEST(SimdKernelsTest, EncodeKernelsFindTheNearestCentroidAtEveryLevel) {
  for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (!CpuSupports(level)) {
      std::printf("skipped %s: this CPU lacks it\n", SimdLevelName(level));
      continue;
    }
    const EncodeKernels& kernels = EncodeKernelsFor(level);
    for (int bits = 1; bits <= 8; ++bits) {
      for (int n : {1, 7, 8, 9, 16, 17, 100, 1536}) {
        auto codebook = GetCodebook(n, bits);
        ASSERT_TRUE(codebook.ok());
        const Codebook& book = **codebook;
        const std::vector<float> y = Coordinates(n, book, 100 * bits + n);
        std::vector<float> residual = y;
        std::vector<uint8_t> cells(n);
        const QuantizedSums sums =
            kernels.quantize(residual.data(), n, book.boundaries.data(), book.centroids.data(),
                             static_cast<int>(book.centroids.size()), cells.data());
        double dot = 0, norm = 0;
        for (int j = 0; j < n; ++j) {
          ASSERT_EQ(cells[j], book.Quantize(y[j]))
              << SimdLevelName(level) << " bits " << bits << " n " << n << " j " << j;
          const float c = book.centroids[cells[j]];
          ASSERT_EQ(residual[j], y[j] - c);
          dot += static_cast<double>(y[j]) * c;
          norm += static_cast<double>(c) * c;
        }
        EXPECT_NEAR(sums.dot_yc, dot, 1e-12 * n);
        EXPECT_NEAR(sums.norm_c_sq, norm, 1e-12 * n);
      }
    }
  }
}

TEST(SimdKernelsTest, EncodeKernelsEqualTheBaselineAtEveryLevel) {
  const EncodeKernels& scalar = EncodeKernelsFor(SimdLevel::kScalar);
  for (SimdLevel level : kLevels) {
    if (!CpuSupports(level)) continue;
    const EncodeKernels& simd = EncodeKernelsFor(level);
    for (int n : {1, 7, 8, 9, 15, 16, 17, 33, 100, 1536, 3072}) {
      const std::vector<float> x = Values(n, n);
      EXPECT_EQ(simd.sum_squares(x.data(), n), scalar.sum_squares(x.data(), n))
          << SimdLevelName(level) << " n " << n;
      for (int bits : {1, 2, 4, 5, 8}) {
        const Codebook& book = **GetCodebook(n, bits);
        const int levels = static_cast<int>(book.centroids.size());
        std::vector<float> a = Coordinates(n, book, n + bits), b = a;
        std::vector<uint8_t> cells_a(n), cells_b(n);
        const QuantizedSums sums_a = scalar.quantize(a.data(), n, book.boundaries.data(),
                                                     book.centroids.data(), levels, cells_a.data());
        const QuantizedSums sums_b = simd.quantize(b.data(), n, book.boundaries.data(),
                                                   book.centroids.data(), levels, cells_b.data());
        EXPECT_EQ(cells_a, cells_b) << SimdLevelName(level) << " n " << n << " bits " << bits;
        EXPECT_EQ(std::memcmp(a.data(), b.data(), n * sizeof(float)), 0);
        EXPECT_EQ(sums_a.dot_yc, sums_b.dot_yc) << SimdLevelName(level) << " n " << n;
        EXPECT_EQ(sums_a.norm_c_sq, sums_b.norm_c_sq) << SimdLevelName(level) << " n " << n;
      }
    }
  }
}

TEST(SimdKernelsTest, ExactSumsEqualTheBaselineAndTheDirectSumsAtEveryLevel) {
  const ExactSums& scalar = ExactSumsFor(SimdLevel::kScalar);
  for (int n : {1, 7, 8, 9, 15, 16, 17, 100, 1536}) {
    const std::vector<float> q = Values(n, 21), x = Values(n, 22);
    double dot = 0, norm = 0, distance = 0;
    for (int j = 0; j < n; ++j) {
      dot += static_cast<double>(q[j]) * x[j];
      norm += static_cast<double>(x[j]) * x[j];
      distance += (static_cast<double>(q[j]) - x[j]) * (static_cast<double>(q[j]) - x[j]);
    }
    double base_dot = 0, base_norm = 0;
    scalar.dot_and_norm(q.data(), x.data(), n, &base_dot, &base_norm);
    const double base_distance = scalar.squared_distance(q.data(), x.data(), n);
    EXPECT_NEAR(base_dot, dot, 1e-12 * n);
    EXPECT_NEAR(base_norm, norm, 1e-12 * n);
    EXPECT_NEAR(base_distance, distance, 1e-12 * n);
    for (SimdLevel level : kLevels) {
      if (!CpuSupports(level)) continue;
      double level_dot = 0, level_norm = 0;
      ExactSumsFor(level).dot_and_norm(q.data(), x.data(), n, &level_dot, &level_norm);
      EXPECT_EQ(level_dot, base_dot) << SimdLevelName(level) << " n " << n;
      EXPECT_EQ(level_norm, base_norm) << SimdLevelName(level) << " n " << n;
      EXPECT_EQ(ExactSumsFor(level).dot(q.data(), x.data(), n), base_dot)
          << SimdLevelName(level) << " n " << n;
      EXPECT_EQ(ExactSumsFor(level).squared_distance(q.data(), x.data(), n), base_distance)
          << SimdLevelName(level) << " n " << n;
    }
  }
}

TEST(SimdKernelsTest, DotRowsEqualTheBaselineAtEveryLevel) {
  const ivf::DotRowsFn scalar = ivf::DotRowsFor(SimdLevel::kScalar);
  for (SimdLevel level : kLevels) {
    if (!CpuSupports(level)) continue;
    for (int dim : {1, 7, 8, 100, 1536}) {
      const size_t rows = 5, k = 33;
      const std::vector<float> x = Values(rows * dim, 11), c = Values(k * dim, 12);
      std::vector<float> a(rows * k), b(rows * k);
      scalar(x.data(), rows, c.data(), k, dim, a.data());
      ivf::DotRowsFor(level)(x.data(), rows, c.data(), k, dim, b.data());
      EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0)
          << SimdLevelName(level) << " dim " << dim;
    }
  }
}

// A rotation applied at each level is the same rotation, bit for bit, and forcing a level is
// what the engine then runs.
TEST(SimdKernelsTest, ForcingALevelMovesTheRotation) {
  auto rotation = MakeRotation(RotationKind::kFast, 100, 9);
  ASSERT_TRUE(rotation.ok());
  const std::vector<float> in = Values(100, 5);
  const SimdLevel active = ActiveSimdLevel();
  ASSERT_TRUE(ForceSimdLevel(SimdLevel::kScalar));
  EXPECT_EQ(ActiveSimdLevel(), SimdLevel::kScalar);
  std::vector<float> base(100);
  (*rotation)->Apply(in.data(), base.data());
  for (SimdLevel level : kLevels) {
    if (!ForceSimdLevel(level)) continue;
    std::vector<float> out(100);
    (*rotation)->Apply(in.data(), out.data());
    EXPECT_EQ(std::memcmp(base.data(), out.data(), sizeof(float) * 100), 0) << SimdLevelName(level);
  }
  ForceSimdLevel(active);
}

}  // namespace
}  // namespace tqdb
