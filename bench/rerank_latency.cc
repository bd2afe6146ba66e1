// Re-rank latency: what exact re-ranking of the best `--candidates` estimates adds to a search
// in a durable collection (reopened, so every float is in a table file) with each re-rank store:
// the floats read from RocksDB through the block cache (disk), from the collection's memory
// copy (f32, f16, int8) or from its mapped file (mmap); and on an in-memory FlatIndex that keeps
// the floats in RAM. One query at a time on one thread, warm caches (every query runs once before
// the timed pass); per query, the search with and without re-rank back to back, so both see the
// same machine noise.
//
//   build/bench/rerank_latency --data=~/.cache/tqdb/memory_bench/glove-1m.fvecs --bits=4
//
// The last --queries rows of --data are the queries; the rest is indexed.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench_util.h"
#include "fvecs.h"
#include "tqdb/database.h"
#include "tqdb/flat_index.h"
#include "tqdb/simd.h"

ABSL_FLAG(std::string, data, "", "fvecs file (default: glove-100.fvecs in the shared datasets)");
ABSL_FLAG(size_t, queries, 1000, "last rows of --data used as queries");
ABSL_FLAG(int, bits, 4, "bits per coordinate");
ABSL_FLAG(int, k, 10, "neighbours returned");
ABSL_FLAG(int, candidates, 100, "estimates re-ranked exactly");
ABSL_FLAG(size_t, cache_mb, 64, "RocksDB block cache (the server's --cache_mb default)");
ABSL_FLAG(std::string, work_dir, "", "where the data directory goes (default: $TMPDIR)");

namespace tqdb {
namespace {

using bench::Clock;
using bench::SecondsSince;

struct Latencies {
  std::vector<double> plain_ms, reranked_ms;
};

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const size_t i = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[i];
}

// Times `search(query, rerank)` for every query without and with re-rank, after a warm-up pass.
template <typename SearchFn>
Latencies Time(const DenseDataset& data, size_t first_query, SearchFn search) {
  const size_t d = data.dim;
  for (size_t q = first_query; q < data.count; ++q) {
    search(&data.values[q * d], false);
    search(&data.values[q * d], true);
  }
  Latencies latencies;
  for (size_t q = first_query; q < data.count; ++q) {
    for (bool rerank : {false, true}) {
      const auto start = Clock::now();
      search(&data.values[q * d], rerank);
      (rerank ? latencies.reranked_ms : latencies.plain_ms).push_back(1e3 * SecondsSince(start));
    }
  }
  return latencies;
}

// "Adds" is taken per query (with minus without re-rank, the same query back to back), so the
// spread of query costs does not enter it.
void PrintRow(const char* where, const Latencies& l) {
  std::vector<double> added(l.plain_ms.size());
  for (size_t q = 0; q < added.size(); ++q) added[q] = l.reranked_ms[q] - l.plain_ms[q];
  std::printf("| %s | %.3f / %.3f | %.3f / %.3f | %.3f / %.3f |\n", where,
              Percentile(l.plain_ms, 0.5), Percentile(l.plain_ms, 0.99),
              Percentile(l.reranked_ms, 0.5), Percentile(l.reranked_ms, 0.99),
              Percentile(added, 0.5), Percentile(added, 0.99));
}

int Run() {
  std::string path = absl::GetFlag(FLAGS_data);
  if (path.empty()) path = DatasetsDir() + "/glove-100.fvecs";
  absl::StatusOr<DenseDataset> data = ReadFvecs(path);
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    return 1;
  }
  const size_t d = data->dim, nq = std::min(absl::GetFlag(FLAGS_queries), data->count / 2);
  const size_t n = data->count - nq;
  const int bits = absl::GetFlag(FLAGS_bits);
  SearchOptions plain;  // the collection's request
  plain.k = absl::GetFlag(FLAGS_k);
  SearchOptions reranked = plain;
  reranked.rerank = true;
  reranked.rerank_candidates = absl::GetFlag(FLAGS_candidates);
  omp_set_num_threads(1);
  std::vector<uint64_t> ids(n);
  std::iota(ids.begin(), ids.end(), 0);

  std::string root = absl::GetFlag(FLAGS_work_dir);
  if (root.empty()) root = std::filesystem::temp_directory_path().string();
  const std::string dir = root + "/tqdb-rerank-latency";
  std::filesystem::remove_all(dir);
  DatabaseOptions db_options;
  db_options.block_cache_bytes = absl::GetFlag(FLAGS_cache_mb) << 20;
  // One collection per re-rank store, same vectors; background partitioning as a server has it.
  const std::vector<RerankStore> stores = {RerankStore::kDisk, RerankStore::kFloat32,
                                           RerankStore::kFloat16, RerankStore::kInt8,
                                           RerankStore::kMapped};
  const auto load_start = Clock::now();
  {
    auto db = Database::Open(dir, db_options);
    for (RerankStore store : stores) {
      CollectionConfig config = MakeCollectionConfig(absl::StrCat("c_", RerankStoreName(store)),
                                                     static_cast<int>(d), bits);
      config.durability = Durability::kGroupCommit;
      config.rerank_store = store;
      auto collection = (*db)->CreateCollection(config);
      if (!collection.ok()) {
        std::fprintf(stderr, "%s\n", collection.status().ToString().c_str());
        return 1;
      }
      for (size_t first = 0; first < n; first += 10000) {
        const size_t count = std::min<size_t>(10000, n - first);
        absl::Status status =
            (*collection)
                ->Upsert(absl::MakeConstSpan(ids).subspan(first, count),
                         absl::MakeConstSpan(data->values).subspan(first * d, count * d))
                .status();
        if (!status.ok()) {
          std::fprintf(stderr, "%s\n", status.ToString().c_str());
          return 1;
        }
      }
    }
  }
  const double load_s = SecondsSince(load_start);
  // Reopened: the log is replayed into table files, so a disk re-rank reads every float from
  // the page cache through the block cache, and the memory stores are rebuilt from RocksDB.
  auto db = Database::Open(dir, db_options);
  std::vector<std::pair<std::string, Latencies>> rows;
  std::shared_ptr<Collection> collection;
  for (RerankStore store : stores) {
    collection = *(*db)->GetCollection(absl::StrCat("c_", RerankStoreName(store)));
    while (collection->Describe().background_jobs) {  // measure the settled collection
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const Latencies latencies = Time(*data, n, [&](const float* q, bool rerank) {
      (void)collection->Search(absl::MakeConstSpan(q, d), rerank ? reranked : plain);
    });
    const CollectionInfo info = collection->Describe();
    rows.emplace_back(
        absl::StrCat("collection, rerank_store ", RerankStoreName(store), " (",
                     absl::StrFormat("%.0f", 1.0 * info.memory.total() / n), " B/vector in memory",
                     info.rerank_file_bytes > 0 ? absl::StrFormat(", %.0f in the mapped file",
                                                                  1.0 * info.rerank_file_bytes / n)
                                                : "",
                     ")"),
        latencies);
  }
  const StorageStats storage = (*db)->Stats();

  FlatIndexOptions index_options;
  index_options.metric = collection->config().metric;
  index_options.quantizer = collection->config().quantizer;
  index_options.center = collection->Describe().center;
  index_options.store_vectors = true;
  std::unique_ptr<FlatIndex> index = *FlatIndex::Create(index_options);
  for (size_t first = 0; first < n; first += 100000) {
    const size_t count = std::min<size_t>(100000, n - first);
    (void)index->Add(absl::MakeConstSpan(ids).subspan(first, count),
                     absl::MakeConstSpan(data->values).subspan(first * d, count * d));
  }
  SearchParameters index_plain;  // the same search of the in-memory index
  index_plain.k = plain.k;
  SearchParameters index_reranked = index_plain;
  index_reranked.rerank = true;
  index_reranked.rerank_candidates = reranked.rerank_candidates;
  const Latencies in_memory = Time(*data, n, [&](const float* q, bool rerank) {
    (void)index->Search(absl::MakeConstSpan(q, d), rerank ? index_reranked : index_plain);
  });

  std::printf(
      "data: %s, %zu vectors of d = %zu (+ %zu queries), %d bits; k = %d, %d candidates; 1 "
      "thread; CPU SIMD: %s; block cache %zu MiB (%.1f MiB in use after the timed pass); load "
      "%.1f s\n\n",
      path.c_str(), n, d, nq, bits, plain.k, reranked.rerank_candidates, ActiveSimdLevelName(),
      absl::GetFlag(FLAGS_cache_mb), storage.block_cache_bytes / 1048576.0, load_s);
  std::printf(
      "| floats | search p50 / p99 ms | search + re-rank p50 / p99 ms | re-rank adds p50 / p99 "
      "ms |\n|---|---|---|---|\n");
  for (const auto& [label, latencies] : rows) PrintRow(label.c_str(), latencies);
  PrintRow("FlatIndex, store_vectors (f32 in memory, no collection)", in_memory);
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace tqdb

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tqdb::Run();
}
