#include "replica_manager.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "in_sync_set.h"

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

bool ReplicaManager::HoldsCopy(const std::string& collection, uint32_t shard) const {
  return std::filesystem::exists(std::filesystem::path(CopyDirectory({collection, shard})) /
                                 "CURRENT");
}

void ReplicaManager::Wake() {
  {
    MutexLock lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

void ReplicaManager::Run() {
  while (true) {
    Reconcile();
    MutexLock lock(mu_);
    if (stopping_) return;
    if (!woken_) wake_.wait_for(mu_, options_.every);
    woken_ = false;
    if (stopping_) return;
  }
}

std::string ReplicaManager::CopyDirectory(const Key& key) const {
  return absl::StrCat(options_.root, "/", key.first, "/", key.second);
}

absl::Status ReplicaManager::Promote(const Key& key) {
  std::unique_ptr<ShardReplicator> replicator;
  {
    MutexLock lock(mu_);
    if (const auto it = replicas_.find(key); it != replicas_.end()) {
      replicator = std::move(it->second);
      replicas_.erase(it);
    }
  }
  replicator.reset();  // its stream ends and its copy closes
  const std::string copy = CopyDirectory(key);
  if (!HoldsCopy(key.first, key.second)) {
    return absl::NotFoundError(absl::StrCat("node ", options_.node_id, " holds no copy of shard ",
                                            key.second, " of ", key.first));
  }
  absl::StatusOr<std::shared_ptr<LocalShards::Shard>> adopted =
      options_.shards->Adopt(key.first, key.second, copy);
  if (!adopted.ok()) return adopted.status();
  std::error_code error;
  std::filesystem::remove(copy + ".epoch", error);
  std::fprintf(stderr, "tqdb-server: shard %u of %s promoted: this node's replica is its owner\n",
               key.second, key.first.c_str());
  return absl::OkStatus();
}

void ReplicaManager::AdmitCaughtUp(const Key& key, const ShardOwner& owner) {
  std::shared_ptr<LocalShards::Shard> shard = options_.shards->Find(key.first, key.second);
  if (shard == nullptr) return;
  // Close enough to the end of the log that a short pause of the writes lets it catch up.
  constexpr uint64_t kNearlyCaughtUp = 100'000;
  constexpr std::chrono::milliseconds kCatchUpPause{500};
  for (const std::string& replica : owner.replicas) {
    if (std::find(owner.in_sync.begin(), owner.in_sync.end(), replica) != owner.in_sync.end()) {
      continue;
    }
    const uint64_t held = shard->replicas.Of(replica);
    if (held == 0 || held + kNearlyCaughtUp < shard->database->LatestSequence()) continue;
    // No write is in flight while the gate is held: once the replica holds the log's end, every
    // write acknowledged so far is on it, and every later one waits for it.
    std::unique_lock gate(shard->write_gate);
    const uint64_t written = shard->database->LatestSequence();
    if (!shard->replicas
             .WaitFor({replica}, written, std::chrono::steady_clock::now() + kCatchUpPause)
             .empty()) {
      continue;
    }
    const absl::Status added = AddToInSync(*options_.etcd, key.first, key.second, options_.node_id,
                                           owner.epoch, options_.key_revision(), replica);
    if (added.ok()) {
      view_->Find(key.first, /*refresh=*/true).IgnoreError();  // before the gate opens
    }
    std::fprintf(stderr, "tqdb-server: replica %s of shard %u of %s caught up: %s\n",
                 replica.c_str(), key.second, key.first.c_str(),
                 added.ok() ? "in sync" : added.ToString().c_str());
  }
}

std::unique_ptr<ShardReplicator> ReplicaManager::Replicate(const Key& key) const {
  ShardReplicator::Options options;
  options.collection = key.first;
  options.shard = key.second;
  options.node_id = options_.node_id;
  options.directory = CopyDirectory(key);
  options.database_options = options_.database_options(key.first);
  // The owner named by the map as the node last read it: a stream reconnects to a new one.
  options.primary = [view = view_, key,
                     node_id = options_.node_id]() -> absl::StatusOr<ShardReplicator::Primary> {
    absl::StatusOr<std::shared_ptr<const Placement>> placement = view->Find(key.first);
    if (!placement.ok()) return placement.status();
    if (key.second >= (*placement)->map.shards.size()) {
      return absl::NotFoundError(absl::StrCat("no shard ", key.second, " of ", key.first));
    }
    const ShardOwner& owner = (*placement)->map.shards[key.second];
    if (owner.node == node_id) {
      // A failover gave this node the shard: the copy is about to become it, not to be seeded.
      return absl::AbortedError(absl::StrCat("node ", node_id, " owns shard ", key.second, " of ",
                                             key.first, " now: its copy is being promoted"));
    }
    absl::StatusOr<std::unique_ptr<v1::ShardTransfer::Stub>> stub =
        view->TransferStubOf(owner.node);
    if (!stub.ok()) return stub.status();
    return ShardReplicator::Primary{std::shared_ptr<v1::ShardTransfer::Stub>(std::move(*stub)),
                                    owner.epoch};
  };
  options.prepare = [authorization = options_.authorization](grpc::ClientContext* context) {
    if (!authorization.empty()) context->AddMetadata("authorization", authorization);
  };
  return std::make_unique<ShardReplicator>(std::move(options));
}

void ReplicaManager::Reconcile() {
  absl::StatusOr<std::vector<std::string>> collections = view_->ListCollections();
  if (!collections.ok()) return;  // etcd does not answer: the replicas go on as they are
  std::map<Key, uint64_t> named;  // the shards this node replicates, at their owners' epochs
  std::vector<std::pair<Key, ShardOwner>> owned;  // this node's shards that have replicas
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
      const ShardOwner& owner = shards[s];
      if (owner.node == options_.node_id && !owner.replicas.empty()) {
        owned.push_back({{collection, s}, owner});
      }
      if (std::find(owner.replicas.begin(), owner.replicas.end(), options_.node_id) !=
          owner.replicas.end()) {
        named[{collection, s}] = owner.epoch;
      }
    }
  }
  for (const auto& [key, owner] : owned) {
    if (options_.shards->Find(key.first, key.second) == nullptr &&
        HoldsCopy(key.first, key.second)) {
      if (absl::Status promoted = Promote(key); !promoted.ok()) {
        std::fprintf(stderr, "tqdb-server: shard %u of %s not promoted: %s\n", key.second,
                     key.first.c_str(), promoted.ToString().c_str());
      }
    }
    AdmitCaughtUp(key, owner);
  }
  // A shard held from before a failover, the maps naming this node its replica now: the new
  // owner holds every acknowledged write, and this node copies its shard anew.
  for (const auto& [key, epoch] : named) {
    if (options_.shards->Find(key.first, key.second) == nullptr) continue;
    const absl::Status dropped = options_.shards->Drop(key.first, key.second);
    std::fprintf(stderr,
                 "tqdb-server: shard %u of %s has another owner at epoch %llu; this node's former "
                 "copy: %s\n",
                 key.second, key.first.c_str(), static_cast<unsigned long long>(epoch),
                 dropped.ok() ? "dropped" : dropped.ToString().c_str());
  }
  std::vector<std::unique_ptr<ShardReplicator>> stopped;
  std::vector<Key> removed;
  {
    MutexLock lock(mu_);
    if (stopping_) return;
    for (const auto& [key, epoch] : named) {
      if (const auto it = replicas_.find(key); it != replicas_.end()) {
        if (it->second->epoch() == 0 || it->second->epoch() == epoch) continue;
        // A new owner (a stream to the old one may live on): stopped now, started again on the
        // next look, once its copy is closed.
        stopped.push_back(std::move(it->second));
        replicas_.erase(it);
        woken_ = true;
        continue;
      }
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
    std::filesystem::remove_all(CopyDirectory(key), error);
    std::filesystem::remove(CopyDirectory(key) + ".epoch", error);
    std::fprintf(stderr, "tqdb-server: no longer a replica of shard %u of %s; copy removed\n",
                 key.second, key.first.c_str());
  }
}

}  // namespace tqdb::cluster
