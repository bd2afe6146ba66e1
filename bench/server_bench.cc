// Search through the server against the same searches in process, and FAISS beside both, in one
// run: recall@10 and recall@100 against the exact neighbours, then QPS and p50/p99 latency of
// single queries and of batches at each client concurrency, and the VectorDBBench view (the
// highest QPS over the sweep, the p99 of serial single queries).
//
// Starts tqdb-server (--threads, --merge_searches as given) on a fresh data directory on
// 127.0.0.1 and loads the base vectors over gRPC into a collection with its defaults (cosine,
// --bits, partitioned in the background past 50,000 vectors, floats mapped for the re-rank); the
// same vectors go into a Collection of an in-process Database with the same defaults; both are
// then re-partitioned into the same number of lists (--lists), and the vectors go into
// FAISS IVF{lists},PQ{m}x4fs,RFlat with tqdb's lists and default nprobe (PQ at tqdb's bytes per
// vector). Clients are C++ threads (a gRPC channel each), so the client is not what is
// measured; every in-process call runs on --threads OpenMP threads. All on this machine's cores.
//
//   ./build/bench/server_bench --base=149000 --concurrency=1,2,4,8,16,32
#include <omp.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench_server.h"
#include "bench_set.h"
#include "bench_util.h"
#include "closed_loop.h"
#include "faiss_methods.h"
#include "fvecs.h"
#include "ground_truth_cache.h"
#include "ivf_methods.h"
#include "tqdb/database.h"
#include "tqdb/ivf_index.h"

ABSL_FLAG(std::string, dataset, "", "fvecs file; default: DatasetsDir()/glove-100.fvecs");
ABSL_FLAG(size_t, base, 149000, "base vectors (the file's first rows)");
ABSL_FLAG(size_t, queries, 1000, "queries (the file's last rows)");
ABSL_FLAG(int, bits, 4, "bits per coordinate");
ABSL_FLAG(bool, rerank, true, "re-rank 100 candidates (at least k) with the float vectors");
ABSL_FLAG(int, batch, 100, "queries per batch request");
ABSL_FLAG(std::string, concurrency, "1,2,4,8,16,32", "client threads (comma-separated)");
ABSL_FLAG(double, duration_s, 3, "seconds per point");
ABSL_FLAG(size_t, lists, 0,
          "lists both tqdb collections are re-partitioned into after the load (0: tqdb's default "
          "for the base, about sqrt(n)); each would otherwise keep the lists of whenever its "
          "background job last ran, which the load's speed decides");
ABSL_FLAG(int64_t, partition_at, -1,
          "the collections' partition_at (0: flat; -1: the default, partitioned past 50,000)");
ABSL_FLAG(int, threads, 1, "server --threads, and OpenMP threads of each in-process call");
ABSL_FLAG(bool, merge_searches, false, "server --merge_searches");
ABSL_FLAG(bool, faiss, true, "include FAISS IVF-PQ fast scan + RFlat");
ABSL_FLAG(std::string, server, TQDB_SERVER_BINARY, "tqdb-server binary");
ABSL_FLAG(std::string, curve_nprobe, "8,16,32,64,128",
          "recall-against-QPS curve: nprobe values for tqdb in process, through the server and "
          "FAISS IVF (empty: no curve)");
ABSL_FLAG(std::string, curve_hnsw_ef, "16,32,64,128,256",
          "the curve's FAISS HNSW32,Flat efSearch values (empty: no HNSW)");
ABSL_FLAG(int, curve_rounds, 3,
          "each curve point in this many rounds (--duration_s split among them), the systems in "
          "turn within a round; the median round is reported");
ABSL_FLAG(std::string, curve_csv, "",
          "write the curve's points here (bench/ivf/plot_ivf.py draws them)");

namespace tqdb::bench {
namespace {

constexpr char kCollection[] = "bench";

// Searches `count` queries (row-major) for the `k` best with `nprobe` lists probed (0: the
// collection's default), ids best first (-1 past the end).
using SearchFn = std::function<bool(int thread, const float* rows, size_t count, int k, int nprobe,
                                    std::vector<int64_t>* ids)>;

struct System {
  std::string name;
  SearchFn search;
  double recall10 = 0, recall100 = 0;
};

// Mean over the queries of |found top-k ∩ true top-k| / k.
double RecallAt(const std::vector<int64_t>& ids, const GroundTruth& truth, size_t nq, int k) {
  double sum = 0;
  for (size_t q = 0; q < nq; ++q) {
    const auto& want = truth.ids[q];
    int hits = 0;
    for (int i = 0; i < k; ++i) {
      hits += std::find(want.begin(), want.begin() + k, ids[q * k + i]) != want.begin() + k;
    }
    sum += static_cast<double>(hits) / k;
  }
  return sum / nq;
}

// Recall@k of the system's answers to every query, `nprobe` lists probed (0: the default); -1
// when a search fails.
double MeasureRecallAt(const BenchSet& set, const GroundTruth& truth, const System& system, int k,
                       int nprobe) {
  std::vector<int64_t> all(set.nq * k, -1);
  for (size_t first = 0; first < set.nq; first += 100) {
    const size_t count = std::min<size_t>(100, set.nq - first);
    std::vector<int64_t> ids;
    if (!system.search(0, &set.queries[first * set.dim], count, k, nprobe, &ids)) {
      std::fprintf(stderr, "%s: a search failed\n", system.name.c_str());
      return -1;
    }
    std::copy(ids.begin(), ids.end(), all.begin() + first * k);
  }
  return RecallAt(all, truth, set.nq, k);
}

void MeasureRecall(const BenchSet& set, const GroundTruth& truth, System* system) {
  system->recall10 = MeasureRecallAt(set, truth, *system, 10, 0);
  system->recall100 = MeasureRecallAt(set, truth, *system, 100, 0);
}

// Whether a call succeeded; the first failure of the run is printed, so an error count in a
// table comes with its cause.
bool Succeeded(const grpc::Status& status) {
  if (status.ok()) return true;
  static std::once_flag reported;
  std::call_once(reported, [&] {
    std::fprintf(stderr, "first failed call: code %d: %s\n", static_cast<int>(status.error_code()),
                 status.error_message().c_str());
  });
  return false;
}

// Row `i` of a response's hits into ids[i * k ...].
template <typename Hits>
void IdsOf(const Hits& hits, int k, size_t i, std::vector<int64_t>* ids) {
  for (int j = 0; j < hits.size() && j < k; ++j) (*ids)[i * k + j] = hits[j].id();
}

// The recall-against-QPS curve: each system over the nprobe sweep (FAISS HNSW32,Flat over its
// efSearch sweep beside them), recall@10 at k = 10, then single queries and batches of
// --batch from one client, the systems in alternating rounds at each point. Printed as a
// table, and written to --curve_csv for bench/ivf/plot_ivf.py.
void DrawCurve(const BenchSet& set, const GroundTruth& truth, int threads, size_t lists,
               std::vector<System>* systems) {
  const std::vector<int> nprobes = ParseIntList(absl::GetFlag(FLAGS_curve_nprobe));
  if (nprobes.empty() || lists == 0) return;
  std::vector<std::pair<System*, std::vector<int>>> curves;  // a system and its sweep
  std::vector<int> sweep;
  for (int nprobe : nprobes) {
    if (static_cast<size_t>(nprobe) <= lists) sweep.push_back(nprobe);
  }
  for (System& system : *systems) curves.emplace_back(&system, sweep);
  std::unique_ptr<IvfMethod> hnsw;
  System hnsw_system;
  const std::vector<int> efs = ParseIntList(absl::GetFlag(FLAGS_curve_hnsw_ef));
  if (!efs.empty()) {
    hnsw = MakeFaissHnsw(set.dim, efs);
    BuildTimes times;
    omp_set_num_threads(omp_get_num_procs());  // the graph's build on every core
    if (hnsw->Build(set.base.data(), set.n, &times).ok()) {
      hnsw_system = {hnsw->name(), [&](int, const float* rows, size_t count, int k, int ef,
                                       std::vector<int64_t>* ids) {
                       if (omp_get_max_threads() != threads) omp_set_num_threads(threads);
                       ids->assign(count * k, -1);
                       return hnsw->Search(rows, count, k, ef, ids->data()).ok();
                     }};
      curves.emplace_back(&hnsw_system, efs);
    }
    omp_set_num_threads(threads);
  }
  const int batch = absl::GetFlag(FLAGS_batch);
  std::printf(
      "\nRecall against QPS (k = 10, one client; nprobe, or efSearch for HNSW):\n\n"
      "| system | nprobe | recall@10 | single QPS (p50 / p99 ms) | batch-%d QPS |\n"
      "|---|---|---|---|---|\n",
      batch);
  std::FILE* csv = nullptr;
  if (!absl::GetFlag(FLAGS_curve_csv).empty()) {
    csv = std::fopen(absl::GetFlag(FLAGS_curve_csv).c_str(), "w");
    if (csv != nullptr) std::fprintf(csv, "method,nprobe,recall,qps_single,qps_all\n");
  }
  const double seconds = absl::GetFlag(FLAGS_duration_s);
  // Each point in rounds, every system in turn within a round, and each system's median round:
  // the machine's drift over the sweep then moves all systems alike.
  const int rounds = std::max(1, absl::GetFlag(FLAGS_curve_rounds));
  for (size_t point = 0;; ++point) {
    std::vector<size_t> at;  // the curves with a value at this point
    for (size_t r = 0; r < curves.size(); ++r) {
      if (point < curves[r].second.size()) at.push_back(r);
    }
    if (at.empty()) break;
    // runs[curve][mode][round]: single queries (mode 0) and batches, each round's figures.
    std::vector<std::array<std::vector<LoadFigures>, 2>> runs(curves.size());
    for (int round = 0; round < rounds; ++round) {
      for (size_t r : at) {
        System* system = curves[r].first;
        const int value = curves[r].second[point];
        for (int mode = 0; mode < 2; ++mode) {
          std::vector<int64_t> scratch;
          runs[r][mode].push_back(RunClosedLoop(
              1, seconds / rounds, set.queries.data(), set.nq, set.dim, mode == 0 ? 1 : batch,
              [&](int thread, const float* rows, size_t count) {
                return system->search(thread, rows, count, 10, value, &scratch);
              }));
        }
      }
    }
    for (size_t r : at) {
      System* system = curves[r].first;
      const int value = curves[r].second[point];
      const double recall = MeasureRecallAt(set, truth, *system, 10, value);
      LoadFigures median[2];
      for (int mode = 0; mode < 2; ++mode) {
        std::vector<LoadFigures>& runs_of = runs[r][mode];
        std::sort(runs_of.begin(), runs_of.end(),
                  [](const LoadFigures& a, const LoadFigures& b) { return a.qps < b.qps; });
        median[mode] = runs_of[runs_of.size() / 2];
      }
      std::printf("| %s | %d | %.3f | %.0f (%.2f / %.2f) | %.0f |\n", system->name.c_str(), value,
                  recall, median[0].qps, median[0].p50_ms, median[0].p99_ms, median[1].qps);
      std::fflush(stdout);
      if (csv != nullptr) {
        std::fprintf(csv, "\"%s\",%d,%.4f,%.1f,%.1f\n", system->name.c_str(), value, recall,
                     median[0].qps, median[1].qps);
      }
    }
  }
  if (csv != nullptr) std::fclose(csv);
}

int Run() {
  std::string path = absl::GetFlag(FLAGS_dataset);
  if (path.empty()) path = DatasetsDir() + "/glove-100.fvecs";
  absl::StatusOr<BenchSet> loaded =
      LoadBenchSet(path, absl::GetFlag(FLAGS_queries), absl::GetFlag(FLAGS_base));
  if (!loaded.ok()) {
    std::fprintf(stderr, "server_bench: %s\n", loaded.status().ToString().c_str());
    return 1;
  }
  const BenchSet& set = *loaded;
  const int d = set.dim, bits = absl::GetFlag(FLAGS_bits), threads = absl::GetFlag(FLAGS_threads);
  const bool rerank = absl::GetFlag(FLAGS_rerank);
  absl::StatusOr<GroundTruth> truth =
      CachedExactTopK(set.base.data(), set.n, set.queries.data(), set.nq, d, 100,
                      TruthMetric::kInnerProduct, GroundTruthCacheDir(""), set.name);
  if (!truth.ok()) return 1;

  const std::string dir = std::filesystem::temp_directory_path() / "tqdb-server-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  // The server, loaded over gRPC.
  ServerProcess server = StartServer(
      absl::GetFlag(FLAGS_server), dir,
      {absl::StrCat("--threads=", threads),
       absl::StrCat("--merge_searches=", absl::GetFlag(FLAGS_merge_searches) ? "true" : "false")});
  if (server.grpc_port == 0) {
    std::fprintf(stderr, "server_bench: the server did not start (see %s)\n", server.log.c_str());
    return 1;
  }
  auto admin =
      v1::Tqdb::NewStub(grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext context;
    v1::CreateCollectionRequest create;
    create.mutable_config()->set_name(kCollection);
    create.mutable_config()->set_dimension(d);
    create.mutable_config()->set_bits(bits);
    if (absl::GetFlag(FLAGS_partition_at) >= 0) {
      create.mutable_config()->set_partition_at(absl::GetFlag(FLAGS_partition_at));
    }
    v1::CreateCollectionResponse created;
    if (!admin->CreateCollection(&context, create, &created).ok()) return 1;
  }
  auto load_start = Clock::now();
  if (!LoadOverGrpc(*admin, kCollection, set.base.data(), set.n, d).ok()) return 1;
  WaitForBackgroundJobs(*admin, kCollection);
  const double server_load_s = SecondsSince(load_start);
  const int64_t partition_at = absl::GetFlag(FLAGS_partition_at);
  const bool flat =
      partition_at == 0 ||
      set.n < (partition_at > 0 ? static_cast<size_t>(partition_at) : kDefaultPartitionAt);
  const size_t lists = flat                             ? 0
                       : absl::GetFlag(FLAGS_lists) > 0 ? absl::GetFlag(FLAGS_lists)
                                                        : DefaultListCount(set.n);
  if (lists > 0) {
    grpc::ClientContext context;
    v1::RepartitionCollectionRequest repartition;
    repartition.set_collection(kCollection);
    repartition.set_lists(static_cast<uint32_t>(lists));
    v1::RepartitionCollectionResponse repartitioned;
    if (!admin->RepartitionCollection(&context, repartition, &repartitioned).ok()) return 1;
  }
  const v1::DescribeCollectionResponse described = WaitForBackgroundJobs(*admin, kCollection);
  const int nprobe = static_cast<int>(described.partitioning().nprobe());

  // The same vectors in process.
  omp_set_num_threads(threads);
  auto database = *Database::Open(dir + "/inprocess");
  CollectionConfig config = MakeCollectionConfig(kCollection, d, bits);
  config.rerank_store = RerankStore::kMapped;  // the server's default where floats are stored
  if (partition_at >= 0) config.partition_at = static_cast<uint64_t>(partition_at);
  auto collection = *database->CreateCollection(config);
  load_start = Clock::now();
  for (size_t first = 0; first < set.n; first += 10000) {
    const size_t count = std::min<size_t>(10000, set.n - first);
    std::vector<uint64_t> ids(count);
    std::iota(ids.begin(), ids.end(), first);
    if (!collection->Upsert(ids, absl::MakeConstSpan(&set.base[first * d], count * d)).ok()) {
      return 1;
    }
  }
  while (collection->Describe().background_jobs) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double inprocess_load_s = SecondsSince(load_start);
  if (lists > 0 && !collection->Repartition(lists).ok()) return 1;
  while (collection->Describe().background_jobs) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  std::vector<System> systems;
  systems.push_back({"tqdb in process", [&](int, const float* rows, size_t count, int k, int probes,
                                            std::vector<int64_t>* ids) {
                       if (omp_get_max_threads() != threads) omp_set_num_threads(threads);
                       SearchOptions options;
                       options.k = k;
                       options.rerank = rerank;
                       options.nprobe = probes;
                       auto results = collection->SearchBatch({rows, count * d}, options);
                       if (!results.ok()) return false;
                       ids->assign(count * k, -1);
                       for (size_t i = 0; i < count; ++i) {
                         for (size_t j = 0; j < (*results)[i].size(); ++j) {
                           (*ids)[i * k + j] = static_cast<int64_t>((*results)[i][j].id);
                         }
                       }
                       return true;
                     }});
  // One channel per client thread (separate connections, as separate clients have).
  std::vector<std::unique_ptr<v1::Tqdb::Stub>> stubs;
  for (int t = 0; t < 64; ++t) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.use_local_subchannel_pool", 1);
    args.SetMaxReceiveMessageSize(INT32_MAX);
    stubs.push_back(v1::Tqdb::NewStub(
        grpc::CreateCustomChannel(server.address(), grpc::InsecureChannelCredentials(), args)));
  }
  systems.push_back({"tqdb server", [&](int thread, const float* rows, size_t count, int k,
                                        int probes, std::vector<int64_t>* ids) {
                       v1::SearchOptions options;
                       options.set_k(k);
                       options.set_rerank(rerank);
                       options.set_nprobe(static_cast<uint32_t>(probes));
                       grpc::ClientContext context;
                       ids->assign(count * k, -1);
                       if (count == 1) {
                         v1::SearchRequest request;
                         request.set_collection(kCollection);
                         request.mutable_query()->Add(rows, rows + d);
                         *request.mutable_options() = options;
                         v1::SearchResponse response;
                         if (!Succeeded(stubs[thread]->Search(&context, request, &response))) {
                           return false;
                         }
                         IdsOf(response.hits(), k, 0, ids);
                         return true;
                       }
                       v1::SearchBatchRequest request;
                       request.set_collection(kCollection);
                       request.mutable_queries()->Add(rows, rows + count * d);
                       *request.mutable_options() = options;
                       v1::SearchBatchResponse response;
                       if (!Succeeded(stubs[thread]->SearchBatch(&context, request, &response))) {
                         return false;
                       }
                       for (size_t i = 0; i < count; ++i) {
                         IdsOf(response.results(i).hits(), k, i, ids);
                       }
                       return true;
                     }});
  std::unique_ptr<IvfMethod> faiss;
  if (absl::GetFlag(FLAGS_faiss) && lists > 0) {
    const double bytes = MakeTqdbIvf(d, bits, lists, rerank)->bytes_per_vector();
    for (auto& method : MakeFaissIvfs(d, bits, bytes, lists)) {
      const std::string name = method->name();
      if (name.find("PQ") != std::string::npos && name.find("RFlat") != std::string::npos) {
        faiss = std::move(method);
        break;
      }
    }
    BuildTimes times;
    if (faiss != nullptr && faiss->Build(set.base.data(), set.n, &times).ok()) {
      systems.push_back(
          {absl::StrCat("FAISS ", faiss->name()),
           [&](int, const float* rows, size_t count, int k, int probes, std::vector<int64_t>* ids) {
             if (omp_get_max_threads() != threads) omp_set_num_threads(threads);
             ids->assign(count * k, -1);
             return faiss->Search(rows, count, k, probes > 0 ? probes : nprobe, ids->data()).ok();
           }});
    }
  }
  for (System& system : systems) MeasureRecall(set, *truth, &system);

  std::printf(
      "%s\n\nserver_bench: %s, %zu base, %zu queries, d = %d, cosine, %d bits, re-rank %s; "
      "%s; server --threads=%d "
      "--merge_searches=%s, loaded in %.1f s over gRPC (in process: %.1f s); in-process calls "
      "on %d OpenMP thread(s); %d cores shared by server, clients and FAISS.\n\n",
      BaselineHeader().c_str(), set.name.c_str(), set.n, set.nq, d, bits, rerank ? "100" : "off",
      lists == 0 ? "flat (every code scored; no FAISS IVF row)"
                 : absl::StrCat(lists,
                                " lists (both tqdb collections re-partitioned into them after the "
                                "load), nprobe ",
                                nprobe, " (the collection's default; FAISS with the same)")
                       .c_str(),
      threads, absl::GetFlag(FLAGS_merge_searches) ? "true" : "false", server_load_s,
      inprocess_load_s, threads, omp_get_num_procs());
  std::printf("| system | recall@10 (k = 10) | recall@100 (k = 100) |\n|---|---|---|\n");
  for (const System& system : systems) {
    std::printf("| %s | %.3f | %.3f |\n", system.name.c_str(), system.recall10, system.recall100);
  }

  std::printf("\nk = 10; QPS, then p50 / p99 ms per request (a batch request answers %d).\n\n",
              absl::GetFlag(FLAGS_batch));
  std::printf("| requests | clients |");
  for (const System& system : systems) std::printf(" %s |", system.name.c_str());
  std::printf(" server / in process | server / FAISS |\n|---|---|");
  for (size_t s = 0; s < systems.size() + 2; ++s) std::printf("---|");
  std::printf("\n");
  // Per system: the highest QPS of single queries over the sweep, and the serial p99.
  std::vector<double> best_single(systems.size(), 0), serial_p99(systems.size(), 0);
  for (const int batch : {1, absl::GetFlag(FLAGS_batch)}) {
    for (const int clients : ParseIntList(absl::GetFlag(FLAGS_concurrency))) {
      std::vector<LoadFigures> row;
      // Systems one after another at each point, so drift in the machine's load hits all.
      for (size_t s = 0; s < systems.size(); ++s) {
        std::vector<std::vector<int64_t>> scratch(clients);
        row.push_back(RunClosedLoop(
            std::min(clients, 64), absl::GetFlag(FLAGS_duration_s), set.queries.data(), set.nq, d,
            batch, [&](int thread, const float* rows, size_t count) {
              return systems[s].search(thread, rows, count, 10, 0, &scratch[thread]);
            }));
        if (batch == 1) {
          best_single[s] = std::max(best_single[s], row.back().qps);
          if (clients == 1) serial_p99[s] = row.back().p99_ms;
        }
      }
      std::printf("| %s | %d |", batch == 1 ? "single" : absl::StrCat("batch ", batch).c_str(),
                  clients);
      for (const LoadFigures& figures : row) {
        std::printf(" %.0f (%.2f / %.2f)%s |", figures.qps, figures.p50_ms, figures.p99_ms,
                    figures.errors > 0 ? absl::StrCat(" ", figures.errors, " errors").c_str() : "");
      }
      std::printf(" %.2f | %s |\n", row[1].qps / row[0].qps,
                  row.size() > 2 ? absl::StrFormat("%.2f", row[1].qps / row[2].qps).c_str() : "-");
      std::fflush(stdout);
    }
  }
  std::printf("\nVectorDBBench view (single queries): | system | max QPS | serial p99 ms |\n");
  std::printf("|---|---|---|\n");
  for (size_t s = 0; s < systems.size(); ++s) {
    std::printf("| %s | %.0f | %.2f |\n", systems[s].name.c_str(), best_single[s], serial_p99[s]);
  }
  DrawCurve(set, *truth, threads, lists, &systems);
  server.Stop();
  collection.reset();
  database.reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace tqdb::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tqdb::bench::Run();
}
