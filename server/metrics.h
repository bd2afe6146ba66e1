// Prometheus metrics: requests by RPC and status code with latency histograms (a gRPC server
// interceptor), vectors and memory per collection, and RocksDB's stall and compaction figures
// (refreshed at each scrape), served as Prometheus text at http://<--metrics_listen>/metrics.
//
// Every label set is bounded: methods this server does not serve are counted as "unknown" (a
// client can send any path), and a dropped collection's series go at the next scrape.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "grpcpp/support/server_interceptor.h"
#include "metrics_http.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "search_merger.h"
#include "tqdb/database.h"

namespace tqdb::server {

// A database whose collections the metrics describe: a server alone's, or one shard of a
// cluster's node (`shard` its number, labelled on each series; empty for a server alone).
struct MetricsSource {
  std::string shard;
  std::shared_ptr<Database> database;  // kept open while a scrape reads it
};

class ServerMetrics {
 public:
  // A server alone: `database`'s collections and RocksDB figures.
  explicit ServerMetrics(Database* database);
  // A node of a cluster: its shards as they are at each scrape (RocksDB figures: their sums).
  explicit ServerMetrics(std::function<std::vector<MetricsSource>()> sources);
  ~ServerMetrics();

  // Serves the endpoint on `listen` (host:port; port 0 picks one) and returns the port bound.
  absl::StatusOr<int> Serve(const std::string& listen);
  // Stops the endpoint; before the database closes, so no scrape reads it afterwards.
  void Stop() { http_.Stop(); }

  // One scrape: refreshes the gauges and returns every series as Prometheus text.
  std::string Render();

  // For ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

  // Reports the search merger's counts (search_merger.h) at each scrape.
  void WatchSearchMerger(std::function<SearchMerger::Counts()> counts);

  // One finished RPC: `method` is the full name ("/tqdb.v1.Tqdb/Search").
  void ObserveRpc(const std::string& method, grpc::StatusCode code, double seconds);

  // One answered HTTP request: its route ("POST /collections/{name}/points/search", or
  // "unknown"), HTTP status and seconds.
  void ObserveHttp(const std::string& route, int status, double seconds);

  // The `method` label of a full method name: its short name ("Search") when this server serves
  // it, else "unknown".
  std::string MethodLabel(const std::string& method) const;

 private:
  struct CollectionGauges {
    prometheus::Gauge* vectors;
    prometheus::Gauge* memory;
    prometheus::Gauge* lists;
  };

  void Refresh();

  const std::function<std::vector<MetricsSource>()> sources_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Counter>& http_requests_;
  prometheus::Family<prometheus::Histogram>& http_latency_;
  prometheus::Family<prometheus::Gauge>& collection_vectors_;
  prometheus::Family<prometheus::Gauge>& collection_memory_;
  prometheus::Family<prometheus::Gauge>& collection_lists_;
  prometheus::Family<prometheus::Gauge>& rocksdb_;
  prometheus::Family<prometheus::Gauge>& merged_searches_;
  std::function<SearchMerger::Counts()> merger_counts_;  // set before serving, then read only
  absl::flat_hash_set<std::string> known_methods_;       // full names ("/tqdb.v1.Tqdb/Search")
  std::mutex scrape_mu_;                                 // one scrape refreshes at a time
  absl::flat_hash_map<std::string, CollectionGauges> collection_gauges_;  // under scrape_mu_
  MetricsHttpServer http_;
};

}  // namespace tqdb::server
