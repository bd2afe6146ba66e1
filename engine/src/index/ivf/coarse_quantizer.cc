#include "index/ivf/coarse_quantizer.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numeric>
#include <random>

#include "index/ivf/dot_rows.h"
#include "index/ordered_bits.h"

namespace tqdb::ivf {
namespace {

// Rows of x per matrix product, so that the scores (rows x centroids) stay a few MiB.
constexpr size_t kRowsPerProduct = 1024;
// Fewer rows than this (a search's queries, a small upsert) skip BLAS: its worker threads keep
// spinning after a call and take the cores from the scan that follows (like FAISS, whose
// threshold is 20 queries).
constexpr size_t kBlasMinRows = 64;

// BLAS single-threaded while at least one guard lives, in any thread; the last one out restores
// the thread count found by the first (a process may hold FAISS too, whose calls want them).
// openblas_set_num_threads is process-wide, so the guards count under one lock.
class SingleThreadedBlas {
 public:
  explicit SingleThreadedBlas(bool active) : active_(active) {
    if (!active_) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (holders_++ == 0) {
      saved_ = openblas_get_num_threads();
      openblas_set_num_threads(1);
    }
  }
  ~SingleThreadedBlas() {
    if (!active_) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (--holders_ == 0) openblas_set_num_threads(saved_);
  }

 private:
  const bool active_;
  static inline std::mutex mu_;
  static inline int holders_ = 0;
  static inline int saved_ = 1;
};

// Rows per matrix product for n rows: at most kRowsPerProduct, and few enough that every
// OpenMP thread gets a block (a batch of 1,000 queries was one block, probed by one thread while
// the other waited), but not below kBlasMinRows.
size_t RowsPerBlock(size_t n) {
  const size_t threads = static_cast<size_t>(std::max(1, omp_get_max_threads()));
  return std::clamp<size_t>((n + threads - 1) / threads, kBlasMinRows, kRowsPerProduct);
}

}  // namespace

CoarseQuantizer::CoarseQuantizer(std::vector<float> centroids, int dim)
    : dim_(dim), centroids_(std::move(centroids)), norms_sq_(centroids_.size() / dim) {
  for (size_t c = 0; c < norms_sq_.size(); ++c) {
    const float* v = centroid(c);
    float sum = 0;
    for (int j = 0; j < dim_; ++j) sum += v[j] * v[j];
    norms_sq_[c] = sum;
  }
}

void CoarseQuantizer::InnerProducts(const float* x, size_t n, float* scores) const {
  if (n < kBlasMinRows) {
    ActiveDotRows()(x, n, centroids_.data(), size(), dim_, scores);
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n),
              static_cast<int>(size()), dim_, 1.0f, x, dim_, centroids_.data(), dim_, 0.0f, scores,
              static_cast<int>(size()));
}

void CoarseQuantizer::Assign(const float* x, size_t n, uint32_t* nearest, float* distances) const {
  const size_t k = size();
  // Blocks of rows in parallel on OpenMP's threads, BLAS single-threaded inside each: BLAS's own
  // worker threads spin (sched_yield) for a while after every call, and on two cores they took
  // the cores from the OpenMP threads and the scans that followed (training 2-3x slower,
  // searches right after an upsert slower still). FAISS's later calls get BLAS's threads back.
  const size_t block_rows = RowsPerBlock(n);
  const size_t blocks = (n + block_rows - 1) / block_rows;
  const SingleThreadedBlas single_threaded(n >= kBlasMinRows);
#pragma omp parallel if (blocks > 1)
  {
    std::vector<float> scores(std::min(n, block_rows) * k);
#pragma omp for schedule(dynamic, 1)
    for (size_t block = 0; block < blocks; ++block) {
      const size_t first = block * block_rows;
      const size_t rows = std::min(block_rows, n - first);
      InnerProducts(x + first * dim_, rows, scores.data());
      AssignBlock(x, first, rows, scores.data(), nearest, distances);
    }
  }
}

void CoarseQuantizer::AssignBlock(const float* x, size_t first, size_t rows, const float* scores,
                                  uint32_t* nearest, float* distances) const {
  const size_t k = size();
  for (size_t r = 0; r < rows; ++r) {
    // |x - c|^2 = |x|^2 + |c|^2 - 2 <x, c>: the first term is the same for every c.
    const float* s = &scores[r * k];
    uint32_t best = 0;
    float best_value = norms_sq_[0] - 2 * s[0];
    for (size_t c = 1; c < k; ++c) {
      const float value = norms_sq_[c] - 2 * s[c];
      if (value < best_value) {
        best_value = value;
        best = static_cast<uint32_t>(c);
      }
    }
    nearest[first + r] = best;
    if (distances != nullptr) {
      const float* row = x + (first + r) * dim_;
      float norm_sq = 0;
      for (int j = 0; j < dim_; ++j) norm_sq += row[j] * row[j];
      distances[first + r] = std::max(0.0f, norm_sq + best_value);
    }
  }
}

void CoarseQuantizer::Probe(const float* x, size_t n, size_t count, bool by_inner_product,
                            uint32_t* out) const {
  const size_t k = size();
  count = std::min(count, k);
  // A batch of queries shares the matrix products (blocks in parallel, as in Assign).
  const size_t block_rows = RowsPerBlock(n);
  const size_t blocks = (n + block_rows - 1) / block_rows;
  const SingleThreadedBlas single_threaded(n >= kBlasMinRows);
#pragma omp parallel if (blocks > 1)
  {
    std::vector<float> scores(std::min(n, block_rows) * k);
    // (cost, list) packed in one integer, lower is nearer: a selection of plain integers,
    // where an index sort compared costs through the index (a tenth of a single search).
    std::vector<uint64_t> order(k);
#pragma omp for schedule(dynamic, 1)
    for (size_t block = 0; block < blocks; ++block) {
      const size_t first = block * block_rows;
      const size_t rows = std::min(block_rows, n - first);
      InnerProducts(x + first * dim_, rows, scores.data());
      for (size_t r = 0; r < rows; ++r) {
        const float* s = &scores[r * k];
        for (size_t c = 0; c < k; ++c) {
          const float cost = by_inner_product ? -s[c] : norms_sq_[c] - 2 * s[c];
          order[c] = uint64_t{OrderedBits(cost)} << 32 | c;
        }
        if (count < k) std::nth_element(order.begin(), order.begin() + (count - 1), order.end());
        std::sort(order.begin(), order.begin() + count);
        for (size_t i = 0; i < count; ++i) {
          out[(first + r) * count + i] = static_cast<uint32_t>(order[i]);
        }
      }
    }
  }
}

std::vector<float> KMeans(const float* x, size_t n, int dim, size_t k,
                          const KMeansOptions& options) {
  // k distinct rows to start from.
  const std::vector<size_t> rows = RandomDistinct(n, k, options.seed);
  std::vector<float> centroids(k * dim);
  for (size_t c = 0; c < k; ++c) {
    std::copy(x + rows[c] * dim, x + (rows[c] + 1) * dim, centroids.begin() + c * dim);
  }
  std::vector<uint32_t> assigned(n);
  std::vector<double> sums(k * dim);
  std::vector<size_t> counts(k);
  for (int iteration = 0; iteration < options.iterations; ++iteration) {
    CoarseQuantizer(centroids, dim).Assign(x, n, assigned.data());
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0);
    for (size_t i = 0; i < n; ++i) {
      double* sum = &sums[size_t{assigned[i]} * dim];
      for (int j = 0; j < dim; ++j) sum[j] += x[i * dim + j];
      ++counts[assigned[i]];
    }
    for (size_t c = 0; c < k; ++c) {
      if (counts[c] == 0) continue;
      for (int j = 0; j < dim; ++j) {
        centroids[c * dim + j] = static_cast<float>(sums[c * dim + j] / counts[c]);
      }
    }
    // An empty cluster takes half of the largest: both move a little apart from its centroid
    // (FAISS's split), and the next assignment divides its points.
    for (size_t c = 0; c < k; ++c) {
      if (counts[c] != 0) continue;
      const size_t largest = std::max_element(counts.begin(), counts.end()) - counts.begin();
      constexpr float kEpsilon = 1.0f / 1024;
      for (int j = 0; j < dim; ++j) {
        const float v = centroids[largest * dim + j];
        const float sign = (j % 2 == 0) ? 1.0f : -1.0f;
        centroids[c * dim + j] = v * (1 + sign * kEpsilon);
        centroids[largest * dim + j] = v * (1 - sign * kEpsilon);
      }
      counts[c] = counts[largest] / 2;
      counts[largest] -= counts[c];
    }
  }
  return centroids;
}

std::vector<size_t> RandomDistinct(size_t n, size_t k, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  for (size_t i = 0; i < k; ++i) {
    std::swap(order[i], order[std::uniform_int_distribution<size_t>(i, n - 1)(gen)]);
  }
  order.resize(k);
  return order;
}

std::vector<float> CoarseRows(Metric metric, int dim, absl::Span<const float> rows) {
  std::vector<float> out(rows.begin(), rows.end());
  NormalizeCoarseRows(metric, dim, absl::MakeSpan(out));
  return out;
}

void NormalizeCoarseRows(Metric metric, int dim, absl::Span<float> rows) {
  if (metric != Metric::kCosine) return;
  for (size_t r = 0; r < rows.size() / dim; ++r) {
    float* row = rows.data() + r * dim;
    const double norm = std::sqrt(Dot(row, row, dim));
    if (norm > 0) {
      for (int j = 0; j < dim; ++j) row[j] = static_cast<float>(row[j] / norm);
    }
  }
}

}  // namespace tqdb::ivf
