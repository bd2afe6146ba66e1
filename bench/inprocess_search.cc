// The in-process side of the server-overhead comparison: the same batched searches that
// `tqdb bench` sends over gRPC, issued directly on a Collection from C threads, with the same
// QPS and latency percentiles. Loads GloVe-100 (first 149,000 rows) into a fresh data directory.
// The same load then runs on FAISS's fast-scan indexes at the same bits (PQ fast scan at tqdb's
// total bytes, RaBitQ fast scan), built in memory on the same vectors, as the baseline.
//
//   ./build/bench/inprocess_search --concurrency=8 --batch=32 --duration_s=10 --bits=4
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "closed_loop.h"
#include "faiss_methods.h"
#include "fvecs.h"
#include "ground_truth.h"
#include "quant/bit_packing.h"
#include "tqdb/database.h"
#include "tqdb/quantizer.h"

ABSL_FLAG(std::string, datasets_dir, "", "folder with glove-100.fvecs (default: shared datasets)");
ABSL_FLAG(int, concurrency, 1, "calling threads");
ABSL_FLAG(int, batch, 32, "queries per SearchBatch call");
ABSL_FLAG(double, duration_s, 10, "seconds of load per row");
ABSL_FLAG(int, k, 10, "results per query");
ABSL_FLAG(int, bits, 4, "bits per coordinate of the collection (and of the FAISS rows)");
ABSL_FLAG(bool, rerank, false,
          "re-rank 100 candidates with the stored floats (the collection's floats mapped in "
          "memory, as a server's collection keeps them by default)");
ABSL_FLAG(bool, faiss, true, "also run the load on FAISS PQ fast scan and RaBitQ fast scan");

namespace tqdb {
namespace {

// Runs `search` (one batch of queries, row-major) from `concurrency` threads for the configured
// duration and prints one table row.
void RunLoad(const std::string& label, const DenseDataset& data, size_t nq,
             const std::function<bool(const float*, size_t)>& search) {
  const int batch = absl::GetFlag(FLAGS_batch), threads = absl::GetFlag(FLAGS_concurrency);
  const bench::LoadFigures figures = bench::RunClosedLoop(
      threads, absl::GetFlag(FLAGS_duration_s), data.values.data(), nq, data.dim, batch,
      [&](int, const float* rows, size_t count) { return search(rows, count); });
  if (figures.errors > 0) std::abort();
  std::printf("| %s | %d | %d | %zu | %.0f | %.3f | %.3f | %.3f |\n", label.c_str(), threads, batch,
              figures.requests, figures.qps, figures.p50_ms, figures.p95_ms, figures.p99_ms);
  std::fflush(stdout);
}

int Run() {
  std::string dir = absl::GetFlag(FLAGS_datasets_dir);
  if (dir.empty()) dir = DatasetsDir();
  absl::StatusOr<DenseDataset> glove = ReadFvecs(dir + "/glove-100.fvecs");
  if (!glove.ok()) {
    std::fprintf(stderr, "%s\n", glove.status().ToString().c_str());
    return 1;
  }
  const size_t base = 149000, d = glove->dim;
  const int bits = absl::GetFlag(FLAGS_bits);
  // tqdb's bytes per vector: the packed code, then with its per-vector factors.
  const int code_bytes = static_cast<int>(PackedBytes(d, bits));
  const int total_bytes = code_bytes + static_cast<int>(sizeof(VectorFactors));
  const std::string path = (std::filesystem::temp_directory_path() / "tqdb-inprocess").string();
  std::filesystem::remove_all(path);
  auto db = *Database::Open(path);
  CollectionConfig config = MakeCollectionConfig("glove", d, bits);
  const bool rerank = absl::GetFlag(FLAGS_rerank);
  if (rerank) config.rerank_store = RerankStore::kMapped;
  auto collection = *db->CreateCollection(config);
  for (size_t begin = 0; begin < base; begin += 10000) {
    const size_t n = std::min<size_t>(10000, base - begin);
    std::vector<uint64_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = begin + i;
    if (!collection->Upsert(ids, absl::MakeConstSpan(glove->values).subspan(begin * d, n * d))
             .ok()) {
      return 1;
    }
  }
  // Measure the settled collection: past partition_at it partitions in the background, and a
  // search during that job scans the flat index (QPS moved 2x between runs before this wait).
  while (collection->Describe().background_jobs) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::printf(
      "%s\n\nGloVe-100, %zu base, cosine, %d bits, k = %d; queries: the first 10,000 "
      "rows, like `tqdb bench --query_file=glove-100.fvecs`. Each call may use all %d "
      "OpenMP threads, on both sides.\n\n",
      bench::BaselineHeader().c_str(), base, bits, absl::GetFlag(FLAGS_k), omp_get_max_threads());
  std::printf(
      "| in-process | concurrency | batch | calls | queries/s | p50 ms | p95 ms | p99 ms |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  const size_t nq = 10000;
  SearchOptions options;
  options.k = absl::GetFlag(FLAGS_k);
  options.rerank = rerank;
  RunLoad(absl::StrCat("tqdb Collection::SearchBatch (", total_bytes, " B/vec",
                       rerank ? ", re-rank 100" : "", ")"),
          *glove, nq, [&](const float* queries, size_t n) {
            return collection->SearchBatch({queries, n * d}, options).ok();
          });
  // The collection holds its store open (and its background jobs) past the database's reset:
  // both go before the directory does.
  collection.reset();
  db.reset();
  std::filesystem::remove_all(path);
  if (!absl::GetFlag(FLAGS_faiss)) return 0;

  // FAISS on the same (normalized) vectors: inner product of unit vectors is cosine.
  std::vector<float> unit(glove->values.begin(), glove->values.begin() + base * d);
  NormalizeRows(unit, d);
  // PQ fast scan at tqdb's total bytes, or at its code bytes where FAISS cannot store that many
  // (m = 2 x bytes sub-quantizers must not exceed d: 58 B at d = 100 and 4 bits).
  std::vector<std::unique_ptr<bench::Method>> baselines;
  for (int bytes : {total_bytes, code_bytes}) {
    for (auto& m : bench::MakeFaissMethods(d, bytes, bench::BenchMetric::kCosine, "")) {
      if (bench::IsPqFastScan(m->name())) baselines.push_back(std::move(m));
    }
    if (!baselines.empty()) break;
  }
  for (auto& m : bench::MakeFaissBitMethods(d, bits, bench::BenchMetric::kCosine)) {
    if (m->name().rfind("RaBitQfs", 0) == 0) baselines.push_back(std::move(m));
  }
  std::vector<float> normalized_queries(glove->values.begin(), glove->values.begin() + nq * d);
  NormalizeRows(normalized_queries, d);
  const DenseDataset query_rows{static_cast<int>(d), nq, std::move(normalized_queries)};
  for (auto& method : baselines) {
    bench::BuildTimes times;
    if (!method->Build(unit.data(), base, &times).ok()) continue;
    const int k = options.k;
    RunLoad(absl::StrCat("FAISS ", method->name(), " (", method->bytes_per_vector(), " B/vec)"),
            query_rows, nq, [&](const float* queries, size_t n) {
              std::vector<int64_t> labels(n * k);
              return method->Search(queries, n, k, labels.data()).ok();
            });
  }
  return 0;
}

}  // namespace
}  // namespace tqdb

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tqdb::Run();
}
