// One row of the recall tables: a quantized index that is built on the base vectors and answers
// top-k queries. tqdb's variants and the FAISS baselines implement it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace tqdb::bench {

enum class BenchMetric { kCosine, kInnerProduct, kL2 };

struct BuildTimes {
  double train_s = 0;  // learning codebooks from the data (0 for tqdb: nothing to learn)
  double add_s = 0;    // encoding the base vectors into the index
};

class Method {
 public:
  virtual ~Method() = default;
  virtual std::string family() const = 0;  // "tqdb" or "faiss"
  virtual std::string name() const = 0;
  // Bytes the index keeps per vector to score it (codes and per-vector factors).
  virtual double bytes_per_vector() const = 0;
  // Of those, the code alone (tqdb: without its per-vector factors).
  virtual double code_bytes() const { return bytes_per_vector(); }
  // Anything else a search reads (e.g. float vectors for re-rank); empty when nothing.
  virtual std::string extra_memory() const { return ""; }
  // `base` is row-major, n x d; cosine sets are normalized by the caller.
  virtual absl::Status Build(const float* base, size_t n, BuildTimes* times) = 0;
  // Writes nq x k labels (row indices of the base; -1 where fewer than k exist).
  virtual absl::Status Search(const float* queries, size_t nq, int k, int64_t* labels) const = 0;
};

}  // namespace tqdb::bench
