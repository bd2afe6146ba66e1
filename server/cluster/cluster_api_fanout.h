// ClusterApi's templates: serving a shard call, and sending a routed call's parts to the
// shards' owners. Included only by cluster_api*.cc.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cluster_api.h"
#include "grpcpp/grpcpp.h"
#include "status_mapping.h"
#include "tqdb/status_macros.h"

namespace tqdb::cluster {

// How long a node waits for another when the client set no deadline.
inline constexpr std::chrono::seconds kShardCallTimeout{120};

// The k best hits of several shards' answers to one search (or to each query of a batch), best
// first: higher scores, or lower when `lower_is_better` (l2). Defined in cluster_api_reads.cc.
void MergeSearchAnswers(std::vector<v1::SearchResponse>* answers, size_t k, bool lower_is_better,
                        v1::SearchResponse* response);
void MergeSearchAnswers(std::vector<v1::SearchBatchResponse>* answers, size_t k,
                        bool lower_is_better, v1::SearchBatchResponse* response);

// The ids a write names, for a move to send again; nullopt for a write it cannot follow (by
// filter, or to the whole shard), which waits for the move to end.
inline std::optional<absl::Span<const uint64_t>> WrittenIds(const v1::UpsertRequest& request) {
  return absl::MakeConstSpan(request.ids().data(), request.ids_size());
}
inline std::optional<absl::Span<const uint64_t>> WrittenIds(const v1::DeleteRequest& request) {
  if (!request.filter().empty() || request.has_filter_message()) return std::nullopt;
  return absl::MakeConstSpan(request.ids().data(), request.ids_size());
}
inline std::optional<absl::Span<const uint64_t>> WrittenIds(
    const v1::UpdatePayloadRequest& request) {
  if (!request.filter().empty()) return std::nullopt;
  return absl::MakeConstSpan(request.ids().data(), request.ids_size());
}
inline std::optional<absl::Span<const uint64_t>> WrittenIds(const v1::CreateCollectionRequest&) {
  return absl::Span<const uint64_t>();  // the shard exists: nothing is written
}
template <typename Request>
std::optional<absl::Span<const uint64_t>> WrittenIds(const Request&) {
  return std::nullopt;  // payload indexes, re-centering, re-partitioning, drops
}

template <typename Request, typename Response>
absl::Status ClusterApi::ServeShard(const server::CallContext& call, const std::string& collection,
                                    Access access, const Request& request, Response* response,
                                    LocalMethod<Request, Response> method) {
  TQDB_ASSIGN_OR_RETURN(const ShardTarget target, ParseOneShard(call.shard_header));
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<LocalShards::Shard> shard,
                        OwnedShard(target, collection, access));
  if (access == Access::kRead) return (shard->api.get()->*method)(call, request, response);
  std::shared_lock gate(shard->write_gate);
  const std::optional<absl::Span<const uint64_t>> ids = WrittenIds(request);
  if (shard->moving || (shard->tracking && !ids.has_value())) {
    return absl::UnavailableError(absl::StrCat("shard ", target.shard, " of ", collection,
                                               " is moving to another node: retry in a moment"));
  }
  const absl::Status status = (shard->api.get()->*method)(call, request, response);
  // A move in progress sends these ids' records to the new owner (shard_transfer.h).
  if (shard->tracking) shard->NoteWritten(*ids);
  if (!status.ok()) return status;
  return AwaitInSyncReplicas(collection, target, *shard);
}

// One part's call to another node, alive until its answer is taken from the queue.
template <typename Response>
struct RemotePart {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader;
  grpc::Status status;
};

// The shards a part is for, as its header names them (epochs from `map`).
template <typename Request, typename Response>
std::string PartHeader(const ShardRequest<Request, Response>& part, const ShardMap& map) {
  std::vector<ShardTarget> targets = {{part.shard, map.shards[part.shard].epoch}};
  for (uint32_t shard : part.also) targets.push_back({shard, map.shards[shard].epoch});
  return FormatShardHeader(targets);
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
    // Who answers each request: this node in this thread, others over gRPC, all at once.
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
      std::string header = PartHeader(*request, map);
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
    // The remote parts go out at once on one completion queue, answered while this thread runs
    // the local parts, then collected here: no thread per part (a thread's start and exit cost a
    // routed search more than its own call did, in stack mappings and TLB flushes), and each
    // answer is read in this thread, as a blocking call's is.
    const auto deadline = call.deadline == std::chrono::system_clock::time_point::max()
                              ? std::chrono::system_clock::now() + kShardCallTimeout
                              : call.deadline;
    grpc::CompletionQueue answers;
    const auto remote_parts = std::make_unique<RemotePart<Response>[]>(there.size());
    for (size_t i = 0; i < there.size(); ++i) {
      auto& [request, header, stub] = there[i];
      RemotePart<Response>& part = remote_parts[i];
      part.context.AddMetadata(kShardHeader, header);
      if (!call.authorization.empty())
        part.context.AddMetadata("authorization", call.authorization);
      part.context.set_deadline(deadline);
      part.reader = ((*stub).*remote)(&part.context, request->request, &answers);
      part.reader->StartCall();
      part.reader->Finish(&request->response, &part.status, &part);
    }
    // This node's own parts: the first in this thread, the others beside it (a bulk upsert to
    // three local shards encodes and writes them at once, as a server alone's one would).
    std::vector<std::thread> beside;
    for (size_t i = 0; i < here.size(); ++i) {
      const auto run = [this, &call, local, part = here[i].first, header = here[i].second] {
        server::CallContext shard_call = call;
        shard_call.shard_header = header;
        part->status = (this->*local)(shard_call, part->request, &part->response);
      };
      if (i + 1 < here.size()) {
        beside.emplace_back(run);
      } else {
        run();
      }
    }
    for (std::thread& part : beside) part.join();
    // Every call ends by its deadline, so each tag comes back; then the queue is empty.
    void* tag = nullptr;
    bool ok = false;
    for (size_t answered = 0; answered < there.size(); ++answered) answers.Next(&tag, &ok);
    answers.Shutdown();
    while (answers.Next(&tag, &ok)) {
    }
    for (size_t i = 0; i < there.size(); ++i) {
      ShardRequest<Request, Response>* part = std::get<0>(there[i]);
      part->status = server::FromGrpcStatus(remote_parts[i].status);
      // This node cancels none of its calls: a cancelled one was the owner's (it stopped while
      // answering), which a caller retries as it does an owner it cannot reach.
      if (absl::IsCancelled(part->status)) {
        part->status = absl::UnavailableError(absl::StrCat(
            "the call was cancelled by the node (stopping?): ", part->status.message()));
      }
      if (!part->status.ok()) {
        part->status =
            absl::Status(part->status.code(),
                         absl::StrCat("shard ", part->shard, " of ", collection, " on node ",
                                      map.shards[part->shard].node, ": ", part->status.message()));
      }
    }
    // A node that could not be reached may be back elsewhere: its address is read again.
    for (auto& [request, header, stub] : there) {
      if (absl::IsUnavailable(request->status)) view_->ForgetNode(map.shards[request->shard].node);
    }
    // An owner that refused the epoch holds a newer map than this node: read it and resend. So
    // for an owner not reached whose shard the map now gives another (a failover).
    std::vector<ShardRequest<Request, Response>*> stale;
    std::vector<ShardRequest<Request, Response>*> unreached;
    for (auto* request : to_send) {
      if (absl::IsFailedPrecondition(request->status)) stale.push_back(request);
      if (absl::IsUnavailable(request->status)) unreached.push_back(request);
    }
    if (stale.empty() && unreached.empty()) return;
    const std::shared_ptr<const Placement> sent = *std::move(placement);
    placement = view_->Find(collection, /*refresh=*/true);
    for (auto* request : unreached) {
      const ShardOwner& before = sent->map.shards[request->shard];
      if (placement.ok() && request->shard < (*placement)->map.shards.size() &&
          (*placement)->map.shards[request->shard].epoch != before.epoch) {
        stale.push_back(request);
      }
    }
    if (stale.empty()) return;
    to_send = std::move(stale);
    for (auto* request : to_send) request->response.Clear();
  }
}

template <typename Request, typename Response>
absl::StatusOr<std::vector<ShardRequest<Request, Response>>> ClusterApi::SendToEveryShard(
    const server::CallContext& call, const std::string& collection, const Request& request,
    LocalMethod<Request, Response> local, RemoteMethod<Request, Response> remote, bool by_node) {
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement, view_->Find(collection));
  const ShardMap& map = placement->map;
  std::vector<ShardRequest<Request, Response>> requests;
  std::map<std::string, size_t> part_of_node;
  for (uint32_t shard = 0; shard < map.shards.size(); ++shard) {
    if (by_node && !map.shards[shard].node.empty()) {
      const auto [found, added] = part_of_node.emplace(map.shards[shard].node, requests.size());
      if (!added) {
        requests[found->second].also.push_back(shard);
        continue;
      }
    }
    auto& part = requests.emplace_back();
    part.shard = shard;
    part.request = request;
  }
  SendToOwners(call, collection, placement, &requests, local, remote);
  if (!by_node) return requests;
  // A part refused twice for its epochs (shards that changed owner since this node read its
  // map) goes again shard by shard, each to its owner now.
  std::vector<ShardRequest<Request, Response>> again;
  for (auto& part : requests) {
    if (!absl::IsFailedPrecondition(part.status) || part.also.empty()) continue;
    for (uint32_t shard : part.also) {
      auto& single = again.emplace_back();
      single.shard = shard;
      single.request = request;
    }
    part.also.clear();
    part.response.Clear();
    again.emplace_back().shard = part.shard;
    again.back().request = request;
    part.status = absl::OkStatus();
    part.shard = UINT32_MAX;  // emptied: dropped below
  }
  if (again.empty()) return requests;
  std::erase_if(requests, [](const auto& part) { return part.shard == UINT32_MAX; });
  TQDB_ASSIGN_OR_RETURN(placement, view_->Find(collection));
  SendToOwners(call, collection, placement, &again, local, remote);
  for (auto& part : again) requests.push_back(std::move(part));
  return requests;
}

template <typename Request, typename Response>
absl::Status ClusterApi::ServeSearchShards(const server::CallContext& call, const Request& request,
                                           Response* response,
                                           LocalMethod<Request, Response> method) {
  TQDB_ASSIGN_OR_RETURN(const std::vector<ShardTarget> targets,
                        ParseShardHeader(call.shard_header));
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement,
                        view_->Find(request.collection()));
  // Each shard probes its share of the lists a search of the whole collection asks for.
  server::CallContext shard_call = call;
  shard_call.search_parts = static_cast<int>(placement->map.shards.size());
  std::vector<Response> answers(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    TQDB_ASSIGN_OR_RETURN(std::shared_ptr<LocalShards::Shard> shard,
                          OwnedShard(targets[i], request.collection(), Access::kRead));
    TQDB_RETURN_IF_ERROR((shard->api.get()->*method)(shard_call, request, &answers[i]));
  }
  if (answers.size() == 1) {
    *response = std::move(answers.front());
  } else {
    MergeSearchAnswers(&answers, request.options().k() == 0 ? 10 : request.options().k(),
                       placement->create.config().metric() == v1::METRIC_L2, response);
  }
  return absl::OkStatus();
}

// The positions of the request's ids in each shard (SplitByShard), and a part for each shard
// with any; with no ids, one part for shard 0, which answers as a server alone would.
template <typename Request, typename Response>
std::vector<ShardRequest<Request, Response>> PartsByShard(
    const google::protobuf::RepeatedField<uint64_t>& ids, uint32_t shards,
    std::vector<std::vector<size_t>>* positions) {
  *positions = SplitByShard(absl::MakeConstSpan(ids.data(), ids.size()), shards);
  std::vector<ShardRequest<Request, Response>> parts;
  for (uint32_t shard = 0; shard < shards; ++shard) {
    if ((*positions)[shard].empty() && !(shard == 0 && ids.empty())) continue;
    parts.emplace_back().shard = shard;
  }
  return parts;
}

// `request` with only its ids at `rows`, its other fields as they are: one shard's part of it.
template <typename Request>
Request WithIdsAt(const Request& request, const std::vector<size_t>& rows) {
  Request part = request;
  part.clear_ids();
  part.mutable_ids()->Reserve(static_cast<int>(rows.size()));
  for (size_t row : rows) part.add_ids(request.ids(static_cast<int>(row)));
  return part;
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
