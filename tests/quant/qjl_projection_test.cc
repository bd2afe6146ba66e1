// The QJL projection of tq-prod: its transpose, its norm, and the unbiasedness of
// gamma * scale * <S z, sign(S r)> that its estimator_scale() promises (qjl_projection.h).
#include "quant/qjl_projection.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "test_util.h"
#include "tqdb/metric.h"

namespace tqdb {
namespace {

class QjlProjectionTest : public ::testing::TestWithParam<QjlProjectionKind> {};

TEST_P(QjlProjectionTest, TransposeIsTheAdjoint) {
  const int d = 100;
  const QjlProjection projection(GetParam(), d, 11);
  const std::vector<float> a = testing::RandomUnitVectors(1, d, 1);
  const std::vector<float> b = testing::RandomUnitVectors(1, d, 2);
  std::vector<float> sa(d), stb(d);
  projection.Project(a.data(), sa.data());
  projection.ProjectTranspose(b.data(), stb.data());
  EXPECT_NEAR(Dot(sa.data(), b.data(), d), Dot(a.data(), stb.data(), d), 1e-4);
}

TEST_P(QjlProjectionTest, InnerProductEstimateIsUnbiased) {
  const int d = 64, trials = 4000;
  const std::vector<float> z = testing::RandomUnitVectors(1, d, 3);
  std::vector<float> r = testing::RandomUnitVectors(1, d, 4);
  for (int j = 0; j < d; ++j) r[j] = 0.6f * r[j] + 0.8f * z[j];  // correlated with z
  const double gamma = std::sqrt(Dot(r.data(), r.data(), d));
  const double truth = Dot(z.data(), r.data(), d);
  double sum = 0, sum_sq = 0;
  std::vector<float> sz(d), sr(d);
  for (int t = 0; t < trials; ++t) {
    const QjlProjection projection(GetParam(), d, 1000 + t);
    projection.Project(z.data(), sz.data());
    projection.Project(r.data(), sr.data());
    double dot = 0;
    for (int i = 0; i < d; ++i) dot += sz[i] * (sr[i] >= 0 ? 1.0 : -1.0);
    const double estimate = gamma * projection.estimator_scale() * dot;
    sum += estimate;
    sum_sq += estimate * estimate;
  }
  const double mean = sum / trials;
  const double standard_error = std::sqrt((sum_sq / trials - mean * mean) / trials);
  EXPECT_NEAR(mean, truth, 4 * standard_error) << "truth " << truth;
  EXPECT_GT(truth, 0.5);  // the test is not vacuous: a biased scale would show
}

TEST(QjlProjectionStructuredTest, ScalesNormsBySqrtD) {
  const int d = 200;
  const QjlProjection projection(QjlProjectionKind::kStructured, d, 5);
  const std::vector<float> x = testing::RandomUnitVectors(1, d, 6);
  std::vector<float> sx(d);
  projection.Project(x.data(), sx.data());
  EXPECT_NEAR(std::sqrt(Dot(sx.data(), sx.data(), d)), std::sqrt(static_cast<double>(d)), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(Kinds, QjlProjectionTest,
                         ::testing::Values(QjlProjectionKind::kGaussian,
                                           QjlProjectionKind::kStructured),
                         [](const auto& info) {
                           return info.param == QjlProjectionKind::kGaussian ? "gaussian"
                                                                             : "structured";
                         });

}  // namespace
}  // namespace tqdb
