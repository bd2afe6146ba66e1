// Filtered search on real vectors (issue "filtered search"): an integer payload field uniform
// over 0..999, indexed, filtered by range to 0.1%, 1%, 10%, 50% and 99% of the rows, and a
// keyword label of 100 with Zipf frequencies filtered by one label (VectorDBBench's cases);
// recall@10 against the exact filtered ground truth and single-query QPS (one thread) beside the
// unfiltered search, flat and partitioned, with the plan each took; tqdb filtering after an
// unfiltered search (the naive baseline); and, partitioned, native FAISS IVF{lists},PQ{m}x4fs,RFlat
// at tqdb's default nprobe and HNSW32,Flat, both with an IDSelectorBitmap.
//   filter_bench [--data=glove-100.fvecs] [--rows=100000] [--queries=200] [--lists=0]
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench_util.h"
#ifdef TQDB_FILTER_BENCH_FAISS
#include "filter_faiss.h"
#endif
#include "fvecs.h"
#include "tqdb/database.h"
#include "tqdb/filter.h"
#include "tqdb/simd.h"

ABSL_FLAG(std::string, data, "",
          "fvecs files, comma-separated, read as one set (default: glove-100.fvecs in the shared "
          "datasets)");
ABSL_FLAG(size_t, rows, 100000, "rows loaded (the queries are the last --queries rows after)");
ABSL_FLAG(size_t, queries, 200, "queries");
ABSL_FLAG(int, bits, 4, "bits per coordinate");
ABSL_FLAG(int, lists, 0, "partition into this many lists after loading (0: stay flat)");
ABSL_FLAG(std::string, limits, "1000,1,10,100,500,990",
          "field bounds to filter below, in thousandths passing (1000: no filter, the baseline "
          "every ratio is taken against; give it first)");
ABSL_FLAG(std::string, rerank_store, "disk", "tqdb's re-rank store: disk, f32, f16 or int8");
ABSL_FLAG(bool, faiss, true, "with --lists: FAISS IVF-PQfs+RFlat and HNSW32,Flat beside tqdb");
ABSL_FLAG(int, ef_search, 64, "FAISS HNSW efSearch");
ABSL_FLAG(std::string, labels, "1,10,100",
          "Zipf keyword cases: filter by the label of these ranks (1: the most common, ~19%)");
ABSL_FLAG(std::string, csv, "", "also write the table here (for bench/plot_filter.py)");
ABSL_FLAG(std::string, work_dir, "", "where the data directory goes (default: $TMPDIR)");

namespace tqdb {
namespace {

using bench::Clock;
using bench::SecondsSince;

constexpr int kPasses = 2;  // per row; the last is timed

uint64_t FieldOf(uint64_t id) { return (id * 7919) % 1000; }  // uniform over 0..999

// One filter measured: its JSON (empty: none), which ids pass, and the share passing.
struct FilterCase {
  std::string name;  // the "passing" column
  std::string json;
  std::function<bool(uint64_t)> passes;
  double percent = 100;
};

// A Zipf (s = 1) label of 100 for each id, "l1" the most common (about 19%).
std::vector<int> ZipfLabels(size_t n) {
  std::vector<double> cumulative;
  double total = 0;
  for (int rank = 1; rank <= 100; ++rank) cumulative.push_back(total += 1.0 / rank);
  std::vector<int> labels(n);
  std::mt19937_64 gen(17);
  std::uniform_real_distribution<double> unit(0, total);
  for (int& label : labels) {
    label = 1 + static_cast<int>(std::lower_bound(cumulative.begin(), cumulative.end(), unit(gen)) -
                                 cumulative.begin());
  }
  return labels;
}

// Exact cosine top-10 among the rows that pass.
std::vector<uint64_t> Truth(const DenseDataset& data, size_t n, const float* query,
                            const std::function<bool(uint64_t)>& passes) {
  const size_t d = data.dim;
  std::vector<std::pair<double, uint64_t>> scored;
  for (uint64_t id = 0; id < n; ++id) {
    if (!passes(id)) continue;
    const float* v = &data.values[id * d];
    double dot = 0, norm = 0;
    for (size_t j = 0; j < d; ++j) {
      dot += double(query[j]) * v[j];
      norm += double(v[j]) * v[j];
    }
    scored.push_back({-dot / std::sqrt(std::max(norm, 1e-30)), id});
  }
  const size_t k = std::min<size_t>(10, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + k, scored.end());
  std::vector<uint64_t> top;
  for (size_t i = 0; i < k; ++i) top.push_back(scored[i].second);
  return top;
}

int Run() {
  std::string path = absl::GetFlag(FLAGS_data);
  if (path.empty()) path = DatasetsDir() + "/glove-100.fvecs";
  // Several files, comma-separated, are read one after another (all GloVe is two files).
  absl::StatusOr<DenseDataset> data;
  for (absl::string_view part : absl::StrSplit(path, ',')) {
    absl::StatusOr<DenseDataset> more = ReadFvecs(std::string(part));
    if (!more.ok()) {
      std::fprintf(stderr, "%s\n", more.status().ToString().c_str());
      return 1;
    }
    if (!data.ok()) {
      data = *std::move(more);
    } else if (more->dim == data->dim) {
      data->values.insert(data->values.end(), more->values.begin(), more->values.end());
      data->count += more->count;
    } else {
      std::fprintf(stderr, "%s has another dimension\n", std::string(part).c_str());
      return 1;
    }
  }
  const size_t d = data->dim, nq = absl::GetFlag(FLAGS_queries);
  const size_t n = std::min(absl::GetFlag(FLAGS_rows), data->count - nq);
  omp_set_num_threads(1);
  std::string root = absl::GetFlag(FLAGS_work_dir);
  if (root.empty()) root = std::filesystem::temp_directory_path().string();
  const std::string dir = root + "/tqdb-filter-bench";
  std::filesystem::remove_all(dir);
  auto db = *Database::Open(dir);
  CollectionConfig config =
      MakeCollectionConfig("c", static_cast<int>(d), absl::GetFlag(FLAGS_bits));
  config.durability = Durability::kGroupCommit;
  config.partition_at = 0;  // partitioned only when --lists says
  const std::string store_name = absl::GetFlag(FLAGS_rerank_store);
  if (store_name == "f32") config.rerank_store = RerankStore::kFloat32;
  if (store_name == "f16") config.rerank_store = RerankStore::kFloat16;
  if (store_name == "int8") config.rerank_store = RerankStore::kInt8;
  const std::string tqdb_name = absl::StrCat("tqdb (re-rank from ", store_name, ")");
  auto collection = *db->CreateCollection(config);
  std::vector<uint64_t> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  const std::vector<int> labels = ZipfLabels(n);
  for (size_t first = 0; first < n; first += 10000) {
    const size_t count = std::min<size_t>(10000, n - first);
    std::vector<std::string> payloads;
    for (size_t i = first; i < first + count; ++i) {
      payloads.push_back(
          absl::StrCat(R"({"field": )", FieldOf(i), R"(, "label": "l)", labels[i], R"("})"));
    }
    absl::Status status =
        collection
            ->Upsert(absl::MakeConstSpan(ids).subspan(first, count),
                     absl::MakeConstSpan(data->values).subspan(first * d, count * d), payloads)
            .status();
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", status.ToString().c_str());
      return 1;
    }
  }
  if (!collection->CreatePayloadIndex({"field", PayloadIndexType::kInteger}).ok() ||
      !collection->CreatePayloadIndex({"label", PayloadIndexType::kKeyword}).ok()) {
    return 1;
  }
  // RocksDB's flushes and compactions after the load would otherwise share the cores with the
  // first rows measured.
  if (!collection->Compact().ok()) return 1;
  if (absl::GetFlag(FLAGS_lists) > 0 && !collection->Repartition(absl::GetFlag(FLAGS_lists)).ok()) {
    return 1;
  }
  std::printf(
      "%zu rows of %s (d = %zu), %zu queries, %d bits, %s, re-rank 100, one thread, "
      "tqdb SIMD %s\n\n",
      n, path.c_str(), d, nq, absl::GetFlag(FLAGS_bits),
      absl::GetFlag(FLAGS_lists) > 0 ? absl::StrCat(absl::GetFlag(FLAGS_lists), " lists").c_str()
                                     : "flat",
      ActiveSimdLevelName());
#ifdef TQDB_FILTER_BENCH_FAISS
  std::vector<std::unique_ptr<bench::FilteredFaissIndex>> faiss_indexes;
  if (absl::GetFlag(FLAGS_faiss) && absl::GetFlag(FLAGS_lists) > 0) {
    faiss_indexes = bench::MakeFilteredFaissIndexes(
        data->values.data(), n, static_cast<int>(d), absl::GetFlag(FLAGS_lists),
        collection->Describe().nprobe, static_cast<int>(d) * absl::GetFlag(FLAGS_bits) / 8,
        absl::GetFlag(FLAGS_ef_search));
  }
#endif
  std::printf(
      "\n| method | passing | plan | lists probed | recall@10 | QPS | QPS / its unfiltered | "
      "filter ms (Count) |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  std::map<std::string, double> unfiltered_qps;
  FILE* csv = nullptr;
  if (!absl::GetFlag(FLAGS_csv).empty()) {
    csv = std::fopen(absl::GetFlag(FLAGS_csv).c_str(), "w");
    if (csv == nullptr) {
      std::fprintf(stderr, "cannot write %s\n", absl::GetFlag(FLAGS_csv).c_str());
      return 1;
    }
    std::fprintf(csv, "method,passing_percent,plan,recall_at_10,qps\n");
  }
  auto row = [&](const std::string& method, const FilterCase& c, const char* plan_name, int nprobe,
                 double recall, double qps, double filter_ms) {
    const bool unfiltered = c.json.empty();
    if (unfiltered) unfiltered_qps[method] = qps;
    if (csv != nullptr) {
      std::fprintf(csv, "\"%s\",%g,%s,%.4f,%.1f\n", method.c_str(), c.percent, plan_name, recall,
                   qps);
    }
    const double base = unfiltered_qps.count(method) ? unfiltered_qps[method] : 0;
    // Negative nprobe and filter_ms: not applicable to the method.
    std::printf("| %s | %s | %s | %s | %.4f | %.0f | %s | %s |\n", method.c_str(), c.name.c_str(),
                plan_name, nprobe < 0 ? "-" : absl::StrCat(nprobe).c_str(), recall, qps,
                base > 0 ? absl::StrFormat("%.2f", qps / base).c_str() : "-",
                unfiltered || filter_ms < 0 ? "-" : absl::StrFormat("%.3f", filter_ms).c_str());
  };
  std::vector<FilterCase> cases;
  for (int limit : bench::ParseIntList(absl::GetFlag(FLAGS_limits))) {
    FilterCase c;
    c.percent = limit / 10.0;
    c.passes = [limit](uint64_t id) { return static_cast<int>(FieldOf(id)) < limit; };
    if (limit >= 1000) {
      c.name = "100% (no filter)";
    } else {
      c.name = absl::StrCat(c.percent, "%");
      c.json = absl::StrCat(R"({"must": [{"key": "field", "range": {"lt": )", limit, "}}]}");
    }
    cases.push_back(std::move(c));
  }
  for (int rank : bench::ParseIntList(absl::GetFlag(FLAGS_labels))) {
    FilterCase c;
    c.passes = [&labels, rank](uint64_t id) { return labels[id] == rank; };
    c.percent = 100.0 * std::count(labels.begin(), labels.end(), rank) / n;
    c.name = absl::StrFormat("label l%d (%.2f%%)", rank, c.percent);
    c.json = absl::StrCat(R"({"must": [{"key": "label", "match": {"value": "l)", rank, R"("}}]})");
    cases.push_back(std::move(c));
  }
  for (const FilterCase& c : cases) {
    const bool filtered = !c.json.empty();
    const Filter filter = filtered ? *Filter::Parse(c.json) : Filter();
    std::vector<std::vector<uint64_t>> truths;
    for (size_t q = 0; q < nq; ++q) {
      truths.push_back(Truth(*data, n, &data->values[(n + q) * d], c.passes));
    }
    auto recall_of = [&](size_t q, auto&& ids) {
      double found = 0;
      for (auto id : ids) {
        found += std::count(truths[q].begin(), truths[q].end(), static_cast<uint64_t>(id));
      }
      return found;
    };
    // tqdb, filtered inside the search.
    SearchOptions options;
    options.k = 10;
    options.rerank = true;
    if (filtered) options.filter = &filter;
    SearchPlan plan;
    options.plan = &plan;
    // Every row runs its queries twice and times the second pass: the first warms RocksDB's
    // block cache with the floats its re-rank reads (a load that lasts sees them cached).
    double found = 0, qps = 0;
    auto start = Clock::now();
    for (int pass = 0; pass < kPasses; ++pass) {
      found = 0;
      start = Clock::now();
      for (size_t q = 0; q < nq; ++q) {
        auto records =
            collection->Search(absl::MakeConstSpan(&data->values[(n + q) * d], d), options);
        if (!records.ok()) {
          std::fprintf(stderr, "%s\n", records.status().ToString().c_str());
          return 1;
        }
        std::vector<uint64_t> ids;
        for (const Record& r : *records) ids.push_back(r.id);
        found += recall_of(q, ids);
      }
      qps = nq / SecondsSince(start);
    }
    // The filter's own cost: the passing set, as Count computes it (the search does the same
    // first step, under the same lock). Without its text the filter is not cached, so this is
    // the cost of a filter seen for the first time since the last write; the searches above
    // reuse one filter, as VectorDBBench does, and find it cached after their first query.
    Filter uncached = filter;
    uncached.text.clear();
    const auto count_start = Clock::now();
    constexpr int kCounts = 50;
    for (int i = 0; i < kCounts; ++i) {
      if (!collection->Count(uncached).ok()) return 1;
    }
    const double filter_ms = 1e3 * SecondsSince(count_start) / kCounts;
    row(tqdb_name, c, filtered ? plan.name : "-", plan.nprobe, found / (10.0 * nq), qps, filter_ms);
    if (filtered) {
      // The naive baseline: an unfiltered search, then the points that fail dropped.
      SearchOptions unfiltered = options;
      unfiltered.filter = nullptr;
      for (int pass = 0; pass < kPasses; ++pass) {
        found = 0;
        start = Clock::now();
        for (size_t q = 0; q < nq; ++q) {
          auto records =
              *collection->Search(absl::MakeConstSpan(&data->values[(n + q) * d], d), unfiltered);
          std::vector<uint64_t> ids;
          for (const Record& r : records) {
            if (c.passes(r.id)) ids.push_back(r.id);
          }
          found += recall_of(q, ids);
        }
        qps = nq / SecondsSince(start);
      }
      row("tqdb, filter after search", c, "-", -1, found / (10.0 * nq), qps, -1);
    } else {
      unfiltered_qps["tqdb, filter after search"] = qps;
    }
#ifdef TQDB_FILTER_BENCH_FAISS
    std::vector<uint8_t> bitmap(n / 8 + 1, 0);
    for (uint64_t id = 0; id < n; ++id) {
      if (c.passes(id)) bitmap[id / 8] |= uint8_t(1) << (id % 8);
    }
    for (const auto& index : faiss_indexes) {
      bool refused = false;
      for (int pass = 0; pass < kPasses && !refused; ++pass) {
        found = 0;
        start = Clock::now();
        for (size_t q = 0; q < nq && !refused; ++q) {
          const std::vector<int64_t> ids =
              index->Search(&data->values[(n + q) * d], 10, filtered ? &bitmap : nullptr);
          refused = ids.empty();
          found += recall_of(q, ids);
        }
        qps = nq / SecondsSince(start);
      }
      if (refused) {
        std::printf("| %s | %s | FAISS refused the selector | | | | | |\n", index->name().c_str(),
                    c.name.c_str());
        continue;
      }
      row(index->name(), c, filtered ? "IDSelectorBitmap" : "-", -1, found / (10.0 * nq), qps, -1);
    }
#endif
  }
  if (csv != nullptr) std::fclose(csv);
  collection.reset();
  db.reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace tqdb

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tqdb::Run();
}
