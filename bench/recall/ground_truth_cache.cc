#include "ground_truth_cache.h"

#include <unistd.h>
#include <xxhash.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "faiss/IndexFlat.h"
#include "fvecs.h"

namespace tqdb::bench {

std::string GroundTruthCacheDir(const std::string& data_dir) {
  if (access(data_dir.c_str(), W_OK) == 0) return data_dir;
  std::string root;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    root = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    root = absl::StrCat(home, "/.cache");
  } else {
    root = std::filesystem::temp_directory_path().string();
  }
  const std::string dir = root + "/tqdb";
  std::error_code ignored;
  std::filesystem::create_directories(dir, ignored);
  return dir;
}

absl::StatusOr<GroundTruth> CachedExactTopK(const float* base, size_t n, const float* queries,
                                            size_t nq, int d, int k, TruthMetric metric,
                                            const std::string& cache_dir, const std::string& stem) {
  if (n == 0 || nq == 0 || d <= 0 || k <= 0) {
    return absl::InvalidArgumentError("ground truth needs vectors, queries and k > 0");
  }
  const int keep = static_cast<int>(std::min<size_t>(k, n));
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, base, n * d * sizeof(float));
  XXH3_64bits_update(state, queries, nq * d * sizeof(float));
  const uint64_t hash = XXH3_64bits_digest(state);
  XXH3_freeState(state);

  GroundTruth truth;
  truth.k = keep;
  truth.cache_path = absl::StrFormat("%s/%s.gt-%s-n%d-q%d-k%d-%016x.ivecs", cache_dir, stem,
                                     metric == TruthMetric::kL2 ? "l2" : "ip", n, nq, keep, hash);
  if (absl::StatusOr<IntRows> cached = ReadIvecs(truth.cache_path);
      cached.ok() && cached->count == nq && cached->dim == keep) {
    truth.from_cache = true;
    for (size_t q = 0; q < nq; ++q) {
      truth.ids.emplace_back(cached->values.begin() + q * keep,
                             cached->values.begin() + (q + 1) * keep);
    }
    return truth;
  }

  std::unique_ptr<faiss::IndexFlat> index;
  if (metric == TruthMetric::kL2) {
    index = std::make_unique<faiss::IndexFlatL2>(d);
  } else {
    index = std::make_unique<faiss::IndexFlatIP>(d);
  }
  index->add(n, base);
  std::vector<float> distances(nq * keep);
  std::vector<int64_t> labels(nq * keep);  // faiss::idx_t (Index::idx_t before FAISS 1.8)
  index->search(nq, queries, keep, distances.data(), labels.data());
  std::vector<int32_t> rows(labels.begin(), labels.end());
  for (size_t q = 0; q < nq; ++q) {
    truth.ids.emplace_back(labels.begin() + q * keep, labels.begin() + (q + 1) * keep);
  }
  // A cache that cannot be written only costs the next run the brute force again.
  std::error_code ignored;
  std::filesystem::create_directories(cache_dir, ignored);
  if (absl::Status s = WriteIvecs(truth.cache_path, rows.data(), nq, keep); !s.ok()) {
    truth.cache_path.clear();
  }
  return truth;
}

}  // namespace tqdb::bench
