// The coarse quantizer of the partitioned index: a fixed set of centroids, and the nearest ones
// to a point by squared L2 distance (or largest inner product), computed as matrix products
// through BLAS the way FAISS does it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "tqdb/metric.h"

namespace tqdb::ivf {

class CoarseQuantizer {
 public:
  // `centroids`: row-major, size() x dim.
  CoarseQuantizer(std::vector<float> centroids, int dim);

  size_t size() const { return norms_sq_.size(); }
  int dim() const { return dim_; }
  const std::vector<float>& centroids() const { return centroids_; }
  const float* centroid(size_t i) const { return centroids_.data() + i * dim_; }

  // For each of the `n` rows of `x`, its nearest centroid and, when `distances` is not null,
  // the squared distance to it.
  void Assign(const float* x, size_t n, uint32_t* nearest, float* distances = nullptr) const;
  // For each of the `n` rows of `x`, the `count` nearest centroids (nearest first), row after
  // row in `out` (n x count); by largest inner product when `by_inner_product`.
  void Probe(const float* x, size_t n, size_t count, bool by_inner_product, uint32_t* out) const;

 private:
  // scores[i * size() + c] = <x_i, centroid c> for the n rows of x.
  void InnerProducts(const float* x, size_t n, float* scores) const;
  // Assign's rows [first, first + rows), given their scores.
  void AssignBlock(const float* x, size_t first, size_t rows, const float* scores,
                   uint32_t* nearest, float* distances) const;

  int dim_;
  std::vector<float> centroids_;
  std::vector<float> norms_sq_;
};

// `k` distinct indices of [0, n), drawn at random (partial Fisher-Yates with std::mt19937_64
// seeded by `seed`). Needs k <= n.
std::vector<size_t> RandomDistinct(size_t n, size_t k, uint64_t seed);

// The rows as the coarse quantizer sees them: unit vectors for cosine, as given otherwise.
std::vector<float> CoarseRows(Metric metric, int dim, absl::Span<const float> rows);
// The same in place.
void NormalizeCoarseRows(Metric metric, int dim, absl::Span<float> rows);

struct KMeansOptions {
  int iterations = 10;
  uint64_t seed = 1234;
};

// `k` centroids (row-major, k x dim) of the `n` rows of `x` by Lloyd's k-means from k distinct
// random rows; a cluster left empty is split off the largest one. Needs n >= k >= 1.
std::vector<float> KMeans(const float* x, size_t n, int dim, size_t k,
                          const KMeansOptions& options = {});

}  // namespace tqdb::ivf
