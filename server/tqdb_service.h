// The gRPC service: translates each request into engine calls on one Database and the engine's
// absl::Status into gRPC codes. No engine logic lives here.
#pragma once

#include <atomic>
#include <string>

#include "api_keys.h"
#include "response_budget.h"
#include "tqdb/collection_config.h"
#include "tqdb/database.h"
#include "tqdb/v1/tqdb.grpc.pb.h"

namespace tqdb::server {

struct ServiceLimits {
  size_t max_response_bytes = size_t{64} << 20;
  size_t max_collections = 1000;      // CreateCollection past it: RESOURCE_EXHAUSTED
  int max_dimension = kMaxDimension;  // CreateCollection above it: INVALID_ARGUMENT
};

struct ServiceOptions {
  ServiceLimits limits;
  std::string snapshot_dir = "./snapshots";  // CreateSnapshot writes under it
  const ApiKeys* api_keys = nullptr;         // null: no keys needed
  uint64_t startup_rss_bytes = 0;            // RSS before the database was opened
};

class TqdbService final : public v1::Tqdb::Service {
 public:
  explicit TqdbService(Database* database, const ServiceOptions& options = {})
      : database_(database),
        response_budget_(options.limits.max_response_bytes),
        limits_(options.limits),
        snapshot_dir_(options.snapshot_dir),
        api_keys_(options.api_keys),
        startup_rss_bytes_(options.startup_rss_bytes) {}

  grpc::Status CreateCollection(grpc::ServerContext*, const v1::CreateCollectionRequest* request,
                                v1::CreateCollectionResponse* response) override;
  grpc::Status DropCollection(grpc::ServerContext*, const v1::DropCollectionRequest* request,
                              v1::DropCollectionResponse* response) override;
  grpc::Status ListCollections(grpc::ServerContext*, const v1::ListCollectionsRequest* request,
                               v1::ListCollectionsResponse* response) override;
  grpc::Status DescribeCollection(grpc::ServerContext*,
                                  const v1::DescribeCollectionRequest* request,
                                  v1::DescribeCollectionResponse* response) override;
  grpc::Status GetServerStats(grpc::ServerContext*, const v1::GetServerStatsRequest* request,
                              v1::GetServerStatsResponse* response) override;
  grpc::Status Upsert(grpc::ServerContext*, const v1::UpsertRequest* request,
                      v1::UpsertResponse* response) override;
  grpc::Status UpsertStream(grpc::ServerContext*, grpc::ServerReader<v1::UpsertRequest>* reader,
                            v1::UpsertResponse* response) override;
  grpc::Status Delete(grpc::ServerContext*, const v1::DeleteRequest* request,
                      v1::DeleteResponse* response) override;
  grpc::Status Get(grpc::ServerContext*, const v1::GetRequest* request,
                   v1::GetResponse* response) override;
  grpc::Status Search(grpc::ServerContext*, const v1::SearchRequest* request,
                      v1::SearchResponse* response) override;
  grpc::Status SearchBatch(grpc::ServerContext*, const v1::SearchBatchRequest* request,
                           v1::SearchBatchResponse* response) override;
  grpc::Status Count(grpc::ServerContext*, const v1::CountRequest* request,
                     v1::CountResponse* response) override;
  grpc::Status Scroll(grpc::ServerContext*, const v1::ScrollRequest* request,
                      v1::ScrollResponse* response) override;
  grpc::Status UpdatePayload(grpc::ServerContext*, const v1::UpdatePayloadRequest* request,
                             v1::UpdatePayloadResponse* response) override;
  grpc::Status CreatePayloadIndex(grpc::ServerContext*,
                                  const v1::CreatePayloadIndexRequest* request,
                                  v1::CreatePayloadIndexResponse* response) override;
  grpc::Status RecenterCollection(grpc::ServerContext*,
                                  const v1::RecenterCollectionRequest* request,
                                  v1::RecenterCollectionResponse* response) override;
  grpc::Status RepartitionCollection(grpc::ServerContext*,
                                     const v1::RepartitionCollectionRequest* request,
                                     v1::RepartitionCollectionResponse* response) override;
  grpc::Status CreateSnapshot(grpc::ServerContext*, const v1::CreateSnapshotRequest* request,
                              v1::CreateSnapshotResponse* response) override;

  // Call once the server listens: what it holds then beyond the accounted parts (libraries,
  // threads, gRPC) becomes the baseline that GetServerStats compares the parts against.
  void MarkServing();

 private:
  // Memory by part (no RSS figures): collections, vectors, indexes, RocksDB and the total.
  v1::GetServerStatsResponse AccountedMemory() const;
  // OK when no API keys are configured, or the request's key holds `role` for `collection`.
  absl::Status Authorize(const grpc::ServerContext& context, Role role,
                         const std::string& collection) const;
  absl::Status ApplyUpsert(const grpc::ServerContext& context, const v1::UpsertRequest& request,
                           v1::UpsertResponse* response);

  Database* database_;
  ResponseBudget response_budget_;
  ServiceLimits limits_;
  std::string snapshot_dir_;
  const ApiKeys* api_keys_;
  uint64_t startup_rss_bytes_;
  std::atomic<uint64_t> baseline_rss_bytes_{0};
};

}  // namespace tqdb::server
