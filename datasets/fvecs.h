// Readers and writers for the TEXMEX vector files: each record is a little-endian int32 dimension,
// then that many elements: float32 (.fvecs), int32 (.ivecs, ground-truth neighbour lists) or
// uint8 (.bvecs, e.g. SIFT1B). Used by tests, benchmarks and the ground-truth cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tqdb {

struct DenseDataset {
  int dim = 0;
  size_t count = 0;
  std::vector<float> values;  // count x dim, row-major

  const float* row(size_t i) const { return values.data() + i * dim; }
};

struct IntRows {
  int dim = 0;
  size_t count = 0;
  std::vector<int32_t> values;  // count x dim, row-major
};

// Each reads up to `max_vectors` records (all when 0). A truncated file, a dimension that changes
// between records or a non-positive dimension is a DataLoss / InvalidArgument error.
absl::StatusOr<DenseDataset> ReadFvecs(const std::string& path, size_t max_vectors = 0);
absl::StatusOr<DenseDataset> ReadBvecs(const std::string& path, size_t max_vectors = 0);
absl::StatusOr<IntRows> ReadIvecs(const std::string& path, size_t max_vectors = 0);

// Write `count` rows of `dim` elements; the file is written to a temporary name and renamed, so
// a reader never sees half a file.
absl::Status WriteFvecs(const std::string& path, const float* values, size_t count, int dim);
absl::Status WriteIvecs(const std::string& path, const int32_t* values, size_t count, int dim);

// The folder with the shared real datasets: $TQDB_DATASETS_DIR, else the one set at build time.
std::string DatasetsDir();

}  // namespace tqdb
