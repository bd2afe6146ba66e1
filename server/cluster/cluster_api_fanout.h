// ClusterApi's templates: serving a shard call, and sending a routed call's parts to the
// shards' owners. Included only by cluster_api*.cc.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "cluster_api.h"
#include "grpcpp/grpcpp.h"
#include "status_mapping.h"
#include "tqdb/status_macros.h"

namespace tqdb::cluster {

// How long a node waits for another when the client set no deadline.
inline constexpr std::chrono::seconds kShardCallTimeout{120};

template <typename Request, typename Response>
absl::Status ClusterApi::ServeShard(const server::CallContext& call, const std::string& collection,
                                    Access access, const Request& request, Response* response,
                                    LocalMethod<Request, Response> method) {
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<LocalShards::Shard> shard,
                        OwnedShard(call, collection, access));
  return (shard->api.get()->*method)(call, request, response);
}

template <typename Request, typename Response>
void ClusterApi::SendToOwners(const server::CallContext& call, const std::string& collection,
                              std::shared_ptr<const Placement> read,
                              std::vector<ShardRequest<Request, Response>>* requests,
                              LocalMethod<Request, Response> local,
                              RemoteMethod<Request, Response> remote) {
  absl::StatusOr<std::shared_ptr<const Placement>> placement = std::move(read);
  std::vector<ShardRequest<Request, Response>*> to_send;
  for (auto& request : *requests) to_send.push_back(&request);
  for (int attempt = 0; attempt < 2 && !to_send.empty(); ++attempt) {
    if (!placement.ok()) {
      for (auto* request : to_send) request->status = placement.status();
      return;
    }
    const ShardMap& map = (*placement)->map;
    // Who answers each request: this node in this thread, others over gRPC.
    std::vector<std::pair<ShardRequest<Request, Response>*, std::string>> here;
    std::vector<
        std::tuple<ShardRequest<Request, Response>*, std::string, std::shared_ptr<v1::Tqdb::Stub>>>
        there;
    for (auto* request : to_send) {
      if (request->shard >= map.shards.size() || map.shards[request->shard].node.empty()) {
        request->status = absl::UnavailableError(
            absl::StrCat("shard ", request->shard, " of ", collection, " has no owner"));
        continue;
      }
      const ShardOwner& owner = map.shards[request->shard];
      std::string header = FormatShardHeader({request->shard, owner.epoch});
      if (owner.node == options_.node_id) {
        here.emplace_back(request, std::move(header));
        continue;
      }
      absl::StatusOr<std::shared_ptr<v1::Tqdb::Stub>> stub = view_->StubOf(owner.node);
      if (!stub.ok()) {
        request->status = absl::Status(
            stub.status().code(), absl::StrCat("shard ", request->shard, " of ", collection, ": ",
                                               stub.status().message()));
        continue;
      }
      there.emplace_back(request, std::move(header), std::move(*stub));
    }
    absl::BlockingCounter pending(static_cast<int>(there.size()));
    std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
    const auto deadline = call.deadline == std::chrono::system_clock::time_point::max()
                              ? std::chrono::system_clock::now() + kShardCallTimeout
                              : call.deadline;
    for (auto& [request, header, stub] : there) {
      auto& context = contexts.emplace_back(std::make_unique<grpc::ClientContext>());
      context->AddMetadata(kShardHeader, header);
      if (!call.authorization.empty()) context->AddMetadata("authorization", call.authorization);
      context->set_deadline(deadline);
      ShardRequest<Request, Response>* part = request;
      const std::string owner = map.shards[part->shard].node;
      (stub->async()->*remote)(
          context.get(), &part->request, &part->response,
          [part, owner, &collection, &pending](grpc::Status status) {
            part->status = server::FromGrpcStatus(status);
            if (!part->status.ok()) {
              part->status =
                  absl::Status(part->status.code(),
                               absl::StrCat("shard ", part->shard, " of ", collection, " on node ",
                                            owner, ": ", part->status.message()));
            }
            pending.DecrementCount();
          });
    }
    for (auto& [request, header] : here) {
      server::CallContext shard_call = call;
      shard_call.shard_header = header;
      request->status = (this->*local)(shard_call, request->request, &request->response);
    }
    pending.Wait();
    for (auto& [request, header, stub] : there) {
      if (absl::IsUnavailable(request->status)) view_->ForgetNode(map.shards[request->shard].node);
    }
    // An owner that refused the epoch holds a newer map than this node: read it and resend.
    std::vector<ShardRequest<Request, Response>*> stale;
    for (auto* request : to_send) {
      if (absl::IsFailedPrecondition(request->status)) stale.push_back(request);
    }
    if (stale.empty()) return;
    to_send = std::move(stale);
    for (auto* request : to_send) request->response.Clear();
    placement = view_->Find(collection, /*refresh=*/true);
  }
}

template <typename Request, typename Response>
absl::StatusOr<std::vector<ShardRequest<Request, Response>>> ClusterApi::SendToEveryShard(
    const server::CallContext& call, const std::string& collection, const Request& request,
    LocalMethod<Request, Response> local, RemoteMethod<Request, Response> remote) {
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement, view_->Find(collection));
  std::vector<ShardRequest<Request, Response>> requests(placement->map.shards.size());
  for (uint32_t shard = 0; shard < requests.size(); ++shard) {
    requests[shard].shard = shard;
    requests[shard].request = request;
  }
  SendToOwners(call, collection, std::move(placement), &requests, local, remote);
  return requests;
}

// The first failure among the parts, or OK.
template <typename Request, typename Response>
absl::Status FirstFailure(const std::vector<ShardRequest<Request, Response>>& requests) {
  for (const auto& request : requests) {
    if (!request.status.ok()) return request.status;
  }
  return absl::OkStatus();
}

}  // namespace tqdb::cluster
