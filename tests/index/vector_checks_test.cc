#include "index/vector_checks.h"

#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace tqdb {
namespace {

TEST(VectorChecksTest, AcceptsExactlyCountVectorsOfFiniteValues) {
  const std::vector<float> values = {1, 2, 3, -4, 0, 1e30f};
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

}  // namespace
}  // namespace tqdb
