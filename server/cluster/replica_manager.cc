#include "replica_manager.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"

namespace tqdb::cluster {

ReplicaManager::ReplicaManager(ClusterView* view, Options options)
    : view_(view), options_(std::move(options)) {}

ReplicaManager::~ReplicaManager() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::map<Key, std::unique_ptr<ShardReplicator>> replicas;
  {
    MutexLock lock(mu_);
    replicas.swap(replicas_);
  }
  replicas.clear();  // each stops its stream and closes its copy
}

void ReplicaManager::Start() {
  thread_ = std::thread([this] { Run(); });
}

std::vector<ReplicaManager::Held> ReplicaManager::Replicas() const {
  std::vector<Held> held;
  MutexLock lock(mu_);
  for (const auto& [key, replicator] : replicas_) {
    held.push_back({key.first, key.second, replicator->applied(), replicator->seeds(),
                    replicator->last_error()});
  }
  return held;
}

void ReplicaManager::Run() {
  while (true) {
    Reconcile();
    MutexLock lock(mu_);
    if (stopping_) return;
    wake_.wait_for(mu_, options_.every);
    if (stopping_) return;
  }
}

std::unique_ptr<ShardReplicator> ReplicaManager::Replicate(const Key& key) const {
  ShardReplicator::Options options;
  options.collection = key.first;
  options.shard = key.second;
  options.node_id = options_.node_id;
  options.directory = absl::StrCat(options_.root, "/", key.first, "/", key.second);
  options.database_options = options_.database_options(key.first);
  // The owner named by the map as the node last read it: a stream reconnects to a new one.
  options.primary = [view = view_,
                     key]() -> absl::StatusOr<std::shared_ptr<v1::ShardTransfer::Stub>> {
    absl::StatusOr<std::shared_ptr<const Placement>> placement = view->Find(key.first);
    if (!placement.ok()) return placement.status();
    if (key.second >= (*placement)->map.shards.size()) {
      return absl::NotFoundError(absl::StrCat("no shard ", key.second, " of ", key.first));
    }
    absl::StatusOr<std::unique_ptr<v1::ShardTransfer::Stub>> stub =
        view->TransferStubOf((*placement)->map.shards[key.second].node);
    if (!stub.ok()) return stub.status();
    return std::shared_ptr<v1::ShardTransfer::Stub>(std::move(*stub));
  };
  options.prepare = [authorization = options_.authorization](grpc::ClientContext* context) {
    if (!authorization.empty()) context->AddMetadata("authorization", authorization);
  };
  return std::make_unique<ShardReplicator>(std::move(options));
}

void ReplicaManager::Reconcile() {
  absl::StatusOr<std::vector<std::string>> collections = view_->ListCollections();
  if (!collections.ok()) return;  // etcd does not answer: the replicas go on as they are
  std::set<Key> named;
  bool complete = true;  // every map was read: a replica missing from `named` is not wanted
  // A collection without replicas never gets any (the factor is fixed at creation), so its
  // cached record is trusted between full reads, which catch a collection dropped and made
  // again under its name with replicas.
  const auto now = std::chrono::steady_clock::now();
  const bool full_read = now - last_full_read_ >= kFullReadEvery;
  if (full_read) last_full_read_ = now;
  for (const std::string& collection : *collections) {
    absl::StatusOr<std::shared_ptr<const Placement>> placement = view_->Find(collection);
    if (!full_read && placement.ok() && (*placement)->create.replication_factor() <= 1) continue;
    placement = view_->Find(collection, /*refresh=*/true);
    if (!placement.ok()) {
      complete = complete && absl::IsNotFound(placement.status());
      continue;
    }
    const std::vector<ShardOwner>& shards = (*placement)->map.shards;
    for (uint32_t s = 0; s < shards.size(); ++s) {
      const std::vector<std::string>& replicas = shards[s].replicas;
      if (std::find(replicas.begin(), replicas.end(), options_.node_id) != replicas.end()) {
        named.insert({collection, s});
      }
    }
  }
  std::vector<std::unique_ptr<ShardReplicator>> stopped;
  std::vector<Key> removed;
  {
    MutexLock lock(mu_);
    if (stopping_) return;
    for (const Key& key : named) {
      if (replicas_.contains(key)) continue;
      std::unique_ptr<ShardReplicator> replicator = Replicate(key);
      replicator->Start();
      replicas_[key] = std::move(replicator);
      std::fprintf(stderr, "tqdb-server: replicating shard %u of %s\n", key.second,
                   key.first.c_str());
    }
    for (auto it = replicas_.begin(); complete && it != replicas_.end();) {
      if (named.contains(it->first)) {
        ++it;
        continue;
      }
      removed.push_back(it->first);
      stopped.push_back(std::move(it->second));
      it = replicas_.erase(it);
    }
  }
  stopped.clear();  // stopped outside the lock: each waits for its stream to end
  for (const Key& key : removed) {
    std::error_code error;
    std::filesystem::remove_all(absl::StrCat(options_.root, "/", key.first, "/", key.second),
                                error);
    std::fprintf(stderr, "tqdb-server: no longer a replica of shard %u of %s; copy removed\n",
                 key.second, key.first.c_str());
  }
}

}  // namespace tqdb::cluster
