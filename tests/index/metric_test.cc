#include "tqdb/metric.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace tqdb {
namespace {

TEST(MetricScoreTest, NamesAndOrder) {
  EXPECT_STREQ(MetricName(Metric::kInnerProduct), "ip");
  EXPECT_STREQ(MetricName(Metric::kCosine), "cosine");
  EXPECT_STREQ(MetricName(Metric::kL2), "l2");
  EXPECT_TRUE(LowerIsBetter(Metric::kL2));
  EXPECT_FALSE(LowerIsBetter(Metric::kInnerProduct));
  EXPECT_FALSE(LowerIsBetter(Metric::kCosine));
}

TEST(MetricScoreTest, DotAccumulatesInDoublePrecision) {
  // In float, 1e8 + 1 rounds back to 1e8 and the 1 is lost.
  const std::vector<float> a = {1e8f, 1.0f, -1e8f}, b = {1.0f, 1.0f, 1.0f};
  EXPECT_EQ(Dot(a.data(), b.data(), 3), 1.0);
}

TEST(MetricScoreTest, ExactScoresFollowTheirDefinitions) {
  const std::vector<float> q = {3, 4, 0}, x = {0, 2, 2};
  const float q_norm_sq = 25;
  EXPECT_FLOAT_EQ(ExactScore(Metric::kInnerProduct, q.data(), q_norm_sq, x.data(), 3), 8);
  EXPECT_FLOAT_EQ(ExactScore(Metric::kCosine, q.data(), q_norm_sq, x.data(), 3),
                  8 / (5 * std::sqrt(8.0f)));
  EXPECT_FLOAT_EQ(ExactScore(Metric::kL2, q.data(), q_norm_sq, x.data(), 3), 9 + 4 + 4);
  const std::vector<float> zero = {0, 0, 0};
  EXPECT_EQ(ExactScore(Metric::kCosine, q.data(), q_norm_sq, zero.data(), 3), 0);
}

TEST(MetricScoreTest, L2OfNearNeighboursDoesNotCancel) {
  // |q|^2 + |x|^2 - 2<q, x> would lose the 1e-4 difference to rounding of terms near 3e6.
  const std::vector<float> q = {1000.0f, 1000.0f, 1000.0f};
  std::vector<float> x = q;
  x[0] += 1e-2f;
  const float score = ExactScore(Metric::kL2, q.data(), 3e6f, x.data(), 3);
  const double diff = static_cast<double>(x[0]) - q[0];
  EXPECT_NEAR(score, diff * diff, 1e-9);
}

}  // namespace
}  // namespace tqdb
