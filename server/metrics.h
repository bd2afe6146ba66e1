// Prometheus metrics: requests by RPC and status code with latency histograms (a gRPC server
// interceptor), vectors and memory per collection, and RocksDB's stall and compaction figures
// (refreshed at each scrape), served as Prometheus text at http://<--metrics_listen>/metrics.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "tqdb/database.h"

namespace tqdb::server {

class ServerMetrics {
 public:
  explicit ServerMetrics(Database* database);
  ~ServerMetrics();

  // Serves the endpoint on `listen` (host:port; port 0 picks one) and returns the port bound.
  absl::StatusOr<int> Serve(const std::string& listen);
  // Stops the endpoint; before the database closes, so no scrape reads it afterwards.
  void Stop() { exposer_.reset(); }

  // For ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

  // One finished RPC: `method` is the full name ("/tqdb.v1.Tqdb/Search").
  void ObserveRpc(const std::string& method, grpc::StatusCode code, double seconds);

 private:
  class Scrape;  // refreshes the gauges, then collects

  void Refresh();

  Database* database_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Gauge>& collection_vectors_;
  prometheus::Family<prometheus::Gauge>& collection_memory_;
  prometheus::Family<prometheus::Gauge>& collection_lists_;
  prometheus::Family<prometheus::Gauge>& rocksdb_;
  std::shared_ptr<Scrape> scrape_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace tqdb::server
