#include "tqdb_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "status_mapping.h"
#include "tqdb/status_macros.h"

namespace tqdb::server {
namespace {

// The call as TqdbApi sees it: its "authorization" header, its deadline and whether the client
// has gone.
CallContext CallOf(const grpc::ServerContext& context) {
  CallContext call;
  const auto& metadata = context.client_metadata();
  if (const auto found = metadata.find("authorization"); found != metadata.end()) {
    call.authorization.assign(found->second.data(), found->second.size());
  }
  call.deadline = context.deadline();
  call.cancelled = [&context] { return context.IsCancelled(); };
  return call;
}

}  // namespace

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

grpc::Status TqdbService::UpsertStream(grpc::ServerContext* context,
                                       grpc::ServerReader<v1::UpsertRequest>* reader,
                                       v1::UpsertResponse* response) {
  const CallContext call = CallOf(*context);
  v1::UpsertRequest request;
  size_t message = 0;
  while (reader->Read(&request)) {
    if (absl::Status status = api_->Upsert(call, request, response); !status.ok()) {
      return ToGrpcStatus(WithContext(status, absl::StrCat("stream message ", message, " (the ",
                                                           message, " before it are applied)")));
    }
    ++message;
  }
  return grpc::Status::OK;
}

}  // namespace tqdb::server
