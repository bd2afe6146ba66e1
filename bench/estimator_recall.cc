// First recall benchmark: every TurboQuant variant at b = 1..4 bits/dim on the real datasets,
// plus encoding throughput next to a plain memcpy of the same input.
//
// Prints Markdown tables: recall@1@{1,2,4,8,16,32,64} (true top-1 within the returned top k, the
// TurboQuant paper's metric) and recall@10@10, cosine similarity, last 1,000 vectors as queries.
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "bench_util.h"
#include "fvecs.h"
#include "ground_truth.h"
#include "tqdb/flat_index.h"

ABSL_FLAG(std::string, datasets_dir, "", "folder with the .fvecs sets (default: shared datasets)");
ABSL_FLAG(size_t, queries, 1000, "held-back queries: the last vectors of each file");
ABSL_FLAG(size_t, max_base, 0, "use at most this many base vectors (0: all)");

namespace tqdb {
namespace {

constexpr int kRecallKs[] = {1, 2, 4, 8, 16, 32, 64};
constexpr int kMaxK = 64;

using bench::SecondsSince;

struct Variant {
  const char* name;
  QuantizerKind kind;
  MseEstimator estimator;
};

constexpr Variant kVariants[] = {
    {"mse-plain", QuantizerKind::kMse, MseEstimator::kPlain},
    {"mse-ratio", QuantizerKind::kMse, MseEstimator::kRatio},
    {"mse-unitnorm", QuantizerKind::kMse, MseEstimator::kUnitNorm},
    {"prod", QuantizerKind::kProd, MseEstimator::kPlain},
};

void RunDataset(const std::string& path) {
  absl::StatusOr<DenseDataset> data = ReadFvecs(path);
  if (!data.ok()) {
    std::printf("skipping %s: %s\n", path.c_str(), data.status().ToString().c_str());
    return;
  }
  const int d = data->dim;
  const size_t nq = absl::GetFlag(FLAGS_queries);
  if (data->count <= nq) {
    std::printf("skipping %s: only %zu vectors\n", path.c_str(), data->count);
    return;
  }
  size_t n = data->count - nq;
  if (absl::GetFlag(FLAGS_max_base) > 0) n = std::min(n, absl::GetFlag(FLAGS_max_base));
  std::vector<float> base(data->values.begin(), data->values.begin() + n * d);
  std::vector<float> queries(data->values.end() - nq * d, data->values.end());
  std::vector<float> unit_base = base, unit_queries = queries;
  NormalizeRows(unit_base, d);
  NormalizeRows(unit_queries, d);
  const auto truth = ExactTopKByInnerProduct(unit_base.data(), n, unit_queries.data(), nq, d, 10);

  std::printf("\n## %s: %zu base vectors, %zu queries, d = %d, cosine, %d threads\n\n",
              std::filesystem::path(path).filename().c_str(), n, nq, d, omp_get_max_threads());
  std::printf(
      "| bits | variant | bytes/vec | recall@1@1 | @2 | @4 | @8 | @16 | @32 | @64 | "
      "recall@10@10 |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::vector<uint64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = i;
  for (int bits = 1; bits <= 4; ++bits) {
    for (const Variant& variant : kVariants) {
      FlatIndexOptions options;
      options.metric = Metric::kCosine;
      options.quantizer = DefaultQuantizerConfig(d, bits);
      options.quantizer.kind = variant.kind;
      options.quantizer.estimator = variant.estimator;
      auto index = FlatIndex::Create(options);
      if (!index.ok() || !(*index)->Add(ids, base).ok()) {
        std::printf("| %d | %s | failed |\n", bits, variant.name);
        continue;
      }
      SearchParameters params;
      params.k = kMaxK;
      auto results = (*index)->SearchBatch(queries, params);
      if (!results.ok()) continue;
      double at1[std::size(kRecallKs)] = {};
      double at10 = 0;
      for (size_t q = 0; q < nq; ++q) {
        const std::vector<SearchHit>& hits = (*results)[q];
        for (size_t r = 0; r < std::size(kRecallKs); ++r) {
          for (int i = 0; i < kRecallKs[r] && i < int(hits.size()); ++i) {
            if (hits[i].id == truth[q][0]) at1[r] += 1;
          }
        }
        std::set<uint64_t> top10(truth[q].begin(), truth[q].end());
        for (int i = 0; i < 10 && i < int(hits.size()); ++i) at10 += top10.count(hits[i].id);
      }
      std::printf("| %d | %s | %zu+%zu |", bits, variant.name, (*index)->quantizer().code_bytes(),
                  sizeof(VectorFactors));
      for (double v : at1) std::printf(" %.3f |", v / nq);
      std::printf(" %.3f |\n", at10 / (nq * 10));
      std::fflush(stdout);
    }
  }

  // Encoding throughput against reading the same floats (memcpy), one thread and all threads.
  std::printf(
      "\n| threads | variant | bits | encode vectors/s | memcpy vectors/s | memcpy/encode |\n"
      "|---|---|---|---|---|---|\n");
  std::vector<float> copy(base.size());
  const int max_threads = omp_get_max_threads();
  for (int threads : {1, max_threads}) {
    omp_set_num_threads(threads);
    auto start = std::chrono::steady_clock::now();
    int reps = 0;
    do {
#pragma omp parallel for schedule(static)
      for (size_t i = 0; i < n; ++i) std::memcpy(&copy[i * d], &base[i * d], d * sizeof(float));
      ++reps;
    } while (SecondsSince(start) < 0.5);
    const double memcpy_rate = reps * n / SecondsSince(start);
    for (int bits : {2, 4}) {
      for (const Variant& variant : {kVariants[1], kVariants[3]}) {
        QuantizerConfig config = DefaultQuantizerConfig(d, bits);
        config.kind = variant.kind;
        config.estimator = variant.estimator;
        auto quantizer = Quantizer::Create(config);
        std::vector<uint8_t> codes(n * (*quantizer)->code_bytes());
        std::vector<VectorFactors> factors(n);
        start = std::chrono::steady_clock::now();
        (*quantizer)->EncodeBatch(base.data(), n, codes.data(), factors.data());
        const double rate = n / SecondsSince(start);
        std::printf("| %d | %s | %d | %.0f | %.0f | %.1f |\n", threads, variant.name, bits, rate,
                    memcpy_rate, memcpy_rate / rate);
      }
    }
  }
  omp_set_num_threads(max_threads);
}

}  // namespace
}  // namespace tqdb

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string dir = absl::GetFlag(FLAGS_datasets_dir);
  if (dir.empty()) dir = tqdb::DatasetsDir();
  std::printf("# tqdb estimator recall (datasets: %s)\n", dir.c_str());
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".fvecs") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) std::printf("no .fvecs files in %s\n", dir.c_str());
  bool has_openai = false;
  for (const std::string& f : files) has_openai |= f.find("openai") != std::string::npos;
  if (!has_openai) std::printf("(no OpenAI embedding set in %s yet; GloVe only)\n", dir.c_str());
  for (const std::string& f : files) tqdb::RunDataset(f);
  return 0;
}
