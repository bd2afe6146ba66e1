// The server's API as the transports see it: one call per RPC of tqdb.proto, which documents
// each. A server alone answers with TqdbApi (one database); a node of a cluster with
// cluster::ClusterApi, which routes each call to the shards' owners. gRPC (tqdb_service.h) and
// HTTP (http/api_routes.h) take either.
#pragma once

#include "absl/status/status.h"
#include "call_context.h"
#include "tqdb/v1/tqdb.pb.h"

namespace tqdb::server {

class Api {
 public:
  virtual ~Api() = default;

  virtual absl::Status CreateCollection(const CallContext& call,
                                        const v1::CreateCollectionRequest& request,
                                        v1::CreateCollectionResponse* response) = 0;
  virtual absl::Status DropCollection(const CallContext& call,
                                      const v1::DropCollectionRequest& request,
                                      v1::DropCollectionResponse* response) = 0;
  virtual absl::Status ListCollections(const CallContext& call,
                                       const v1::ListCollectionsRequest& request,
                                       v1::ListCollectionsResponse* response) = 0;
  virtual absl::Status DescribeCollection(const CallContext& call,
                                          const v1::DescribeCollectionRequest& request,
                                          v1::DescribeCollectionResponse* response) = 0;
  virtual absl::Status GetServerStats(const CallContext& call,
                                      const v1::GetServerStatsRequest& request,
                                      v1::GetServerStatsResponse* response) = 0;
  // Adds to `response`'s counts, so a stream of requests can share one response.
  virtual absl::Status Upsert(const CallContext& call, const v1::UpsertRequest& request,
                              v1::UpsertResponse* response) = 0;
  virtual absl::Status Delete(const CallContext& call, const v1::DeleteRequest& request,
                              v1::DeleteResponse* response) = 0;
  virtual absl::Status Get(const CallContext& call, const v1::GetRequest& request,
                           v1::GetResponse* response) = 0;
  virtual absl::Status Search(const CallContext& call, const v1::SearchRequest& request,
                              v1::SearchResponse* response) = 0;
  virtual absl::Status SearchBatch(const CallContext& call, const v1::SearchBatchRequest& request,
                                   v1::SearchBatchResponse* response) = 0;
  virtual absl::Status Count(const CallContext& call, const v1::CountRequest& request,
                             v1::CountResponse* response) = 0;
  virtual absl::Status Scroll(const CallContext& call, const v1::ScrollRequest& request,
                              v1::ScrollResponse* response) = 0;
  virtual absl::Status UpdatePayload(const CallContext& call,
                                     const v1::UpdatePayloadRequest& request,
                                     v1::UpdatePayloadResponse* response) = 0;
  virtual absl::Status CreatePayloadIndex(const CallContext& call,
                                          const v1::CreatePayloadIndexRequest& request,
                                          v1::CreatePayloadIndexResponse* response) = 0;
  virtual absl::Status RecenterCollection(const CallContext& call,
                                          const v1::RecenterCollectionRequest& request,
                                          v1::RecenterCollectionResponse* response) = 0;
  virtual absl::Status RepartitionCollection(const CallContext& call,
                                             const v1::RepartitionCollectionRequest& request,
                                             v1::RepartitionCollectionResponse* response) = 0;
  virtual absl::Status CreateSnapshot(const CallContext& call,
                                      const v1::CreateSnapshotRequest& request,
                                      v1::CreateSnapshotResponse* response) = 0;
  virtual absl::Status GetClusterStatus(const CallContext& call,
                                        const v1::GetClusterStatusRequest& request,
                                        v1::GetClusterStatusResponse* response) = 0;
  virtual absl::Status MoveShard(const CallContext& call, const v1::MoveShardRequest& request,
                                 v1::MoveShardResponse* response) = 0;
};

}  // namespace tqdb::server
