// bench/recall: recall@1@{1..64} and recall@10@10 of every tqdb variant, with and without
// re-rank, against FAISS PQ (8-bit), PQ fast scan (4-bit) and the scalar quantizer at the same
// bytes per vector, on every dataset in ../shared/datasets, at b = 1..4 bits per coordinate.
// Also training / indexing time, encoding throughput and single-thread QPS. Writes one Markdown
// and one CSV table per dataset (plus plots) to --out_dir, and the paper-style indexing-time
// table. With --check_margin it is the CI smoke test (see README.md next to this file).
//
//   ./build/bench/recall [--bits=1,2,3,4] [--datasets=FILE,...] [--max_base=N] [--out_dir=DIR]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
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
#include "index_time.h"
#include "quant/bit_packing.h"
#include "report.h"
#include "tqdb/collection_config.h"
#include "tqdb/quantizer.h"
#include "tqdb/simd.h"
#include "tqdb_method.h"

ABSL_FLAG(std::string, datasets_dir, "", "folder with the datasets (default: shared datasets)");
ABSL_FLAG(std::string, datasets, "", "comma-separated dataset files (default: all in the folder)");
ABSL_FLAG(size_t, queries, 1000, "queries per dataset (held-back last rows, or HDF5 'test')");
ABSL_FLAG(size_t, max_base, 0, "use at most this many base vectors (0: all)");
ABSL_FLAG(std::string, bits, "1,2,3,4", "bits per coordinate (comma-separated)");
ABSL_FLAG(std::string, budgets, "",
          "bytes per vector (comma-separated): instead of --bits, tqdb's widest code within each "
          "budget (fractional widths; 32- and 16-bit factors counted) against FAISS PQ x8 and "
          "PQ fast scan at that many bytes, and FAISS's per-bit rows (RaBitQ, ...) at b = 1..4; "
          "ends with the recall-against-bytes table");
ABSL_FLAG(std::string, cache_dir, "",
          "where ground truth is cached (default: next to the data when writable, else "
          "~/.cache/tqdb)");
ABSL_FLAG(std::string, out_dir, "recall_results", "where the tables and plots are written");
ABSL_FLAG(size_t, qps_queries, 200, "queries timed for single-thread QPS at k = 10 (0: skip)");
ABSL_FLAG(int, rerank_candidates, 100, "candidates re-ranked exactly in the re-rank rows");
ABSL_FLAG(bool, plot, true, "draw the plots with bench/recall/plot_recall.py (matplotlib)");
ABSL_FLAG(bool, index_time, true, "measure the indexing-time table");
ABSL_FLAG(std::string, index_time_dims, "",
          "extra dimensions for the indexing-time table, on random vectors (e.g. 1536,3072)");
ABSL_FLAG(size_t, index_time_vectors, 100000, "vectors indexed per indexing-time row");
ABSL_FLAG(int, index_time_pq8_max_dim, 512,
          "largest dimension at which the indexing-time table trains FAISS PQ x8 (hours above)");
ABSL_FLAG(std::string, skip, "",
          "comma-separated name prefixes of FAISS rows to leave out (e.g. SQtq: its scan runs at "
          "4-13 QPS at d = 100)");
ABSL_FLAG(double, check_margin, -1,
          "when >= 0: exit 1 if the default tqdb variant (no re-rank) has a recall@10@10 more "
          "than this below FAISS PQ fast scan with at least as many code bytes per vector");
ABSL_FLAG(std::string, check_known_loss, "",
          "BITS:GAP,...: measured recall@10@10 deficits the check tolerates on top of the margin "
          "(losses reported in bench/README.md), so that it still catches them getting worse");

namespace tqdb::bench {
namespace {

const Clock::time_point kProgramStart = Clock::now();

// Progress goes to stderr so that stdout stays the tables.
template <typename... Args>
void Progress(const Args&... args) {
  std::fprintf(stderr, "[%7.1fs] %s\n", SecondsSince(kProgramStart), absl::StrCat(args...).c_str());
}

// Single-thread queries/s at k = 10 over the first `count` queries, repeated for >= 0.5 s.
double SingleThreadQps(const Method& method, const BenchSet& set, size_t count) {
  count = std::min(count, set.nq);
  if (count == 0) return 0;
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  std::vector<int64_t> labels(count * 10);
  size_t done = 0;
  const Clock::time_point start = Clock::now();
  do {
    if (!method.Search(set.queries.data(), count, 10, labels.data()).ok()) break;
    done += count;
  } while (SecondsSince(start) < 0.5);
  const double qps = done / SecondsSince(start);
  omp_set_num_threads(threads);
  return qps;
}

// The rows of one bit width: every tqdb variant (without, then with re-rank), then FAISS at the
// tqdb code size and at the code size plus tqdb's per-vector factors.
std::vector<std::unique_ptr<Method>> MethodsFor(const BenchSet& set, int bits) {
  std::vector<std::unique_ptr<Method>> methods;
  for (const std::string& variant : TqdbVariantNames()) {
    for (auto& m : MakeTqdbMethods(variant, set.dim, bits, set.metric,
                                   absl::GetFlag(FLAGS_rerank_candidates))) {
      methods.push_back(std::move(m));
    }
  }
  const int code_bytes = static_cast<int>(PackedBytes(set.dim, bits));
  const int with_factors = code_bytes + static_cast<int>(sizeof(VectorFactors));
  for (auto& m : MakeFaissMethods(set.dim, code_bytes, set.metric, "= tqdb code")) {
    methods.push_back(std::move(m));
  }
  for (auto& m : MakeFaissMethods(set.dim, with_factors, set.metric, "= tqdb code + factors")) {
    methods.push_back(std::move(m));
  }
  for (auto& m : MakeFaissBitMethods(set.dim, bits, set.metric)) methods.push_back(std::move(m));
  DropFaissRows(absl::GetFlag(FLAGS_skip), &methods);
  return methods;
}

// The rows of one byte budget: tqdb's default at the widest width that fits (code + factors),
// with 32-bit factors and with 16-bit ones (what a collection created with bytes_per_vector
// picks), then FAISS's PQ rows at that many bytes.
std::vector<std::unique_ptr<Method>> MethodsForBudget(const BenchSet& set, int budget) {
  std::vector<std::unique_ptr<Method>> methods;
  for (const int factor_bits : {32, 16}) {
    absl::StatusOr<QuantizerConfig> widest = QuantizerForBudget(set.dim, budget, factor_bits);
    if (!widest.ok()) continue;
    const std::string variant =
        TqdbDefaultVariant(set.dim, widest->bits, set.metric, widest->eighths) +
        (factor_bits == 16 ? "/f16" : "");
    for (auto& m : MakeTqdbMethods(variant, set.dim, widest->bits, set.metric, /*rerank=*/0,
                                   widest->eighths)) {
      methods.push_back(std::move(m));
    }
  }
  for (auto& m : MakeFaissMethods(set.dim, budget, set.metric, "= budget")) {
    methods.push_back(std::move(m));
  }
  DropFaissRows(absl::GetFlag(FLAGS_skip), &methods);
  return methods;
}

// Recall against bytes: per budget, tqdb's best recall@10@10 within it (no re-rank) beside the
// best FAISS row's (any family) within it, and the difference.
std::string BytesCurveTable(const std::vector<ResultRow>& rows, const std::vector<int>& budgets) {
  std::string out =
      "### Recall@10@10 against bytes per vector (no re-rank; the best row within each budget)\n\n"
      "| budget B | tqdb row | tqdb B | tqdb R@10 | best FAISS row | FAISS B | FAISS R@10 | "
      "tqdb - FAISS |\n|---|---|---|---|---|---|---|---|\n";
  for (int budget : budgets) {
    const ResultRow* best[2] = {nullptr, nullptr};  // tqdb, FAISS
    for (const ResultRow& row : rows) {
      if (row.bytes_per_vector > budget || row.method.find("rerank") != std::string::npos) {
        continue;
      }
      const ResultRow*& slot = best[row.family == "tqdb" ? 0 : 1];
      if (slot == nullptr || row.recall.at10 > slot->recall.at10) slot = &row;
    }
    auto cells = [](const ResultRow* row) {
      return row == nullptr ? std::string("- | - | -")
                            : absl::StrFormat("%s | %g | %.3f", row->method, row->bytes_per_vector,
                                              row->recall.at10);
    };
    const std::string gap =
        best[0] != nullptr && best[1] != nullptr
            ? absl::StrFormat("%+.3f", best[0]->recall.at10 - best[1]->recall.at10)
            : std::string("-");
    absl::StrAppendFormat(&out, "| %d | %s | %s | %s |\n", budget, cells(best[0]), cells(best[1]),
                          gap);
  }
  return out;
}

// The smoke-test rule for one bit width: the default tqdb variant (no re-rank) against the FAISS
// PQ fast-scan row with the fewest code bytes that are at least tqdb's code bytes (where FAISS
// cannot go that large, 4-bit fast scan storing at most d / 2 bytes, its largest). Prints the
// comparison; false when tqdb is more than `margin + known_loss` below.
bool CheckBits(const std::vector<ResultRow>& rows, int bits, int dim, BenchMetric metric,
               double margin, double known_loss) {
  const std::string default_name = TqdbDefaultVariant(dim, bits, metric);
  const ResultRow* ours = nullptr;
  const ResultRow* theirs = nullptr;
  for (const ResultRow& row : rows) {
    if (row.bits == bits && row.family == "tqdb" && row.method == default_name) ours = &row;
  }
  if (ours == nullptr) {
    std::printf("check b=%d: no tqdb %s row (build or search failed): FAILED\n", bits,
                default_name.c_str());
    return false;  // a check that measured nothing must not pass
  }
  for (const ResultRow& row : rows) {
    if (row.bits != bits || !IsPqFastScan(row.method)) continue;
    if (theirs == nullptr) {
      theirs = &row;
      continue;
    }
    const bool row_enough = row.code_bytes >= ours->code_bytes;
    const bool theirs_enough = theirs->code_bytes >= ours->code_bytes;
    if (row_enough ? (!theirs_enough || row.code_bytes < theirs->code_bytes)
                   : (!theirs_enough && row.code_bytes > theirs->code_bytes)) {
      theirs = &row;
    }
  }
  if (theirs == nullptr) {
    std::printf("check b=%d: no FAISS PQ fast scan row to compare with: FAILED\n", bits);
    return false;
  }
  const double gap = ours->recall.at10 - theirs->recall.at10;
  const bool ok = gap >= -(margin + known_loss);
  std::printf(
      "check b=%d: tqdb %s (%g B code + %g B factors) recall@10@10 %.3f vs FAISS %s "
      "(%g B) %.3f: %+.3f; allowed: -%.3f (noise margin %.3f + known loss %.3f): %s\n",
      bits, ours->method.c_str(), ours->code_bytes, ours->bytes_per_vector - ours->code_bytes,
      ours->recall.at10, theirs->method.c_str(), theirs->code_bytes, theirs->recall.at10, gap,
      margin + known_loss, margin, known_loss, ok ? "ok" : "FAILED");
  return ok;
}

// Parses --check_known_loss ("1:0.06,2:0.01") into a per-bit-width map.
std::map<int, double> KnownLosses() {
  std::map<int, double> losses;
  for (absl::string_view item :
       absl::StrSplit(absl::GetFlag(FLAGS_check_known_loss), ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> parts = absl::StrSplit(item, ':');
    int bits = 0;
    double gap = 0;
    if (absl::SimpleAtoi(parts.first, &bits) && absl::SimpleAtod(parts.second, &gap)) {
      losses[bits] = gap;
    }
  }
  return losses;
}

void DrawPlots(const std::string& csv, const std::string& stem) {
  const char* python = std::getenv("TQDB_PYTHON");
  const std::string interpreter =
      python != nullptr
          ? python
          : (std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
  const std::string command =
      absl::StrCat(interpreter, " ", TQDB_PLOT_SCRIPT, " '", csv, "' '", stem, "'");
  if (std::system(command.c_str()) != 0) {
    std::printf("(plots not drawn: `%s` failed; needs python3-matplotlib)\n", command.c_str());
  }
}

// The file name the tables of a dataset spec get: "glove-100", or "glove-100-from100000" for the
// split "glove-100.fvecs@100000".
std::string OutputStem(const std::string& spec) {
  const size_t at = spec.rfind('@');
  const std::filesystem::path path = spec.substr(0, at);
  return at == std::string::npos ? path.stem().string()
                                 : absl::StrCat(path.stem().string(), "-from", spec.substr(at + 1));
}

// Runs every method on one dataset; false when a check failed.
bool RunDataset(const std::string& path, const std::vector<int>& bit_widths,
                const std::string& out_dir, std::vector<int>* dims_seen) {
  Progress("loading ", path);
  absl::StatusOr<BenchSet> set =
      LoadBenchSet(path, absl::GetFlag(FLAGS_queries), absl::GetFlag(FLAGS_max_base));
  const bool checking = absl::GetFlag(FLAGS_check_margin) >= 0;
  if (!set.ok()) {
    std::printf("skipping %s: %s\n", path.c_str(), set.status().ToString().c_str());
    return !checking;  // a check that measured nothing must not pass
  }
  dims_seen->push_back(set->dim);
  std::string cache_dir = absl::GetFlag(FLAGS_cache_dir);
  if (cache_dir.empty()) {
    const std::string data_dir = std::filesystem::path(path).parent_path().string();
    cache_dir = GroundTruthCacheDir(data_dir.empty() ? "." : data_dir);
  }
  Progress("ground truth for ", set->name);
  absl::StatusOr<GroundTruth> truth = CachedExactTopK(
      set->base.data(), set->n, set->queries.data(), set->nq, set->dim, kSearchK,
      set->metric == BenchMetric::kL2 ? TruthMetric::kL2 : TruthMetric::kInnerProduct, cache_dir,
      set->name);
  if (!truth.ok()) {
    std::printf("skipping %s: %s\n", path.c_str(), truth.status().ToString().c_str());
    return !checking;
  }
  Progress(truth->from_cache ? "read " : "wrote ", truth->cache_path);

  const std::string title = absl::StrCat(
      "## ", set->name, ": ", set->n, " base vectors, ", set->nq, " queries, d = ", set->dim, ", ",
      BenchMetricName(set->metric), "\n\n", BaselineHeader(), "\nSearch and indexing on ",
      omp_get_max_threads(),
      " threads, QPS on 1 thread at k = 10. bytes/vec counts codes and per-vector factors (tqdb: ",
      sizeof(VectorFactors),
      " B of norm and scale, 4 B in /f16 rows (16-bit factors)); re-rank "
      "rows also read the float vectors. ",
      (absl::GetFlag(FLAGS_budgets).empty()
           ? "FAISS PQ rows: the bytes of tqdb's code, and of its code + factors; "
           : "Budget rows (bits column = the budget in bytes): tqdb's widest code within it, "
             "FAISS PQ at that many bytes; "),
      "RaBitQ and TurboQuant rows: the bytes FAISS stores for them at b bits.",
      absl::GetFlag(FLAGS_skip).empty()
          ? ""
          : absl::StrCat(" Rows left out (--skip): ", absl::GetFlag(FLAGS_skip), "."));
  std::printf("\n%s\n\n%s", title.c_str(), MarkdownHeader().c_str());
  std::fflush(stdout);
  std::vector<ResultRow> rows;
  // Each group of rows: its bits column and its methods (per bit width, or per byte budget).
  const std::vector<int> budgets = ParseIntList(absl::GetFlag(FLAGS_budgets));
  std::vector<std::pair<int, std::vector<std::unique_ptr<Method>>>> groups;
  if (budgets.empty()) {
    for (int bits : bit_widths) groups.emplace_back(bits, MethodsFor(*set, bits));
  } else {
    for (int budget : budgets) groups.emplace_back(budget, MethodsForBudget(*set, budget));
    for (int bits : {1, 2, 3, 4}) {
      auto methods = MakeFaissBitMethods(set->dim, bits, set->metric);
      DropFaissRows(absl::GetFlag(FLAGS_skip), &methods);
      groups.emplace_back(bits, std::move(methods));
    }
  }
  for (auto& [bits, methods] : groups) {
    for (size_t i = 0; i < methods.size(); ++i) {
      Method& method = *methods[i];
      Progress(set->name, " b=", bits, " [", i + 1, "/", methods.size(), "] ", method.family(), " ",
               method.name(), ": build");
      ResultRow row;
      row.bits = bits;
      row.family = method.family();
      row.method = method.name();
      row.bytes_per_vector = method.bytes_per_vector();
      row.code_bytes = method.code_bytes();
      row.extra_memory = method.extra_memory();
      row.base_vectors = set->n;
      if (absl::Status s = method.Build(set->base.data(), set->n, &row.build); !s.ok()) {
        std::printf("| %d | %s %s | build failed: %s |\n", bits, row.family.c_str(),
                    row.method.c_str(), s.ToString().c_str());
        continue;
      }
      Progress(set->name, " b=", bits, " ", method.name(), ": search");
      std::vector<int64_t> labels(set->nq * kSearchK);
      if (absl::Status s = method.Search(set->queries.data(), set->nq, kSearchK, labels.data());
          !s.ok()) {
        std::printf("| %d | %s %s | search failed: %s |\n", bits, row.family.c_str(),
                    row.method.c_str(), s.ToString().c_str());
        continue;
      }
      row.recall = ComputeRecall(labels, kSearchK, truth->ids);
      row.qps_one_thread = SingleThreadQps(method, *set, absl::GetFlag(FLAGS_qps_queries));
      std::printf("%s", MarkdownRow(row).c_str());
      std::fflush(stdout);
      rows.push_back(std::move(row));
      methods[i].reset();  // free each index once measured
    }
  }

  std::vector<std::pair<int, std::string>> defaults;
  for (int bits : bit_widths)
    defaults.emplace_back(bits, TqdbDefaultVariant(set->dim, bits, set->metric));
  const std::string summary =
      budgets.empty() ? SummaryTable(rows, defaults) : BytesCurveTable(rows, budgets);
  std::printf("\n%s", summary.c_str());
  const std::string stem = absl::StrCat(out_dir, "/", OutputStem(path));
  if (absl::Status s = WriteTables(stem, title, rows, summary); !s.ok()) {
    std::printf("%s\n", s.ToString().c_str());
  } else {
    std::printf("\nwritten: %s.md, %s.csv\n", stem.c_str(), stem.c_str());
    if (absl::GetFlag(FLAGS_plot)) DrawPlots(stem + ".csv", stem);
  }
  bool ok = true;
  if (checking) {
    const double margin = absl::GetFlag(FLAGS_check_margin);
    const std::map<int, double> known = KnownLosses();
    for (int bits : bit_widths) {
      ok &= CheckBits(rows, bits, set->dim, set->metric, margin,
                      known.contains(bits) ? known.at(bits) : 0);
    }
  }
  return ok;
}

int Main() {
  std::string dir = absl::GetFlag(FLAGS_datasets_dir);
  if (dir.empty()) dir = DatasetsDir();
  std::vector<std::string> files;
  for (absl::string_view f :
       absl::StrSplit(absl::GetFlag(FLAGS_datasets), ',', absl::SkipEmpty())) {
    // A bare name is a file in the datasets folder.
    files.push_back(f.find('/') == absl::string_view::npos ? absl::StrCat(dir, "/", f)
                                                           : std::string(f));
  }
  if (files.empty()) {
    files = FindDatasetFiles(dir);
    // GloVe's rarer words: the base from row 100,000 on, the same queries (issue-13 split).
    const std::string glove = dir + "/glove-100.fvecs";
    if (std::find(files.begin(), files.end(), glove) != files.end()) {
      files.insert(std::find(files.begin(), files.end(), glove) + 1, glove + "@100000");
    }
  }
  const std::string out_dir = absl::GetFlag(FLAGS_out_dir);
  std::filesystem::create_directories(out_dir);
  std::printf("# tqdb recall benchmark (datasets: %s)\n", dir.c_str());
  if (files.empty()) {
    std::printf("no dataset files in %s\n", dir.c_str());
    if (absl::GetFlag(FLAGS_check_margin) >= 0) return 1;
  }
  bool has_openai = false;
  for (const std::string& f : files) has_openai |= f.find("openai") != std::string::npos;
  if (!has_openai) std::printf("(no OpenAI embedding set among the datasets yet)\n");

  const std::vector<int> bit_widths = ParseIntList(absl::GetFlag(FLAGS_bits));
  bool ok = true;
  std::vector<int> dims;
  for (const std::string& f : files) ok &= RunDataset(f, bit_widths, out_dir, &dims);

  if (absl::GetFlag(FLAGS_index_time)) {
    IndexTimeOptions options;
    options.vectors = absl::GetFlag(FLAGS_index_time_vectors);
    for (const std::string& f : files) {
      if (f.find('@') == std::string::npos) options.real_files.push_back(f);
    }
    options.pq8_max_dim = absl::GetFlag(FLAGS_index_time_pq8_max_dim);
    options.synthetic_dims = ParseIntList(absl::GetFlag(FLAGS_index_time_dims));
    options.progress = [](const std::string& line) { Progress(line); };
    const std::string table = IndexTimeTable(options);
    std::printf("\n%s", table.c_str());
    std::FILE* out = std::fopen((out_dir + "/index_time.md").c_str(), "w");
    if (out != nullptr) {
      std::fputs(table.c_str(), out);
      std::fclose(out);
    }
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace tqdb::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tqdb::bench::Main();
}
