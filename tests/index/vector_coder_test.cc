// VectorCoder: the center's maths (docs/DESIGN.md, "Centering") against exact scores on real
// GloVe vectors, the zero center as the uncentered path bit for bit, and its input checks.
#include "index/vector_coder.h"

#include <cmath>
#include <cstring>

#include "gtest/gtest.h"
#include "quant/prepared_query.h"
#include "test_util.h"
#include "tqdb/quantizer_config.h"

namespace tqdb {
namespace {

constexpr size_t kBase = 9000;  // of the fixture's 10,000; the rest are queries

std::unique_ptr<VectorCoder> MakeCoder(Metric metric, const QuantizerConfig& config,
                                       std::vector<float> center) {
  absl::StatusOr<std::unique_ptr<VectorCoder>> coder =
      VectorCoder::Create(metric, config, std::move(center));
  EXPECT_TRUE(coder.ok()) << coder.status();
  return *std::move(coder);
}

// The coder's key for `x` and `query`, as the reference scan computes it.
float EstimatedKey(const VectorCoder& coder, const float* x, const float* query) {
  const Quantizer& quantizer = coder.quantizer();
  std::vector<uint8_t> code(quantizer.code_bytes());
  VectorFactors factors;
  coder.EncodeBatch(x, 1, code.data(), &factors);
  const QueryTerms terms = coder.PrepareTerms(query);
  PreparedQuery prepared;
  quantizer.PrepareQuery(terms.shifted.data(), &prepared);
  return coder.Key(factors, quantizer.EstimateInnerProduct(prepared, code.data(), factors), terms);
}

float ExactCosine(const float* a, const float* b, int d) {
  return static_cast<float>(Dot(a, b, d) / std::sqrt(Dot(a, a, d) * Dot(b, b, d)));
}

TEST(VectorCoderTest, ZeroCenterIsTheUncenteredPathBitForBit) {
  const DenseDataset& glove = testing::GloveFixture();
  const int d = glove.dim;
  const size_t n = 500;
  for (Metric metric : {Metric::kCosine, Metric::kL2, Metric::kInnerProduct}) {
    for (const char* variant : {"mse-ratio", "prod"}) {
      QuantizerConfig config = DefaultQuantizerConfig(d, 2);
      ASSERT_TRUE(ApplyVariantName(variant, &config).ok());
      auto plain = MakeCoder(metric, config, {});
      auto zero = MakeCoder(metric, config, std::vector<float>(d, 0.0f));
      EXPECT_FALSE(zero->centered());
      const size_t bytes = config.bits * d;  // an upper bound on code bytes
      std::vector<uint8_t> codes_a(n * bytes), codes_b(n * bytes);
      std::vector<VectorFactors> factors_a(n), factors_b(n);
      plain->EncodeBatch(glove.values.data(), n, codes_a.data(), factors_a.data());
      zero->EncodeBatch(glove.values.data(), n, codes_b.data(), factors_b.data());
      EXPECT_EQ(codes_a, codes_b);
      EXPECT_EQ(std::memcmp(factors_a.data(), factors_b.data(), n * sizeof(VectorFactors)), 0);
      const float* query = &glove.values[kBase * d];
      EXPECT_EQ(EstimatedKey(*plain, glove.values.data(), query),
                EstimatedKey(*zero, glove.values.data(), query));
    }
  }
}

// tq-prod is unbiased, so centered it must be too: over rotations and projections (seeds), the
// mean of key - exact cosine is 0 within three standard errors, for word pairs of the fixture.
TEST(VectorCoderTest, CenteredProdIsUnbiasedOverSeeds) {
  const DenseDataset& glove = testing::GloveFixture();
  const int d = glove.dim;
  const std::vector<float> center = MeanCenter(Metric::kCosine, glove.values.data(), kBase, d);
  constexpr int kSeeds = 300;
  for (size_t pair = 0; pair < 3; ++pair) {
    const float* x = &glove.values[(17 + 101 * pair) * d];
    const float* q = &glove.values[(kBase + 5 + 7 * pair) * d];
    const double exact = ExactCosine(x, q, d);
    double sum = 0, sum_sq = 0;
    for (int seed = 0; seed < kSeeds; ++seed) {
      QuantizerConfig config = DefaultQuantizerConfig(d, 2);
      ASSERT_TRUE(ApplyVariantName("prod", &config).ok());
      config.seed = 1000 + seed;
      const double error = EstimatedKey(*MakeCoder(Metric::kCosine, config, center), x, q) - exact;
      sum += error;
      sum_sq += error * error;
    }
    const double mean = sum / kSeeds;
    const double se = std::sqrt((sum_sq / kSeeds - mean * mean) / (kSeeds - 1));
    EXPECT_LT(std::abs(mean), 3 * se) << "pair " << pair << " mean error " << mean << " se " << se;
  }
}

// The point of the center: GloVe vectors share a common direction, |q - m| < |q|, so the
// estimate's error shrinks. Mean squared error of cosine keys over many real pairs.
TEST(VectorCoderTest, CenteringShrinksTheErrorOnGlove) {
  const DenseDataset& glove = testing::GloveFixture();
  const int d = glove.dim;
  const std::vector<float> center = MeanCenter(Metric::kCosine, glove.values.data(), kBase, d);
  for (int bits : {1, 2, 4}) {
    for (const char* variant : {"mse-ratio", "prod"}) {
      if (bits == 1 && std::string(variant) == "prod") continue;  // covered by prod's sign part
      QuantizerConfig config = DefaultQuantizerConfig(d, bits);
      ASSERT_TRUE(ApplyVariantName(variant, &config).ok());
      auto plain = MakeCoder(Metric::kCosine, config, {});
      auto centered = MakeCoder(Metric::kCosine, config, center);
      double plain_sq = 0, centered_sq = 0;
      for (size_t i = 0; i < 400; ++i) {
        const float* x = &glove.values[(i * 13) % kBase * d];
        const float* q = &glove.values[(kBase + i % 1000) * d];
        const double exact = ExactCosine(x, q, d);
        plain_sq += std::pow(EstimatedKey(*plain, x, q) - exact, 2);
        centered_sq += std::pow(EstimatedKey(*centered, x, q) - exact, 2);
      }
      std::cout << variant << " " << bits << " bits: " << plain_sq << " -> " << centered_sq << "\n";
      EXPECT_LT(centered_sq, 0.9 * plain_sq) << variant << " at " << bits << " bits";
    }
  }
}

TEST(VectorCoderTest, ZeroVectorsKeepCosineZero) {
  const int d = 8;
  auto coder =
      MakeCoder(Metric::kCosine, DefaultQuantizerConfig(d, 2), std::vector<float>(d, 0.25f));
  const std::vector<float> zero(d, 0.0f), query = testing::RandomUnitVectors(1, d, 3);
  EXPECT_EQ(EstimatedKey(*coder, zero.data(), query.data()), 0.0f);
}

// Every stored vector equal to the center (|m| = 1) has r = 0, like the zero vector, yet its
// cosine is <q, m>, not 0.
TEST(VectorCoderTest, AVectorAtTheCenterKeepsItsCosine) {
  const int d = 8;
  const std::vector<float> m = testing::RandomUnitVectors(1, d, 4);
  auto coder = MakeCoder(Metric::kCosine, DefaultQuantizerConfig(d, 2), m);
  const std::vector<float> query = testing::RandomUnitVectors(1, d, 5);
  std::vector<float> scaled = m;
  for (float& v : scaled) v *= 3;  // the same direction
  EXPECT_NEAR(EstimatedKey(*coder, scaled.data(), query.data()),
              ExactCosine(m.data(), query.data(), d), 1e-5);
}

TEST(VectorCoderTest, RejectsBadCenters) {
  const QuantizerConfig config = DefaultQuantizerConfig(4, 2);
  EXPECT_EQ(VectorCoder::Create(Metric::kCosine, config, {1, 2, 3}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VectorCoder::Create(Metric::kL2, config, {1, NAN, 0, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VectorCoder::Create(Metric::kInnerProduct, config, {1, 0, 0, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(VectorCoder::Create(Metric::kInnerProduct, config, {0, 0, 0, 0}).ok());
}

TEST(VectorCoderTest, MeanCenterAveragesUnitRowsForCosine) {
  const std::vector<float> rows = {2, 0, 0, 0, 0, 3};  // three rows of d = 2, one zero
  EXPECT_EQ(MeanCenter(Metric::kCosine, rows.data(), 3, 2), (std::vector<float>{0.5f, 0.5f}));
  EXPECT_EQ(MeanCenter(Metric::kL2, rows.data(), 3, 2), (std::vector<float>{2.0f / 3, 1.0f}));
}

}  // namespace
}  // namespace tqdb
