// Shared helpers for the engine tests: random data, goodness-of-fit, real datasets.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fvecs.h"
#include "ground_truth.h"
#include "random_vectors.h"
#include "tqdb/collection.h"

namespace tqdb::testing {

// The ids begin, begin + 1, ..., end - 1.
std::vector<uint64_t> IdRange(uint64_t begin, uint64_t end);

// n unit vectors of dimension d, uniform on the sphere (datasets/random_vectors.h).
using ::tqdb::RandomUnitVectors;

// Kolmogorov-Smirnov statistic sqrt(n) * sup |F_n - F| of `samples` against `cdf`.
double KolmogorovSmirnov(std::vector<double> samples, const std::function<double(double)>& cdf);

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class ScopedTempDir {
 public:
  ScopedTempDir();
  ~ScopedTempDir();
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` to the file `name` in the directory; returns its path.
  std::string WriteFile(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// The first 10,000 GloVe-100 vectors, committed in tests/data (10,000 x 100).
const DenseDataset& GloveFixture();

// The ids (row numbers) of the `k` rows of `base` (n x dim) with the largest cosine to `query`,
// best first, by brute force in double precision.
std::vector<uint64_t> ExactTopCosine(const float* base, size_t n, int dim, const float* query,
                                     int k);

// GloveFixture split into its first rows (`base`) and its last `queries` rows (`query_rows`).
void SplitGloveFixture(size_t queries, std::vector<float>* base, std::vector<float>* query_rows);

// Every id's record reads the same from `got` as from `expected`: found or not, and when found
// the same vector and payload. Stops at the first id found in one and not the other. Returns how
// many ids `got` holds.
size_t ExpectSameRecords(const Collection& expected, const Collection& got,
                         const std::vector<uint64_t>& ids);

// Path of a file in tests/data.
std::string TestDataPath(const std::string& name);

}  // namespace tqdb::testing
