// The text and NumPy embedding readers, on small files written here, including malformed ones.
#include "embedding_files.h"

#include <algorithm>
#include <fstream>
#include <limits>

#include "glove_text_stream.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace tqdb {
namespace {

const std::vector<float> kExpected = {0.5f, -1.25f, 3.0f, 1e-3f, 2.0f, -0.75f};

TEST(EmbeddingFilesTest, GloveText) {
  testing::ScopedTempDir dir;
  auto file = LoadEmbeddings(dir.WriteFile("g.txt", "the 0.5 -1.25 3\n, 0.001 2 -0.75\n"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->data.dim, 3);
  EXPECT_EQ(file->data.values, kExpected);
  EXPECT_EQ(file->labels, (std::vector<std::string>{"the", ","}));
  EXPECT_EQ(LoadEmbeddings(dir.WriteFile("bad.txt", "a 1 2\nb 1 2 3\n")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadEmbeddings(dir.WriteFile("nan.txt", "a 1 x\n")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// `tqdb load` reads GloVe text a batch at a time: the same rows and words as the whole file,
// blank lines skipped, a resumed stream at the right row, bad rows named by their line.
TEST(EmbeddingFilesTest, GloveTextStreamsInBatches) {
  testing::ScopedTempDir dir;
  const std::string text = "the 0.5 -1.25 3\n\n, 0.001 2 -0.75\nof 1 2 3\nand 4 5 6\nto 7 8 9\n";
  const std::string path = dir.WriteFile("g.txt", text);
  auto whole = LoadEmbeddings(path);
  ASSERT_TRUE(whole.ok()) << whole.status();
  auto stream = GloveTextStream::Open(path);
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_EQ((*stream)->rows(), 5u);
  EXPECT_EQ((*stream)->dim(), 3);
  std::vector<float> values(5 * 3);
  std::vector<std::string> words, all_words;
  for (size_t first = 0; first < 5; first += 2) {
    const size_t count = std::min<size_t>(2, 5 - first);
    ASSERT_TRUE((*stream)->Read(count, &values[first * 3], &words).ok());
    ASSERT_EQ(words.size(), count);
    all_words.insert(all_words.end(), words.begin(), words.end());
  }
  EXPECT_EQ(values, whole->data.values);
  EXPECT_EQ(all_words, whole->labels);
  EXPECT_EQ((*stream)->Read(1, values.data(), &words).code(), absl::StatusCode::kInvalidArgument)
      << "past the end";
  auto resumed = GloveTextStream::Open(path, /*max_rows=*/4);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ((*resumed)->rows(), 4u);
  ASSERT_TRUE((*resumed)->Skip(3).ok());
  ASSERT_TRUE((*resumed)->Read(1, values.data(), &words).ok());
  EXPECT_EQ(words, std::vector<std::string>{"and"});
  EXPECT_EQ(std::vector<float>(values.begin(), values.begin() + 3), (std::vector<float>{4, 5, 6}));
  auto bad = GloveTextStream::Open(dir.WriteFile("bad.txt", "a 1 2\nb 1 2 3\n"));
  ASSERT_TRUE(bad.ok()) << "the first row is good";
  const absl::Status read = (*bad)->Read(2, values.data(), &words);
  EXPECT_EQ(read.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(read.message().find("bad.txt:2"), std::string::npos) << read;
  EXPECT_EQ(GloveTextStream::Open(dir.WriteFile("empty.txt", "\n\n")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GloveTextStream::Open(dir.path() + "/missing.txt").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(EmbeddingFilesTest, CsvWithQuotedEmbeddingColumn) {
  testing::ScopedTempDir dir;
  const std::string csv =
      "id,text,embedding\n"
      "a,\"hello, \"\"world\"\"\",\"[0.5, -1.25, 3]\"\n"
      "b,bye,\"[0.001, 2, -0.75]\"\n";
  auto file = LoadEmbeddings(dir.WriteFile("e.csv", csv));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->data.values, kExpected);
  EXPECT_EQ(file->labels, (std::vector<std::string>{"a", "b"}));
  LoadOptions options;
  options.column = "vector";
  EXPECT_EQ(LoadEmbeddings(dir.WriteFile("e2.csv", csv), options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EmbeddingFilesTest, CsvCellsSplitAtCommasOutsideQuotes) {
  EXPECT_EQ(SplitCsvLine("a,\"b, \"\"c\"\"\",,\"[1, 2]\"\r"),
            (std::vector<std::string>{"a", "b, \"c\"", "", "[1, 2]"}));
  EXPECT_EQ(SplitCsvLine(""), (std::vector<std::string>{""}));
  EXPECT_EQ(SplitCsvLine("x,"), (std::vector<std::string>{"x", ""}));
  EXPECT_EQ(SplitCsvLine("\"\"\"\""), (std::vector<std::string>{"\""}));
  EXPECT_EQ(SplitCsvLine("\"open, never closed"), (std::vector<std::string>{"open, never closed"}));
}

TEST(EmbeddingFilesTest, VectorTextReadsEveryFormStrtofReads) {
  // The common forms by from_chars, the rare ones by strtof as before.
  EXPECT_EQ(*ParseVectorText("[1, -2.5,3e-3]\t4\r\n"), (std::vector<float>{1, -2.5f, 3e-3f, 4}));
  EXPECT_EQ(*ParseVectorText("+1.5 0x1p3 .25"), (std::vector<float>{1.5f, 8, 0.25f}));
  const std::vector<float> extremes = *ParseVectorText("1e39 -1e39 1e-50");
  EXPECT_EQ(extremes[0], std::numeric_limits<float>::infinity());  // refused later, by name
  EXPECT_EQ(extremes[1], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(extremes[2], 0.0f);
  EXPECT_TRUE(ParseVectorText("[]")->empty());
  const absl::StatusOr<std::vector<float>> bad = ParseVectorText("1, 2abc, 3");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("not a number at '2abc"), std::string::npos)
      << bad.status();
}

TEST(EmbeddingFilesTest, JsonLines) {
  testing::ScopedTempDir dir;
  const std::string jsonl =
      "{\"id\": 7, \"text\": \"x\", \"embedding\": [0.5, -1.25, 3]}\n"
      "{\"id\": 8, \"embedding\": [0.001, 2, -0.75]}\n";
  auto file = LoadEmbeddings(dir.WriteFile("e.jsonl", jsonl));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->data.values, kExpected);
  EXPECT_EQ(file->labels, (std::vector<std::string>{"7", "8"}));
  EXPECT_FALSE(LoadEmbeddings(dir.WriteFile("bad.jsonl", "{\"id\": 1}\n")).ok());
}

TEST(EmbeddingFilesTest, NpyFloat32AndFloat64) {
  testing::ScopedTempDir dir;
  auto npy = [](const std::string& descr, const std::string& data) {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2, 3), }";
    header.resize(118, ' ');
    header += '\n';
    std::string out = "\x93NUMPY\x01";
    out += '\0';
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    return out + header + data;
  };
  std::string f4(reinterpret_cast<const char*>(kExpected.data()), kExpected.size() * 4);
  auto file = LoadEmbeddings(dir.WriteFile("a.npy", npy("<f4", f4)));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->data.count, 2);
  EXPECT_EQ(file->data.values, kExpected);
  std::vector<double> wide(kExpected.begin(), kExpected.end());
  std::string f8(reinterpret_cast<const char*>(wide.data()), wide.size() * 8);
  file = LoadEmbeddings(dir.WriteFile("b.npy", npy("<f8", f8)));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->data.values, kExpected);
  EXPECT_EQ(LoadEmbeddings(dir.WriteFile("c.npy", npy("<i4", f4))).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadEmbeddings(dir.WriteFile("d.npy", npy("<f4", f4.substr(0, 10)))).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace tqdb
