// Loader for TEXMEX .fvecs files: each vector is a little-endian int32 dimension, then that many
// float32 values. Used by tests and benchmarks for the real embedding sets in ../shared/datasets.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tqdb {

struct DenseDataset {
  int dim = 0;
  size_t count = 0;
  std::vector<float> values;  // count x dim, row-major

  const float* row(size_t i) const { return values.data() + i * dim; }
};

// Reads up to `max_vectors` vectors (all when 0). A truncated file, a dimension that changes
// between records or a non-positive dimension is a DataLoss / InvalidArgument error.
absl::StatusOr<DenseDataset> ReadFvecs(const std::string& path, size_t max_vectors = 0);

// The folder with the shared real datasets: $TQDB_DATASETS_DIR, else the one set at build time.
std::string DatasetsDir();

}  // namespace tqdb
