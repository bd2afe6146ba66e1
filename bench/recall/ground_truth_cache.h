// Exact top-k neighbours computed with FAISS IndexFlatIP / IndexFlatL2 (multi-threaded BLAS) and
// cached as .ivecs, keyed by a hash of the vectors' content, so a benchmark re-run on the same
// data skips the brute force and a changed file can never reuse stale neighbours.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tqdb::bench {

enum class TruthMetric { kInnerProduct, kL2 };  // cosine: normalize, then inner product

struct GroundTruth {
  int k = 0;
  std::vector<std::vector<int64_t>> ids;  // per query, best first
  std::string cache_path;                 // the .ivecs file read or written
  bool from_cache = false;
};

// The folder the cache goes to: `data_dir` when writable, else $XDG_CACHE_HOME/tqdb (or
// ~/.cache/tqdb), created on demand.
std::string GroundTruthCacheDir(const std::string& data_dir);

// Exact top-k of every query over the base (row-major, d columns). `stem` names the cache file
// (e.g. the dataset's file name); the content hash, metric and k complete the name. A cache file
// that cannot be read or has the wrong shape is recomputed and rewritten.
absl::StatusOr<GroundTruth> CachedExactTopK(const float* base, size_t n, const float* queries,
                                            size_t nq, int d, int k, TruthMetric metric,
                                            const std::string& cache_dir, const std::string& stem);

}  // namespace tqdb::bench
