// ClusterApi's writes: each id goes to its shard's owner (shard = hash(id) mod S); writes by
// filter go to every shard. A write spanning shards is atomic per shard only: when some shards
// fail, the others' parts stay applied and the error says which.
#include <cstring>

#include "cluster_api.h"
#include "cluster_api_fanout.h"

namespace tqdb::cluster {
namespace {

using server::CallContext;

// OK, or the first failure with what the other shards did (their parts stay applied).
template <typename Request, typename Response>
absl::Status PerShardOutcome(const std::vector<ShardRequest<Request, Response>>& parts) {
  std::string applied;
  for (const auto& part : parts) {
    if (part.status.ok()) absl::StrAppend(&applied, applied.empty() ? "" : ", ", part.shard);
  }
  for (const auto& part : parts) {
    if (part.status.ok()) continue;
    if (applied.empty()) return part.status;
    return absl::Status(part.status.code(),
                        absl::StrCat(part.status.message(), " (applied on shards ", applied,
                                     ": a write is atomic per shard only; retrying it is safe)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ClusterApi::Upsert(const CallContext& call, const v1::UpsertRequest& request,
                                v1::UpsertResponse* response) {
  if (!call.shard_header.empty()) {
    return ServeShard(call, request.collection(), Access::kWrite, request, response,
                      &server::Api::Upsert);
  }
  return RouteUpsert(call, request, response);
}

absl::Status ClusterApi::RouteUpsert(const CallContext& call, const v1::UpsertRequest& request,
                                     v1::UpsertResponse* response) {
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement,
                        view_->Find(request.collection()));
  const size_t dimension = placement->create.config().dimension();
  const size_t n = request.ids_size();
  const bool as_bytes = !request.vectors_f32().empty();
  if (as_bytes && request.vectors_size() > 0) {
    return absl::InvalidArgumentError("give vectors or vectors_f32, not both");
  }
  const size_t floats = as_bytes ? request.vectors_f32().size() / sizeof(float)
                                 : static_cast<size_t>(request.vectors_size());
  if (floats != n * dimension || (as_bytes && request.vectors_f32().size() % sizeof(float) != 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        n, " ids need ", n * dimension, " floats (dimension ", dimension, "), not ", floats));
  }
  if (request.payloads_size() != 0 && static_cast<size_t>(request.payloads_size()) != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(request.payloads_size(), " payloads for ", n, " ids"));
  }
  std::vector<std::vector<size_t>> positions;
  auto parts = PartsByShard<v1::UpsertRequest, v1::UpsertResponse>(
      request.ids(), static_cast<uint32_t>(placement->map.shards.size()), &positions);
  for (auto& part : parts) {
    v1::UpsertRequest& sub = part.request;
    sub.set_collection(request.collection());
    sub.set_durability(request.durability());
    const std::vector<size_t>& rows = positions[part.shard];
    sub.mutable_ids()->Reserve(static_cast<int>(rows.size()));
    std::string* bytes = as_bytes ? sub.mutable_vectors_f32() : nullptr;
    if (as_bytes) bytes->resize(rows.size() * dimension * sizeof(float));
    if (!as_bytes) sub.mutable_vectors()->Resize(static_cast<int>(rows.size() * dimension), 0.0f);
    for (size_t r = 0; r < rows.size(); ++r) {
      const size_t row = rows[r];
      sub.add_ids(request.ids(static_cast<int>(row)));
      if (as_bytes) {
        std::memcpy(bytes->data() + r * dimension * sizeof(float),
                    request.vectors_f32().data() + row * dimension * sizeof(float),
                    dimension * sizeof(float));
      } else {
        std::memcpy(sub.mutable_vectors()->mutable_data() + r * dimension,
                    request.vectors().data() + row * dimension, dimension * sizeof(float));
      }
      if (request.payloads_size() != 0)
        *sub.add_payloads() = request.payloads(static_cast<int>(row));
    }
  }
  SendToOwners(call, request.collection(), placement, &parts, &server::Api::Upsert,
               &v1::Tqdb::Stub::PrepareAsyncUpsert);
  for (const auto& part : parts) {
    if (!part.status.ok()) continue;
    response->set_inserted(response->inserted() + part.response.inserted());
    response->set_replaced(response->replaced() + part.response.replaced());
  }
  return PerShardOutcome(parts);
}

absl::Status ClusterApi::Delete(const CallContext& call, const v1::DeleteRequest& request,
                                v1::DeleteResponse* response) {
  if (!call.shard_header.empty()) {
    return ServeShard(call, request.collection(), Access::kWrite, request, response,
                      &server::Api::Delete);
  }
  return RouteDelete(call, request, response);
}

absl::Status ClusterApi::RouteDelete(const CallContext& call, const v1::DeleteRequest& request,
                                     v1::DeleteResponse* response) {
  const bool by_filter = !request.filter().empty() || request.has_filter_message();
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement,
                        view_->Find(request.collection()));
  std::vector<ShardRequest<v1::DeleteRequest, v1::DeleteResponse>> parts;
  if (by_filter || request.ids_size() == 0) {
    // Every shard checks the request as a server alone would (ids and a filter: refused).
    for (uint32_t shard = 0; shard < placement->map.shards.size(); ++shard) {
      parts.emplace_back().shard = shard;
      parts.back().request = request;
    }
  } else {
    std::vector<std::vector<size_t>> positions;
    parts = PartsByShard<v1::DeleteRequest, v1::DeleteResponse>(
        request.ids(), static_cast<uint32_t>(placement->map.shards.size()), &positions);
    for (auto& part : parts) part.request = WithIdsAt(request, positions[part.shard]);
  }
  SendToOwners(call, request.collection(), placement, &parts, &server::Api::Delete,
               &v1::Tqdb::Stub::PrepareAsyncDelete);
  for (const auto& part : parts) {
    if (part.status.ok()) response->set_deleted(response->deleted() + part.response.deleted());
  }
  return PerShardOutcome(parts);
}

absl::Status ClusterApi::UpdatePayload(const CallContext& call,
                                       const v1::UpdatePayloadRequest& request,
                                       v1::UpdatePayloadResponse* response) {
  if (!call.shard_header.empty()) {
    return ServeShard(call, request.collection(), Access::kWrite, request, response,
                      &server::Api::UpdatePayload);
  }
  return RouteUpdatePayload(call, request, response);
}

absl::Status ClusterApi::RouteUpdatePayload(const CallContext& call,
                                            const v1::UpdatePayloadRequest& request,
                                            v1::UpdatePayloadResponse* response) {
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement,
                        view_->Find(request.collection()));
  std::vector<ShardRequest<v1::UpdatePayloadRequest, v1::UpdatePayloadResponse>> parts;
  if (request.ids_size() == 0) {
    for (uint32_t shard = 0; shard < placement->map.shards.size(); ++shard) {
      parts.emplace_back().shard = shard;
      parts.back().request = request;
    }
  } else {
    std::vector<std::vector<size_t>> positions;
    parts = PartsByShard<v1::UpdatePayloadRequest, v1::UpdatePayloadResponse>(
        request.ids(), static_cast<uint32_t>(placement->map.shards.size()), &positions);
    for (auto& part : parts) part.request = WithIdsAt(request, positions[part.shard]);
  }
  SendToOwners(call, request.collection(), placement, &parts, &server::Api::UpdatePayload,
               &v1::Tqdb::Stub::PrepareAsyncUpdatePayload);
  for (const auto& part : parts) {
    if (part.status.ok()) response->set_updated(response->updated() + part.response.updated());
  }
  return PerShardOutcome(parts);
}

}  // namespace tqdb::cluster
