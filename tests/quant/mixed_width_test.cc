// Fractional widths (tqdb/code_parts.h): the split of the coordinates, and the maths of a code of
// two widths against its prediction from each width's Lloyd-Max codebook.
#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "quant/codebook.h"
#include "quant/prepared_query.h"
#include "test_util.h"
#include "tqdb/code_parts.h"
#include "tqdb/quantizer.h"

namespace tqdb {
namespace {

std::unique_ptr<Quantizer> MakeMse(int d, int bits, int eighths, MseEstimator estimator) {
  QuantizerConfig config;
  config.dim = d;
  config.bits = bits;
  config.eighths = eighths;
  config.kind = QuantizerKind::kMse;
  config.estimator = estimator;
  absl::StatusOr<std::unique_ptr<Quantizer>> q = Quantizer::Create(config);
  EXPECT_TRUE(q.ok()) << q.status();
  return q.ok() ? *std::move(q) : nullptr;
}

// Expected |u - u~|^2 of a uniform unit vector: each part's coordinates at its codebook's
// per-coordinate error (the codebooks are exact for the coordinates' density f_d).
double PredictedDistortion(const Quantizer& q) {
  double total = 0;
  for (size_t i = 0; i < q.mse_parts().size(); ++i) {
    total += q.mse_parts()[i].dims * q.part_codebook(i).coordinate_mse;
  }
  return total;
}

struct MeanAndError {
  double mean = 0;
  double standard_error = 0;
};

MeanAndError Summarize(const std::vector<double>& samples) {
  double sum = 0, sum_sq = 0;
  for (double s : samples) {
    sum += s;
    sum_sq += s * s;
  }
  const double n = samples.size(), mean = sum / n;
  return {mean, std::sqrt(std::max(0.0, sum_sq / n - mean * mean) / (n - 1))};
}

TEST(CodePartsTest, TheWideRunFillsWholeBytesAndTheNarrowOneFollows) {
  // d = 100 at 1.5 bits: 50 coordinates rounded to 48 at 2 bits (12 bytes), then 52 at 1.
  CodeParts parts = SplitCoordinates(100, 1, 4);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].first, 0);
  EXPECT_EQ(parts[0].dims, 48);
  EXPECT_EQ(parts[0].bits, 2);
  EXPECT_EQ(parts[0].offset, 0u);
  EXPECT_EQ(parts[1].first, 48);
  EXPECT_EQ(parts[1].dims, 52);
  EXPECT_EQ(parts[1].bits, 1);
  EXPECT_EQ(parts[1].offset, 12u);
  EXPECT_EQ(PackedBytes(parts), 19u);
  EXPECT_DOUBLE_EQ(BitsPerCoordinate(parts), 1.48);
  // Whole bits: one part, the old layout.
  parts = SplitCoordinates(100, 3, 0);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].dims, 100);
  EXPECT_EQ(PackedBytes(parts), 38u);
  // Fewer than 8 coordinates have no wide run; 7/8 of 15 rounds to 16, kept to 8.
  EXPECT_EQ(SplitCoordinates(7, 2, 7).size(), 1u);
  EXPECT_EQ(SplitCoordinates(15, 2, 7)[0].dims, 8);
  EXPECT_EQ(SplitCoordinates(8, 2, 3).size(), 1u);  // 3 coordinates round to none
  EXPECT_EQ(SplitCoordinates(8, 2, 4)[0].dims, 8);
  for (int d : {100, 768, 1536}) {
    for (int eighths = 1; eighths < 8; ++eighths) {
      parts = SplitCoordinates(d, 2, eighths);
      ASSERT_EQ(parts.size(), 2u) << d << " " << eighths;
      EXPECT_EQ(parts[0].dims % 8, 0);
      EXPECT_EQ(parts[0].dims + parts[1].dims, d);
      // Within 4 coordinates of the share asked for (the rounding to multiples of 8).
      EXPECT_LE(std::abs(parts[0].dims - d * eighths / 8.0), 4.0) << d << " " << eighths;
    }
  }
}

TEST(MixedWidthTest, DistortionIsThePartsWeightedMean) {
  // Uniform unit inputs make the rotated vector uniform whatever the rotation, so the mean error
  // must match the codebooks' prediction to within sampling error.
  const int n = 3000;
  for (int d : {200, 1536}) {
    const std::vector<float> units = testing::RandomUnitVectors(n, d, d + 5);
    for (int bits : {1, 2, 3}) {
      double previous = 2;
      for (int eighths : {0, 2, 4, 6}) {
        auto q = MakeMse(d, bits, eighths, MseEstimator::kPlain);
        std::vector<uint8_t> code(q->code_bytes());
        std::vector<float> back(d);
        std::vector<double> errors;
        for (int i = 0; i < n; ++i) {
          VectorFactors factors;
          q->Encode(&units[size_t{1} * i * d], code.data(), &factors);
          q->Decode(code.data(), factors, back.data());
          double error = 0;
          for (int j = 0; j < d; ++j) error += std::pow(back[j] - units[size_t{1} * i * d + j], 2);
          errors.push_back(error);
        }
        const MeanAndError measured = Summarize(errors);
        const double predicted = PredictedDistortion(*q);
        EXPECT_NEAR(measured.mean, predicted, 3 * measured.standard_error + 1e-6 * predicted)
            << "d=" << d << " bits=" << bits << "+" << eighths << "/8";
        EXPECT_LT(measured.mean, previous) << "d=" << d << " bits=" << bits << "+" << eighths;
        previous = measured.mean;
      }
    }
  }
}

TEST(MixedWidthTest, InnerProductErrorHasThePredictedVariance) {
  // q and u independent and uniform: with q' = Pi q and y = Pi u independent, the plain
  // estimate's error <q', y - c> has E = sum_j E[q'_j^2] E[r_j^2] = distortion / d.
  const int n = 4000;
  for (int d : {200, 1536}) {
    const std::vector<float> units = testing::RandomUnitVectors(n, d, 2 * d + 1);
    const std::vector<float> queries = testing::RandomUnitVectors(n, d, 2 * d + 2);
    for (auto [bits, eighths] : {std::pair{1, 4}, {2, 4}, {3, 4}, {1, 1}, {2, 7}}) {
      auto q = MakeMse(d, bits, eighths, MseEstimator::kPlain);
      std::vector<uint8_t> code(q->code_bytes());
      std::vector<double> squares;
      PreparedQuery prepared;
      for (int i = 0; i < n; ++i) {
        const float* u = &units[size_t{1} * i * d];
        const float* query = &queries[size_t{1} * i * d];
        VectorFactors factors;
        q->Encode(u, code.data(), &factors);
        q->PrepareQuery(query, &prepared);
        double exact = 0;
        for (int j = 0; j < d; ++j) exact += double{query[j]} * u[j];
        const double error = exact - q->EstimateInnerProduct(prepared, code.data(), factors);
        squares.push_back(error * error);
      }
      const MeanAndError measured = Summarize(squares);
      const double predicted = PredictedDistortion(*q) / d;
      EXPECT_NEAR(measured.mean, predicted, 3 * measured.standard_error)
          << "d=" << d << " bits=" << bits << "+" << eighths << "/8";
    }
  }
}

// The table scorer and the decoder agree on what a code of two widths means, for every width a
// fractional code can have (wide parts of 2..8 bits).
TEST(MixedWidthTest, EstimateMatchesInnerProductWithReconstruction) {
  for (int d : {100, 136}) {
    std::vector<float> x = testing::RandomUnitVectors(4, d, 21);
    const std::vector<float> query = testing::RandomUnitVectors(1, d, 22);
    for (int bits = 1; bits < 8; ++bits) {
      for (int eighths : {1, 3, 4, 7}) {
        auto q = MakeMse(d, bits, eighths, MseEstimator::kRatio);
        ASSERT_EQ(q->mse_parts().size(), 2u);
        EXPECT_EQ(q->code_bytes(), PackedBytes(q->mse_parts()));
        PreparedQuery prepared;
        q->PrepareQuery(query.data(), &prepared);
        std::vector<uint8_t> code(q->code_bytes());
        std::vector<float> back(d);
        for (int i = 0; i < 4; ++i) {
          VectorFactors factors;
          q->Encode(&x[size_t{1} * i * d], code.data(), &factors);
          q->Decode(code.data(), factors, back.data());
          double expected = 0;
          for (int j = 0; j < d; ++j) expected += query[j] * back[j] / factors.norm;
          // The ratio estimator scales <q', c> by 1 / <y, c>: the decoded vector carries only c.
          expected *= factors.aux;
          EXPECT_NEAR(q->EstimateInnerProduct(prepared, code.data(), factors), expected, 1e-4)
              << "d=" << d << " bits=" << bits << "+" << eighths << "/8";
        }
      }
    }
  }
}

TEST(MixedWidthTest, RatioEstimatorIsExactForTheVectorItself) {
  const int d = 200;
  const std::vector<float> x = testing::RandomUnitVectors(10, d, 31);
  for (auto [bits, eighths] : {std::pair{1, 4}, {2, 2}, {3, 6}}) {
    auto q = MakeMse(d, bits, eighths, MseEstimator::kRatio);
    std::vector<uint8_t> code(q->code_bytes());
    PreparedQuery prepared;
    for (int i = 0; i < 10; ++i) {
      VectorFactors factors;
      q->Encode(&x[size_t{1} * i * d], code.data(), &factors);
      q->PrepareQuery(&x[size_t{1} * i * d], &prepared);
      EXPECT_NEAR(q->EstimateInnerProduct(prepared, code.data(), factors), 1.0, 1e-4);
    }
  }
}

TEST(MixedWidthTest, RefusesWhatItCannotCode) {
  QuantizerConfig config = DefaultQuantizerConfig(100, 1, 4);
  EXPECT_EQ(config.kind, QuantizerKind::kMse);
  EXPECT_TRUE(Quantizer::Create(config).ok());
  config.kind = QuantizerKind::kProd;
  EXPECT_EQ(Quantizer::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  config = DefaultQuantizerConfig(100, 8, 1);  // a 9-bit wide part
  EXPECT_EQ(Quantizer::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  config = DefaultQuantizerConfig(100, 2, 8);
  EXPECT_EQ(Quantizer::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BitWidthName(2, 3), "2.375");
  EXPECT_EQ(BitWidthName(4, 0), "4");
}

}  // namespace
}  // namespace tqdb
