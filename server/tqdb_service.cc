#include "tqdb_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "status_mapping.h"
#include "stream_upserts.h"
#include "tqdb/status_macros.h"

namespace tqdb::server {

CallContext CallOf(const grpc::ServerContextBase& context) {
  CallContext call;
  const auto& metadata = context.client_metadata();
  if (const auto found = metadata.find("authorization"); found != metadata.end()) {
    call.authorization.assign(found->second.data(), found->second.size());
  }
  // cluster/shard_header.h: a call from another node of a cluster, for one of its shards.
  if (const auto found = metadata.find("x-tqdb-shard"); found != metadata.end()) {
    call.shard_header.assign(found->second.data(), found->second.size());
  }
  call.deadline = context.deadline();
  call.cancelled = [&context] { return context.IsCancelled(); };
  return call;
}

grpc::Status TqdbService::CreateCollection(grpc::ServerContext* context,
                                           const v1::CreateCollectionRequest* request,
                                           v1::CreateCollectionResponse* response) {
  return ToGrpcStatus(api_->CreateCollection(CallOf(*context), *request, response));
}

grpc::Status TqdbService::DropCollection(grpc::ServerContext* context,
                                         const v1::DropCollectionRequest* request,
                                         v1::DropCollectionResponse* response) {
  return ToGrpcStatus(api_->DropCollection(CallOf(*context), *request, response));
}

grpc::Status TqdbService::ListCollections(grpc::ServerContext* context,
                                          const v1::ListCollectionsRequest* request,
                                          v1::ListCollectionsResponse* response) {
  return ToGrpcStatus(api_->ListCollections(CallOf(*context), *request, response));
}

grpc::Status TqdbService::DescribeCollection(grpc::ServerContext* context,
                                             const v1::DescribeCollectionRequest* request,
                                             v1::DescribeCollectionResponse* response) {
  return ToGrpcStatus(api_->DescribeCollection(CallOf(*context), *request, response));
}

grpc::Status TqdbService::GetServerStats(grpc::ServerContext* context,
                                         const v1::GetServerStatsRequest* request,
                                         v1::GetServerStatsResponse* response) {
  return ToGrpcStatus(api_->GetServerStats(CallOf(*context), *request, response));
}

grpc::Status TqdbService::Upsert(grpc::ServerContext* context, const v1::UpsertRequest* request,
                                 v1::UpsertResponse* response) {
  return ToGrpcStatus(api_->Upsert(CallOf(*context), *request, response));
}

grpc::Status TqdbService::Delete(grpc::ServerContext* context, const v1::DeleteRequest* request,
                                 v1::DeleteResponse* response) {
  return ToGrpcStatus(api_->Delete(CallOf(*context), *request, response));
}

grpc::Status TqdbService::Get(grpc::ServerContext* context, const v1::GetRequest* request,
                              v1::GetResponse* response) {
  return ToGrpcStatus(api_->Get(CallOf(*context), *request, response));
}

grpc::Status TqdbService::Search(grpc::ServerContext* context, const v1::SearchRequest* request,
                                 v1::SearchResponse* response) {
  return ToGrpcStatus(api_->Search(CallOf(*context), *request, response));
}

grpc::Status TqdbService::SearchBatch(grpc::ServerContext* context,
                                      const v1::SearchBatchRequest* request,
                                      v1::SearchBatchResponse* response) {
  return ToGrpcStatus(api_->SearchBatch(CallOf(*context), *request, response));
}

grpc::Status TqdbService::Count(grpc::ServerContext* context, const v1::CountRequest* request,
                                v1::CountResponse* response) {
  return ToGrpcStatus(api_->Count(CallOf(*context), *request, response));
}

grpc::Status TqdbService::Scroll(grpc::ServerContext* context, const v1::ScrollRequest* request,
                                 v1::ScrollResponse* response) {
  return ToGrpcStatus(api_->Scroll(CallOf(*context), *request, response));
}

grpc::Status TqdbService::UpdatePayload(grpc::ServerContext* context,
                                        const v1::UpdatePayloadRequest* request,
                                        v1::UpdatePayloadResponse* response) {
  return ToGrpcStatus(api_->UpdatePayload(CallOf(*context), *request, response));
}

grpc::Status TqdbService::CreatePayloadIndex(grpc::ServerContext* context,
                                             const v1::CreatePayloadIndexRequest* request,
                                             v1::CreatePayloadIndexResponse* response) {
  return ToGrpcStatus(api_->CreatePayloadIndex(CallOf(*context), *request, response));
}

grpc::Status TqdbService::RecenterCollection(grpc::ServerContext* context,
                                             const v1::RecenterCollectionRequest* request,
                                             v1::RecenterCollectionResponse* response) {
  return ToGrpcStatus(api_->RecenterCollection(CallOf(*context), *request, response));
}

grpc::Status TqdbService::RepartitionCollection(grpc::ServerContext* context,
                                                const v1::RepartitionCollectionRequest* request,
                                                v1::RepartitionCollectionResponse* response) {
  return ToGrpcStatus(api_->RepartitionCollection(CallOf(*context), *request, response));
}

grpc::Status TqdbService::CreateSnapshot(grpc::ServerContext* context,
                                         const v1::CreateSnapshotRequest* request,
                                         v1::CreateSnapshotResponse* response) {
  return ToGrpcStatus(api_->CreateSnapshot(CallOf(*context), *request, response));
}

grpc::Status TqdbService::GetClusterStatus(grpc::ServerContext* context,
                                           const v1::GetClusterStatusRequest* request,
                                           v1::GetClusterStatusResponse* response) {
  return ToGrpcStatus(api_->GetClusterStatus(CallOf(*context), *request, response));
}

grpc::Status TqdbService::MoveShard(grpc::ServerContext* context,
                                    const v1::MoveShardRequest* request,
                                    v1::MoveShardResponse* response) {
  return ToGrpcStatus(api_->MoveShard(CallOf(*context), *request, response));
}

grpc::Status TqdbService::UpsertStream(grpc::ServerContext* context,
                                       grpc::ServerReader<v1::UpsertRequest>* reader,
                                       v1::UpsertResponse* response) {
  const CallContext call = CallOf(*context);
  // The next message is read while the ones before it are applied (stream_upserts.h): HTTP/2
  // flow control lets a client get only part of a large message ahead of the server's read, so
  // without this the client's sending and the server's encoding and writing took turns.
  StreamUpserts upserts([this, &call](const v1::UpsertRequest& request, v1::UpsertResponse* out) {
    return api_->Upsert(call, request, out);
  });
  v1::UpsertRequest message;
  while (reader->Read(&message)) {
    if (!upserts.Add(std::move(message))) break;  // a message failed: its error goes back
    message = upserts.Recycled();
  }
  return ToGrpcStatus(upserts.Finish(response));
}

grpc::ServerUnaryReactor* LocalTqdbService::Search(grpc::CallbackServerContext* context,
                                                   const v1::SearchRequest* request,
                                                   v1::SearchResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(api_->Search(CallOf(*context), *request, response)));
  return reactor;
}

grpc::ServerUnaryReactor* LocalTqdbService::SearchBatch(grpc::CallbackServerContext* context,
                                                        const v1::SearchBatchRequest* request,
                                                        v1::SearchBatchResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(api_->SearchBatch(CallOf(*context), *request, response)));
  return reactor;
}

}  // namespace tqdb::server
