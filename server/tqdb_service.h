// The gRPC service: each RPC hands its request to Api with the call's key and deadline, and
// maps the answer's absl::Status to a gRPC status.
#pragma once

#include "api.h"
#include "tqdb/v1/tqdb.grpc.pb.h"

namespace tqdb::server {

// The call as the API sees it: its "authorization" header (and the shard header of a call
// between a cluster's nodes), its deadline and whether the client has gone.
CallContext CallOf(const grpc::ServerContextBase& context);

// Every RPC on gRPC's sync server: each runs on one of its worker threads. A cluster node serves
// this one: a routed search waits for other nodes' parts, which a callback thread must not do.
class TqdbService : public v1::Tqdb::Service {
 public:
  explicit TqdbService(Api* api = nullptr) : api_(api) {}

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

 protected:
  Api* api_;
};

// A server alone: searches run as gRPC callbacks, on the thread that read the request,
// instead of being handed to a sync worker (the hand-off was more than half of a single query's
// time through the server: 0.34 against 0.21 ms p50 on 149,000 GloVe vectors, bench/README.md).
// Batches too: with only Search a callback, 1% of batch requests waited ~100 ms on the sync
// workers, whose queues the callback threads then poll. Nothing in a search there waits for
// another server.
class LocalTqdbService final : public v1::Tqdb::WithCallbackMethod_Search<
                                   v1::Tqdb::WithCallbackMethod_SearchBatch<TqdbService>> {
 public:
  explicit LocalTqdbService(Api* api) { api_ = api; }

  grpc::ServerUnaryReactor* Search(grpc::CallbackServerContext* context,
                                   const v1::SearchRequest* request,
                                   v1::SearchResponse* response) override;
  grpc::ServerUnaryReactor* SearchBatch(grpc::CallbackServerContext* context,
                                        const v1::SearchBatchRequest* request,
                                        v1::SearchBatchResponse* response) override;
};

}  // namespace tqdb::server
