// A benchmark dataset: base vectors and held-back queries under one metric, loaded from any
// file format tqdb reads.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "method.h"

namespace tqdb::bench {

struct BenchSet {
  std::string name;  // the file name
  int dim = 0;
  size_t n = 0;                      // base vectors
  size_t nq = 0;                     // queries
  std::vector<float> base, queries;  // row-major; unit length for cosine
  BenchMetric metric = BenchMetric::kCosine;
};

const char* BenchMetricName(BenchMetric metric);

// HDF5 files in the ann-benchmarks layout give base ("train"), queries (the first `queries` of
// "test") and the metric ("distance": angular -> cosine, euclidean -> L2, dot -> inner product).
// Every other format is split: the last `queries` rows are the queries, the rest the base, and
// compared by cosine (as ann-benchmarks does for GloVe). `max_base` > 0 keeps that many base rows.
// `path` may end in "@N": the base then starts at row N (a tail split: rarer words in GloVe),
// the queries staying the file's last rows.
absl::StatusOr<BenchSet> LoadBenchSet(const std::string& path, size_t queries, size_t max_base);

// The dataset files in `dir` that LoadBenchSet reads (by extension), sorted.
std::vector<std::string> FindDatasetFiles(const std::string& dir);

}  // namespace tqdb::bench
