#include "fvecs.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tqdb {
namespace {

std::string WriteFile(const std::string& name, const std::vector<char>& bytes) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
  return path;
}

std::vector<char> Record(int32_t dim, const std::vector<float>& values) {
  std::vector<char> out(sizeof(dim) + sizeof(float) * values.size());
  std::memcpy(out.data(), &dim, sizeof(dim));
  std::memcpy(out.data() + sizeof(dim), values.data(), sizeof(float) * values.size());
  return out;
}

TEST(FvecsTest, ReadsVectorsAndHonoursLimit) {
  std::vector<char> bytes = Record(2, {1, 2});
  std::vector<char> second = Record(2, {3, 4});
  bytes.insert(bytes.end(), second.begin(), second.end());
  const std::string path = WriteFile("ok.fvecs", bytes);
  absl::StatusOr<DenseDataset> all = ReadFvecs(path);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->count, 2);
  EXPECT_EQ(all->values, (std::vector<float>{1, 2, 3, 4}));
  absl::StatusOr<DenseDataset> one = ReadFvecs(path, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->count, 1);
}

TEST(FvecsTest, CorruptFilesAreErrors) {
  std::vector<char> bytes = Record(2, {1, 2});
  std::vector<char> truncated(bytes.begin(), bytes.end() - 1);
  EXPECT_EQ(ReadFvecs(WriteFile("trunc.fvecs", truncated)).status().code(),
            absl::StatusCode::kDataLoss);
  std::vector<char> mixed = Record(2, {1, 2});
  // A record claiming dimension 1 but padded to the size of a dimension-2 record.
  std::vector<char> other = Record(1, {1, 2});
  mixed.insert(mixed.end(), other.begin(), other.end());
  EXPECT_FALSE(ReadFvecs(WriteFile("mixed.fvecs", mixed)).ok());
  EXPECT_EQ(ReadFvecs(WriteFile("neg.fvecs", Record(-3, {}))).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadFvecs(WriteFile("empty.fvecs", {})).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReadFvecs(::testing::TempDir() + "missing.fvecs").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tqdb
