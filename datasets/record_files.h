// Records as users export them, streamed: JSON lines (one object per line) and CSV (a header,
// then one row per line), each row a vector, maybe an id, maybe payload fields. What `tqdb
// import` sends; read a batch at a time, so a file larger than memory imports in constant space.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tqdb {

struct RecordColumns {
  std::string vector = "embedding";  // the field / column holding the vector
  std::string id = "id";             // unsigned integer ids; rows without the field: none
  // The fields / columns kept as each row's JSON payload; {"*"}: every field but the vector and
  // the id; empty: no payload.
  std::vector<std::string> payload = {"*"};
};

struct RecordBatch {
  std::vector<uint64_t> ids;          // one per row when the file has the id column, else empty
  std::vector<float> vectors;         // rows x dim
  std::vector<std::string> payloads;  // one JSON object per row when any payload is kept
  size_t rows = 0;
};

class RecordReader {
 public:
  // By extension: .csv, or .jsonl / .json (JSON lines). NotFound or InvalidArgument (a CSV
  // header without the vector column) otherwise.
  static absl::StatusOr<std::unique_ptr<RecordReader>> Open(const std::string& path,
                                                            const RecordColumns& columns);
  virtual ~RecordReader() = default;

  // Replaces `batch` with the next up to `rows` rows (none at the end of the file). Every row
  // has the first row's dimension, and either every row has an id or none does; errors name
  // the file and line.
  virtual absl::Status Next(size_t rows, RecordBatch* batch) = 0;
  // The vector length, known after the first row (0 before).
  int dim() const { return dim_; }
  // Whether the rows carry ids, known after the first row.
  bool has_ids() const { return has_ids_ == 1; }

 protected:
  RecordReader(const std::string& path, const RecordColumns& columns);
  // Checks and appends one row's parts to `batch`.
  absl::Status Append(std::vector<float> vector, const uint64_t* id, std::string payload,
                      RecordBatch* batch);
  std::string Where() const;  // "path:line"

  const std::string path_;
  const RecordColumns columns_;
  std::ifstream in_;
  size_t line_ = 0;

 private:
  int dim_ = 0;
  int has_ids_ = -1;  // unknown before the first row
};

// The rows a RecordReader will return: lines with content (less the header, for CSV).
absl::StatusOr<size_t> CountRecords(const std::string& path);

}  // namespace tqdb
