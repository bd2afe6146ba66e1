// Recall of a load in the file's own order against the same vectors shuffled (issue 29): real
// files are sorted (GloVe by word frequency), and a center or lists taken from the first vectors
// describe only them.
//
// For each size m, the first m rows of --data are loaded into two fresh collections, one in file
// order and one shuffled (fixed seed), through the engine's Database in process (collection
// defaults: cosine, auto center, partitioned past --partition_at, background jobs on; the load
// waits for them). The last --queries rows are the queries; recall@10@10 against the exact top 10
// of the m rows, without re-rank (it would hide the codes' quality). Prints one row per size and
// bit width, and the largest gap.
//
//   build/bench/center_drift_bench --sizes=1000,10000,50000,149000 --bits=2,4
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "bench_util.h"
#include "fvecs.h"
#include "recall/ground_truth_cache.h"
#include "tqdb/database.h"
#include "tqdb/simd.h"

ABSL_FLAG(std::string, data, "", "fvecs file (default: glove-100.fvecs in the shared datasets)");
ABSL_FLAG(size_t, queries, 1000, "last rows of --data used as queries");
ABSL_FLAG(std::string, sizes, "1000,2000,5000,10000,20000,50000,100000,149000",
          "collection sizes (first rows of the file)");
ABSL_FLAG(std::string, bits, "2,4", "bits per coordinate");
ABSL_FLAG(int64_t, partition_at, -1, "collections' partition_at; -1: the default (50,000)");
ABSL_FLAG(bool, settle, true,
          "wait for the background jobs after each batch of 5,000 (a load paced to the server), "
          "so both orders meet the same checks at the same sizes; false: load as fast as it goes");
ABSL_FLAG(bool, follow_drift, true,
          "DatabaseOptions::follow_drift: false measures the center taken once and lists "
          "re-trained only at quadrupling (before the data was followed)");
ABSL_FLAG(bool, recenter_at_end, false,
          "flat collections: re-center on the exact mean after the load (what a center can do "
          "at best), to tell the center's lag from other differences");
ABSL_FLAG(bool, verbose, false, "print the collection's drift, lists and jobs as it loads");
ABSL_FLAG(std::string, work_dir, "", "where the data directories go (default: $TMPDIR)");

namespace tqdb {
namespace {

using bench::Clock;
using bench::SecondsSince;

// Waits for the collection's background jobs (partitioning, re-centering) to finish.
void Settle(Collection* collection) {
  for (int i = 0; i < 6000; ++i) {
    const CollectionInfo info = collection->Describe();
    // Not the two job flags: both read false for a moment between two jobs.
    if (!info.background_jobs) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Loads rows `order` of `data` (ids = row numbers) and returns recall@10@10 of the queries.
double LoadAndMeasure(Database* db, const std::string& name, const DenseDataset& data,
                      const std::vector<uint64_t>& order, int bits, size_t first_query,
                      const bench::GroundTruth& truth) {
  const int d = data.dim;
  CollectionConfig config = MakeCollectionConfig(name, d, bits);
  config.durability = Durability::kGroupCommit;
  if (absl::GetFlag(FLAGS_partition_at) >= 0) {
    config.partition_at = static_cast<size_t>(absl::GetFlag(FLAGS_partition_at));
  }
  std::shared_ptr<Collection> collection = *db->CreateCollection(config);
  std::vector<float> rows;
  for (size_t first = 0; first < order.size(); first += 5000) {
    const size_t count = std::min<size_t>(5000, order.size() - first);
    const auto ids = absl::MakeConstSpan(order).subspan(first, count);
    rows.clear();
    for (uint64_t id : ids) rows.insert(rows.end(), data.row(id), data.row(id) + d);
    if (absl::GetFlag(FLAGS_verbose) && first % 20000 == 0) {
      const CollectionInfo info = collection->Describe();
      std::printf("  %s %zu: partitioning %llu, %zu lists, drift %.4f%s%s\n", name.c_str(),
                  info.count, static_cast<unsigned long long>(info.partitioning),
                  info.list_sizes.size(), info.drift, info.recentering ? ", re-centering" : "",
                  info.repartitioning ? ", partitioning" : "");
    }
    if (auto written = collection->Upsert(ids, rows); !written.ok()) {
      std::fprintf(stderr, "%s\n", written.status().ToString().c_str());
      std::exit(1);
    }
    if (absl::GetFlag(FLAGS_settle)) Settle(collection.get());
  }
  // The background jobs a load starts (partitioning, re-centering) finish before measuring.
  Settle(collection.get());
  if (absl::GetFlag(FLAGS_recenter_at_end) && collection->Describe().partitioning == 0) {
    (void)collection->Recenter(/*dry_run=*/false);
  }
  size_t found = 0;
  SearchOptions options;
  options.k = 10;
  for (size_t q = 0; q < truth.ids.size(); ++q) {
    const auto hits =
        collection->Search(absl::MakeConstSpan(data.row(first_query + q), d), options);
    for (const Record& hit : *hits) {
      found +=
          std::count(truth.ids[q].begin(), truth.ids[q].begin() + 10, static_cast<int64_t>(hit.id));
    }
  }
  (void)db->DropCollection(name);
  return static_cast<double>(found) / (10.0 * truth.ids.size());
}

int Run() {
  std::string path = absl::GetFlag(FLAGS_data);
  if (path.empty()) path = DatasetsDir() + "/glove-100.fvecs";
  absl::StatusOr<DenseDataset> data = ReadFvecs(path, 0);
  if (!data.ok()) {
    std::fprintf(stderr, "center_drift_bench: %s\n", data.status().ToString().c_str());
    return 1;
  }
  const size_t queries = absl::GetFlag(FLAGS_queries), first_query = data->count - queries;
  // Cosine neighbours: inner products of unit vectors.
  DenseDataset unit = *data;
  for (size_t i = 0; i < unit.count; ++i) {
    float* row = unit.values.data() + i * unit.dim;
    double norm = 0;
    for (int j = 0; j < unit.dim; ++j) norm += double{row[j]} * row[j];
    const float scale = norm > 0 ? static_cast<float>(1 / std::sqrt(norm)) : 0.0f;
    for (int j = 0; j < unit.dim; ++j) row[j] *= scale;
  }
  std::string dir = absl::GetFlag(FLAGS_work_dir);
  if (dir.empty()) dir = std::filesystem::temp_directory_path() / "tqdb-center-drift";
  std::filesystem::remove_all(dir);
  DatabaseOptions options;
  options.follow_drift = absl::GetFlag(FLAGS_follow_drift);
  auto db = Database::Open(dir, options);
  if (!db.ok()) return 1;
  std::printf(
      "center_drift_bench: %s, queries = its last %zu rows, recall@10@10 without "
      "re-rank, simd %s, partition_at %s, follow_drift %s\n\n",
      path.c_str(), queries, ActiveSimdLevelName(),
      absl::GetFlag(FLAGS_partition_at) < 0
          ? "default"
          : std::to_string(absl::GetFlag(FLAGS_partition_at)).c_str(),
      absl::GetFlag(FLAGS_follow_drift) ? "on" : "off");
  // A second shuffle tells how much two loads of the same vectors in equally good orders differ.
  std::printf(
      "| vectors | bits | file order | shuffled | shuffled again | file - shuffled | again - "
      "shuffled |\n|---|---|---|---|---|---|---|\n");
  double worst = 0, noise = 0;
  for (const int size : bench::ParseIntList(absl::GetFlag(FLAGS_sizes))) {
    const size_t m = std::min<size_t>(size, first_query);
    absl::StatusOr<bench::GroundTruth> truth = bench::CachedExactTopK(
        unit.values.data(), m, unit.row(first_query), queries, unit.dim, 10,
        bench::TruthMetric::kInnerProduct, bench::GroundTruthCacheDir(DatasetsDir()),
        absl::StrCat("center-drift-cosine-", m));
    if (!truth.ok()) {
      std::fprintf(stderr, "%s\n", truth.status().ToString().c_str());
      return 1;
    }
    std::vector<uint64_t> file_order(m);
    std::iota(file_order.begin(), file_order.end(), 0);
    std::vector<uint64_t> shuffled = file_order, reshuffled = file_order;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(2026));
    std::shuffle(reshuffled.begin(), reshuffled.end(), std::mt19937_64(7));
    for (const int bits : bench::ParseIntList(absl::GetFlag(FLAGS_bits))) {
      const double ordered =
          LoadAndMeasure(db->get(), "ordered", *data, file_order, bits, first_query, *truth);
      const double random =
          LoadAndMeasure(db->get(), "shuffled", *data, shuffled, bits, first_query, *truth);
      const double random_too =
          LoadAndMeasure(db->get(), "reshuffled", *data, reshuffled, bits, first_query, *truth);
      worst = std::max(worst, std::abs(ordered - random));
      noise = std::max(noise, std::abs(random_too - random));
      std::printf("| %zu | %d | %.3f | %.3f | %.3f | %+.3f | %+.3f |\n", m, bits, ordered, random,
                  random_too, ordered - random, random_too - random);
      std::fflush(stdout);
    }
  }
  std::printf("\nlargest |file - shuffled|: %.3f; largest |again - shuffled|: %.3f\n", worst,
              noise);
  db->reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace tqdb

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tqdb::Run();
}
