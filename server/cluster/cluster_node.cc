#include "cluster_node.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "cluster_keys.h"
#include "grpcpp/security/credentials.h"

namespace tqdb::cluster {

absl::StatusOr<std::unique_ptr<ClusterNode>> ClusterNode::Open(Options options) {
  std::unique_ptr<ClusterNode> node(new ClusterNode(std::move(options)));
  const Options& o = node->options_;
  absl::StatusOr<std::unique_ptr<EtcdClient>> etcd =
      EtcdClient::Connect(o.etcd_endpoints, std::chrono::seconds(2), o.etcd_credentials);
  if (!etcd.ok()) return etcd.status();
  node->etcd_ = std::move(*etcd);
  DatabaseOptions per_shard = o.database;
  // Every shard draws on the node's one cache and memtable budget (--cache_mb,
  // --write_buffer_mb), however many the node holds; a shard's memtables flush at a quarter of
  // the node's budget (at least 8 MiB: RocksDB's arena blocks).
  per_shard.shared_budget =
      SharedMemoryBudget::Make(o.database.block_cache_bytes, o.database.write_buffer_bytes);
  constexpr size_t kMinShardMemory = size_t{8} << 20;
  per_shard.write_buffer_bytes = std::max(kMinShardMemory, o.database.write_buffer_bytes / 4);
  // A bulk message reaches each shard as a part of it (a third with three shards per node):
  // those parts are ingested as table files too, as a server alone's whole message is.
  per_shard.ingest_min_bytes = o.database.ingest_min_bytes / 4;
  node->view_ = std::make_unique<ClusterView>(
      node->etcd_.get(),
      o.node_credentials != nullptr ? o.node_credentials : grpc::InsecureChannelCredentials());
  node->shards_ = std::make_unique<LocalShards>(o.data_dir + "/shards", per_shard, o.service);
  // A replicated collection's shards keep their log for the replicas; when etcd cannot say,
  // the log is kept (harmless, where losing it would make a replica copy the shard again).
  node->shards_->SetKeepsLogFor([view = node->view_.get()](const std::string& collection) {
    absl::StatusOr<std::shared_ptr<const Placement>> placement = view->Find(collection);
    if (!placement.ok()) return !absl::IsNotFound(placement.status());
    return (*placement)->create.replication_factor() > 1;
  });
  if (absl::Status opened = node->shards_->OpenAll(); !opened.ok()) return opened;
  node->api_ =
      std::make_unique<ClusterApi>(node->etcd_.get(), node->view_.get(), node->shards_.get(),
                                   ClusterApi::Options{.node_id = o.node_id,
                                                       .limits = o.service.limits,
                                                       .api_keys = o.service.api_keys,
                                                       .shards_per_node = o.shards_per_node,
                                                       .replica_timeout = o.replica_timeout});
  node->transfer_ = std::make_unique<ShardTransferService>(o.node_id, node->shards_.get(),
                                                           node->view_.get(), o.service.api_keys);
  node->RemoveDroppedShards();
  return node;
}

void ClusterNode::RemoveDroppedShards() {
  absl::StatusOr<std::vector<EtcdKeyValue>> collections = etcd_->GetPrefix(kCollectionsPrefix);
  if (!collections.ok()) {
    std::fprintf(stderr,
                 "tqdb-server: etcd did not list the collections (%s); shards of "
                 "collections dropped meanwhile stay until the next start\n",
                 collections.status().ToString().c_str());
    return;
  }
  for (const auto& [name, shard] : shards_->List()) {
    const std::string key = CollectionKey(name);
    const bool kept = std::any_of(collections->begin(), collections->end(),
                                  [&key](const EtcdKeyValue& kv) { return kv.key == key; });
    if (kept) continue;
    const absl::Status dropped = shards_->Drop(name, shard);
    std::fprintf(stderr, "tqdb-server: shard %u of %s: its collection was dropped: %s\n", shard,
                 name.c_str(), dropped.ok() ? "removed" : dropped.ToString().c_str());
  }
}

absl::Status ClusterNode::Join(const std::string& address) {
  absl::StatusOr<std::unique_ptr<NodeRegistration>> registration =
      NodeRegistration::Start(etcd_.get(), {.node_id = options_.node_id,
                                            .address = address,
                                            .ttl = options_.lease_ttl,
                                            .renew_every = options_.renew_every});
  if (!registration.ok()) return registration.status();
  registration_ = std::move(*registration);
  api_->SetRegistration(registration_.get());
  transfer_->SetRegistration(registration_.get());
  NodeRegistration* const joined = registration_.get();
  replicas_ = std::make_unique<ReplicaManager>(
      view_.get(),
      ReplicaManager::Options{.node_id = options_.node_id,
                              .root = options_.data_dir + "/replicas",
                              .etcd = etcd_.get(),
                              .shards = shards_.get(),
                              .key_revision = [joined] { return joined->key_revision(); },
                              .database_options =
                                  [shards = shards_.get()](const std::string& collection) {
                                    return shards->OptionsFor(collection);
                                  },
                              .authorization = options_.controller_authorization});
  replicas_->Start();
  api_->SetReplicaManager(replicas_.get());
  controller_ = std::make_unique<ClusterController>(
      etcd_.get(), api_.get(), [joined] { return joined->live() ? joined->lease() : 0; },
      ClusterController::Options{.node_id = options_.node_id,
                                 .rebalance_delay = options_.rebalance_delay,
                                 .authorization = options_.controller_authorization});
  return absl::OkStatus();
}

std::vector<server::MetricsSource> ClusterNode::MetricsSources() const {
  std::vector<server::MetricsSource> sources;
  for (const auto& [collection, number] : shards_->List()) {
    std::shared_ptr<LocalShards::Shard> shard = shards_->Find(collection, number);
    if (shard == nullptr) continue;  // dropped meanwhile
    // Shares the shard's ownership: a shard dropped during a scrape closes after it.
    sources.push_back(
        {std::to_string(number), std::shared_ptr<Database>(shard, shard->database.get())});
  }
  return sources;
}

size_t ClusterNode::collection_count() const {
  std::set<std::string> names;
  for (const auto& [collection, number] : shards_->List()) names.insert(collection);
  return names.size();
}

size_t ClusterNode::vector_count() const {
  size_t vectors = 0;
  for (const auto& [collection, number] : shards_->List()) {
    std::shared_ptr<LocalShards::Shard> shard = shards_->Find(collection, number);
    if (shard == nullptr) continue;
    if (auto opened = shard->database->GetCollection(collection); opened.ok()) {
      vectors += (*opened)->Describe().count;
    }
  }
  return vectors;
}

void ClusterNode::PrepareToStop() {
  // Leave first: no more writes here, and the shards fail over to their in-sync replicas; then
  // end the log streams (ended first, the writes in flight would put the replicas out of sync,
  // leaving none to take over).
  if (registration_ != nullptr) registration_->Leave();
  transfer_->EndLogStreams();
}

ClusterNode::~ClusterNode() {
  if (api_ != nullptr) api_->SetReplicaManager(nullptr);
  replicas_.reset();
  controller_.reset();
  if (api_ != nullptr) api_->SetRegistration(nullptr);
  if (transfer_ != nullptr) transfer_->SetRegistration(nullptr);
  registration_.reset();
}

}  // namespace tqdb::cluster
