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

TEST(FvecsTest, IvecsAndBvecsAndWritersRoundTrip) {
  const std::string fvecs = ::testing::TempDir() + "rt.fvecs";
  const std::vector<float> floats = {1.5f, -2, 0, 7, 8, 9};
  ASSERT_TRUE(WriteFvecs(fvecs, floats.data(), 2, 3).ok());
  absl::StatusOr<DenseDataset> read = ReadFvecs(fvecs);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->dim, 3);
  EXPECT_EQ(read->values, floats);

  const std::string ivecs = ::testing::TempDir() + "rt.ivecs";
  const std::vector<int32_t> ints = {3, -1, 1 << 30, 4};
  ASSERT_TRUE(WriteIvecs(ivecs, ints.data(), 2, 2).ok());
  absl::StatusOr<IntRows> rows = ReadIvecs(ivecs);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->count, 2);
  EXPECT_EQ(rows->values, ints);
  EXPECT_EQ(ReadIvecs(ivecs, 1)->values, (std::vector<int32_t>{3, -1}));

  // .bvecs: int32 dimension then unsigned bytes, read as floats 0..255.
  std::vector<char> bvecs(4 + 3);
  const int32_t dim = 3;
  std::memcpy(bvecs.data(), &dim, 4);
  bvecs[4] = 0;
  bvecs[5] = 17;
  bvecs[6] = static_cast<char>(255);
  absl::StatusOr<DenseDataset> bytes = ReadBvecs(WriteFile("b.bvecs", bvecs));
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->values, (std::vector<float>{0, 17, 255}));
  bvecs.pop_back();
  EXPECT_EQ(ReadBvecs(WriteFile("short.bvecs", bvecs)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(WriteIvecs(::testing::TempDir() + "x.ivecs", ints.data(), 1, 0).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tqdb
