// Partitioned indexes: recall@10@10 against queries/s over an nprobe sweep, for tqdb's IvfIndex
// and FAISS's IVF PQ fast scan and IVF RaBitQ fast scan (native build) with the same number of
// lists and no more bytes per vector, each plain and with exact re-rank of 100 candidates; plus
// build times (training + adding) and, as the reference point, tqdb's flat scan of the same data;
// and FAISS's HNSW32,Flat over an efSearch sweep (--hnsw_ef), the graph index many users pick.
// QPS: single queries on 1 thread, and all queries in one batch on all threads.
//
//   build/bench/ivf_bench --datasets=~/.cache/tqdb/memory_bench/glove-all.fvecs --bits=4
//
// Writes a CSV per dataset and bit width (--csv_dir) for bench/ivf/plot_ivf.py.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench_set.h"
#include "bench_util.h"
#include "faiss_methods.h"
#include "fvecs.h"
#include "ground_truth_cache.h"
#include "ivf_methods.h"
#include "quant/bit_packing.h"
#include "recall_metrics.h"
#include "tqdb/flat_index.h"
#include "tqdb/ivf_index.h"

ABSL_FLAG(std::string, datasets, "glove-100.fvecs",
          "comma-separated fvecs files: names in the shared datasets folder or paths; the last "
          "--queries rows are the queries");
ABSL_FLAG(std::string, bits, "4", "bits per coordinate (comma-separated)");
ABSL_FLAG(size_t, queries, 1000, "held-back queries");
ABSL_FLAG(std::string, nprobe, "1,2,4,8,16,32,64,128", "lists probed (comma-separated)");
ABSL_FLAG(size_t, lists, 0, "lists (0: about sqrt(n), tqdb's default)");
ABSL_FLAG(size_t, qps_queries, 300, "single queries timed per point (at most, and about 1 s)");
ABSL_FLAG(bool, faiss, true, "include the FAISS rows");
ABSL_FLAG(std::string, faiss_rows, "",
          "only the FAISS IVF rows whose name contains this, e.g. PQ (empty: all; RaBitQ's "
          "encoding alone takes many minutes at 10M rows)");
ABSL_FLAG(bool, probe_by_direction, true,
          "tqdb's lists assigned and probed by direction (unit centroids), as a collection's "
          "new partitions are");
ABSL_FLAG(size_t, train_points_per_list, 0,
          "tqdb's k-means sample per list (0: the index's default, 128; FAISS takes up to 256)");
ABSL_FLAG(std::string, hnsw_ef, "16,32,64,128,256",
          "efSearch sweep of the FAISS HNSW32,Flat row (empty: no HNSW row)");
ABSL_FLAG(std::string, csv_dir, "", "write <dataset>_ivf_b<bits>.csv here (empty: none)");

namespace tqdb::bench {
namespace {

constexpr int kK = 10;

struct Point {
  int nprobe = 0;
  double recall = 0, qps_single = 0, qps_all = 0;
};

// Queries/s answering single queries on one thread (at most `count`, about a second).
template <typename SearchOne>
double SingleQps(const BenchSet& set, size_t count, SearchOne search_one) {
  omp_set_num_threads(1);
  count = std::min(count, set.nq);
  size_t done = 0;
  const Clock::time_point start = Clock::now();
  while (done < count && (done == 0 || SecondsSince(start) < 1.0)) {
    search_one(set.queries.data() + done * set.dim);
    ++done;
  }
  omp_set_num_threads(omp_get_num_procs());
  return done / SecondsSince(start);
}

// Recall of all queries in one batch on all threads, and that batch's queries/s.
template <typename SearchAll>
std::pair<double, double> BatchRecallAndQps(const BenchSet& set,
                                            const std::vector<std::vector<int64_t>>& truth,
                                            SearchAll search_all) {
  std::vector<int64_t> labels(set.nq * kK);
  const Clock::time_point start = Clock::now();
  search_all(labels.data());
  const double qps = set.nq / SecondsSince(start);
  return {ComputeRecall(labels, kK, truth).at10, qps};
}

// The highest single-thread QPS among the points at or above `recall`, 0 when none reaches it.
double QpsAtRecall(const std::vector<Point>& points, double recall) {
  double best = 0;
  for (const Point& p : points) {
    if (p.recall >= recall) best = std::max(best, p.qps_single);
  }
  return best;
}

std::string Cell(double value, const char* format) {
  return value > 0 ? absl::StrFormat(format, value) : "-";
}

int Run() {
  const std::vector<int> bit_widths = ParseIntList(absl::GetFlag(FLAGS_bits));
  const std::vector<int> nprobes = ParseIntList(absl::GetFlag(FLAGS_nprobe));
  std::printf(
      "# ivf_bench\n\n%s\n\nk = %d, cosine. Every row has the same lists; bytes/vec is codes "
      "and per-vector factors (FAISS PQ: the most 4-bit sub-quantizers within tqdb's bytes; "
      "RaBitQ: its code size). +rerank / RFlat: 100 candidates re-ranked with the float vectors "
      "(in memory). QPS 1t: single queries on 1 thread; QPS %dt: all queries in one batch.\n",
      BaselineHeader().c_str(), kK, omp_get_num_procs());
  for (absl::string_view spec :
       absl::StrSplit(absl::GetFlag(FLAGS_datasets), ',', absl::SkipEmpty())) {
    std::string path(spec);
    if (path.find('/') == std::string::npos) path = DatasetsDir() + "/" + path;
    absl::StatusOr<BenchSet> set = LoadBenchSet(path, absl::GetFlag(FLAGS_queries), 0);
    if (!set.ok()) {
      std::printf("\nskipping %s: %s\n", path.c_str(), set.status().ToString().c_str());
      continue;
    }
    absl::StatusOr<GroundTruth> truth = CachedExactTopK(
        set->base.data(), set->n, set->queries.data(), set->nq, set->dim, kK,
        TruthMetric::kInnerProduct,
        GroundTruthCacheDir(std::filesystem::path(path).parent_path().string()), set->name);
    if (!truth.ok()) {
      std::printf("\nskipping %s: %s\n", set->name.c_str(), truth.status().ToString().c_str());
      continue;
    }
    const size_t lists =
        absl::GetFlag(FLAGS_lists) > 0 ? absl::GetFlag(FLAGS_lists) : DefaultListCount(set->n);
    const size_t qps_queries = absl::GetFlag(FLAGS_qps_queries);
    for (int bits : bit_widths) {
      std::printf("\n## %s: %zu base, %zu queries, d = %d, %d bits, %zu lists\n\n",
                  set->name.c_str(), set->n, set->nq, set->dim, bits, lists);
      // The flat scan this index replaces, with and without re-rank.
      FlatIndexOptions flat_options;
      flat_options.metric = Metric::kCosine;
      flat_options.quantizer = DefaultQuantizerConfig(set->dim, bits);
      flat_options.store_vectors = true;
      std::unique_ptr<FlatIndex> flat = *FlatIndex::Create(flat_options);
      std::vector<uint64_t> ids(set->n);
      std::iota(ids.begin(), ids.end(), 0);
      (void)flat->Add(ids, set->base);
      std::printf(
          "| method | bytes/vec | train s | add s | nprobe (HNSW: efSearch) | R@10@10 | QPS 1t | "
          "QPS %dt |\n"
          "|---|---|---|---|---|---|---|---|\n",
          omp_get_num_procs());
      double flat_rerank_qps = 0;
      for (bool rerank : {false, true}) {
        IvfSearchParameters params;
        params.k = kK;
        params.rerank = rerank;
        const auto [recall, qps_all] = BatchRecallAndQps(*set, truth->ids, [&](int64_t* labels) {
          auto results = flat->SearchBatch(set->queries, params);
          for (size_t q = 0; q < set->nq; ++q) {
            for (size_t i = 0; i < (*results)[q].size(); ++i)
              labels[q * kK + i] = (*results)[q][i].id;
          }
        });
        const double qps = SingleQps(*set, std::min<size_t>(qps_queries, 100), [&](const float* q) {
          (void)flat->Search(absl::MakeConstSpan(q, set->dim), params);
        });
        if (rerank) flat_rerank_qps = qps;
        std::printf("| tqdb flat b=%d%s | %zu | 0 | - | all | %.3f | %.0f | %.0f |\n", bits,
                    rerank ? " +rerank" : "", PackedBytes(set->dim, bits) + 8, recall, qps,
                    qps_all);
      }
      flat.reset();

      std::vector<std::unique_ptr<IvfMethod>> methods;
      const size_t train_points = absl::GetFlag(FLAGS_train_points_per_list);
      const bool by_direction = absl::GetFlag(FLAGS_probe_by_direction);
      methods.push_back(MakeTqdbIvf(set->dim, bits, lists, false, train_points, by_direction));
      methods.push_back(MakeTqdbIvf(set->dim, bits, lists, true, train_points, by_direction));
      if (absl::GetFlag(FLAGS_faiss)) {
        for (auto& m : MakeFaissIvfs(set->dim, bits, methods[0]->bytes_per_vector(), lists)) {
          if (!absl::StrContains(m->name(), absl::GetFlag(FLAGS_faiss_rows))) continue;
          methods.push_back(std::move(m));
        }
        if (!absl::GetFlag(FLAGS_hnsw_ef).empty() && bits == bit_widths.front()) {
          methods.push_back(MakeFaissHnsw(set->dim, ParseIntList(absl::GetFlag(FLAGS_hnsw_ef))));
        }
      }
      std::ofstream csv;
      if (!absl::GetFlag(FLAGS_csv_dir).empty()) {
        csv.open(
            absl::StrCat(absl::GetFlag(FLAGS_csv_dir), "/", set->name, "_ivf_b", bits, ".csv"));
        csv << "method,bytes,train_s,add_s,nprobe,recall,qps_single,qps_all\n";
      }
      std::vector<std::pair<std::string, std::vector<Point>>> curves;
      for (auto& method : methods) {
        std::fprintf(stderr, "%s: %s\n", set->name.c_str(), method->name().c_str());
        BuildTimes times;
        if (absl::Status built = method->Build(set->base.data(), set->n, &times); !built.ok()) {
          std::printf("| %s | build failed: %s |\n", method->name().c_str(),
                      built.ToString().c_str());
          continue;
        }
        // BLAS worker threads spin for a moment after a build's last call; let them go idle.
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        std::vector<Point> points;
        for (int nprobe : method->Sweep(nprobes, lists)) {
          Point p;
          p.nprobe = nprobe;
          std::tie(p.recall, p.qps_all) = BatchRecallAndQps(*set, truth->ids, [&](int64_t* l) {
            (void)method->Search(set->queries.data(), set->nq, kK, nprobe, l);
          });
          std::vector<int64_t> labels(kK);
          p.qps_single = SingleQps(*set, qps_queries, [&](const float* q) {
            (void)method->Search(q, 1, kK, nprobe, labels.data());
          });
          points.push_back(p);
          std::printf("| %s | %.1f | %.2f | %.2f | %d | %.3f | %.0f | %.0f |\n",
                      method->name().c_str(), method->bytes_per_vector(), times.train_s,
                      times.add_s, nprobe, p.recall, p.qps_single, p.qps_all);
          std::fflush(stdout);
          if (csv.is_open()) {
            csv << '"' << method->name() << "\"," << method->bytes_per_vector() << ","
                << times.train_s << "," << times.add_s << "," << nprobe << "," << p.recall << ","
                << p.qps_single << "," << p.qps_all << "\n";
          }
        }
        curves.push_back({method->name(), std::move(points)});
        method.reset();  // frees its memory before the next row is built
      }
      // At equal recall: each row's best single-thread QPS reaching it, and tqdb's ratio to it.
      std::printf(
          "\nSingle-thread QPS at equal recall (the fastest nprobe reaching it; - : "
          "none does; HNSW: the fastest efSearch). tqdb flat +rerank: %.0f QPS.\n\n| method |",
          flat_rerank_qps);
      const double targets[] = {0.9, 0.95, 0.98, 0.99};
      for (double t : targets) std::printf(" R >= %.2f QPS | tqdb/row |", t);
      std::printf("\n|---|");
      for (size_t i = 0; i < std::size(targets); ++i) std::printf("---|---|");
      std::printf("\n");
      for (const auto& [name, points] : curves) {
        std::printf("| %s |", name.c_str());
        for (double t : targets) {
          // tqdb's best of its two rows (with and without re-rank) against this row.
          double ours = 0;
          for (const auto& [other, other_points] : curves) {
            if (other.rfind("tqdb", 0) == 0) ours = std::max(ours, QpsAtRecall(other_points, t));
          }
          const double theirs = QpsAtRecall(points, t);
          std::printf(
              " %s | %s |", Cell(theirs, "%.0f").c_str(),
              theirs > 0 && ours > 0 ? absl::StrFormat("%.2f", ours / theirs).c_str() : "-");
        }
        std::printf("\n");
      }
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace
}  // namespace tqdb::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tqdb::bench::Run();
}
