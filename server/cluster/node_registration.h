// A node's membership of the cluster: its key under a lease that a thread renews, and whether
// the node may act as an owner. A node whose renewals have not gone through for a whole TTL
// (cut off from etcd, or etcd without a quorum) may have lost its lease, and so its shards to
// another node: it stops acting as owner until it holds a lease again, but it does not exit
// (issue 33). Once etcd answers again it renews the lease, or registers under a new one.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "cluster/etcd_client.h"
#include "tqdb/mutex.h"

namespace tqdb::cluster {

struct NodeInfo {
  std::string id;
  std::string address;
  int64_t lease = 0;
};

// The nodes registered now, by id.
absl::StatusOr<std::vector<NodeInfo>> ListNodes(EtcdClient& etcd);

class NodeRegistration {
 public:
  struct Options {
    std::string node_id;
    std::string address;  // where the node serves gRPC
    std::chrono::seconds ttl{5};
    std::chrono::milliseconds renew_every{1500};
  };
  // Registers (an error when etcd cannot be reached) and starts renewing.
  static absl::StatusOr<std::unique_ptr<NodeRegistration>> Start(EtcdClient* etcd, Options options);
  // Stops renewing and revokes the lease: the node leaves at once rather than after a TTL.
  ~NodeRegistration();
  // Leaves now (as the destructor does), the object staying for the calls that hold it: a
  // stopping node takes no more writes and its shards fail over while it finishes its calls.
  void Leave();

  // Whether the node holds its lease for sure: the last renewal that went through was sent
  // less than a TTL ago.
  bool live() const;
  int64_t lease() const { return lease_.load(); }
  // The revision etcd wrote the node's key at under its lease now (0: none): what an owner's
  // change to its shard's map compares, so that a node that lost its lease changes nothing.
  int64_t key_revision() const { return key_revision_.load(); }

 private:
  NodeRegistration(EtcdClient* etcd, Options options);
  absl::Status Register();  // a new lease and the node's key under it
  void RenewLoop();

  EtcdClient* const etcd_;
  const Options options_;
  std::atomic<int64_t> lease_{0};
  std::atomic<int64_t> key_revision_{0};
  // When the last renewal that went through was sent (steady clock, nanoseconds).
  std::atomic<int64_t> held_since_{0};
  Mutex mu_;
  std::condition_variable_any stop_cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread renewer_;
};

}  // namespace tqdb::cluster
