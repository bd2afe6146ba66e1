#include "tqdb/status_macros.h"

#include <string>

#include "gtest/gtest.h"

namespace tqdb {
namespace {

int context_calls = 0;

std::string Context(const std::string& what) {
  ++context_calls;
  return what;
}

absl::Status Check(const absl::Status& inner) {
  TQDB_RETURN_IF_ERROR_WITH_CONTEXT(inner, Context("reading segment 7"));
  return absl::OkStatus();
}

absl::StatusOr<int> Twice(const absl::StatusOr<int>& inner) {
  TQDB_ASSIGN_OR_RETURN_WITH_CONTEXT(const int value, inner, Context("decoding the count"));
  return 2 * value;
}

TEST(StatusMacrosTest, ContextPrefixesTheMessageAndKeepsTheCode) {
  const absl::Status status = Check(absl::DataLossError("bad checksum"));
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(status.message(), "reading segment 7: bad checksum");
  const absl::StatusOr<int> twice = Twice(absl::InvalidArgumentError("negative"));
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(twice.status().message(), "decoding the count: negative");
}

TEST(StatusMacrosTest, SuccessPassesThroughWithoutBuildingTheContext) {
  context_calls = 0;
  EXPECT_TRUE(Check(absl::OkStatus()).ok());
  EXPECT_EQ(*Twice(21), 42);
  EXPECT_EQ(context_calls, 0);
  EXPECT_TRUE(WithContext(absl::OkStatus(), "unused").ok());
}

}  // namespace
}  // namespace tqdb
