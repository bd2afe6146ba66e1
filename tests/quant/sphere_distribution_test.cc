#include "quant/sphere_distribution.h"

#include <cmath>
#include <numbers>
#include <vector>

#include "gtest/gtest.h"
#include "test_util.h"

namespace tqdb {
namespace {

TEST(SphereDistributionTest, ThreeDimensionsIsUniform) {
  // Archimedes: a coordinate of a uniform point on S^2 is uniform on [-1, 1].
  SphereCoordinateDistribution dist(3);
  for (double t : {-0.99, -0.5, 0.0, 0.3, 0.9}) {
    EXPECT_NEAR(dist.Cdf(t), (t + 1) / 2, 1e-12);
    EXPECT_NEAR(dist.Density(t), 0.5, 1e-12);
  }
}

TEST(SphereDistributionTest, TwoDimensionsIsArcsine) {
  SphereCoordinateDistribution dist(2);
  for (double t : {-0.999, -0.7, 0.0, 0.2, 0.95}) {
    EXPECT_NEAR(dist.Cdf(t), 0.5 + std::asin(t) / std::numbers::pi, 1e-12);
  }
}

TEST(SphereDistributionTest, MomentsMatchClosedForms) {
  for (int d : {2, 3, 10, 100, 1536, 3072}) {
    SphereCoordinateDistribution dist(d);
    EXPECT_NEAR(dist.Mass(-1, 1), 1.0, 1e-12) << d;
    EXPECT_NEAR(dist.FirstMoment(-1, 1), 0.0, 1e-12) << d;
    // E|T| from the quadrature against the Gamma-function closed form.
    EXPECT_NEAR(2 * dist.FirstMoment(0, 1), SphereCoordinateDistribution::MeanAbsolute(d), 1e-10)
        << d;
  }
}

TEST(SphereDistributionTest, HighDimensionIsNearlyGaussian) {
  const int d = 1536;
  SphereCoordinateDistribution dist(d);
  for (double z : {-3.0, -1.0, -0.2, 0.5, 2.0}) {
    const double t = z / std::sqrt(static_cast<double>(d));
    EXPECT_NEAR(dist.Cdf(t), 0.5 * std::erfc(-z / std::sqrt(2.0)), 2e-3) << z;
  }
}

TEST(SphereDistributionTest, CoordinatesOfRandomUnitVectorsFollowCdf) {
  for (int d : {5, 100, 1000}) {
    SphereCoordinateDistribution dist(d);
    const size_t n = 4000;
    std::vector<float> v = testing::RandomUnitVectors(n, d, 7 + d);
    std::vector<double> samples;
    for (size_t i = 0; i < n; ++i) samples.push_back(v[i * d + i % d]);
    EXPECT_LT(testing::KolmogorovSmirnov(samples, [&](double t) { return dist.Cdf(t); }), 1.95)
        << "d=" << d;
  }
}

}  // namespace
}  // namespace tqdb
