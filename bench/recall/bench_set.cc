#include "bench_set.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "embedding_files.h"
#include "ground_truth.h"
#include "hdf5_file.h"

namespace tqdb::bench {
namespace {

bool IsHdf5(const std::filesystem::path& path) {
  return path.extension() == ".hdf5" || path.extension() == ".h5";
}

absl::StatusOr<BenchMetric> MetricFromDistance(const std::string& distance) {
  if (distance.empty() || distance == "angular" || distance == "cosine") {
    return BenchMetric::kCosine;
  }
  if (distance == "euclidean" || distance == "l2") return BenchMetric::kL2;
  if (distance == "dot" || distance == "ip" || distance == "inner_product") {
    return BenchMetric::kInnerProduct;
  }
  return absl::InvalidArgumentError(absl::StrCat("unsupported distance '", distance, "'"));
}

}  // namespace

const char* BenchMetricName(BenchMetric metric) {
  switch (metric) {
    case BenchMetric::kCosine:
      return "cosine";
    case BenchMetric::kInnerProduct:
      return "inner product";
    case BenchMetric::kL2:
      return "L2";
  }
  return "?";
}

absl::StatusOr<BenchSet> LoadBenchSet(const std::string& spec, size_t queries, size_t max_base) {
  std::string path = spec;
  size_t first_base = 0;
  if (const size_t at = spec.rfind('@'); at != std::string::npos) {
    path = spec.substr(0, at);
    if (!absl::SimpleAtoi(spec.substr(at + 1), &first_base) || IsHdf5(path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", spec, "': expected a vector file and a first base row, file@N"));
    }
  }
  BenchSet set;
  set.name = std::filesystem::path(path).filename().string();
  if (IsHdf5(path)) {
    absl::StatusOr<AnnBenchmarksSet> file = ReadAnnBenchmarksHdf5(path, max_base, queries);
    if (!file.ok()) return file.status();
    absl::StatusOr<BenchMetric> metric = MetricFromDistance(file->distance);
    if (!metric.ok()) return metric.status();
    set.metric = *metric;
    set.dim = file->train.dim;
    set.n = file->train.count;
    set.nq = file->test.count;
    set.base = std::move(file->train.values);
    set.queries = std::move(file->test.values);
  } else {
    absl::StatusOr<EmbeddingFile> file = LoadEmbeddings(path);
    if (!file.ok()) return file.status();
    const DenseDataset& data = file->data;
    if (data.count <= queries) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": only ", data.count,
                                                     " vectors, not enough for ", queries,
                                                     " queries and a base"));
    }
    if (first_base >= data.count - queries) {
      return absl::InvalidArgumentError(
          absl::StrCat(spec, ": no base rows after row ", first_base));
    }
    set.dim = data.dim;
    set.nq = queries;
    set.n = data.count - queries - first_base;
    if (max_base > 0) set.n = std::min(set.n, max_base);
    if (first_base > 0) {
      set.name =
          absl::StrCat(set.name, " (base rows ", first_base, "-", first_base + set.n - 1, ")");
    }
    const auto begin = data.values.begin() + first_base * data.dim;
    set.base.assign(begin, begin + set.n * data.dim);
    set.queries.assign(data.values.end() - queries * data.dim, data.values.end());
  }
  if (set.n == 0 || set.nq == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no base vectors or no queries"));
  }
  if (set.metric == BenchMetric::kCosine) {
    NormalizeRows(set.base, set.dim);
    NormalizeRows(set.queries, set.dim);
  }
  return set;
}

std::vector<std::string> FindDatasetFiles(const std::string& dir) {
  static const std::set<std::string> kExtensions = {".fvecs", ".bvecs", ".npy", ".csv",
                                                    ".jsonl", ".hdf5",  ".h5"};
  std::vector<std::string> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (kExtensions.contains(entry.path().extension().string()) &&
        entry.path().string().find(".gt-") == std::string::npos) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace tqdb::bench
