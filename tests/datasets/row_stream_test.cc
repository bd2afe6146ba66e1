// RowStream (datasets/row_stream.h): batches of rows of .fvecs, .bvecs and .npy files, read in
// uneven pieces and after skips, equal the whole-file readers' rows; damage is reported with the
// row it is in, and nothing past the end is read.
#include "row_stream.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "embedding_files.h"
#include "fvecs.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace tqdb {
namespace {

using ::tqdb::testing::ScopedTempDir;

constexpr int kDim = 7;
constexpr size_t kRows = 53;

std::vector<float> Values(uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> byte(0, 255);  // exact in a byte, a float and a double
  std::vector<float> values(kRows * kDim);
  for (float& v : values) v = static_cast<float>(byte(gen));
  return values;
}

void AppendBytes(std::string* out, const void* data, size_t size) {
  out->append(static_cast<const char*>(data), size);
}

std::string Texmex(const std::vector<float>& values, bool bytes) {
  std::string out;
  const int32_t d = kDim;
  for (size_t r = 0; r < kRows; ++r) {
    AppendBytes(&out, &d, sizeof(d));
    for (int j = 0; j < kDim; ++j) {
      if (bytes) {
        out.push_back(static_cast<char>(static_cast<uint8_t>(values[r * kDim + j])));
      } else {
        AppendBytes(&out, &values[r * kDim + j], sizeof(float));
      }
    }
  }
  return out;
}

std::string Npy(const std::vector<float>& values, bool wide) {
  std::string header = "{'descr': '" + std::string(wide ? "<f8" : "<f4") +
                       "', 'fortran_order': False, 'shape': (" + std::to_string(kRows) + ", " +
                       std::to_string(kDim) + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  AppendBytes(&out, &len, sizeof(len));
  out += header;
  for (float v : values) {
    if (wide) {
      const double w = v;
      AppendBytes(&out, &w, sizeof(w));
    } else {
      AppendBytes(&out, &v, sizeof(v));
    }
  }
  return out;
}

// Reads the whole file in pieces of 1, 2, 3, ... rows.
std::vector<float> ReadInPieces(RowStream* stream) {
  std::vector<float> all(stream->rows() * stream->dim());
  for (size_t piece = 1, first = 0; first < stream->rows(); first += piece, ++piece) {
    piece = std::min(piece, stream->rows() - first);
    EXPECT_TRUE(stream->Read(piece, all.data() + first * stream->dim()).ok());
  }
  return all;
}

TEST(RowStreamTest, EveryFormatReadsInPiecesAsTheWholeFileReaders) {
  ScopedTempDir dir;
  const std::vector<float> values = Values(1);
  const std::vector<std::pair<std::string, std::string>> files = {
      {"v.fvecs", Texmex(values, false)},
      {"v.bvecs", Texmex(values, true)},
      {"v.npy", Npy(values, false)},
      {"wide.npy", Npy(values, true)}};
  for (const auto& [name, content] : files) {
    const std::string path = dir.WriteFile(name, content);
    ASSERT_TRUE(RowStream::Handles(path));
    auto stream = RowStream::Open(path);
    ASSERT_TRUE(stream.ok()) << name << ": " << stream.status();
    EXPECT_EQ((*stream)->rows(), kRows) << name;
    EXPECT_EQ((*stream)->dim(), kDim) << name;
    EXPECT_EQ(ReadInPieces(stream->get()), values) << name;
    float extra[kDim];
    EXPECT_TRUE(absl::IsInvalidArgument((*stream)->Read(1, extra))) << name << ": past the end";
    absl::StatusOr<EmbeddingFile> whole = LoadEmbeddings(path);
    ASSERT_TRUE(whole.ok()) << name << ": " << whole.status();
    EXPECT_EQ(whole->data.values, values) << name;
  }
  EXPECT_FALSE(RowStream::Handles(dir.path() + "/v.csv"));
}

TEST(RowStreamTest, SkipsAndLimitsRows) {
  ScopedTempDir dir;
  const std::vector<float> values = Values(2);
  for (const auto& [name, content] : std::vector<std::pair<std::string, std::string>>{
           {"v.fvecs", Texmex(values, false)}, {"v.npy", Npy(values, true)}}) {
    const std::string path = dir.WriteFile(name, content);
    auto stream = RowStream::Open(path, /*max_rows=*/40);
    ASSERT_TRUE(stream.ok()) << stream.status();
    EXPECT_EQ((*stream)->rows(), 40u);
    ASSERT_TRUE((*stream)->Skip(31).ok());
    std::vector<float> rows(9 * kDim);
    ASSERT_TRUE((*stream)->Read(9, rows.data()).ok()) << name;
    EXPECT_EQ(rows, std::vector<float>(values.begin() + 31 * kDim, values.begin() + 40 * kDim))
        << name;
    EXPECT_EQ((*stream)->position(), 40u);
    EXPECT_FALSE((*stream)->Skip(1).ok()) << name;
  }
}

TEST(RowStreamTest, DamageIsNamedByItsRow) {
  ScopedTempDir dir;
  const std::vector<float> values = Values(3);
  std::string fvecs = Texmex(values, false);
  const int32_t wrong = kDim + 1;
  std::memcpy(fvecs.data() + 20 * (4 + 4 * kDim), &wrong, sizeof(wrong));  // row 20's header
  auto stream = RowStream::Open(dir.WriteFile("bad.fvecs", fvecs));
  ASSERT_TRUE(stream.ok()) << stream.status();
  std::vector<float> rows(kRows * kDim);
  ASSERT_TRUE((*stream)->Read(20, rows.data()).ok());
  const absl::Status bad = (*stream)->Read(5, rows.data());
  EXPECT_TRUE(absl::IsDataLoss(bad)) << bad;
  EXPECT_NE(bad.message().find("row 20 has dimension 8"), std::string::npos) << bad;

  // A size that is not whole records, a shape larger than the data, and no file at all.
  EXPECT_TRUE(absl::IsDataLoss(
      RowStream::Open(dir.WriteFile("cut.fvecs", Texmex(values, false).substr(0, 100))).status()));
  const std::string npy = Npy(values, false);
  EXPECT_TRUE(absl::IsDataLoss(
      RowStream::Open(dir.WriteFile("cut.npy", npy.substr(0, npy.size() - 4))).status()));
  EXPECT_TRUE(absl::IsNotFound(RowStream::Open(dir.path() + "/none.fvecs").status()));
}

}  // namespace
}  // namespace tqdb
