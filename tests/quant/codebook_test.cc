#include "quant/codebook.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace tqdb {
namespace {

// Unnormalized integrals of t^power (1 - t^2)^((d-3)/2) over [a, b] by composite Simpson in t:
// independent of the library's quadrature in phi (d >= 3, where the density is bounded).
double SimpsonMoment(int d, double a, double b, int power) {
  const int n = 4000;
  const double h = (b - a) / n;
  auto f = [&](double t) {
    const double w = std::pow(std::max(0.0, 1 - t * t), (d - 3) / 2.0);
    return power == 0 ? w : t * w;
  };
  double sum = f(a) + f(b);
  for (int i = 1; i < n; ++i) sum += f(a + i * h) * (i % 2 ? 4 : 2);
  return sum * h / 3;
}

// d = 2: T = cos(phi) with phi uniform, so E[T | a <= T <= b] = (sin(beta) - sin(alpha)) /
// (beta - alpha) with alpha = acos(b), beta = acos(a): in closed form.
double ArcsineConditionalMean(double a, double b) {
  const double alpha = std::acos(b), beta = std::acos(a);
  return (std::sin(beta) - std::sin(alpha)) / (beta - alpha);
}

class CodebookShapeTest : public ::testing::TestWithParam<int> {};

TEST_P(CodebookShapeTest, SymmetricSortedWithMidpointBoundaries) {
  const int d = GetParam();
  for (int b = 1; b <= kMaxCodebookBits; ++b) {
    absl::StatusOr<Codebook> book = ComputeLloydMaxCodebook(d, b);
    ASSERT_TRUE(book.ok()) << book.status();
    const int levels = 1 << b;
    ASSERT_EQ(book->centroids.size(), levels);
    ASSERT_EQ(book->boundaries.size(), levels - 1);
    for (int i = 0; i < levels; ++i) {
      EXPECT_EQ(book->centroids[i], -book->centroids[levels - 1 - i]) << "d=" << d << " b=" << b;
      if (i > 0) {
        EXPECT_LT(book->centroids[i - 1], book->centroids[i]);
      }
    }
    for (int i = 0; i + 1 < levels; ++i) {
      EXPECT_NEAR(book->boundaries[i], 0.5 * (book->centroids[i] + book->centroids[i + 1]), 1e-7);
    }
  }
}

TEST_P(CodebookShapeTest, CentroidsAreConditionalMeansOfTheirCells) {
  const int d = GetParam();
  for (int b = 1; b <= kMaxCodebookBits; ++b) {
    absl::StatusOr<Codebook> book = ComputeLloydMaxCodebook(d, b);
    ASSERT_TRUE(book.ok());
    const std::vector<double>& c = book->exact_centroids;
    const double sigma = 1 / std::sqrt(static_cast<double>(d));
    for (size_t i = 0; i < c.size(); ++i) {
      // Cells far in the tails carry no measurable mass; integrate over a support of 12 sigma.
      const double lo = i == 0 ? std::max(-1.0, -12 * sigma) : 0.5 * (c[i - 1] + c[i]);
      const double hi = i + 1 == c.size() ? std::min(1.0, 12 * sigma) : 0.5 * (c[i] + c[i + 1]);
      const double mean = d == 2 ? ArcsineConditionalMean(lo, hi)
                                 : SimpsonMoment(d, lo, hi, 1) / SimpsonMoment(d, lo, hi, 0);
      EXPECT_NEAR(c[i], mean, 1e-6 * sigma) << "d=" << d << " b=" << b << " cell " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Dimensions, CodebookShapeTest,
                         ::testing::Values(2, 3, 7, 64, 100, 200, 1536));

TEST(CodebookTest, UniformDensityGivesUniformQuantizer) {
  // f_3 is uniform on [-1, 1], whose Lloyd-Max quantizer is the uniform one.
  for (int b = 1; b <= 6; ++b) {
    absl::StatusOr<Codebook> book = ComputeLloydMaxCodebook(3, b);
    ASSERT_TRUE(book.ok());
    const int levels = 1 << b;
    for (int i = 0; i < levels; ++i) {
      EXPECT_NEAR(book->exact_centroids[i], -1 + (2.0 * i + 1) / levels, 1e-9);
    }
    EXPECT_NEAR(book->UnitVectorDistortion(), 3 * (1.0 / 3) / (levels * levels), 1e-9);
  }
}

TEST(CodebookTest, TheoreticalDistortionMatchesDesign) {
  const double expected[] = {0.363, 0.117, 0.0345, 0.0095};
  for (int d : {200, 1536}) {
    double previous = 1;
    for (int b = 1; b <= 4; ++b) {
      absl::StatusOr<std::shared_ptr<const Codebook>> book = GetCodebook(d, b);
      ASSERT_TRUE(book.ok());
      const double distortion = (*book)->UnitVectorDistortion();
      EXPECT_NEAR(distortion, expected[b - 1], 0.03 * expected[b - 1]) << "d=" << d << " b=" << b;
      // Between the paper's bounds 4^-b and (sqrt(3) pi / 2) 4^-b.
      EXPECT_GE(distortion, std::pow(4.0, -b));
      EXPECT_LE(distortion, std::sqrt(3.0) * M_PI / 2 * std::pow(4.0, -b));
      EXPECT_LT(distortion, previous);
      previous = distortion;
    }
  }
}

TEST(CodebookTest, QuantizePicksNearestCentroid) {
  absl::StatusOr<Codebook> book = ComputeLloydMaxCodebook(100, 3);
  ASSERT_TRUE(book.ok());
  for (float y = -0.5f; y <= 0.5f; y += 0.001f) {
    const int got = book->Quantize(y);
    for (size_t i = 0; i < book->centroids.size(); ++i) {
      EXPECT_LE(std::abs(y - book->centroids[got]), std::abs(y - book->centroids[i]) + 1e-7);
    }
  }
}

TEST(CodebookTest, OneDimensionCoversBothSigns) {
  absl::StatusOr<Codebook> book = ComputeLloydMaxCodebook(1, 1);
  ASSERT_TRUE(book.ok());
  EXPECT_EQ(book->centroids, (std::vector<float>{-1.0f, 1.0f}));
  EXPECT_EQ(book->UnitVectorDistortion(), 0.0);
}

TEST(CodebookTest, CacheReturnsTheSameBook) {
  absl::StatusOr<std::shared_ptr<const Codebook>> a = GetCodebook(128, 4);
  absl::StatusOr<std::shared_ptr<const Codebook>> b = GetCodebook(128, 4);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
}

TEST(CodebookTest, RejectsUnsupportedArguments) {
  EXPECT_EQ(ComputeLloydMaxCodebook(100, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ComputeLloydMaxCodebook(100, 9).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ComputeLloydMaxCodebook(0, 4).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tqdb
