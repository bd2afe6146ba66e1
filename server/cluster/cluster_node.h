// A tqdb-server started with --etcd: one node of a cluster. It holds its shards under
// <data_dir>/shards (local_shards.h), answers the whole API through ClusterApi, and is a member
// while its registration's lease lives (node_registration.h).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cluster_api.h"
#include "cluster_controller.h"
#include "cluster_view.h"
#include "etcd_client.h"
#include "local_shards.h"
#include "metrics.h"
#include "node_registration.h"
#include "replica_manager.h"
#include "shard_transfer.h"

namespace tqdb::cluster {

class ClusterNode {
 public:
  struct Options {
    std::string etcd_endpoints;  // host:port,host:port,...
    // How the node speaks to etcd (TLS: MakeEtcdChannelCredentials); null: plaintext.
    std::shared_ptr<grpc::ChannelCredentials> etcd_credentials;
    std::string node_id;
    std::string data_dir;
    // What the node may use in all (RocksDB's block cache and memtables), shared by its shards
    // (tqdb/memory_budget.h).
    DatabaseOptions database;
    server::ServiceOptions service;
    uint32_t shards_per_node = 3;
    std::chrono::seconds lease_ttl{5};
    std::chrono::milliseconds renew_every{1500};
    // How the node calls the others; null: plaintext.
    std::shared_ptr<grpc::ChannelCredentials> node_credentials;
    // As the controller: how long the cluster must be still before it moves shards by itself
    // (0: never), and the authorization its calls carry (cluster_controller.h).
    std::chrono::seconds rebalance_delay{60};
    // How long a replicated shard's write waits for an in-sync replica (cluster_api.h).
    std::chrono::milliseconds replica_timeout{2000};
    std::string controller_authorization;
  };

  // Connects to etcd and opens the node's shards; shards of collections dropped while the node
  // was away are removed.
  static absl::StatusOr<std::unique_ptr<ClusterNode>> Open(Options options);
  // Leaves the cluster at once (revokes the lease), then closes the shards.
  ~ClusterNode();

  server::Api* api() { return api_.get(); }
  // The ShardTransfer service (shard moves) the node serves to the others.
  grpc::Service* transfer_service() { return transfer_.get(); }
  // Registers the node at `address` (where it now serves gRPC): from then on it owns shards and
  // campaigns to be the controller.
  absl::Status Join(const std::string& address);
  const std::string& node_id() const { return options_.node_id; }
  size_t shard_count() const { return shards_->List().size(); }
  // The collections this node holds shards of.
  size_t collection_count() const;
  // The vectors in this node's shards.
  size_t vector_count() const;
  // This node's shards, for the metrics (each labelled "<collection>/<shard>"'s shard number).
  std::vector<server::MetricsSource> MetricsSources() const;
  void MarkServing() { shards_->MarkServing(); }
  // Before the server shuts down: leaves the cluster (its shards fail over to their in-sync
  // replicas), then ends the log streams replicas hold open to this node, which would otherwise
  // hold the shutdown for its whole grace period.
  void PrepareToStop();

 private:
  explicit ClusterNode(Options options) : options_(std::move(options)) {}
  void RemoveDroppedShards();

  const Options options_;
  std::unique_ptr<EtcdClient> etcd_;
  std::unique_ptr<LocalShards> shards_;
  std::unique_ptr<ClusterView> view_;
  std::unique_ptr<ClusterApi> api_;
  std::unique_ptr<ShardTransferService> transfer_;
  std::unique_ptr<NodeRegistration> registration_;
  std::unique_ptr<ClusterController> controller_;
  std::unique_ptr<ReplicaManager> replicas_;  // first to stop
};

}  // namespace tqdb::cluster
