// Scan speed: tqdb's default fast-scan index against FAISS's fast-scan indexes as its users run
// them (PQ fast scan, RaBitQ fast scan) and FAISS's other quantized flat indexes (RaBitQ, PQ x8,
// TurboQuant SQtqmse / SQtq), on the same data, in the same run. Per dataset and bit width:
// bytes per vector, build time, recall@10@10, and queries/s for single queries and for batches of
// 32 on one thread, and for batches on all threads, with the ratio tqdb / each row.
//
//   ./build/bench/fast_scan_bench [--bits=1,2,3,4] [--datasets=glove-100.fvecs,random:1536:100000]
//   ./build/bench/fast_scan_bench --tqdb_widths=1,1.5,2,2.5,3   (tqdb alone: fractional widths
//                                  and 16-bit factors beside the whole widths, same run)
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench_set.h"
#include "bench_util.h"
#include "faiss_methods.h"
#include "fvecs.h"
#include "ground_truth_cache.h"
#include "quant/bit_packing.h"
#include "random_vectors.h"
#include "recall_metrics.h"
#include "tqdb/quantizer.h"
#include "tqdb_method.h"

ABSL_FLAG(std::string, datasets_dir, "",
          "folder with the dataset files (default: shared datasets)");
ABSL_FLAG(std::string, datasets, "glove-100.fvecs,random:1536:100000",
          "comma-separated: files in --datasets_dir (last --queries rows are the queries), or "
          "random:D:N for N random unit vectors of dimension D (and --queries more as queries)");
ABSL_FLAG(std::string, bits, "1,2,3,4", "bits per coordinate (comma-separated)");
ABSL_FLAG(size_t, queries, 1000, "queries for recall (held-back rows, or random)");
ABSL_FLAG(size_t, qps_queries, 200, "queries timed for QPS (at most; each timing stops at 1 s)");
ABSL_FLAG(int, batch, 32, "queries per call in the batched timings");
ABSL_FLAG(bool, pq8, true, "include FAISS PQ x8 (slow to train at large d)");
ABSL_FLAG(std::string, tqdb_widths, "",
          "instead of the FAISS comparison: tqdb's default at these widths (bits in eighths, "
          "comma-separated), each with 32- and 16-bit factors, in one table");
ABSL_FLAG(std::string, skip, "",
          "comma-separated name prefixes of FAISS rows to leave out (e.g. SQtq: its scan runs at "
          "4-8 QPS at d = 100, so d = 1536 would take hours)");
ABSL_FLAG(std::string, cache_dir, "",
          "ground-truth cache (default: next to the data, or ~/.cache)");

namespace tqdb::bench {
namespace {

constexpr int kK = 10;

// A dataset by its --datasets entry: a file in the folder, or random unit vectors (cosine).
absl::StatusOr<BenchSet> LoadSpec(const std::string& spec, const std::string& dir, size_t nq) {
  std::vector<std::string> parts = absl::StrSplit(spec, ':');
  if (parts[0] != "random") return LoadBenchSet(dir + "/" + spec, nq, 0);
  int dim = 0;
  size_t n = 0;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[1], &dim) || !absl::SimpleAtoi(parts[2], &n)) {
    return absl::InvalidArgumentError(absl::StrCat("expected random:D:N, got ", spec));
  }
  BenchSet set;
  set.name = absl::StrCat("random-", dim, "-", n);
  set.dim = dim;
  set.n = n;
  set.nq = nq;
  set.base = RandomUnitVectors(n, dim, 1000 + dim);
  set.queries = RandomUnitVectors(nq, dim, 2000 + dim);
  return set;
}

// Queries/s of `method` on one thread or all, answering `per_call` queries per call, over at most
// `count` queries and about one second.
double Qps(const Method& method, const BenchSet& set, size_t count, int per_call, int threads) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  count = std::min(count, set.nq);
  std::vector<int64_t> labels(static_cast<size_t>(per_call) * kK);
  size_t done = 0;
  const Clock::time_point start = Clock::now();
  while (done < count && (done == 0 || SecondsSince(start) < 1.0)) {
    const size_t n = std::min<size_t>(per_call, count - done);
    if (!method.Search(set.queries.data() + done * set.dim, n, kK, labels.data()).ok()) break;
    done += n;
  }
  const double qps = done / SecondsSince(start);
  omp_set_num_threads(saved);
  return qps;
}

struct Measured {
  std::string name;
  double bytes = 0, build_s = 0, recall = 0;
  double single = 0, batch = 0, batch_all = 0;  // queries/s
};

// Builds and measures one method; false when it failed.
bool Measure(Method& method, const BenchSet& set, const std::vector<std::vector<int64_t>>& truth,
             Measured* out) {
  out->name = method.family() == "tqdb" ? absl::StrCat("tqdb ", method.name()) : method.name();
  out->bytes = method.bytes_per_vector();
  BuildTimes times;
  if (absl::Status s = method.Build(set.base.data(), set.n, &times); !s.ok()) {
    std::fprintf(stderr, "%s: %s\n", out->name.c_str(), s.ToString().c_str());
    return false;
  }
  out->build_s = times.train_s + times.add_s;
  std::vector<int64_t> labels(set.nq * kK);
  if (!method.Search(set.queries.data(), set.nq, kK, labels.data()).ok()) return false;
  out->recall = ComputeRecall(labels, kK, truth).at10;
  const size_t count = absl::GetFlag(FLAGS_qps_queries);
  const int batch = absl::GetFlag(FLAGS_batch);
  out->single = Qps(method, set, count, 1, 1);
  out->batch = Qps(method, set, count, batch, 1);
  out->batch_all = Qps(method, set, count, batch, omp_get_max_threads());
  return true;
}

// The rows of one bit width, tqdb's default first: FAISS PQ fast scan at tqdb's total bytes and
// at its code bytes, RaBitQ (fast scan and plain), TurboQuant, and PQ x8 at the total bytes.
std::vector<std::unique_ptr<Method>> MethodsFor(const BenchSet& set, int bits) {
  std::vector<std::unique_ptr<Method>> methods =
      MakeTqdbMethods(TqdbDefaultVariant(set.dim, bits, set.metric), set.dim, bits, set.metric, 0);
  const int code_bytes = static_cast<int>(PackedBytes(set.dim, bits));
  const int total_bytes = code_bytes + static_cast<int>(sizeof(VectorFactors));
  for (int bytes : {total_bytes, code_bytes}) {
    for (auto& m : MakeFaissMethods(set.dim, bytes, set.metric, "")) {
      if (IsPqFastScan(m->name())) methods.push_back(std::move(m));
    }
  }
  for (auto& m : MakeFaissBitMethods(set.dim, bits, set.metric)) methods.push_back(std::move(m));
  if (absl::GetFlag(FLAGS_pq8)) {
    for (auto& m : MakeFaissMethods(set.dim, total_bytes, set.metric, "")) {
      if (m->name().rfind("PQ", 0) == 0 && !IsPqFastScan(m->name()))
        methods.push_back(std::move(m));
    }
  }
  DropFaissRows(absl::GetFlag(FLAGS_skip), &methods);
  return methods;
}

// tqdb alone at each width of `widths` (whole eighths), with 32- and 16-bit factors: whether a
// fractional width scans between its whole neighbours, and what compact factors cost.
void WidthsTable(const BenchSet& set, const std::vector<std::vector<int64_t>>& truth,
                 const std::vector<double>& widths) {
  std::printf(
      "\n## %s: %zu base, %zu queries, d = %d: tqdb by width\n\n| bits | factors | method | "
      "bytes/vec | R@10@10 | QPS single | QPS batch | QPS batch, %d threads |\n"
      "|---|---|---|---|---|---|---|---|\n",
      set.name.c_str(), set.n, set.nq, set.dim, omp_get_max_threads());
  for (const double width : widths) {
    const int eighths = static_cast<int>(std::lround(width * 8));
    for (const char* factors : {"", "/f16"}) {
      const std::string variant =
          TqdbDefaultVariant(set.dim, eighths / 8, set.metric, eighths % 8) + factors;
      for (auto& method :
           MakeTqdbMethods(variant, set.dim, eighths / 8, set.metric, 0, eighths % 8)) {
        Measured m;
        if (!Measure(*method, set, truth, &m)) continue;
        std::printf("| %g | %s | %s | %g | %.3f | %.0f | %.0f | %.0f |\n", eighths / 8.0,
                    *factors != 0 ? "16-bit" : "32-bit", m.name.c_str(), m.bytes, m.recall,
                    m.single, m.batch, m.batch_all);
        std::fflush(stdout);
      }
    }
  }
}

std::string Ratio(double ours, double theirs) {
  return theirs > 0 ? absl::StrFormat("%.2f", ours / theirs) : "-";
}

int Run() {
  std::string dir = absl::GetFlag(FLAGS_datasets_dir);
  if (dir.empty()) dir = DatasetsDir();
  const std::vector<int> bit_widths = ParseIntList(absl::GetFlag(FLAGS_bits));
  const int batch = absl::GetFlag(FLAGS_batch);
  std::printf(
      "# fast_scan_bench\n\n%s\n\nk = %d, cosine (inner product of unit vectors). QPS: "
      "single queries and batches of %d on 1 thread, batches on %d threads; ratios are "
      "tqdb's QPS over the row's. bytes/vec: everything scored per vector (codes and "
      "per-vector factors).%s\n",
      BaselineHeader().c_str(), kK, batch, omp_get_max_threads(),
      absl::GetFlag(FLAGS_skip).empty()
          ? ""
          : absl::StrCat(" Rows left out (--skip): ", absl::GetFlag(FLAGS_skip), ".").c_str());
  std::string summary =
      "| d | bits | tqdb B/vec | tqdb R@10@10 | tqdb QPS single / batch | PQfs (B/vec) | "
      "PQfs R@10@10 | PQfs QPS single / batch | RaBitQfs (B/vec) | RaBitQfs R@10@10 | "
      "RaBitQfs QPS single / batch | tqdb/PQfs single / batch | tqdb/RaBitQfs single / batch |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (absl::string_view spec :
       absl::StrSplit(absl::GetFlag(FLAGS_datasets), ',', absl::SkipEmpty())) {
    absl::StatusOr<BenchSet> set = LoadSpec(std::string(spec), dir, absl::GetFlag(FLAGS_queries));
    if (!set.ok()) {
      std::printf("\nskipping %s: %s\n", std::string(spec).c_str(),
                  set.status().ToString().c_str());
      continue;
    }
    std::string cache_dir = absl::GetFlag(FLAGS_cache_dir);
    if (cache_dir.empty()) {
      cache_dir = GroundTruthCacheDir(
          spec.rfind("random", 0) == 0 ? std::filesystem::temp_directory_path().string() : dir);
    }
    absl::StatusOr<GroundTruth> truth =
        CachedExactTopK(set->base.data(), set->n, set->queries.data(), set->nq, set->dim, kK,
                        TruthMetric::kInnerProduct, cache_dir, set->name);
    if (!truth.ok()) {
      std::printf("\nskipping %s: %s\n", set->name.c_str(), truth.status().ToString().c_str());
      continue;
    }
    if (!absl::GetFlag(FLAGS_tqdb_widths).empty()) {
      std::vector<double> widths;
      for (absl::string_view w :
           absl::StrSplit(absl::GetFlag(FLAGS_tqdb_widths), ',', absl::SkipEmpty())) {
        double width = 0;
        if (absl::SimpleAtod(w, &width) && width >= 1) widths.push_back(width);
      }
      WidthsTable(*set, truth->ids, widths);
      continue;
    }
    std::printf(
        "\n## %s: %zu base, %zu queries, d = %d\n\n| bits | method | bytes/vec | build s | "
        "R@10@10 | QPS single | QPS batch | QPS batch, %d threads | tqdb/row single | "
        "tqdb/row batch |\n|---|---|---|---|---|---|---|---|---|---|\n",
        set->name.c_str(), set->n, set->nq, set->dim, omp_get_max_threads());
    for (int bits : bit_widths) {
      std::vector<std::unique_ptr<Method>> methods = MethodsFor(*set, bits);
      Measured ours;
      const Measured* pqfs = nullptr;
      std::vector<Measured> rows;
      rows.reserve(methods.size());
      for (auto& method : methods) {
        std::fprintf(stderr, "%s b=%d %s\n", set->name.c_str(), bits, method->name().c_str());
        Measured m;
        if (!Measure(*method, *set, truth->ids, &m)) continue;
        method.reset();
        if (rows.empty()) ours = m;
        rows.push_back(m);
        std::printf("| %d | %s | %g | %.2f | %.3f | %.0f | %.0f | %.0f | %s | %s |\n", bits,
                    m.name.c_str(), m.bytes, m.build_s, m.recall, m.single, m.batch, m.batch_all,
                    Ratio(ours.single, m.single).c_str(), Ratio(ours.batch, m.batch).c_str());
        std::fflush(stdout);
      }
      if (rows.empty()) continue;
      for (const Measured& m : rows) {
        if (IsPqFastScan(m.name) && (pqfs == nullptr || m.bytes > pqfs->bytes) &&
            m.bytes <= ours.bytes) {
          pqfs = &m;
        }
      }
      const Measured* rabitq = nullptr;
      for (const Measured& m : rows) {
        if (m.name == absl::StrCat("RaBitQfs", bits)) rabitq = &m;
      }
      auto cells = [&](const Measured* m) {
        return m == nullptr ? std::string("- | - | -")
                            : absl::StrFormat("%s (%g) | %.3f | %.0f / %.0f", m->name, m->bytes,
                                              m->recall, m->single, m->batch);
      };
      auto ratios = [&](const Measured* m) {
        return m == nullptr ? std::string("-")
                            : absl::StrCat(Ratio(ours.single, m->single), " / ",
                                           Ratio(ours.batch, m->batch));
      };
      absl::StrAppendFormat(&summary, "| %d | %d | %g | %.3f | %.0f / %.0f | %s | %s | %s | %s |\n",
                            set->dim, bits, ours.bytes, ours.recall, ours.single, ours.batch,
                            cells(pqfs), cells(rabitq), ratios(pqfs), ratios(rabitq));
    }
  }
  std::printf(
      "\n## Summary, 1 thread (PQfs: the PQ fast-scan row with the most bytes up to "
      "tqdb's)\n\n%s",
      summary.c_str());
  return 0;
}

}  // namespace
}  // namespace tqdb::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tqdb::bench::Run();
}
