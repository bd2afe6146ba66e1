// Reading the fixed-size-row formats (.fvecs, .bvecs, .npy) a batch of rows at a time, so a load
// of a file larger than memory holds one batch, not the file (`tqdb load` of 1M OpenAI vectors
// is a 6 GB .fvecs).
#pragma once

#include <cstddef>
#include <fstream>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace tqdb {

class RowStream {
 public:
  // Whether Open reads `path`'s format (by extension).
  static bool Handles(const std::string& path);
  // At most `max_rows` rows (0: all). NotFound for a missing file; InvalidArgument or DataLoss
  // for a header that is not one of the formats or a size that does not match it.
  static absl::StatusOr<std::unique_ptr<RowStream>> Open(const std::string& path,
                                                         size_t max_rows = 0);

  size_t rows() const { return rows_; }
  int dim() const { return dim_; }
  size_t position() const { return position_; }  // rows read or skipped so far

  // The next `count` rows as float32, row-major, into `out` (count x dim); InvalidArgument when
  // fewer are left, DataLoss for a damaged row (named by its number).
  absl::Status Read(size_t count, float* out);
  absl::Status Skip(size_t count);

 private:
  enum class Format { kFvecs, kBvecs, kNpyFloat32, kNpyFloat64 };
  RowStream(std::string path, Format format, int dim, size_t rows, size_t data_offset);
  size_t RowBytes() const;

  std::string path_;
  Format format_;
  int dim_;
  size_t rows_;
  size_t data_offset_;  // where row 0 starts
  size_t position_ = 0;
  std::ifstream in_;
  std::string buffer_;  // one batch of rows as stored
};

}  // namespace tqdb
