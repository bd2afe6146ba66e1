// A node's part in replication (issue 34), done once a second from the maps it reads:
// - it runs a ShardReplicator for each shard the maps name it a replica of, its copy under
//   <root>/<collection>/<shard>, restarted when the shard's owner changes (epoch); a replica the
//   maps no longer name (its collection dropped, the copy placed elsewhere) is stopped and its
//   copy removed;
// - a shard the maps give it after a failover is promoted: its replica stops and the copy opens
//   as the node's shard; a shard it still holds as a former owner while the maps name it a
//   replica is dropped (the new owner holds every acknowledged write; this copy is seeded anew);
// - for the shards it owns, a replica that has caught up is added to the in-sync set, under the
//   shard's write gate, so no write acknowledged meanwhile can miss it.
// Each second it lists the collections and reads the maps of the replicated ones from etcd
// (linearizable, in order, on one thread: a promotion and a drop never race), so a change takes
// effect within about a second of the map's; every map is read every kFullReadEvery.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cluster_view.h"
#include "etcd_client.h"
#include "local_shards.h"
#include "shard_replicator.h"
#include "tqdb/mutex.h"

namespace tqdb::cluster {

class ReplicaManager {
 public:
  static constexpr std::chrono::seconds kFullReadEvery{30};

  struct Options {
    std::string node_id;
    std::string root;  // where the copies live
    EtcdClient* etcd = nullptr;
    LocalShards* shards = nullptr;  // the node's own shards
    // The node's registration's key revision (NodeRegistration::key_revision): its changes to
    // its shards' maps hold only while it holds that lease.
    std::function<int64_t()> key_revision = [] { return int64_t{0}; };
    std::function<DatabaseOptions(const std::string& collection)> database_options;
    std::string authorization;  // what the node's calls to primaries carry (an admin key)
    std::chrono::milliseconds every{1000};
  };
  struct Held {
    std::string collection;
    uint32_t shard = 0;
    uint64_t applied = 0;  // the primary's sequence number the copy holds
    int seeds = 0;
    absl::Status last_error;
  };

  ReplicaManager(ClusterView* view, Options options);
  ~ReplicaManager();  // stops every replica (the copies stay)

  void Start();
  // The replicas running now.
  std::vector<Held> Replicas() const;
  // Whether this node holds a copy of the shard (a replica's, running or not).
  bool HoldsCopy(const std::string& collection, uint32_t shard) const;
  // Looks at the maps now rather than at the next second (a call found a shard to promote).
  void Wake();

 private:
  using Key = std::pair<std::string, uint32_t>;
  void Run();
  // Starts the replicas the maps name this node for and stops the others.
  void Reconcile();
  std::unique_ptr<ShardReplicator> Replicate(const Key& key) const;
  std::string CopyDirectory(const Key& key) const;
  // The copy becomes the node's shard (its replica stopped first). NotFound without a copy.
  absl::Status Promote(const Key& key);
  // Adds each replica of this node's shard that holds its whole log to the in-sync set.
  void AdmitCaughtUp(const Key& key, const ShardOwner& owner);

  ClusterView* const view_;
  const Options options_;
  mutable Mutex mu_;
  std::condition_variable_any wake_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  std::map<Key, std::unique_ptr<ShardReplicator>> replicas_ ABSL_GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point last_full_read_;  // Run's thread only
  std::thread thread_;
};

}  // namespace tqdb::cluster
