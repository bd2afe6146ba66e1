// The in-process side of the server-overhead comparison: the same batched searches that
// `tqdb bench` sends over gRPC, issued directly on a Collection from C threads, with the same
// QPS and latency percentiles. Loads GloVe-100 (first 149,000 rows) into a fresh data directory.
//
//   ./build/bench/inprocess_search --concurrency=8 --batch=32 --duration_s=10
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "fvecs.h"
#include "tqdb/database.h"

ABSL_FLAG(std::string, datasets_dir, "", "folder with glove-100.fvecs (default: shared datasets)");
ABSL_FLAG(int, concurrency, 1, "calling threads");
ABSL_FLAG(int, batch, 32, "queries per SearchBatch call");
ABSL_FLAG(double, duration_s, 10, "seconds of load");
ABSL_FLAG(int, k, 10, "results per query");

namespace tqdb {
namespace {

using Clock = std::chrono::steady_clock;

int Run() {
  std::string dir = absl::GetFlag(FLAGS_datasets_dir);
  if (dir.empty()) dir = DatasetsDir();
  absl::StatusOr<DenseDataset> glove = ReadFvecs(dir + "/glove-100.fvecs");
  if (!glove.ok()) {
    std::fprintf(stderr, "%s\n", glove.status().ToString().c_str());
    return 1;
  }
  const size_t base = 149000, d = glove->dim;
  const std::string path = (std::filesystem::temp_directory_path() / "tqdb-inprocess").string();
  std::filesystem::remove_all(path);
  auto db = *Database::Open(path);
  auto collection = *db->CreateCollection(MakeCollectionConfig("glove", d, 4));
  for (size_t begin = 0; begin < base; begin += 10000) {
    const size_t n = std::min<size_t>(10000, base - begin);
    std::vector<uint64_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = begin + i;
    if (!collection->Upsert(ids, absl::MakeConstSpan(glove->values).subspan(begin * d, n * d))
             .ok()) {
      return 1;
    }
  }
  // Queries: the first 10,000 rows, like `tqdb bench --query_file=glove-100.fvecs`.
  const size_t nq = 10000;
  const int batch = absl::GetFlag(FLAGS_batch), threads = absl::GetFlag(FLAGS_concurrency);
  SearchOptions options;
  options.k = absl::GetFlag(FLAGS_k);
  std::mutex mu;
  std::vector<double> latencies;
  size_t queries = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(absl::GetFlag(FLAGS_duration_s));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::vector<double> mine;
      size_t next = static_cast<size_t>(t) * 7919 % nq, done = 0;
      std::vector<float> request(batch * d);
      while (Clock::now() < deadline) {
        for (int i = 0; i < batch; ++i, next = (next + 1) % nq) {
          std::copy_n(glove->row(next), d, request.begin() + i * d);
        }
        const auto sent = Clock::now();
        if (!collection->SearchBatch(request, options).ok()) std::abort();
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
        done += batch;
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      queries += done;
    });
  }
  for (std::thread& w : workers) w.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) { return latencies[std::min(latencies.size() - 1,
                                                        static_cast<size_t>(p * latencies.size()))]; };
  std::printf("| in-process | concurrency | batch | calls | queries/s | p50 ms | p95 ms | p99 ms |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  std::printf("| Collection::SearchBatch | %d | %d | %zu | %.0f | %.3f | %.3f | %.3f |\n", threads,
              batch, latencies.size(), queries / seconds, pct(0.5), pct(0.95), pct(0.99));
  db.reset();
  std::filesystem::remove_all(path);
  return 0;
}

}  // namespace
}  // namespace tqdb

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tqdb::Run();
}
