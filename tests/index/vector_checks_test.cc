#include "index/vector_checks.h"

#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace tqdb {
namespace {

TEST(VectorChecksTest, AcceptsExactlyCountVectorsOfFiniteValues) {
  const std::vector<float> values = {1, 2, 3, -4, 0, 1e14f};
  EXPECT_TRUE(ValidateVectors(values, 2, 3).ok());
  EXPECT_TRUE(ValidateVectors({}, 0, 3).ok());
}

TEST(VectorChecksTest, WrongSizeNamesTheExpectedShape) {
  const std::vector<float> values = {1, 2, 3, 4, 5};
  const absl::Status status = ValidateVectors(values, 2, 3);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "expected 2 vector(s) of dimension 3 (6 floats), got 5 floats");
}

TEST(VectorChecksTest, NonFiniteValueNamesVectorAndCoordinate) {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    std::vector<float> values(12, 0.5f);
    values[7] = bad;  // vector 1, coordinate 3
    const absl::Status status = ValidateVectors(values, 3, 4);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("vector 1 "), absl::string_view::npos) << status.message();
    EXPECT_NE(status.message().find("coordinate 3"), absl::string_view::npos) << status.message();
  }
}

TEST(VectorChecksTest, NormsOutsideTheBoundsAreRefusedZeroIsNot) {
  // Each of these is finite, but its squared norm overflows float or its norm underflows.
  for (float value : {3e38f, 1e20f, 1e-40f, 1e-20f}) {
    const std::vector<float> values = {0.5f, 0.5f, 0, value, value, value};
    const absl::Status status = ValidateVectors(values, 2, 3);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << value;
    EXPECT_NE(status.message().find("vector 1 has norm"), absl::string_view::npos) << status;
  }
  const float largest = static_cast<float>(kMaxVectorNorm * 0.99);
  const float smallest = static_cast<float>(kMinVectorNorm * 1.01);
  const std::vector<float> inside = {largest, 0, 0, smallest, 0, 0, 0, 0, 0};
  EXPECT_TRUE(ValidateVectors(inside, 3, 3).ok());
}

TEST(VectorChecksTest, CountQueriesNeedsAPositiveMultipleOfTheDimension) {
  const std::vector<float> six(6, 1.0f);
  EXPECT_EQ(*CountQueries(six, 3), 2u);
  EXPECT_EQ(CountQueries({}, 3).status().code(), absl::StatusCode::kInvalidArgument);
  const absl::Status ragged = CountQueries(six, 4).status();
  EXPECT_EQ(ragged.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ragged.message(), "queries hold 6 floats; expected a multiple of the dimension 4");
}

TEST(VectorChecksTest, DuplicateIdIsNamed) {
  const std::vector<uint64_t> unique = {1, 2, 3}, twice = {4, 9, 4};
  EXPECT_TRUE(ValidateUniqueIds(unique).ok());
  EXPECT_EQ(ValidateUniqueIds(twice).message(), "id 4 appears twice in one batch");
}

TEST(VectorChecksTest, SearchOptionsRanges) {
  SearchOptions options;
  EXPECT_TRUE(ValidateSearchOptions(options).ok());
  for (int k : {0, -1, kMaxSearchK + 1}) {
    options.k = k;
    EXPECT_EQ(ValidateSearchOptions(options).code(), absl::StatusCode::kInvalidArgument) << k;
  }
  options.k = kMaxSearchK;
  options.rerank_candidates = 0;  // only checked when re-ranking
  EXPECT_TRUE(ValidateSearchOptions(options).ok());
  options.rerank = true;
  EXPECT_EQ(ValidateSearchOptions(options).code(), absl::StatusCode::kInvalidArgument);
  options.rerank_candidates = kMaxSearchK;
  EXPECT_TRUE(ValidateSearchOptions(options).ok());
}

}  // namespace
}  // namespace tqdb

namespace tqdb {
namespace {

// A collection's request becomes the index's parameters in one place: every field the index
// reads is carried (reference_scan was once dropped there), and the index keeps as many
// candidates as the collection's re-rank needs.
TEST(SearchOptionsTest, IndexParametersCarryEveryFieldTheIndexReads) {
  SearchOptions request;
  request.k = 7;
  request.nprobe = 12;
  request.reference_scan = true;
  IvfSearchParameters params = IndexParametersOf(request);
  EXPECT_EQ(params.k, 7);
  EXPECT_EQ(params.nprobe, 12);
  EXPECT_TRUE(params.reference_scan);
  EXPECT_FALSE(params.rerank);  // the collection re-ranks from its stored floats
  EXPECT_FALSE(params.caller_reranks);
  request.rerank = true;
  request.rerank_candidates = 50;
  params = IndexParametersOf(request);
  EXPECT_EQ(params.k, 50);
  EXPECT_TRUE(params.caller_reranks);
  EXPECT_FALSE(params.rerank);
  request.rerank_candidates = 3;  // fewer than k: k are kept
  EXPECT_EQ(IndexParametersOf(request).k, 7);
}

}  // namespace
}  // namespace tqdb
