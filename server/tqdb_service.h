// The gRPC service: each RPC hands its request to Api with the call's key and deadline, and
// maps the answer's absl::Status to a gRPC status.
#pragma once

#include "api.h"
#include "tqdb/v1/tqdb.grpc.pb.h"

namespace tqdb::server {

// The call as the API sees it: its "authorization" header (and the shard header of a call
// between a cluster's nodes), its deadline and whether the client has gone.
CallContext CallOf(const grpc::ServerContext& context);

class TqdbService final : public v1::Tqdb::Service {
 public:
  explicit TqdbService(Api* api) : api_(api) {}

  grpc::Status CreateCollection(grpc::ServerContext* context,
                                const v1::CreateCollectionRequest* request,
                                v1::CreateCollectionResponse* response) override;
  grpc::Status DropCollection(grpc::ServerContext* context,
                              const v1::DropCollectionRequest* request,
                              v1::DropCollectionResponse* response) override;
  grpc::Status ListCollections(grpc::ServerContext* context,
                               const v1::ListCollectionsRequest* request,
                               v1::ListCollectionsResponse* response) override;
  grpc::Status DescribeCollection(grpc::ServerContext* context,
                                  const v1::DescribeCollectionRequest* request,
                                  v1::DescribeCollectionResponse* response) override;
  grpc::Status GetServerStats(grpc::ServerContext* context,
                              const v1::GetServerStatsRequest* request,
                              v1::GetServerStatsResponse* response) override;
  grpc::Status Upsert(grpc::ServerContext* context, const v1::UpsertRequest* request,
                      v1::UpsertResponse* response) override;
  grpc::Status Delete(grpc::ServerContext* context, const v1::DeleteRequest* request,
                      v1::DeleteResponse* response) override;
  grpc::Status Get(grpc::ServerContext* context, const v1::GetRequest* request,
                   v1::GetResponse* response) override;
  grpc::Status Search(grpc::ServerContext* context, const v1::SearchRequest* request,
                      v1::SearchResponse* response) override;
  grpc::Status SearchBatch(grpc::ServerContext* context, const v1::SearchBatchRequest* request,
                           v1::SearchBatchResponse* response) override;
  grpc::Status Count(grpc::ServerContext* context, const v1::CountRequest* request,
                     v1::CountResponse* response) override;
  grpc::Status Scroll(grpc::ServerContext* context, const v1::ScrollRequest* request,
                      v1::ScrollResponse* response) override;
  grpc::Status UpdatePayload(grpc::ServerContext* context, const v1::UpdatePayloadRequest* request,
                             v1::UpdatePayloadResponse* response) override;
  grpc::Status CreatePayloadIndex(grpc::ServerContext* context,
                                  const v1::CreatePayloadIndexRequest* request,
                                  v1::CreatePayloadIndexResponse* response) override;
  grpc::Status RecenterCollection(grpc::ServerContext* context,
                                  const v1::RecenterCollectionRequest* request,
                                  v1::RecenterCollectionResponse* response) override;
  grpc::Status RepartitionCollection(grpc::ServerContext* context,
                                     const v1::RepartitionCollectionRequest* request,
                                     v1::RepartitionCollectionResponse* response) override;
  grpc::Status CreateSnapshot(grpc::ServerContext* context,
                              const v1::CreateSnapshotRequest* request,
                              v1::CreateSnapshotResponse* response) override;
  // Applies each message in turn; stops at the first refused one, the ones before it applied.
  grpc::Status GetClusterStatus(grpc::ServerContext* context,
                                const v1::GetClusterStatusRequest* request,
                                v1::GetClusterStatusResponse* response) override;
  grpc::Status MoveShard(grpc::ServerContext* context, const v1::MoveShardRequest* request,
                         v1::MoveShardResponse* response) override;
  grpc::Status UpsertStream(grpc::ServerContext* context,
                            grpc::ServerReader<v1::UpsertRequest>* reader,
                            v1::UpsertResponse* response) override;

 private:
  Api* api_;
};

}  // namespace tqdb::server
