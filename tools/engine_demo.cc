// Engine demo on real data, the quick-start program until the gRPC server lands: indexes
// GloVe-100 from the shared datasets with the default 4-bit TurboQuant codes and searches the
// last 1,000 vectors, printing recall, latency and a few neighbour lists.
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "fvecs.h"
#include "ground_truth.h"
#include "tqdb/flat_index.h"
#include "tqdb/simd.h"

ABSL_FLAG(std::string, dataset, "", "an .fvecs file (default: glove-100.fvecs, shared datasets)");
ABSL_FLAG(int, bits, 4, "bits per coordinate");
ABSL_FLAG(size_t, queries, 1000, "the last vectors are queries");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string path = absl::GetFlag(FLAGS_dataset);
  if (path.empty()) path = tqdb::DatasetsDir() + "/glove-100.fvecs";
  auto data = tqdb::ReadFvecs(path);
  if (!data.ok()) {
    std::fprintf(stderr, "cannot load %s: %s\n", path.c_str(), data.status().ToString().c_str());
    return 1;
  }
  const int d = data->dim;
  const size_t nq = std::min(absl::GetFlag(FLAGS_queries), data->count / 2);
  const size_t n = data->count - nq;
  std::vector<float> base(data->values.begin(), data->values.begin() + n * d);
  std::vector<float> queries(data->values.begin() + n * d, data->values.end());

  tqdb::FlatIndexOptions options;
  options.metric = tqdb::Metric::kCosine;
  options.quantizer = tqdb::DefaultQuantizerConfig(d, absl::GetFlag(FLAGS_bits));
  options.store_vectors = true;
  auto index = tqdb::FlatIndex::Create(options);
  if (!index.ok()) {
    std::fprintf(stderr, "%s\n", index.status().ToString().c_str());
    return 1;
  }
  std::vector<uint64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = i;
  auto start = std::chrono::steady_clock::now();
  if (auto status = (*index)->Add(ids, base); !status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  const double add_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "indexed %zu x %d vectors from %s in %.2f s (%s, %d bits/dim, %zu code bytes/vector)\n", n, d,
      path.c_str(), add_s, tqdb::VariantName(options.quantizer).c_str(), options.quantizer.bits,
      (*index)->quantizer().code_bytes());

  // Ground truth: cosine by brute force on normalized copies.
  std::vector<float> unit_base = base, unit_queries = queries;
  tqdb::NormalizeRows(unit_base, d);
  tqdb::NormalizeRows(unit_queries, d);
  const auto truth =
      tqdb::ExactTopKByInnerProduct(unit_base.data(), n, unit_queries.data(), nq, d, 10);
  for (bool rerank : {false, true}) {
    tqdb::SearchParameters params;
    params.k = 10;
    params.rerank = rerank;
    start = std::chrono::steady_clock::now();
    auto results = (*index)->SearchBatch(queries, params);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double found = 0;
    for (size_t q = 0; q < nq; ++q) {
      std::set<uint64_t> top(truth[q].begin(), truth[q].end());
      for (const auto& hit : (*results)[q]) found += top.count(hit.id);
    }
    std::printf("%-22s recall@10@10 = %.3f, %.0f queries/s (%d threads, %s scan)\n",
                rerank ? "with exact re-rank:" : "codes only:", found / (nq * 10), nq / s,
                omp_get_max_threads(), tqdb::ActiveSimdLevelName());
    if (rerank) {
      for (size_t q = 0; q < 3; ++q) {
        std::printf("query vector %zu ->", n + q);
        for (const auto& hit : (*results)[q])
          std::printf(" %llu(%.3f)", (unsigned long long)hit.id, hit.score);
        std::printf("\n");
      }
    }
  }
  return 0;
}
