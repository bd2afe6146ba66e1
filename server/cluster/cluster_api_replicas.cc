// ClusterApi's part in replication (issue 34): a write to a replicated shard is acknowledged once
// every in-sync replica holds it, and a shard's description says how far each replica has come.
#include <chrono>

#include "absl/strings/str_join.h"
#include "cluster_api.h"
#include "in_sync_set.h"
#include "tqdb/status_macros.h"

namespace tqdb::cluster {

using server::CallContext;

absl::Status ClusterApi::AwaitInSyncReplicas(const std::string& collection, ShardTarget target,
                                             LocalShards::Shard& shard) {
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement, view_->Find(collection));
  if (target.shard >= placement->map.shards.size()) return absl::OkStatus();
  const std::vector<std::string>& in_sync = placement->map.shards[target.shard].in_sync;
  if (in_sync.empty()) return absl::OkStatus();
  // The log's end now covers this write (and any beside it): a replica holding it holds this.
  const uint64_t written = shard.database->LatestSequence();
  const std::vector<std::string> late = shard.replicas.WaitFor(
      in_sync, written, std::chrono::steady_clock::now() + options_.replica_timeout);
  if (late.empty()) return absl::OkStatus();
  const std::string nodes = absl::StrJoin(late, ", ");
  NodeRegistration* registration = registration_.load();
  const absl::Status removed =
      RemoveFromInSync(*etcd_, collection, target.shard, options_.node_id, target.epoch,
                       registration != nullptr ? registration->key_revision() : 0, late);
  if (!removed.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "shard ", target.shard, " of ", collection, ": the write is applied on node ",
        options_.node_id, " but not acknowledged: in-sync replica(s) ", nodes,
        " did not confirm it within ", options_.replica_timeout.count(),
        " ms and could not be put out of sync (", removed.message(), "); retrying is safe"));
  }
  // Later writes wait only for the replicas in sync now.
  view_->Find(collection, /*refresh=*/true).IgnoreError();
  std::fprintf(stderr,
               "tqdb-server: replica(s) %s of shard %u of %s did not confirm a write within %lld "
               "ms: out of sync until caught up\n",
               nodes.c_str(), target.shard, collection.c_str(),
               static_cast<long long>(options_.replica_timeout.count()));
  return absl::OkStatus();
}

absl::Status ClusterApi::AddReplicaProgress(const CallContext& call, const std::string& collection,
                                            v1::DescribeCollectionResponse* response) {
  TQDB_ASSIGN_OR_RETURN(const ShardTarget target, ParseOneShard(call.shard_header));
  std::shared_ptr<LocalShards::Shard> shard = shards_->Find(collection, target.shard);
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement, view_->Find(collection));
  if (shard == nullptr || target.shard >= placement->map.shards.size()) return absl::OkStatus();
  const uint64_t written = shard->database->LatestSequence();
  for (const std::string& node : placement->map.shards[target.shard].replicas) {
    const uint64_t held = shard->replicas.Of(node);
    v1::ReplicaProgress* progress = response->add_replicas();
    progress->set_node(node);
    progress->set_reported(held > 0);
    progress->set_behind(written > held ? written - held : 0);
    progress->set_seconds_behind(shard->replicas.SecondsBehind(node, progress->behind()));
  }
  return absl::OkStatus();
}

}  // namespace tqdb::cluster
