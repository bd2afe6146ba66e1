// tqdb's partitioned index and FAISS IVF-PQ fast scan + RFlat on the same data and lists, both
// built first and then timed in alternating rounds in one process, so the shared machine's
// slow moments fall on both alike (ivf_bench times one row after another, minutes apart, and
// its ratios moved by up to a third between runs). Reports recall@10 of each, and per nprobe the
// median and best QPS over the rounds, single queries on one thread and a batch of all queries
// on all threads, with the ratio tqdb / FAISS.
//
//   build/bench/paired_ivf_bench --dataset=$HOME/.cache/tqdb/memory_bench/glove-all.fvecs \
//       --nprobe=16,32,64 --rounds=9
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "bench_set.h"
#include "bench_util.h"
#include "faiss_methods.h"
#include "fvecs.h"
#include "ground_truth_cache.h"
#include "ivf_methods.h"
#include "recall_metrics.h"
#include "tqdb/ivf_index.h"

ABSL_FLAG(std::string, dataset, "glove-100.fvecs",
          "fvecs file: a name in the shared datasets folder or a path; its last --queries rows "
          "are the queries");
ABSL_FLAG(size_t, queries, 1000, "held-back queries");
ABSL_FLAG(size_t, lists, 0, "lists (0: about sqrt(n), tqdb's default)");
ABSL_FLAG(std::string, nprobe, "16,32,64", "lists probed (comma-separated)");
ABSL_FLAG(int, bits, 4,
          "bits per coordinate (FAISS: the most 4-bit sub-quantizers in as many bytes)");
ABSL_FLAG(int, factor_bits, 16,
          "tqdb's per-vector factors: 16 (a collection sized by bytes per vector; the closest to "
          "FAISS's bytes) or 32 (a collection created with --bits)");
ABSL_FLAG(int, rounds, 9, "alternating timing rounds per nprobe");
ABSL_FLAG(size_t, round_queries, 500, "single queries per method per round");

namespace tqdb::bench {
namespace {

constexpr int kK = 10;

struct Timing {
  std::vector<double> single, batch;  // QPS of each round
};

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}
double Best(const std::vector<double>& values) {
  return *std::max_element(values.begin(), values.end());
}

int Run() {
  std::string path = absl::GetFlag(FLAGS_dataset);
  if (path.find('/') == std::string::npos) path = DatasetsDir() + "/" + path;
  absl::StatusOr<BenchSet> set = LoadBenchSet(path, absl::GetFlag(FLAGS_queries), 0);
  if (!set.ok()) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), set.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<GroundTruth> truth = CachedExactTopK(
      set->base.data(), set->n, set->queries.data(), set->nq, set->dim, kK,
      TruthMetric::kInnerProduct,
      GroundTruthCacheDir(std::filesystem::path(path).parent_path().string()), set->name);
  if (!truth.ok()) {
    std::fprintf(stderr, "%s\n", truth.status().ToString().c_str());
    return 1;
  }
  const size_t lists =
      absl::GetFlag(FLAGS_lists) > 0 ? absl::GetFlag(FLAGS_lists) : DefaultListCount(set->n);
  const int bits = absl::GetFlag(FLAGS_bits);
  // The two rows: tqdb as a collection holds it (re-rank, lists by direction, its factor
  // width) and FAISS's IVF-PQ fast scan with RFlat at no more bytes.
  std::vector<std::unique_ptr<IvfMethod>> methods;
  methods.push_back(MakeTqdbIvf(set->dim, bits, lists, /*rerank=*/true, 0,
                                /*probe_by_direction=*/true, absl::GetFlag(FLAGS_factor_bits)));
  for (auto& m : MakeFaissIvfs(set->dim, bits, methods[0]->bytes_per_vector(), lists)) {
    if (absl::StrContains(m->name(), "PQ") && absl::StrContains(m->name(), "RFlat")) {
      methods.push_back(std::move(m));
    }
  }
  if (methods.size() != 2) {
    std::fprintf(stderr, "this FAISS cannot build IVF-PQ fast scan\n");
    return 1;
  }
  std::printf(
      "# paired_ivf_bench\n\n%s\n\n%s: %zu base, %zu queries, d = %d, %zu lists, k = %d, "
      "cosine; %d alternating rounds of %zu single queries and one batch of %zu.\n\n",
      BaselineHeader().c_str(), set->name.c_str(), set->n, set->nq, set->dim, lists, kK,
      absl::GetFlag(FLAGS_rounds), absl::GetFlag(FLAGS_round_queries), set->nq);
  for (auto& method : methods) {
    BuildTimes times;
    if (absl::Status built = method->Build(set->base.data(), set->n, &times); !built.ok()) {
      std::fprintf(stderr, "%s: %s\n", method->name().c_str(), built.ToString().c_str());
      return 1;
    }
    std::printf("- %s: %.1f bytes/vector, train %.1f s, add %.1f s\n", method->name().c_str(),
                method->bytes_per_vector(), times.train_s, times.add_s);
  }
  std::printf(
      "\n| nprobe | tqdb R@10 | FAISS R@10 | single QPS tqdb / FAISS (median; best) | "
      "tqdb / FAISS | batch QPS tqdb / FAISS (median; best) | tqdb / FAISS |\n"
      "|---|---|---|---|---|---|---|\n");
  const int threads = omp_get_num_procs();
  const size_t round_queries = std::min(absl::GetFlag(FLAGS_round_queries), set->nq);
  std::vector<int64_t> labels(set->nq * kK);
  for (const int nprobe : ParseIntList(absl::GetFlag(FLAGS_nprobe))) {
    if (static_cast<size_t>(nprobe) > lists) continue;
    double recall[2];
    Timing timing[2];
    for (size_t m = 0; m < 2; ++m) {
      omp_set_num_threads(threads);
      (void)methods[m]->Search(set->queries.data(), set->nq, kK, nprobe, labels.data());
      recall[m] = ComputeRecall(labels, kK, truth->ids).at10;
    }
    for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
      // Each round starts where the last one ended, so the rounds cover every query.
      const size_t first = round * round_queries % set->nq;
      for (size_t m = 0; m < 2; ++m) {
        omp_set_num_threads(1);
        const Clock::time_point start = Clock::now();
        for (size_t i = 0; i < round_queries; ++i) {
          const float* query = set->queries.data() + (first + i) % set->nq * set->dim;
          (void)methods[m]->Search(query, 1, kK, nprobe, labels.data());
        }
        timing[m].single.push_back(round_queries / SecondsSince(start));
        omp_set_num_threads(threads);
        const Clock::time_point batch_start = Clock::now();
        (void)methods[m]->Search(set->queries.data(), set->nq, kK, nprobe, labels.data());
        timing[m].batch.push_back(set->nq / SecondsSince(batch_start));
      }
    }
    const auto ratio = [](const std::vector<double>& a, const std::vector<double>& b) {
      return Median(a) / Median(b);
    };
    std::printf(
        "| %d | %.3f | %.3f | %.0f / %.0f; %.0f / %.0f | %.2f | %.0f / %.0f; %.0f / %.0f | "
        "%.2f |\n",
        nprobe, recall[0], recall[1], Median(timing[0].single), Median(timing[1].single),
        Best(timing[0].single), Best(timing[1].single), ratio(timing[0].single, timing[1].single),
        Median(timing[0].batch), Median(timing[1].batch), Best(timing[0].batch),
        Best(timing[1].batch), ratio(timing[0].batch, timing[1].batch));
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace tqdb::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tqdb::bench::Run();
}
