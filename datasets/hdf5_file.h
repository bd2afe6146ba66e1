// Reader for HDF5 embedding files, in particular the ann-benchmarks layout: 2-D float datasets
// "train" (base) and "test" (queries), int "neighbors" (true nearest neighbours of each query)
// and a string attribute "distance" ("angular", "euclidean", "dot", ...).
// Debian's HDF5 is the serial build, which is not thread-safe: call from one thread at a time.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "fvecs.h"

namespace tqdb {

// Rows [0, max_rows) (all when 0) of the 2-D dataset `name`, converted to float32 whatever the
// stored float type. NotFound for a missing file or dataset, InvalidArgument for a dataset that
// is not a 2-D float matrix, DataLoss for a file HDF5 cannot read.
absl::StatusOr<DenseDataset> ReadHdf5Matrix(const std::string& path, const std::string& name,
                                            size_t max_rows = 0);

// The same for an integer matrix (ann-benchmarks' "neighbors").
absl::StatusOr<IntRows> ReadHdf5IntMatrix(const std::string& path, const std::string& name,
                                          size_t max_rows = 0);

// A string attribute of the file's root group; NotFound when absent.
absl::StatusOr<std::string> ReadHdf5RootAttribute(const std::string& path, const std::string& name);

struct AnnBenchmarksSet {
  DenseDataset train;
  DenseDataset test;
  IntRows neighbors;     // empty when the file has none
  std::string distance;  // empty when the file does not say
};

absl::StatusOr<AnnBenchmarksSet> ReadAnnBenchmarksHdf5(const std::string& path,
                                                       size_t max_train = 0, size_t max_test = 0);

}  // namespace tqdb
