// ClusterApi: each call's dispatch (a shard's or a client's), the checks on a shard call, and the
// calls that change or describe the collections themselves.
#include "cluster_api.h"

#include <algorithm>
#include <cmath>

#include "cluster_api_fanout.h"
#include "cluster_keys.h"
#include "controller_election.h"
#include "proto_convert.h"
#include "shard_layout.h"
#include "shard_map_store.h"
#include "tqdb/ivf_index.h"

namespace tqdb::cluster {

using server::CallContext;
using server::Role;

namespace {

void AddMemory(const v1::MemoryUsage& part, v1::MemoryUsage* sum) {
  sum->set_codes(sum->codes() + part.codes());
  sum->set_factors(sum->factors() + part.factors());
  sum->set_ids(sum->ids() + part.ids());
  sum->set_vectors(sum->vectors() + part.vectors());
  sum->set_lists(sum->lists() + part.lists());
  sum->set_codec(sum->codec() + part.codec());
}

}  // namespace

absl::Status ClusterApi::Authorize(const CallContext& call, Role role,
                                   const std::string& collection) const {
  if (options_.api_keys == nullptr) return absl::OkStatus();
  return options_.api_keys->Check(call.authorization, role, collection);
}

absl::StatusOr<std::shared_ptr<LocalShards::Shard>> ClusterApi::OwnedShard(
    const ShardTarget target, const std::string& collection, Access access) {
  NodeRegistration* registration = registration_.load();
  if (access == Access::kWrite && (registration == nullptr || !registration->live())) {
    return absl::UnavailableError(absl::StrCat(
        "node ", options_.node_id,
        " does not hold its lease in etcd now: it takes no writes until it holds one again"));
  }
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement, view_->Find(collection));
  if (target.shard >= placement->map.shards.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        collection, " has ", placement->map.shards.size(), " shards, not shard ", target.shard));
  }
  // A sender with a newer map than this node's: this node reads it too before deciding.
  if (placement->map.shards[target.shard].epoch < target.epoch) {
    TQDB_ASSIGN_OR_RETURN(placement, view_->Find(collection, /*refresh=*/true));
  }
  TQDB_RETURN_IF_ERROR(CheckOwner(placement->map, target.shard, options_.node_id, target.epoch));
  if (std::shared_ptr<LocalShards::Shard> shard = shards_->Find(collection, target.shard)) {
    return shard;
  }
  // A shard that moved here arrives with its files; only a first owner starts one empty, so a
  // shard lost with a node's disk is an error rather than an empty shard. One given to this node
  // by a failover is its replica's copy, opened as the shard within moments.
  if (ReplicaManager* replicas = replicas_.load();
      target.epoch != 1 && replicas != nullptr && replicas->HoldsCopy(collection, target.shard)) {
    replicas->Wake();
    return absl::UnavailableError(absl::StrCat("node ", options_.node_id, " is taking over shard ",
                                               target.shard, " of ", collection,
                                               " from its replica: retry in a moment"));
  }
  // The copy may have become the shard between the two looks (LocalShards::Adopt moves it and
  // opens it under the lock Find takes).
  if (std::shared_ptr<LocalShards::Shard> shard = shards_->Find(collection, target.shard)) {
    return shard;
  }
  if (target.epoch != 1) {
    return absl::DataLossError(absl::StrCat("node ", options_.node_id, " owns shard ", target.shard,
                                            " of ", collection, " at epoch ", target.epoch,
                                            " but does not hold its data"));
  }
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<LocalShards::Shard> shard,
                        shards_->OpenOrCreate(collection, target.shard));
  TQDB_ASSIGN_OR_RETURN(CollectionConfig config, server::FromProto(placement->create.config()));
  config.partition_at = ShardPartitionAt(config.partition_at, placement->map.shards.size());
  TQDB_RETURN_IF_ERROR(shard->database->CreateCollection(config, /*if_not_exists=*/true).status());
  return shard;
}

absl::Status ClusterApi::CreateCollection(const CallContext& call,
                                          const v1::CreateCollectionRequest& request,
                                          v1::CreateCollectionResponse* response) {
  if (!call.shard_header.empty()) {
    v1::CreateCollectionRequest existing = request;
    existing.set_if_not_exists(true);
    return ServeShard(call, request.config().name(), Access::kWrite, existing, response,
                      &server::Api::CreateCollection);
  }
  return RouteCreate(call, request, response);
}

absl::Status ClusterApi::RouteCreate(const CallContext& call,
                                     const v1::CreateCollectionRequest& request,
                                     v1::CreateCollectionResponse* response) {
  const std::string& name = request.config().name();
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kAdmin, name));
  // The engine's rules and this node's limits before anything is written to etcd.
  TQDB_ASSIGN_OR_RETURN(CollectionConfig config, server::FromProto(request.config()));
  TQDB_RETURN_IF_ERROR(ValidateCollectionConfig(config));
  if (config.quantizer.dim > options_.limits.max_dimension) {
    return absl::InvalidArgumentError(
        absl::StrCat("dimension ", config.quantizer.dim, " is above this server's limit of ",
                     options_.limits.max_dimension, " (--max_dimension)"));
  }
  TQDB_ASSIGN_OR_RETURN(std::vector<NodeInfo> nodes, ListNodes(*etcd_));
  if (nodes.empty()) return absl::UnavailableError("no node of the cluster is registered");
  constexpr uint32_t kMaxShards = 1024;
  if (request.shards() > kMaxShards) {
    return absl::InvalidArgumentError(
        absl::StrCat("shards ", request.shards(), ": at most ", kMaxShards));
  }
  constexpr uint32_t kMaxCopies = 3;
  const uint32_t copies = std::max<uint32_t>(1, request.replication_factor());
  if (copies > kMaxCopies || copies > nodes.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("replication_factor ", copies, ": at most ", kMaxCopies, ", and at most the ",
                     nodes.size(), " registered nodes (each copy of a shard is on another node)"));
  }
  v1::CreateCollectionRequest record;
  *record.mutable_config() = request.config();
  record.set_replication_factor(copies);
  record.set_shards(request.shards() != 0
                        ? request.shards()
                        : std::min<uint32_t>(kMaxShards, options_.shards_per_node *
                                                             static_cast<uint32_t>(nodes.size())));
  TQDB_ASSIGN_OR_RETURN(const bool created,
                        etcd_->CompareAndPut(CollectionKey(name), record.SerializeAsString(), 0));
  if (!created) {
    TQDB_ASSIGN_OR_RETURN(std::optional<EtcdKeyValue> stored, etcd_->Get(CollectionKey(name)));
    v1::CreateCollectionRequest existing;
    if (stored.has_value() && !existing.ParseFromString(stored->value)) {
      return absl::DataLossError(absl::StrCat("the cluster's record of '", name, "' is damaged"));
    }
    const bool same =
        stored.has_value() &&
        existing.config().SerializeAsString() == request.config().SerializeAsString() &&
        (request.shards() == 0 || request.shards() == existing.shards()) &&
        copies == std::max<uint32_t>(1, existing.replication_factor());
    if (!request.if_not_exists() || !same) {
      return absl::AlreadyExistsError(absl::StrCat("collection '", name,
                                                   "' already exists in the cluster, with ",
                                                   existing.shards(), " shards"));
    }
    record = std::move(existing);
  }
  // The first map: every shard to the least loaded live node, epoch 1. Written only where none
  // is (a create racing this one, or an earlier attempt, may have written it), and fenced as
  // every map write is: only while the controller read here holds its key.
  ShardMap map;
  map.collection = name;
  map.shards.resize(record.shards());
  std::vector<std::string> live;
  for (const NodeInfo& node : nodes) live.push_back(node.id);
  // The replicas start out of sync, though the shards are empty: a copy is in sync only once
  // it exists and has caught up (ReplicaManager admits it within moments), so the creation
  // waits for none and no failover can promote a copy not made yet.
  map = PlaceReplicas(AssignShards(map, live), live, record.replication_factor());
  for (int attempt = 0;; ++attempt) {
    TQDB_ASSIGN_OR_RETURN(const Controller controller,
                          AwaitController(*etcd_, kControllerPatience));
    TQDB_ASSIGN_OR_RETURN(const bool written, WriteShardMap(*etcd_, map, 0, controller.fence));
    if (written) break;
    TQDB_ASSIGN_OR_RETURN(const std::optional<StoredShardMap> stored, ReadShardMap(*etcd_, name));
    if (stored.has_value()) break;  // another attempt's map: the same collection
    if (attempt == 2) {
      return absl::UnavailableError(absl::StrCat(
          "the first shard map of '", name, "' was not written: the controller kept changing"));
    }
  }
  view_->Forget(name);
  // Each owner makes its shard now (or on the shard's first call, if it cannot be reached).
  v1::CreateCollectionRequest shard_request;
  *shard_request.mutable_config() = request.config();
  TQDB_ASSIGN_OR_RETURN(auto parts,
                        SendToEveryShard(call, name, shard_request, &server::Api::CreateCollection,
                                         &v1::Tqdb::Stub::PrepareAsyncCreateCollection));
  TQDB_RETURN_IF_ERROR(FirstFailure(parts));
  *response->mutable_config() = parts.front().response.config();
  response->mutable_config()->set_partition_at(record.config().partition_at());  // not a shard's
  return absl::OkStatus();
}

absl::Status ClusterApi::DropCollection(const CallContext& call,
                                        const v1::DropCollectionRequest& request,
                                        v1::DropCollectionResponse*) {
  if (!call.shard_header.empty()) return DropShard(call, request.collection());
  return RouteDrop(call, request);
}

absl::Status ClusterApi::RouteDrop(const CallContext& call,
                                   const v1::DropCollectionRequest& request) {
  const std::string& name = request.collection();
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kAdmin, name));
  // The drop is decided in etcd first: the map and the record go together, fenced as every map
  // write is (only over the map read here, only while the controller read here holds its key),
  // so a shard move that changes the map meanwhile makes the drop read it again and reach the
  // new owner. Shards whose owner is down now are removed when it starts again (ClusterNode
  // drops local shards of collections etcd no longer has).
  std::shared_ptr<const Placement> placement;
  for (int attempt = 0;; ++attempt) {
    TQDB_ASSIGN_OR_RETURN(const Controller controller,
                          AwaitController(*etcd_, kControllerPatience));
    absl::StatusOr<std::shared_ptr<const Placement>> read = view_->Find(name, /*refresh=*/true);
    if (!read.ok() && !absl::IsNotFound(read.status())) return read.status();
    if (!read.ok()) {
      // A record without a map (a creation stopped between its two writes) goes alone.
      TQDB_ASSIGN_OR_RETURN(const std::optional<EtcdKeyValue> record,
                            etcd_->Get(CollectionKey(name)));
      if (!record.has_value()) return read.status();
    }
    TQDB_ASSIGN_OR_RETURN(
        const bool removed,
        RemoveCollectionRecords(*etcd_, name, read.ok() ? (*read)->map_revision : 0,
                                controller.fence));
    if (removed) {
      if (read.ok()) placement = *std::move(read);
      break;
    }
    if (attempt == 2) {
      return absl::UnavailableError(
          absl::StrCat("collection '", name,
                       "' was not dropped: its shard map or the controller kept changing"));
    }
  }
  view_->Forget(name);
  if (placement == nullptr) return absl::OkStatus();
  std::vector<ShardRequest<v1::DropCollectionRequest, v1::DropCollectionResponse>> parts(
      placement->map.shards.size());
  for (uint32_t shard = 0; shard < parts.size(); ++shard) {
    parts[shard].shard = shard;
    parts[shard].request = request;
  }
  // The map is gone from etcd, so the parts go by the one read above.
  SendToOwners(call, name, placement, &parts, &server::Api::DropCollection,
               &v1::Tqdb::Stub::PrepareAsyncDropCollection);
  return absl::OkStatus();
}

absl::Status ClusterApi::DropShard(const CallContext& call, const std::string& collection) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kAdmin, collection));
  TQDB_ASSIGN_OR_RETURN(const ShardTarget target, ParseOneShard(call.shard_header));
  // Only a collection etcd no longer has: a stray or replayed drop cannot remove live data.
  TQDB_ASSIGN_OR_RETURN(std::optional<EtcdKeyValue> record, etcd_->Get(CollectionKey(collection)));
  if (record.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("collection '", collection, "' is still in the cluster; drop it there"));
  }
  view_->Forget(collection);
  return shards_->Drop(collection, target.shard);
}

absl::Status ClusterApi::ListCollections(const CallContext& call, const v1::ListCollectionsRequest&,
                                         v1::ListCollectionsResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kRead, ""));
  TQDB_ASSIGN_OR_RETURN(std::vector<std::string> names, view_->ListCollections());
  for (std::string& name : names) response->add_names(std::move(name));
  return absl::OkStatus();
}

absl::Status ClusterApi::DescribeCollection(const CallContext& call,
                                            const v1::DescribeCollectionRequest& request,
                                            v1::DescribeCollectionResponse* response) {
  if (!call.shard_header.empty()) {
    TQDB_RETURN_IF_ERROR(ServeShard(call, request.collection(), Access::kRead, request, response,
                                    &server::Api::DescribeCollection));
    return AddReplicaProgress(call, request.collection(), response);
  }
  TQDB_ASSIGN_OR_RETURN(
      auto parts,
      SendToEveryShard(call, request.collection(), request, &server::Api::DescribeCollection,
                       &v1::Tqdb::Stub::PrepareAsyncDescribeCollection));
  TQDB_RETURN_IF_ERROR(FirstFailure(parts));
  // Shard 0's description, with the sums (and for drift, the largest) of all shards, and the
  // collection's partition_at rather than a shard's.
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement,
                        view_->Find(request.collection()));
  *response = parts.front().response;
  response->mutable_config()->set_partition_at(placement->create.config().partition_at());
  for (size_t i = 1; i < parts.size(); ++i) {
    const v1::DescribeCollectionResponse& part = parts[i].response;
    response->set_count(response->count() + part.count());
    response->set_bytes_on_disk(response->bytes_on_disk() + part.bytes_on_disk());
    response->set_bytes_in_memory(response->bytes_in_memory() + part.bytes_in_memory());
    response->set_segments(response->segments() + part.segments());
    response->set_dead_entries(response->dead_entries() + part.dead_entries());
    AddMemory(part.memory(), response->mutable_memory());
    response->set_payload_index_bytes(response->payload_index_bytes() + part.payload_index_bytes());
    response->set_drift(std::max(response->drift(), part.drift()));
    response->set_recentering(response->recentering() || part.recentering());
    response->set_background_jobs(response->background_jobs() || part.background_jobs());
  }
  response->set_shards(static_cast<uint32_t>(parts.size()));
  if (response->has_partitioning() && response->config().nprobe() == 0) {
    // A search's nprobe counts lists of the whole collection (shard_layout.h): the default is
    // the whole's, about sqrt(S) times each shard's lists.
    const double whole_lists =
        response->partitioning().list_sizes_size() * std::sqrt(static_cast<double>(parts.size()));
    response->mutable_partitioning()->set_nprobe(
        static_cast<uint32_t>(DefaultNprobe(static_cast<size_t>(std::lround(whole_lists)))));
  }
  return absl::OkStatus();
}

absl::Status ClusterApi::GetServerStats(const CallContext& call,
                                        const v1::GetServerStatsRequest& request,
                                        v1::GetServerStatsResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kRead, ""));
  // This node's figures: its shards' sums; the process-wide ones (RSS) from any of them.
  for (const auto& [collection, number] : shards_->List()) {
    std::shared_ptr<LocalShards::Shard> shard = shards_->Find(collection, number);
    if (shard == nullptr) continue;
    v1::GetServerStatsResponse part;
    TQDB_RETURN_IF_ERROR(shard->api->GetServerStats(call, request, &part));
    const v1::GetServerStatsResponse sums = *response;
    *response = part;
    response->set_collections(sums.collections() + part.collections());
    response->set_vectors(sums.vectors() + part.vectors());
    AddMemory(sums.index_memory(), response->mutable_index_memory());
    response->set_block_cache_bytes(sums.block_cache_bytes() + part.block_cache_bytes());
    response->set_block_cache_capacity(sums.block_cache_capacity() + part.block_cache_capacity());
    response->set_memtable_bytes(sums.memtable_bytes() + part.memtable_bytes());
    response->set_write_buffer_limit(sums.write_buffer_limit() + part.write_buffer_limit());
    response->set_table_readers_bytes(sums.table_readers_bytes() + part.table_readers_bytes());
    response->set_disk_bytes(sums.disk_bytes() + part.disk_bytes());
    response->set_accounted_bytes(sums.accounted_bytes() + part.accounted_bytes());
  }
  return absl::OkStatus();
}

absl::Status ClusterApi::CreatePayloadIndex(const CallContext& call,
                                            const v1::CreatePayloadIndexRequest& request,
                                            v1::CreatePayloadIndexResponse* response) {
  if (!call.shard_header.empty()) {
    return ServeShard(call, request.collection(), Access::kWrite, request, response,
                      &server::Api::CreatePayloadIndex);
  }
  TQDB_ASSIGN_OR_RETURN(
      auto parts,
      SendToEveryShard(call, request.collection(), request, &server::Api::CreatePayloadIndex,
                       &v1::Tqdb::Stub::PrepareAsyncCreatePayloadIndex));
  return FirstFailure(parts);
}

absl::Status ClusterApi::RecenterCollection(const CallContext& call,
                                            const v1::RecenterCollectionRequest& request,
                                            v1::RecenterCollectionResponse* response) {
  if (!call.shard_header.empty()) {
    return ServeShard(call, request.collection(), Access::kWrite, request, response,
                      &server::Api::RecenterCollection);
  }
  TQDB_ASSIGN_OR_RETURN(
      auto parts,
      SendToEveryShard(call, request.collection(), request, &server::Api::RecenterCollection,
                       &v1::Tqdb::Stub::PrepareAsyncRecenterCollection));
  TQDB_RETURN_IF_ERROR(FirstFailure(parts));
  for (const auto& part : parts) {
    response->set_drift(std::max(response->drift(), part.response.drift()));
    response->set_reencoded(response->reencoded() + part.response.reencoded());
  }
  return absl::OkStatus();
}

absl::Status ClusterApi::RepartitionCollection(const CallContext& call,
                                               const v1::RepartitionCollectionRequest& request,
                                               v1::RepartitionCollectionResponse* response) {
  if (!call.shard_header.empty()) {
    return ServeShard(call, request.collection(), Access::kWrite, request, response,
                      &server::Api::RepartitionCollection);
  }
  // Lists of the whole collection: each shard takes its share (shard_layout.h).
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement,
                        view_->Find(request.collection()));
  v1::RepartitionCollectionRequest per_shard = request;
  per_shard.set_lists(ShardLists(request.lists(), placement->map.shards.size()));
  TQDB_ASSIGN_OR_RETURN(
      auto parts,
      SendToEveryShard(call, request.collection(), per_shard, &server::Api::RepartitionCollection,
                       &v1::Tqdb::Stub::PrepareAsyncRepartitionCollection));
  TQDB_RETURN_IF_ERROR(FirstFailure(parts));
  *response = parts.front().response;  // shard 0's partitioning; each shard has its own
  return absl::OkStatus();
}

absl::Status ClusterApi::CreateSnapshot(const CallContext& call,
                                        const v1::CreateSnapshotRequest& request,
                                        v1::CreateSnapshotResponse*) {
  TQDB_RETURN_IF_ERROR(Authorize(call, Role::kAdmin, request.collection()));
  return absl::UnimplementedError(
      "snapshots of a cluster are not built yet: each shard is a tqdb data directory under the "
      "node's --data_dir/shards, which a file-system snapshot can copy");
}

}  // namespace tqdb::cluster
