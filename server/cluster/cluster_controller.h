// The cluster's controller (issue 33): every node campaigns for it (controller_election.h)
// under its lease, so there is one while any node lives, and another takes over within a TTL
// of its loss. The controller evens out each collection's shards over the registered nodes
// (cluster_plan.h): when a node has joined, or one has been drained, and the cluster has then
// been still (no node joined or left, no shard changed owner) for `rebalance_delay`, it moves
// one shard at a time through MoveShard, as `tqdb cluster rebalance` does; a failed move waits
// for the cluster to be still again. Waiting for stillness keeps a restarting node's shards
// where they are and lets an operator's own moves finish first. A shard whose owner's lease has
// expired is failed over at once, every look, to an in-sync replica (PromoteReplicas, issue
// 34); without one, it waits for its owner to return (nothing else holds its acknowledged
// writes).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "api.h"
#include "cluster/etcd_client.h"

namespace tqdb::cluster {

class ClusterController {
 public:
  struct Options {
    std::string node_id;
    // 0: this node never moves shards by itself (it still campaigns, so status shows one).
    std::chrono::seconds rebalance_delay{60};
    // The controller's own calls ("Bearer <key>": an admin key when the nodes check API keys).
    std::string authorization;
    std::chrono::milliseconds period{1000};  // between two looks at the cluster
  };

  // `lease`: the node's lease now (0 while it holds none, node_registration.h); `api` routes
  // the controller's calls like a client's.
  ClusterController(EtcdClient* etcd, server::Api* api, std::function<int64_t()> lease,
                    Options options);
  // Stops after the move in progress, if any.
  ~ClusterController();
  ClusterController(const ClusterController&) = delete;
  ClusterController& operator=(const ClusterController&) = delete;

 private:
  void Run();
  // One look: campaign, then, as the controller, failovers, and in a cluster still long enough,
  // one move.
  void Step();
  // Gives each replicated shard whose owner is not registered to an in-sync replica.
  void FailOver(int64_t fence);

  EtcdClient* const etcd_;
  server::Api* const api_;
  const std::function<int64_t()> lease_;
  const Options options_;
  // What the cluster looked like at the last look (nodes, owners and epochs), and since when.
  std::string layout_;
  std::chrono::steady_clock::time_point still_since_;
  std::chrono::steady_clock::time_point looked_at_;  // the last status read
  bool moved_last_ = false;  // the last change of layout was this controller's own move
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace tqdb::cluster
