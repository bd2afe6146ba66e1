// The replicas a node holds (issue 34): once a second it reads which shards the maps name it a
// replica of and runs a ShardReplicator for each, its copy under <root>/<collection>/<shard>;
// a replica the maps no longer name (its collection dropped, the copy placed elsewhere) is
// stopped and its copy removed. Each second it lists the collections and reads the maps of the
// replicated ones from etcd (linearizable), so a new replica starts within about a second of the
// map naming it; every map is read every kFullReadEvery.
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
#include "shard_replicator.h"
#include "tqdb/mutex.h"

namespace tqdb::cluster {

class ReplicaManager {
 public:
  static constexpr std::chrono::seconds kFullReadEvery{30};

  struct Options {
    std::string node_id;
    std::string root;  // where the copies live
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

 private:
  using Key = std::pair<std::string, uint32_t>;
  void Run();
  // Starts the replicas the maps name this node for and stops the others.
  void Reconcile();
  std::unique_ptr<ShardReplicator> Replicate(const Key& key) const;

  ClusterView* const view_;
  const Options options_;
  mutable Mutex mu_;
  std::condition_variable_any wake_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::map<Key, std::unique_ptr<ShardReplicator>> replicas_ ABSL_GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point last_full_read_;  // Run's thread only
  std::thread thread_;
};

}  // namespace tqdb::cluster
