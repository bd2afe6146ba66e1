// GloVe text ("word v1 v2 ...", one row a line) read a batch of rows at a time, so `tqdb load`
// of a text file larger than memory holds one batch, not the file (ReadGloveText reads a whole
// file through it). Opening counts the rows first: progress and resumption need the total.
#pragma once

#include <cstddef>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tqdb {

class GloveTextStream {
 public:
  // At most `max_rows` rows (0: all); blank lines are not rows. NotFound for a missing file,
  // InvalidArgument for one without rows or whose first row is malformed.
  static absl::StatusOr<std::unique_ptr<GloveTextStream>> Open(const std::string& path,
                                                               size_t max_rows = 0);

  size_t rows() const { return rows_; }
  int dim() const { return dim_; }
  size_t position() const { return position_; }  // rows read or skipped so far

  // The next `count` rows into `out` (count x dim, row-major) and their words into `words`
  // (replaced; null: not kept). InvalidArgument naming file:line for a malformed row or one of
  // another dimension, and when fewer than `count` rows are left.
  absl::Status Read(size_t count, float* out, std::vector<std::string>* words);
  absl::Status Skip(size_t count);

 private:
  GloveTextStream(std::string path, size_t rows, int dim);
  // The next non-blank line's word and values; `values` has dim_ entries on success.
  absl::Status NextRow(std::string* word, float* values);

  std::string path_;
  size_t rows_;
  int dim_;
  size_t position_ = 0;
  size_t line_ = 0;  // lines read, blank ones included: errors name the line
  std::ifstream in_;
  std::string text_;  // the line being parsed
};

}  // namespace tqdb
