#include "tqdb/quantizer.h"

#include <cmath>
#include <iostream>
#include <vector>

#include "gtest/gtest.h"
#include "quant/half_float.h"
#include "quant/prepared_query.h"
#include "test_util.h"

namespace tqdb {
namespace {

constexpr double kDesignDistortion[] = {0.363, 0.117, 0.0345, 0.0095};
// docs/DESIGN.md: variance of the tq-prod estimate times d, for b = 1..4 and |q| = 1.
constexpr double kDesignProdVariance[] = {1.57, 0.56, 0.18, 0.047};

std::unique_ptr<Quantizer> MakeQuantizer(QuantizerConfig config) {
  absl::StatusOr<std::unique_ptr<Quantizer>> q = Quantizer::Create(config);
  EXPECT_TRUE(q.ok()) << q.status();
  return q.ok() ? *std::move(q) : nullptr;
}

// Mean |u - u~|^2 over the rows of `units`, through Encode and Decode.
double MeanDistortion(const Quantizer& q, const std::vector<float>& units) {
  const int d = q.dim();
  const size_t n = units.size() / d;
  std::vector<uint8_t> codes(n * q.code_bytes());
  std::vector<VectorFactors> factors(n);
  q.EncodeBatch(units.data(), n, codes.data(), factors.data());
  double total = 0;
  std::vector<float> back(d);
  for (size_t i = 0; i < n; ++i) {
    q.Decode(&codes[i * q.code_bytes()], factors[i], back.data());
    for (int j = 0; j < d; ++j) total += std::pow(back[j] - units[i * d + j], 2);
  }
  return total / n;
}

QuantizerConfig MseConfig(int d, int b, RotationKind rotation = RotationKind::kFast) {
  QuantizerConfig config;
  config.dim = d;
  config.bits = b;
  config.kind = QuantizerKind::kMse;
  config.estimator = MseEstimator::kPlain;
  config.rotation = rotation;
  return config;
}

TEST(QuantizerTest, MseDistortionOfUnitVectorsMatchesDesign) {
  for (int d : {200, 1536}) {
    std::vector<float> units = testing::RandomUnitVectors(2000, d, 11);
    double previous = 2;
    for (int b = 1; b <= 4; ++b) {
      const double distortion = MeanDistortion(*MakeQuantizer(MseConfig(d, b)), units);
      EXPECT_NEAR(distortion, kDesignDistortion[b - 1], 0.03 * kDesignDistortion[b - 1])
          << "d=" << d << " b=" << b;
      EXPECT_LT(distortion, previous);
      previous = distortion;
    }
  }
}

TEST(QuantizerTest, FastRotationDistortionMatchesDenseReference) {
  std::vector<float> glove(testing::GloveFixture().values.begin(),
                           testing::GloveFixture().values.begin() + 2000 * 100);
  NormalizeRows(glove, 100);
  const std::vector<float> random = testing::RandomUnitVectors(2000, 200, 3);
  const std::vector<std::pair<int, const std::vector<float>*>> sets = {{100, &glove},
                                                                       {200, &random}};
  for (const auto& [d, units] : sets) {
    for (int b = 1; b <= 4; ++b) {
      const double fast = MeanDistortion(*MakeQuantizer(MseConfig(d, b)), *units);
      const double dense =
          MeanDistortion(*MakeQuantizer(MseConfig(d, b, RotationKind::kDense)), *units);
      EXPECT_NEAR(fast, dense, 0.03 * dense) << "d=" << d << " b=" << b;
    }
  }
}

// For every variant and width, the table-based estimate equals <q, Decode(code)> / |x|: the
// scorer and the decoder agree on what a code means.
TEST(QuantizerTest, EstimateMatchesInnerProductWithReconstruction) {
  const int d = 100;
  std::vector<float> x = testing::RandomUnitVectors(8, d, 21);
  for (float& v : x) v *= 3.0f;  // not unit: the estimate is for u = x / |x|
  std::vector<float> q = testing::RandomUnitVectors(1, d, 22);
  for (QuantizerKind kind : {QuantizerKind::kMse, QuantizerKind::kProd}) {
    for (int b = 1; b <= (kind == QuantizerKind::kMse ? 8 : 9); ++b) {
      QuantizerConfig config = MseConfig(d, b);
      config.kind = kind;
      auto quantizer = MakeQuantizer(config);
      PreparedQuery prepared;
      quantizer->PrepareQuery(q.data(), &prepared);
      std::vector<uint8_t> code(quantizer->code_bytes());
      std::vector<float> back(d);
      for (int i = 0; i < 8; ++i) {
        VectorFactors factors;
        quantizer->Encode(&x[i * d], code.data(), &factors);
        EXPECT_NEAR(factors.norm, 3.0f, 1e-5);
        quantizer->Decode(code.data(), factors, back.data());
        double expected = 0;
        for (int j = 0; j < d; ++j) expected += q[j] * back[j] / factors.norm;
        EXPECT_NEAR(quantizer->EstimateInnerProduct(prepared, code.data(), factors), expected, 1e-4)
            << VariantName(config) << " b=" << b;
      }
    }
  }
}

TEST(QuantizerTest, RatioEstimatorIsExactForTheVectorItself) {
  // s = 1 / <u, u~> makes the estimate of <u, u> exactly 1, whatever the shrinkage.
  const int d = 200;
  std::vector<float> x = testing::RandomUnitVectors(10, d, 31);
  for (int b = 1; b <= 4; ++b) {
    QuantizerConfig config = MseConfig(d, b);
    config.estimator = MseEstimator::kRatio;
    auto quantizer = MakeQuantizer(config);
    std::vector<uint8_t> code(quantizer->code_bytes());
    for (int i = 0; i < 10; ++i) {
      VectorFactors factors;
      quantizer->Encode(&x[i * d], code.data(), &factors);
      PreparedQuery prepared;
      quantizer->PrepareQuery(&x[i * d], &prepared);
      EXPECT_NEAR(quantizer->EstimateInnerProduct(prepared, code.data(), factors), 1.0, 1e-4);
    }
  }
}

TEST(QuantizerTest, ZeroVectorRoundTrips) {
  const int d = 37;
  std::vector<float> zero(d, 0.0f), back(d, 1.0f);
  std::vector<float> q = testing::RandomUnitVectors(1, d, 1);
  for (QuantizerKind kind : {QuantizerKind::kMse, QuantizerKind::kProd}) {
    for (MseEstimator estimator :
         {MseEstimator::kPlain, MseEstimator::kRatio, MseEstimator::kUnitNorm}) {
      QuantizerConfig config = MseConfig(d, 3);
      config.kind = kind;
      config.estimator = estimator;
      auto quantizer = MakeQuantizer(config);
      std::vector<uint8_t> code(quantizer->code_bytes());
      VectorFactors factors;
      quantizer->Encode(zero.data(), code.data(), &factors);
      EXPECT_EQ(factors.norm, 0.0f);
      quantizer->Decode(code.data(), factors, back.data());
      for (float v : back) EXPECT_EQ(v, 0.0f);
      PreparedQuery prepared;
      quantizer->PrepareQuery(q.data(), &prepared);
      const float estimate = quantizer->EstimateInnerProduct(prepared, code.data(), factors);
      EXPECT_TRUE(std::isfinite(estimate));
      EXPECT_EQ(estimate * factors.norm, 0.0f);
    }
  }
}

// The estimate of <q, x> over `trials` independent rotations and projections (new seeds).
std::vector<double> ProdEstimatesOverSeeds(int d, int b, QjlProjectionKind projection,
                                           const float* x, const float* q, int trials) {
  std::vector<double> estimates;
  for (int t = 0; t < trials; ++t) {
    QuantizerConfig config = MseConfig(d, b);
    config.kind = QuantizerKind::kProd;
    config.projection = projection;
    config.seed = 5000 + t;
    auto quantizer = MakeQuantizer(config);
    std::vector<uint8_t> code(quantizer->code_bytes());
    VectorFactors factors;
    quantizer->Encode(x, code.data(), &factors);
    PreparedQuery prepared;
    quantizer->PrepareQuery(q, &prepared);
    estimates.push_back(quantizer->EstimateInnerProduct(prepared, code.data(), factors));
  }
  return estimates;
}

struct MeanAndVariance {
  double mean, variance;
};

MeanAndVariance Moments(const std::vector<double>& v) {
  double mean = 0, var = 0;
  for (double e : v) mean += e;
  mean /= v.size();
  for (double e : v) var += (e - mean) * (e - mean);
  return {mean, var / (v.size() - 1)};
}

class ProdEstimatorTest : public ::testing::TestWithParam<QjlProjectionKind> {};

TEST_P(ProdEstimatorTest, UnbiasedWithDesignVariance) {
  const int d = 128;
  const int trials = 3000;
  // A query with a substantial inner product (0.6) with x, where a bias would show.
  std::vector<float> xs = testing::RandomUnitVectors(2, d, 77);
  std::vector<float> x(xs.begin(), xs.begin() + d), q(d);
  double along = 0;
  for (int j = 0; j < d; ++j) along += xs[d + j] * x[j];
  std::vector<float> perp(d);
  double perp_norm = 0;
  for (int j = 0; j < d; ++j) {
    perp[j] = xs[d + j] - along * x[j];
    perp_norm += perp[j] * perp[j];
  }
  perp_norm = std::sqrt(perp_norm);
  for (int j = 0; j < d; ++j) q[j] = 0.6f * x[j] + 0.8f * perp[j] / perp_norm;
  const double truth = 0.6;

  for (int b = 1; b <= 4; ++b) {
    const MeanAndVariance m =
        Moments(ProdEstimatesOverSeeds(d, b, GetParam(), x.data(), q.data(), trials));
    const double standard_error = std::sqrt(m.variance / trials);
    EXPECT_LT(std::abs(m.mean - truth), 3 * standard_error)
        << "b=" << b << " mean=" << m.mean << " se=" << standard_error;
    EXPECT_LE(m.variance * d, 1.25 * kDesignProdVariance[b - 1])
        << "b=" << b << " variance*d=" << m.variance * d;
    std::cout << "tq-prod b=" << b << ": mean error " << m.mean - truth << " (3 SE "
              << 3 * standard_error << "), variance*d " << m.variance * d << " (design "
              << kDesignProdVariance[b - 1] << ")\n";
  }
}

INSTANTIATE_TEST_SUITE_P(Projections, ProdEstimatorTest,
                         ::testing::Values(QjlProjectionKind::kGaussian,
                                           QjlProjectionKind::kStructured),
                         [](const auto& info) {
                           return info.param == QjlProjectionKind::kGaussian ? "Gaussian"
                                                                             : "Structured";
                         });

TEST(QuantizerTest, MseEstimatorIsBiasedLowAtOneBit) {
  // docs/DESIGN.md: the plain tq-mse estimate shrinks inner products by 2/pi at b = 1.
  const int d = 256;
  std::vector<float> x = testing::RandomUnitVectors(1, d, 5);
  double sum = 0;
  const int trials = 400;
  for (int t = 0; t < trials; ++t) {
    QuantizerConfig config = MseConfig(d, 1);
    config.seed = 100 + t;
    auto quantizer = MakeQuantizer(config);
    std::vector<uint8_t> code(quantizer->code_bytes());
    VectorFactors factors;
    quantizer->Encode(x.data(), code.data(), &factors);
    PreparedQuery prepared;
    quantizer->PrepareQuery(x.data(), &prepared);
    sum += quantizer->EstimateInnerProduct(prepared, code.data(), factors);
  }
  EXPECT_NEAR(sum / trials, 2 / M_PI, 0.01);
}

TEST(QuantizerTest, RejectsUnsupportedConfigs) {
  for (auto [kind, bits] :
       {std::pair{QuantizerKind::kMse, 0}, std::pair{QuantizerKind::kMse, 9},
        std::pair{QuantizerKind::kProd, 0}, std::pair{QuantizerKind::kProd, 10}}) {
    QuantizerConfig config = MseConfig(16, bits);
    config.kind = kind;
    absl::StatusOr<std::unique_ptr<Quantizer>> q = Quantizer::Create(config);
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument) << bits;
  }
  EXPECT_EQ(Quantizer::Create(MseConfig(0, 4)).status().code(), absl::StatusCode::kInvalidArgument);
  QuantizerConfig config = MseConfig(16, 2);
  config.factor_bits = 8;
  EXPECT_EQ(Quantizer::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(QuantizerTest, SixteenBitFactorsAreTheFloatFactorsRoundedAndTheCodeIsUnchanged) {
  const int d = 100;
  const std::vector<float> x = testing::RandomUnitVectors(200, d, 3);
  for (const char* variant : {"mse-ratio", "prod"}) {
    QuantizerConfig config = MseConfig(d, 2);
    ASSERT_TRUE(ApplyVariantName(variant, &config).ok());
    auto full = MakeQuantizer(config);
    config.factor_bits = 16;
    auto compact = MakeQuantizer(config);
    std::vector<uint8_t> full_code(full->code_bytes()), compact_code(compact->code_bytes());
    for (size_t i = 0; i < 200; ++i) {
      std::vector<float> v(x.begin() + i * d, x.begin() + (i + 1) * d);
      for (float& value : v) value *= static_cast<float>(1 + i);  // norms 1 to 200
      VectorFactors f32, f16;
      full->Encode(v.data(), full_code.data(), &f32);
      compact->Encode(v.data(), compact_code.data(), &f16);
      EXPECT_EQ(full_code, compact_code) << variant;
      EXPECT_EQ(f16.norm, RoundToHalf(f32.norm)) << variant;
      EXPECT_EQ(f16.aux, RoundToHalf(f32.aux)) << variant;
      // 11 significant bits: within 2^-11 of the float factor, relatively.
      EXPECT_NEAR(f16.norm, f32.norm, f32.norm / 2048) << variant;
    }
  }
}

}  // namespace
}  // namespace tqdb
