#include "cluster_view.h"

#include <climits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cluster_keys.h"
#include "grpcpp/grpcpp.h"
#include "shard_map_store.h"

namespace tqdb::cluster {

absl::StatusOr<std::shared_ptr<const Placement>> ClusterView::Find(const std::string& collection,
                                                                   bool refresh) {
  if (!refresh) {
    MutexLock lock(mu_);
    if (const auto found = placements_.find(collection); found != placements_.end()) {
      return found->second;
    }
  }
  absl::StatusOr<std::optional<EtcdKeyValue>> created = etcd_->Get(CollectionKey(collection));
  if (!created.ok()) return created.status();
  absl::StatusOr<std::optional<StoredShardMap>> stored = ReadShardMap(*etcd_, collection);
  if (!stored.ok()) return stored.status();
  if (!created->has_value() || !stored->has_value()) {
    Forget(collection);
    return absl::NotFoundError(absl::StrCat("no collection '", collection, "' in the cluster"));
  }
  auto placement = std::make_shared<Placement>();
  if (!placement->create.ParseFromString((*created)->value)) {
    return absl::DataLossError(
        absl::StrCat("the cluster's record of '", collection, "' is not a creation request"));
  }
  placement->map = std::move((*stored)->map);
  placement->map_revision = (*stored)->revision;
  if (placement->map.shards.size() != placement->create.shards()) {
    return absl::DataLossError(absl::StrCat("the shard map of '", collection, "' has ",
                                            placement->map.shards.size(), " shards, its record ",
                                            placement->create.shards()));
  }
  MutexLock lock(mu_);
  // Two reads at once may finish out of order: the cache keeps the newer map (etcd's revisions
  // only grow; a write's wait for its in-sync replicas must not go back to an older set).
  std::shared_ptr<const Placement>& cached = placements_[collection];
  if (cached == nullptr || cached->map_revision <= placement->map_revision) cached = placement;
  return cached;
}

void ClusterView::Forget(const std::string& collection) {
  MutexLock lock(mu_);
  placements_.erase(collection);
}

absl::StatusOr<std::vector<std::string>> ClusterView::ListCollections() {
  absl::StatusOr<std::vector<EtcdKeyValue>> keys = etcd_->GetPrefix(kCollectionsPrefix);
  if (!keys.ok()) return keys.status();
  std::vector<std::string> names;
  for (const EtcdKeyValue& kv : *keys) names.push_back(kv.key.substr(kCollectionsPrefix.size()));
  return names;
}

absl::StatusOr<std::unique_ptr<v1::ShardTransfer::Stub>> ClusterView::TransferStubOf(
    const std::string& node_id) {
  absl::StatusOr<std::shared_ptr<v1::Tqdb::Stub>> stub = StubOf(node_id, /*refresh=*/true);
  if (!stub.ok()) return stub.status();
  MutexLock lock(mu_);
  return v1::ShardTransfer::NewStub(nodes_[node_id].channel);
}

void ClusterView::ForgetNode(const std::string& node_id) {
  MutexLock lock(mu_);
  if (const auto found = nodes_.find(node_id); found != nodes_.end()) found->second.stale = true;
}

absl::StatusOr<std::shared_ptr<v1::Tqdb::Stub>> ClusterView::StubOf(const std::string& node_id,
                                                                    bool refresh) {
  if (!refresh) {
    MutexLock lock(mu_);
    if (const auto found = nodes_.find(node_id); found != nodes_.end() && !found->second.stale) {
      return found->second.stub;
    }
  }
  absl::StatusOr<std::optional<EtcdKeyValue>> registered = etcd_->Get(NodeKey(node_id));
  if (!registered.ok() || !registered->has_value()) {
    MutexLock lock(mu_);
    if (const auto found = nodes_.find(node_id); found != nodes_.end()) {
      found->second.stale = false;  // until its next failure
      return found->second.stub;
    }
    if (!registered.ok()) return registered.status();
    return absl::UnavailableError(
        absl::StrCat("node ", node_id, " is not registered (down, or cut off from etcd)"));
  }
  const std::string& address = (*registered)->value;
  MutexLock lock(mu_);
  Node& node = nodes_[node_id];
  // After a failure, a new connection: the old one may wait out a reconnection backoff.
  const bool failed = std::exchange(node.stale, false);
  if (node.stub == nullptr || node.address != address || failed) {
    grpc::ChannelArguments arguments;
    arguments.SetMaxReceiveMessageSize(INT_MAX);
    arguments.SetMaxSendMessageSize(INT_MAX);
    // Reconnect soon after a node restarts (gRPC's default backoff grows to two minutes).
    arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    // A node gone from the network (packets dropped, nothing refused) fails calls within
    // seconds, not at their deadlines (ClusterPartitionTest): a connection with calls in flight
    // is pinged every second and given up 2 s after a ping goes unanswered, and a connection
    // attempt to a node gives up after 2 s (gRPC's default is 20 s).
    arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kPingEveryMs);
    arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 2000);
    arguments.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 2000);
    // Its own connection, not one shared with earlier channels to the address: a channel made
    // after a failure (ForgetNode) connects at once instead of waiting out the old backoff.
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    node.address = address;
    node.channel = grpc::CreateCustomChannel(address, credentials_, arguments);
    node.stub = v1::Tqdb::NewStub(node.channel);
  }
  return node.stub;
}

}  // namespace tqdb::cluster
