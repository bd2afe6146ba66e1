#include "quant/rotation.h"

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "quant/sphere_distribution.h"
#include "test_util.h"
#include "tqdb/metric.h"

namespace tqdb {
namespace {

struct RotationCase {
  RotationKind kind;
  int dim;
};

class RotationPropertyTest : public ::testing::TestWithParam<RotationCase> {};

TEST_P(RotationPropertyTest, OrthogonalAndExactlyInvertible) {
  const auto [kind, d] = GetParam();
  absl::StatusOr<std::unique_ptr<Rotation>> rotation = MakeRotation(kind, d, 1234);
  ASSERT_TRUE(rotation.ok());
  std::vector<float> x = testing::RandomUnitVectors(20, d, 99);
  for (int i = 0; i + 1 < 20; ++i) {
    const float* a = &x[i * d];
    const float* b = &x[(i + 1) * d];
    std::vector<float> ra(d), rb(d), back(d);
    (*rotation)->Apply(a, ra.data());
    (*rotation)->Apply(b, rb.data());
    EXPECT_NEAR(Dot(ra.data(), ra.data(), d), 1.0, 1e-5);
    EXPECT_NEAR(Dot(ra.data(), rb.data(), d), Dot(a, b, d), 1e-5);
    (*rotation)->ApplyInverse(ra.data(), back.data());
    for (int j = 0; j < d; ++j) EXPECT_NEAR(back[j], a[j], 1e-5);
    // In place gives the same result.
    std::vector<float> in_place(a, a + d);
    (*rotation)->Apply(in_place.data(), in_place.data());
    for (int j = 0; j < d; ++j) EXPECT_EQ(in_place[j], ra[j]);
  }
}

TEST_P(RotationPropertyTest, ReproducibleFromSeed) {
  const auto [kind, d] = GetParam();
  auto r1 = MakeRotation(kind, d, 7), r2 = MakeRotation(kind, d, 7), r3 = MakeRotation(kind, d, 8);
  ASSERT_TRUE(r1.ok() && r2.ok() && r3.ok());
  std::vector<float> x = testing::RandomUnitVectors(1, d, 5), y1(d), y2(d), y3(d);
  (*r1)->Apply(x.data(), y1.data());
  (*r2)->Apply(x.data(), y2.data());
  (*r3)->Apply(x.data(), y3.data());
  EXPECT_EQ(y1, y2);
  if (d > 1) {
    EXPECT_NE(y1, y3);
  }
}

INSTANTIATE_TEST_SUITE_P(
    KindsAndDims, RotationPropertyTest,
    ::testing::Values(RotationCase{RotationKind::kDense, 1}, RotationCase{RotationKind::kDense, 7},
                      RotationCase{RotationKind::kDense, 100}, RotationCase{RotationKind::kFast, 1},
                      RotationCase{RotationKind::kFast, 2}, RotationCase{RotationKind::kFast, 7},
                      RotationCase{RotationKind::kFast, 64}, RotationCase{RotationKind::kFast, 100},
                      RotationCase{RotationKind::kFast, 127},
                      RotationCase{RotationKind::kFast, 200},
                      RotationCase{RotationKind::kFast, 1536},
                      RotationCase{RotationKind::kFast, 3072}),
    [](const auto& info) {
      return std::string(RotationKindName(info.param.kind)) + "_" + std::to_string(info.param.dim);
    });

// Over many seeds, a rotated coordinate of a fixed input must follow f_d. One coordinate per
// seed keeps the samples independent; sqrt(n) * KS < 1.95 is the 0.1% critical value.
double RotatedCoordinateKs(RotationKind kind, const std::vector<float>& input, int seeds) {
  const int d = static_cast<int>(input.size());
  SphereCoordinateDistribution dist(d);
  std::vector<double> samples;
  std::vector<float> y(d);
  for (int seed = 0; seed < seeds; ++seed) {
    absl::StatusOr<std::unique_ptr<Rotation>> rotation = MakeRotation(kind, d, 1000 + seed);
    (*rotation)->Apply(input.data(), y.data());
    samples.push_back(y[(seed * 7919) % d]);
  }
  return testing::KolmogorovSmirnov(samples, [&](double t) { return dist.Cdf(t); });
}

std::vector<float> Basis(int d, int index) {
  std::vector<float> v(d, 0.0f);
  v[index] = 1.0f;
  return v;
}

std::vector<float> AllOnes(int d) { return std::vector<float>(d, 1.0f / std::sqrt(float(d))); }

class FastRotationDistributionTest : public ::testing::TestWithParam<int> {};

TEST_P(FastRotationDistributionTest, AdversarialInputsFollowSphereDensity) {
  const int d = GetParam();
  EXPECT_LT(RotatedCoordinateKs(RotationKind::kFast, Basis(d, 0), 2000), 1.95) << "e_0";
  EXPECT_LT(RotatedCoordinateKs(RotationKind::kFast, Basis(d, d - 1), 2000), 1.95) << "e_last";
  EXPECT_LT(RotatedCoordinateKs(RotationKind::kFast, AllOnes(d), 2000), 1.95) << "ones";
}

INSTANTIATE_TEST_SUITE_P(Dims, FastRotationDistributionTest,
                         ::testing::Values(64, 100, 127, 128, 200, 1536));

TEST(FastRotationDistributionTest, GloveVectorsFollowSphereDensity) {
  const DenseDataset& glove = testing::GloveFixture();
  ASSERT_EQ(glove.dim, 100);
  for (size_t row : {0, 5000, 9999}) {
    std::vector<float> v(glove.row(row), glove.row(row) + glove.dim);
    NormalizeRows(v, glove.dim);
    EXPECT_LT(RotatedCoordinateKs(RotationKind::kFast, v, 2000), 1.95) << "row " << row;
  }
}

TEST(DenseRotationDistributionTest, BasisVectorFollowsSphereDensity) {
  EXPECT_LT(RotatedCoordinateKs(RotationKind::kDense, Basis(64, 3), 1000), 1.95);
}

TEST(RotationTest, RejectsBadDimension) {
  EXPECT_EQ(MakeRotation(RotationKind::kFast, 0, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tqdb
