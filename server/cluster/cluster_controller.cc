#include "cluster/cluster_controller.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cluster/cluster_keys.h"
#include "cluster/cluster_plan.h"
#include "cluster/controller_election.h"
#include "cluster/node_registration.h"
#include "cluster/shard_map_store.h"

namespace tqdb::cluster {
namespace {

// The registered nodes and every shard's owner and epoch: what a move or a join changes.
std::string LayoutOf(const v1::GetClusterStatusResponse& status) {
  std::string layout;
  for (const auto& node : status.nodes()) absl::StrAppend(&layout, node.id(), ",");
  for (const auto& collection : status.collections()) {
    absl::StrAppend(&layout, ";", collection.name(), ":");
    for (const auto& shard : collection.shards()) {
      absl::StrAppend(&layout, shard.node(), "/", shard.epoch(), ",");
    }
  }
  return layout;
}

}  // namespace

ClusterController::ClusterController(EtcdClient* etcd, server::Api* api,
                                     std::function<int64_t()> lease, Options options)
    : etcd_(etcd), api_(api), lease_(std::move(lease)), options_(std::move(options)) {
  thread_ = std::thread([this] { Run(); });
}

ClusterController::~ClusterController() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ClusterController::Run() {
  std::unique_lock lock(mu_);
  // The first campaign at once, not a period after the start: a new cluster has a controller
  // within moments (a collection's creation waits for one).
  do {
    lock.unlock();
    Step();
    lock.lock();
  } while (!wake_.wait_for(lock, options_.period, [this] { return stop_; }));
}

void ClusterController::Step() {
  const int64_t lease = lease_();
  if (lease == 0) return;
  absl::StatusOr<std::optional<Controller>> controller =
      TryBecomeController(*etcd_, options_.node_id, lease);
  if (!controller.ok() || !controller->has_value() || (*controller)->node_id != options_.node_id) {
    layout_.clear();  // a controller again later starts its wait afresh
    return;
  }
  FailOver((*controller)->fence);
  if (options_.rebalance_delay.count() == 0) return;
  // The status asks every shard for its size: a look at it every quarter of the delay is enough.
  const auto now = std::chrono::steady_clock::now();
  if (!layout_.empty() && now - looked_at_ < options_.rebalance_delay / 4) return;
  looked_at_ = now;
  server::CallContext call;
  call.authorization = options_.authorization;
  v1::GetClusterStatusResponse status;
  if (!api_->GetClusterStatus(call, {}, &status).ok()) return;
  // A shard that does not answer (its node restarting, or moving it) makes the cluster unsettled.
  for (const auto& collection : status.collections()) {
    for (const auto& shard : collection.shards()) {
      if (!shard.answered()) {
        layout_.clear();
        return;
      }
    }
  }
  const std::string layout = LayoutOf(status);
  if (layout != layout_) {
    // Its own move changes the layout without making the cluster less still.
    if (!moved_last_ || layout_.empty()) still_since_ = now;
    layout_ = layout;
  }
  moved_last_ = false;
  if (now - still_since_ < options_.rebalance_delay) return;
  const std::vector<ShardMove> moves = PlanMoves(status);
  if (moves.empty()) return;
  const ShardMove& move = moves.front();
  v1::MoveShardRequest request;
  request.set_collection(move.collection);
  request.set_shard(move.shard);
  request.set_to_node(move.to);
  request.set_controller_fence((*controller)->fence);  // refused once this node is deposed
  v1::MoveShardResponse response;
  const auto start = std::chrono::steady_clock::now();
  const absl::Status moved = api_->MoveShard(call, request, &response);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (moved.ok()) {
    moved_last_ = true;
    looked_at_ = {};  // the next move, if any, at the next look
    std::fprintf(stderr, "tqdb-server: controller %s moved shard %u of %s from %s to %s (%.1f s)\n",
                 options_.node_id.c_str(), move.shard, move.collection.c_str(), move.from.c_str(),
                 move.to.c_str(), seconds);
  } else {
    still_since_ = std::chrono::steady_clock::now();  // wait for stillness before trying again
    std::fprintf(stderr,
                 "tqdb-server: controller %s could not move shard %u of %s from %s to %s: %s\n",
                 options_.node_id.c_str(), move.shard, move.collection.c_str(), move.from.c_str(),
                 move.to.c_str(), moved.ToString().c_str());
  }
}

void ClusterController::FailOver(int64_t fence) {
  absl::StatusOr<std::vector<NodeInfo>> nodes = ListNodes(*etcd_);
  if (!nodes.ok()) return;
  std::vector<std::string> live;
  for (const NodeInfo& node : *nodes) live.push_back(node.id);
  absl::StatusOr<std::vector<EtcdKeyValue>> collections = etcd_->GetPrefix(kCollectionsPrefix);
  if (!collections.ok()) return;
  for (const EtcdKeyValue& record : *collections) {
    v1::CreateCollectionRequest created;
    if (!created.ParseFromString(record.value) || created.replication_factor() <= 1) continue;
    const std::string name = record.key.substr(kCollectionsPrefix.size());
    absl::StatusOr<std::optional<StoredShardMap>> stored = ReadShardMap(*etcd_, name);
    if (!stored.ok() || !stored->has_value()) continue;
    const ShardMap& map = (*stored)->map;
    const ShardMap next = PromoteReplicas(map, live);
    std::vector<std::string> promoted;
    for (size_t s = 0; s < map.shards.size(); ++s) {
      if (next.shards[s].node == map.shards[s].node) continue;
      promoted.push_back(absl::StrCat(s, ": ", map.shards[s].node, " -> ", next.shards[s].node,
                                      " (epoch ", next.shards[s].epoch, ")"));
    }
    if (promoted.empty()) continue;
    // Over the map read, under this controller's fence: an owner's concurrent change of its
    // in-sync set makes one of the two writes fail, and the other decide again.
    absl::StatusOr<bool> written = WriteShardMap(*etcd_, next, (*stored)->revision, fence);
    std::fprintf(stderr, "tqdb-server: controller %s failed over %s shards %s: %s\n",
                 options_.node_id.c_str(), name.c_str(), absl::StrJoin(promoted, "; ").c_str(),
                 !written.ok() ? written.status().ToString().c_str()
                 : *written    ? "written"
                               : "the map changed meanwhile; next look");
  }
}

}  // namespace tqdb::cluster
