// The streamed record readers behind `tqdb import`, on small files written here: ids, payload
// fields chosen and typed, batches that split the file, and malformed rows named by line.
#include "record_files.h"

#include <fstream>

#include "gtest/gtest.h"
#include "test_util.h"

namespace tqdb {
namespace {

// Every row of `path`, in batches of `rows`, or the first error.
absl::StatusOr<std::vector<RecordBatch>> ReadAll(const std::string& path, size_t rows,
                                                 const RecordColumns& columns = {}) {
  absl::StatusOr<std::unique_ptr<RecordReader>> reader = RecordReader::Open(path, columns);
  if (!reader.ok()) return reader.status();
  std::vector<RecordBatch> batches;
  while (true) {
    RecordBatch batch;
    if (absl::Status status = (*reader)->Next(rows, &batch); !status.ok()) return status;
    if (batch.rows == 0) return batches;
    batches.push_back(std::move(batch));
  }
}

TEST(RecordFilesTest, JsonLinesWithIdsAndPayloads) {
  testing::ScopedTempDir dir;
  const std::string path =
      dir.WriteFile("p.jsonl",
                    "{\"id\": 7, \"embedding\": [1, 2], \"tag\": \"a\", \"n\": 1.5}\n"
                    "\n"
                    "{\"id\": \"8\", \"embedding\": [3, 4], \"tag\": \"b\"}\n"
                    "{\"id\": 9, \"embedding\": [5, 6]}\n");
  EXPECT_EQ(*CountRecords(path), 3u);
  auto batches = ReadAll(path, 2);
  ASSERT_TRUE(batches.ok()) << batches.status();
  ASSERT_EQ(batches->size(), 2u);
  EXPECT_EQ((*batches)[0].ids, (std::vector<uint64_t>{7, 8}));
  EXPECT_EQ((*batches)[0].vectors, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ((*batches)[0].payloads,
            (std::vector<std::string>{R"({"n":1.5,"tag":"a"})", R"({"tag":"b"})"}));
  EXPECT_EQ((*batches)[1].ids, (std::vector<uint64_t>{9}));
  EXPECT_TRUE((*batches)[1].payloads.empty());  // no payload field in this batch's one row

  RecordColumns only_tag;
  only_tag.payload = {"tag"};
  batches = ReadAll(path, 10, only_tag);
  ASSERT_TRUE(batches.ok());
  EXPECT_EQ((*batches)[0].payloads,
            (std::vector<std::string>{R"({"tag":"a"})", R"({"tag":"b"})", ""}));
}

TEST(RecordFilesTest, CsvCellsAreTypedAndQuotesHonoured) {
  testing::ScopedTempDir dir;
  const std::string path = dir.WriteFile("b.csv",
                                         "title,year,embedding,done\n"
                                         "\"Dune, part one\",1965,\"[0.5, 1]\",true\n"
                                         "Emma,,\"2 3\",false\n");
  EXPECT_EQ(*CountRecords(path), 2u);
  auto batches = ReadAll(path, 100);
  ASSERT_TRUE(batches.ok()) << batches.status();
  ASSERT_EQ(batches->size(), 1u);
  EXPECT_TRUE((*batches)[0].ids.empty());  // no id column: the caller numbers the rows
  EXPECT_EQ((*batches)[0].vectors, (std::vector<float>{0.5f, 1, 2, 3}));
  EXPECT_EQ((*batches)[0].payloads,
            (std::vector<std::string>{R"({"done":true,"title":"Dune, part one","year":1965})",
                                      R"({"done":false,"title":"Emma","year":null})"}));
}

TEST(RecordFilesTest, MalformedRowsAreNamedByLine) {
  testing::ScopedTempDir dir;
  struct Case {
    const char* content;
    const char* message;
  };
  for (const Case& c : {
           Case{"{\"id\": 1, \"embedding\": [1, 2]}\n{\"id\": 2, \"embedding\": [1]}\n",
                "m.jsonl:2: 1 values, but earlier rows have 2"},
           Case{"{\"id\": 1, \"embedding\": [1, 2]}\n{\"embedding\": [1, 2]}\n",
                "m.jsonl:2: has no \"id\""},
           Case{"{\"id\": -1, \"embedding\": [1, 2]}\n", "m.jsonl:1: \"id\" is -1"},
           Case{"{\"id\": 1, \"embedding\": [1, \"x\"]}\n", "m.jsonl:1: \"embedding\" holds"},
           Case{"not json\n", "m.jsonl:1: not a JSON object"},
           Case{"{\"id\": 1, \"vector\": [1]}\n", "m.jsonl:1: no array field \"embedding\""},
       }) {
    const std::string path = dir.WriteFile("m.jsonl", c.content);
    const absl::Status status = ReadAll(path, 10).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.content;
    EXPECT_NE(status.message().find(c.message), std::string::npos) << status;
  }
  EXPECT_NE(ReadAll(dir.WriteFile("short.csv", "id,embedding\n1,\"1 2\",x\n"), 10)
                .status()
                .message()
                .find("short.csv:2: 3 cells, the header has 2"),
            std::string::npos);
  EXPECT_EQ(RecordReader::Open(dir.WriteFile("h.csv", "id,vec\n"), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RecordReader::Open(dir.path() + "/missing.jsonl", {}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(RecordReader::Open(dir.WriteFile("v.fvecs", ""), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tqdb
