// ClusterApi::MoveShard: the receiving side of a shard move (the sending side is
// shard_transfer.h). The new owner pulls the shard's checkpoint from the old one (which goes on
// taking writes and serving searches), syncs the files and opens the shard, applies the records
// of the ids written meanwhile in rounds, the last with the old owner's writes paused, and then
// changes the shard's owner and epoch in etcd in one compare-and-swap on the map's revision;
// only then does the old owner drop its copy. Nothing acknowledged is lost: a write the old
// owner acknowledged is in the checkpoint or noted for a round (the checkpoint and the last
// round each wait for the writes in flight), and a write refused during the pause was never
// acknowledged.
#include <chrono>
#include <filesystem>

#include "absl/cleanup/cleanup.h"
#include "cluster_api.h"
#include "cluster_api_fanout.h"
#include "cluster_keys.h"
#include "controller_election.h"
#include "shard_files.h"
#include "shard_map_store.h"
#include "shard_transfer.h"

namespace tqdb::cluster {
namespace {

using Clock = std::chrono::steady_clock;

// Applies a CatchUp round to the new copy: found records are upserted, the others deleted.
absl::Status ApplyRecords(const server::CallContext& call, const std::string& collection,
                          const v1::CatchUpResponse& records, server::TqdbApi* api) {
  // Synced whatever the collection's durability: the old owner acknowledged these writes, and
  // once the map names this node it holds the only copy.
  v1::UpsertRequest upsert;
  upsert.set_collection(collection);
  upsert.set_durability(v1::DURABILITY_SYNC);
  v1::DeleteRequest remove;
  remove.set_collection(collection);
  remove.set_durability(v1::DURABILITY_SYNC);
  for (const v1::Record& record : records.records()) {
    if (!record.found()) {
      remove.add_ids(record.id());
      continue;
    }
    upsert.add_ids(record.id());
    upsert.mutable_vectors_f32()->append(record.vector_f32());
    *upsert.add_payloads() = record.payload();
  }
  if (upsert.ids_size() > 0) {
    v1::UpsertResponse upserted;
    TQDB_RETURN_IF_ERROR(api->Upsert(call, upsert, &upserted));
  }
  if (remove.ids_size() > 0) {
    v1::DeleteResponse removed;
    TQDB_RETURN_IF_ERROR(api->Delete(call, remove, &removed));
  }
  return absl::OkStatus();
}

grpc::ClientContext* Prepare(grpc::ClientContext* context, const server::CallContext& call) {
  if (!call.authorization.empty()) context->AddMetadata("authorization", call.authorization);
  context->set_deadline(call.deadline == std::chrono::system_clock::time_point::max()
                            ? std::chrono::system_clock::now() + std::chrono::hours(1)
                            : call.deadline);
  return context;
}

}  // namespace

absl::Status ClusterApi::MoveShard(const server::CallContext& call,
                                   const v1::MoveShardRequest& request,
                                   v1::MoveShardResponse* response) {
  const std::string& collection = request.collection();
  TQDB_RETURN_IF_ERROR(Authorize(call, server::Role::kAdmin, collection));
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement,
                        view_->Find(collection, /*refresh=*/true));
  if (request.shard() >= placement->map.shards.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        collection, " has ", placement->map.shards.size(), " shards, not shard ", request.shard()));
  }
  const ShardOwner owner = placement->map.shards[request.shard()];
  response->set_from_node(owner.node);
  response->set_epoch(owner.epoch);
  if (request.to_node() == owner.node) return absl::OkStatus();  // there already
  if (!owner.replicas.empty()) {
    // A move would have to carry the replicas and the in-sync set along (and not land on a
    // replica): not built. A replicated shard changes owner by failover only.
    return absl::FailedPreconditionError(
        absl::StrCat("shard ", request.shard(), " of ", collection,
                     " has replicas: the shards of replicated collections do not move yet"));
  }
  TQDB_ASSIGN_OR_RETURN(const std::vector<NodeInfo> nodes, ListNodes(*etcd_));
  if (std::none_of(nodes.begin(), nodes.end(),
                   [&](const NodeInfo& node) { return node.id == request.to_node(); })) {
    return absl::FailedPreconditionError(
        absl::StrCat("node '", request.to_node(), "' is not registered in the cluster"));
  }
  // The move is made under the controller of now (or the one that ordered it): if another is
  // elected meanwhile, the switch is refused and the move undone.
  v1::MoveShardRequest fenced = request;
  if (fenced.controller_fence() == 0) {
    TQDB_ASSIGN_OR_RETURN(const Controller controller,
                          AwaitController(*etcd_, kControllerPatience));
    fenced.set_controller_fence(controller.fence);
  }
  if (request.to_node() != options_.node_id) {
    // The new owner pulls the shard: the request goes to it.
    TQDB_ASSIGN_OR_RETURN(std::shared_ptr<v1::Tqdb::Stub> stub, view_->StubOf(request.to_node()));
    grpc::ClientContext context;
    return server::FromGrpcStatus(stub->MoveShard(Prepare(&context, call), fenced, response));
  }
  const Clock::time_point start = Clock::now();
  TQDB_ASSIGN_OR_RETURN(std::unique_ptr<v1::ShardTransfer::Stub> source,
                        view_->TransferStubOf(owner.node));
  const std::string incoming = shards_->IncomingDirectory(collection, request.shard());
  std::error_code error;
  std::filesystem::remove_all(incoming, error);
  std::filesystem::create_directories(incoming, error);
  auto remove_incoming = absl::MakeCleanup([&] { std::filesystem::remove_all(incoming, error); });
  // Tells the old owner how the move ended (it also settles by itself, kAbandonedMove).
  const auto finish = [&](bool committed) {
    grpc::ClientContext context;
    v1::FinishMoveRequest message;
    message.set_collection(collection);
    message.set_shard(request.shard());
    message.set_committed(committed);
    v1::FinishMoveResponse finished;
    return server::FromGrpcStatus(source->FinishMove(Prepare(&context, call), message, &finished));
  };

  v1::FetchShardRequest fetch;
  fetch.set_collection(collection);
  fetch.set_shard(request.shard());
  fetch.set_epoch(owner.epoch);
  fetch.set_to_node(options_.node_id);
  grpc::ClientContext context;
  absl::StatusOr<uint64_t> bytes =
      FetchShardFiles(*source, Prepare(&context, call), fetch, incoming);
  if (!bytes.ok()) {
    (void)finish(false);
    return bytes.status();
  }
  absl::StatusOr<std::shared_ptr<LocalShards::Shard>> adopted =
      shards_->Adopt(collection, request.shard(), incoming);
  if (!adopted.ok()) {
    (void)finish(false);
    return adopted.status();
  }
  // Rounds of the writes made since the checkpoint while they go on, until one is small; then
  // the last round with the writes paused.
  Clock::time_point paused = Clock::now();
  absl::Status caught_up = [&]() -> absl::Status {
    bool pause = false;
    for (int round = 0;; ++round) {
      if (pause) paused = Clock::now();
      v1::CatchUpRequest catch_up;
      catch_up.set_collection(collection);
      catch_up.set_shard(request.shard());
      catch_up.set_pause(pause);
      v1::CatchUpResponse records;
      grpc::ClientContext context;
      TQDB_RETURN_IF_ERROR(
          server::FromGrpcStatus(source->CatchUp(Prepare(&context, call), catch_up, &records)));
      TQDB_RETURN_IF_ERROR(ApplyRecords(call, collection, records, (*adopted)->api.get()));
      if (pause && !records.more()) return absl::OkStatus();
      constexpr int kRounds = 20;
      constexpr int kSmallRound = 1000;
      if (!records.more() && (records.records_size() < kSmallRound || round >= kRounds)) {
        pause = true;
      }
    }
  }();
  adopted->reset();
  if (!caught_up.ok()) {
    (void)shards_->Drop(collection, request.shard());
    (void)finish(false);
    return caught_up;
  }
  // The switch: only over the map this move started from (a concurrent change of the shard's
  // owner, or a dropped collection, makes it fail and the old owner keep the shard).
  // A move the controller ordered stands or falls with it; one an operator asked for is made
  // under whichever controller is current at the switch (one elected meanwhile, say after the
  // last one's lease ran out, takes it over), still only over the map read just before.
  const bool ordered_by_controller = request.controller_fence() != 0;
  absl::Status switched = [&]() -> absl::Status {
    int64_t fence = fenced.controller_fence();
    for (int attempt = 0;; ++attempt) {
      TQDB_ASSIGN_OR_RETURN(std::optional<StoredShardMap> stored, ReadShardMap(*etcd_, collection));
      if (!stored.has_value()) return absl::NotFoundError("the collection was dropped meanwhile");
      const ShardOwner now = stored->map.shards[request.shard()];
      if (now.node != owner.node || now.epoch != owner.epoch) {
        return absl::AbortedError("the shard changed owner meanwhile");
      }
      ShardMap next = stored->map;
      next.shards[request.shard()] = {options_.node_id, owner.epoch + 1};
      TQDB_ASSIGN_OR_RETURN(const bool written,
                            WriteShardMap(*etcd_, next, stored->revision, fence));
      if (written) return absl::OkStatus();
      if (ordered_by_controller || attempt == 2) {
        return absl::AbortedError(
            "the shard map changed meanwhile, or the controller the move was made under is no "
            "longer the controller");
      }
      TQDB_ASSIGN_OR_RETURN(const Controller current, AwaitController(*etcd_, kControllerPatience));
      fence = current.fence;
    }
  }();
  if (!switched.ok()) {
    (void)shards_->Drop(collection, request.shard());
    (void)finish(false);
    return absl::Status(switched.code(),
                        absl::StrCat("the move of shard ", request.shard(), " of ", collection,
                                     " was undone: ", switched.message()));
  }
  TQDB_RETURN_IF_ERROR(view_->Find(collection, /*refresh=*/true).status());
  if (absl::Status told = finish(true); !told.ok()) {
    std::fprintf(stderr,
                 "tqdb-server: the old owner of shard %u of %s did not hear that the move "
                 "is done (%s); it settles by itself within %llds\n",
                 request.shard(), collection.c_str(), told.ToString().c_str(),
                 static_cast<long long>(kAbandonedMove.count()));
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  response->set_epoch(owner.epoch + 1);
  response->set_bytes(*bytes);
  response->set_write_pause_seconds(std::chrono::duration<double>(Clock::now() - paused).count());
  response->set_seconds(seconds);
  return absl::OkStatus();
}

}  // namespace tqdb::cluster
