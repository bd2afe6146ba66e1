#include "metrics.h"

#include <chrono>
#include <map>
#include <mutex>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/support/interceptor.h"
#include "prometheus/text_serializer.h"
#include "tqdb/v1/tqdb.grpc.pb.h"

namespace tqdb::server {
namespace {

using Clock = std::chrono::steady_clock;

// gRPC's and absl's status codes share their numbers and names ("NOT_FOUND").
std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// The RPC's short name: "/tqdb.v1.Tqdb/Search" -> "Search".
std::string ShortName(const std::string& method) {
  const size_t slash = method.rfind('/');
  return slash == std::string::npos ? method : method.substr(slash + 1);
}

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(ServerMetrics* metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)), start_(Clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
      metrics_->ObserveRpc(method_, methods->GetSendStatus().error_code(), seconds);
    }
    methods->Proceed();
  }

 private:
  ServerMetrics* metrics_;
  std::string method_;
  Clock::time_point start_;
};

class MetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(ServerMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info->method());
  }

 private:
  ServerMetrics* metrics_;
};

// 100 us to about 13 s, doubling.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = [] {
    prometheus::Histogram::BucketBoundaries bounds;
    for (double b = 1e-4; b < 20; b *= 2) bounds.push_back(b);
    return bounds;
  }();
  return kBuckets;
}

}  // namespace

ServerMetrics::ServerMetrics(Database* database)
    : ServerMetrics([database] {
        // Not owned: the server closes it after the metrics stop.
        return std::vector<MetricsSource>{{"", std::shared_ptr<Database>(database, [](auto*) {})}};
      }) {}

ServerMetrics::ServerMetrics(std::function<std::vector<MetricsSource>()> sources)
    : sources_(std::move(sources)),
      registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("tqdb_requests_total")
                    .Help("RPCs finished, by method and gRPC status code")
                    .Register(*registry_)),
      latency_(prometheus::BuildHistogram()
                   .Name("tqdb_request_seconds")
                   .Help("RPC latency, from arrival to the status being sent")
                   .Register(*registry_)),
      http_requests_(prometheus::BuildCounter()
                         .Name("tqdb_http_requests_total")
                         .Help("HTTP requests answered, by route and HTTP status")
                         .Register(*registry_)),
      http_latency_(prometheus::BuildHistogram()
                        .Name("tqdb_http_request_seconds")
                        .Help("HTTP request latency, from its headers to its answer")
                        .Register(*registry_)),
      collection_vectors_(prometheus::BuildGauge()
                              .Name("tqdb_collection_vectors")
                              .Help("vectors stored, per collection (and shard, on a node of a "
                                    "cluster)")
                              .Register(*registry_)),
      collection_memory_(prometheus::BuildGauge()
                             .Name("tqdb_collection_memory_bytes")
                             .Help("bytes held in memory, per collection (codes, factors, ids)")
                             .Register(*registry_)),
      collection_lists_(prometheus::BuildGauge()
                            .Name("tqdb_collection_lists")
                            .Help("lists of a partitioned collection (0 while it is flat)")
                            .Register(*registry_)),
      rocksdb_(prometheus::BuildGauge()
                   .Name("tqdb_rocksdb")
                   .Help("RocksDB state: writes_stopped (0/1), delayed_write_rate (bytes/s), "
                         "pending_compaction_bytes, running_compactions, memtable_bytes, "
                         "block_cache_bytes, disk_bytes")
                   .Register(*registry_)),
      merged_searches_(prometheus::BuildGauge()
                           .Name("tqdb_search_merger")
                           .Help("single-query searches run by the search merger: batches run "
                                 "and queries in them (queries / batches: merged per batch)")
                           .Register(*registry_)),
      http_([this] { return Render(); }) {
  // The methods this server serves: the tqdb service's (from its descriptor), health checks and
  // reflection.
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          v1::Tqdb::service_full_name());
  for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
    known_methods_.insert(absl::StrCat("/", service->full_name(), "/", service->method(i)->name()));
  }
  for (const char* method : {"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch",
                             "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"}) {
    known_methods_.insert(method);
  }
}

ServerMetrics::~ServerMetrics() { http_.Stop(); }

absl::StatusOr<int> ServerMetrics::Serve(const std::string& listen) { return http_.Start(listen); }

std::string ServerMetrics::Render() {
  std::lock_guard lock(scrape_mu_);
  Refresh();
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

std::string ServerMetrics::MethodLabel(const std::string& method) const {
  return known_methods_.contains(method) ? ShortName(method) : "unknown";
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
ServerMetrics::InterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(this);
}

void ServerMetrics::WatchSearchMerger(std::function<SearchMerger::Counts()> counts) {
  merger_counts_ = std::move(counts);
}

void ServerMetrics::ObserveRpc(const std::string& method, grpc::StatusCode code, double seconds) {
  const std::string name = MethodLabel(method);
  requests_.Add({{"method", name}, {"code", CodeName(code)}}).Increment();
  latency_.Add({{"method", name}}, LatencyBuckets()).Observe(seconds);
}

void ServerMetrics::ObserveHttp(const std::string& route, int status, double seconds) {
  // Routes come from the route table (or "unknown") and statuses from a short list: bounded.
  http_requests_.Add({{"route", route}, {"status", std::to_string(status)}}).Increment();
  http_latency_.Add({{"route", route}}, LatencyBuckets()).Observe(seconds);
}

void ServerMetrics::Refresh() {
  if (merger_counts_ != nullptr) {
    const SearchMerger::Counts counts = merger_counts_();
    merged_searches_.Add({{"count", "batches"}}).Set(static_cast<double>(counts.batches));
    merged_searches_.Add({{"count", "queries"}}).Set(static_cast<double>(counts.queries));
  }
  absl::flat_hash_map<std::string, CollectionGauges> live;
  StorageStats stats;
  absl::flat_hash_set<const void*> shared_caches;
  for (const MetricsSource& source : sources_()) {
    Database& database = *source.database;
    for (const std::string& name : database.ListCollections()) {
      absl::StatusOr<std::shared_ptr<Collection>> collection = database.GetCollection(name);
      if (!collection.ok()) continue;  // dropped meanwhile
      const CollectionInfo info = (*collection)->Describe();
      std::map<std::string, std::string> labels = {{"collection", name}};
      if (!source.shard.empty()) labels["shard"] = source.shard;
      const std::string key = absl::StrCat(name, "/", source.shard);
      auto found = collection_gauges_.find(key);
      const CollectionGauges gauges =
          found != collection_gauges_.end()
              ? found->second
              : CollectionGauges{&collection_vectors_.Add(labels), &collection_memory_.Add(labels),
                                 &collection_lists_.Add(labels)};
      if (found != collection_gauges_.end()) collection_gauges_.erase(found);
      gauges.vectors->Set(static_cast<double>(info.count));
      gauges.memory->Set(static_cast<double>(info.memory.total()));
      gauges.lists->Set(static_cast<double>(info.list_sizes.size()));
      live.emplace(key, gauges);
    }
    const StorageStats part = database.Stats();
    stats.writes_stopped = stats.writes_stopped || part.writes_stopped;
    stats.delayed_write_rate += part.delayed_write_rate;
    stats.pending_compaction_bytes += part.pending_compaction_bytes;
    stats.running_compactions += part.running_compactions;
    stats.memtable_bytes += part.memtable_bytes;
    // A cache shared by several databases (a node's shards) counts once.
    if (part.shared_budget == nullptr || shared_caches.insert(part.shared_budget).second) {
      stats.block_cache_bytes += part.block_cache_bytes;
    }
    stats.disk_bytes += part.disk_bytes;
  }
  // What is left belongs to collections (or shards) gone since the last scrape.
  for (const auto& [name, gauges] : collection_gauges_) {
    collection_vectors_.Remove(gauges.vectors);
    collection_memory_.Remove(gauges.memory);
    collection_lists_.Remove(gauges.lists);
  }
  collection_gauges_ = std::move(live);
  const std::pair<const char*, double> figures[] = {
      {"writes_stopped", stats.writes_stopped ? 1.0 : 0.0},
      {"delayed_write_rate", static_cast<double>(stats.delayed_write_rate)},
      {"pending_compaction_bytes", static_cast<double>(stats.pending_compaction_bytes)},
      {"running_compactions", static_cast<double>(stats.running_compactions)},
      {"memtable_bytes", static_cast<double>(stats.memtable_bytes)},
      {"block_cache_bytes", static_cast<double>(stats.block_cache_bytes)},
      {"disk_bytes", static_cast<double>(stats.disk_bytes)}};
  for (const auto& [figure, value] : figures) rocksdb_.Add({{"figure", figure}}).Set(value);
}

}  // namespace tqdb::server
