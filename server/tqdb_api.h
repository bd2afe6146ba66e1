// The server's API, independent of the transport: each call checks the caller's key and the
// server's limits, translates the request into engine calls on one Database and the answer into
// the response message. gRPC (tqdb_service.h) and HTTP/JSON (http_api.h) both call it, so they
// share validation, limits and authorization. No engine logic lives here.
#pragma once

#include <atomic>
#include <string>

#include "absl/status/status.h"
#include "api.h"
#include "api_keys.h"
#include "call_context.h"
#include "response_budget.h"
#include "search_merger.h"
#include "tqdb/collection_config.h"
#include "tqdb/database.h"
#include "tqdb/v1/tqdb.pb.h"

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
  // Concurrent Search calls merged into batches (search_merger.h); slots 0 turns it off.
  SearchMergerOptions merge{.slots = 0};
};

class TqdbApi final : public Api {
 public:
  explicit TqdbApi(Database* database, const ServiceOptions& options = {})
      : database_(database),
        response_budget_(options.limits.max_response_bytes),
        limits_(options.limits),
        snapshot_dir_(options.snapshot_dir),
        api_keys_(options.api_keys),
        startup_rss_bytes_(options.startup_rss_bytes),
        merger_(options.merge) {}

  // api.h
  absl::Status CreateCollection(const CallContext& call, const v1::CreateCollectionRequest& request,
                                v1::CreateCollectionResponse* response) override;
  absl::Status DropCollection(const CallContext& call, const v1::DropCollectionRequest& request,
                              v1::DropCollectionResponse* response) override;
  absl::Status ListCollections(const CallContext& call, const v1::ListCollectionsRequest& request,
                               v1::ListCollectionsResponse* response) override;
  absl::Status DescribeCollection(const CallContext& call,
                                  const v1::DescribeCollectionRequest& request,
                                  v1::DescribeCollectionResponse* response) override;
  absl::Status GetServerStats(const CallContext& call, const v1::GetServerStatsRequest& request,
                              v1::GetServerStatsResponse* response) override;
  // Adds to `response`'s counts, so a stream of requests can share one response.
  absl::Status Upsert(const CallContext& call, const v1::UpsertRequest& request,
                      v1::UpsertResponse* response) override;
  absl::Status Delete(const CallContext& call, const v1::DeleteRequest& request,
                      v1::DeleteResponse* response) override;
  absl::Status Get(const CallContext& call, const v1::GetRequest& request,
                   v1::GetResponse* response) override;
  absl::Status Search(const CallContext& call, const v1::SearchRequest& request,
                      v1::SearchResponse* response) override;
  absl::Status SearchBatch(const CallContext& call, const v1::SearchBatchRequest& request,
                           v1::SearchBatchResponse* response) override;
  absl::Status Count(const CallContext& call, const v1::CountRequest& request,
                     v1::CountResponse* response) override;
  absl::Status Scroll(const CallContext& call, const v1::ScrollRequest& request,
                      v1::ScrollResponse* response) override;
  absl::Status UpdatePayload(const CallContext& call, const v1::UpdatePayloadRequest& request,
                             v1::UpdatePayloadResponse* response) override;
  absl::Status CreatePayloadIndex(const CallContext& call,
                                  const v1::CreatePayloadIndexRequest& request,
                                  v1::CreatePayloadIndexResponse* response) override;
  absl::Status RecenterCollection(const CallContext& call,
                                  const v1::RecenterCollectionRequest& request,
                                  v1::RecenterCollectionResponse* response) override;
  absl::Status RepartitionCollection(const CallContext& call,
                                     const v1::RepartitionCollectionRequest& request,
                                     v1::RepartitionCollectionResponse* response) override;
  absl::Status CreateSnapshot(const CallContext& call, const v1::CreateSnapshotRequest& request,
                              v1::CreateSnapshotResponse* response) override;
  absl::Status GetClusterStatus(const CallContext& call, const v1::GetClusterStatusRequest& request,
                                v1::GetClusterStatusResponse* response) override;
  absl::Status MoveShard(const CallContext& call, const v1::MoveShardRequest& request,
                         v1::MoveShardResponse* response) override;

  // OK when no API keys are configured, or the call's key holds `role` for `collection`.
  absl::Status Authorize(const CallContext& call, Role role, const std::string& collection) const;

  // Call once the server listens: what it holds then beyond the accounted parts (libraries,
  // threads, gRPC) becomes the baseline that GetServerStats compares the parts against.
  void MarkServing();
  // Searches and queries run by the merger (queries / batches: how many a batch merged).
  SearchMerger::Counts merged_searches() const { return merger_.counts(); }

 private:
  // Memory by part (no RSS figures): collections, vectors, indexes, RocksDB and the total.
  v1::GetServerStatsResponse AccountedMemory() const;

  Database* database_;
  ResponseBudget response_budget_;
  ServiceLimits limits_;
  std::string snapshot_dir_;
  const ApiKeys* api_keys_;
  uint64_t startup_rss_bytes_;
  std::atomic<uint64_t> baseline_rss_bytes_{0};
  SearchMerger merger_;
};

}  // namespace tqdb::server
