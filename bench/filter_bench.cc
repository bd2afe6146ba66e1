// Filtered search on real vectors (issue "filtered search"): an integer payload field uniform
// over 0..999, indexed, filtered by range to 0.1%, 1%, 10%, 50% and 99% of the rows; recall@10
// against the exact filtered ground truth and single-query QPS (one thread) beside the unfiltered
// search, flat and partitioned, with the plan each took. FAISS's IDSelector runs are not here yet.
//   filter_bench [--data=glove-100.fvecs] [--rows=100000] [--queries=200] [--lists=0]
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "bench_util.h"
#include "fvecs.h"
#include "tqdb/database.h"
#include "tqdb/filter.h"
#include "tqdb/simd.h"

ABSL_FLAG(std::string, data, "", "fvecs file (default: glove-100.fvecs in the shared datasets)");
ABSL_FLAG(size_t, rows, 100000, "rows loaded (the queries are the last --queries rows after)");
ABSL_FLAG(size_t, queries, 200, "queries");
ABSL_FLAG(int, bits, 4, "bits per coordinate");
ABSL_FLAG(int, lists, 0, "partition into this many lists after loading (0: stay flat)");
ABSL_FLAG(std::string, limits, "1000,1,10,100,500,990",
          "field bounds to filter below, in thousandths passing (1000: no filter, the baseline "
          "every ratio is taken against; give it first)");
ABSL_FLAG(std::string, work_dir, "", "where the data directory goes (default: $TMPDIR)");

namespace tqdb {
namespace {

using bench::Clock;
using bench::SecondsSince;

uint64_t FieldOf(uint64_t id) { return (id * 7919) % 1000; }  // uniform over 0..999

// Exact cosine top-10 among the rows whose field is below `limit`.
std::vector<uint64_t> Truth(const DenseDataset& data, size_t n, const float* query, int limit) {
  const size_t d = data.dim;
  std::vector<std::pair<double, uint64_t>> scored;
  for (uint64_t id = 0; id < n; ++id) {
    if (static_cast<int>(FieldOf(id)) >= limit) continue;
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
  absl::StatusOr<DenseDataset> data = ReadFvecs(path);
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    return 1;
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
  auto collection = *db->CreateCollection(config);
  std::vector<uint64_t> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  for (size_t first = 0; first < n; first += 10000) {
    const size_t count = std::min<size_t>(10000, n - first);
    std::vector<std::string> payloads;
    for (size_t i = first; i < first + count; ++i) {
      payloads.push_back(absl::StrCat(R"({"field": )", FieldOf(i), "}"));
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
  if (!collection->CreatePayloadIndex({"field", PayloadIndexType::kInteger}).ok()) return 1;
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
  std::printf(
      "| passing | plan | lists probed | recall@10 | QPS | QPS / unfiltered | filter ms "
      "(Count) | filter / query time |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  double unfiltered_qps = 0;
  for (int limit : bench::ParseIntList(absl::GetFlag(FLAGS_limits))) {
    const std::string json =
        absl::StrCat(R"({"must": [{"key": "field", "range": {"lt": )", limit, "}}]}");
    const Filter filter = *Filter::Parse(json);
    SearchOptions options;
    options.k = 10;
    options.rerank = true;
    if (limit < 1000) options.filter = &filter;
    SearchPlan plan;
    options.plan = &plan;
    double found = 0;
    std::vector<std::vector<uint64_t>> truths;
    for (size_t q = 0; q < nq; ++q) {
      truths.push_back(Truth(*data, n, &data->values[(n + q) * d], limit));
    }
    const auto start = Clock::now();
    for (size_t q = 0; q < nq; ++q) {
      auto records =
          collection->Search(absl::MakeConstSpan(&data->values[(n + q) * d], d), options);
      if (!records.ok()) {
        std::fprintf(stderr, "%s\n", records.status().ToString().c_str());
        return 1;
      }
      for (const Record& r : *records) {
        found += std::count(truths[q].begin(), truths[q].end(), r.id);
      }
    }
    const double qps = nq / SecondsSince(start);
    if (limit == 1000) unfiltered_qps = qps;
    // The filter's own cost: the passing set, as Count computes it (the search does the same
    // first step, under the same lock).
    const auto count_start = Clock::now();
    constexpr int kCounts = 50;
    for (int i = 0; i < kCounts; ++i) {
      if (!collection->Count(filter).ok()) return 1;
    }
    const double filter_ms = limit == 1000 ? 0 : 1e3 * SecondsSince(count_start) / kCounts;
    std::printf("| %s | %s | %d | %.4f | %.0f | %.2f | %.3f | %.2f |\n",
                limit == 1000 ? "100% (no filter)" : absl::StrCat(limit / 10.0, "%").c_str(),
                limit == 1000 ? "-" : plan.name, plan.nprobe, found / (10.0 * nq), qps,
                qps / unfiltered_qps, filter_ms, filter_ms * qps / 1e3);
  }
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
