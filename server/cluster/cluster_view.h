// What a node knows of the cluster, cached from etcd: each collection's creation request and
// shard map, and the nodes' addresses with a channel to each. Routing reads the cache, so
// searches and writes go on while etcd has no quorum (issue 33: "two of three etcd members down:
// searches keep working from the cached map"); a stale entry is re-read when an owner refuses an
// epoch (FailedPrecondition) or a collection is not known.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "etcd_client.h"
#include "grpcpp/security/credentials.h"
#include "shard_map.h"
#include "tqdb/mutex.h"
#include "tqdb/v1/tqdb.grpc.pb.h"

namespace tqdb::cluster {

// How often a node pings another while calls to it are in flight (keepalive); every node's
// server takes pings this often (server_main.cc), where gRPC's default refuses more than one
// in five minutes.
inline constexpr int kPingEveryMs = 1000;

struct Placement {
  v1::CreateCollectionRequest create;  // as created; create.shards() is the shard count
  ShardMap map;
  int64_t map_revision = 0;  // the map's mod_revision in etcd
};

class ClusterView {
 public:
  // `credentials`: how this node connects to the others (TLS when the nodes serve it).
  ClusterView(EtcdClient* etcd, std::shared_ptr<grpc::ChannelCredentials> credentials)
      : etcd_(etcd), credentials_(std::move(credentials)) {}

  // The etcd the view reads (for the writes a shard's owner makes to its map).
  EtcdClient& etcd() const { return *etcd_; }

  // The collection's placement: cached, or read from etcd when not cached or `refresh`.
  // NotFound when there is no such collection (or its map is not written yet).
  absl::StatusOr<std::shared_ptr<const Placement>> Find(const std::string& collection,
                                                        bool refresh = false);
  void Forget(const std::string& collection);
  // The collections etcd holds now (linearizable).
  absl::StatusOr<std::vector<std::string>> ListCollections();
  // A stub for calls to node `node_id`, at the address it registered (re-read when unknown,
  // forgotten or `refresh`). A node known before keeps its last address when etcd no longer
  // lists it or cannot answer: cut off from etcd, it still answers reads. Unavailable for a
  // node never known and not registered.
  absl::StatusOr<std::shared_ptr<v1::Tqdb::Stub>> StubOf(const std::string& node_id,
                                                         bool refresh = false);
  // The node's ShardTransfer service (shard moves), on the same connection as StubOf's.
  absl::StatusOr<std::unique_ptr<v1::ShardTransfer::Stub>> TransferStubOf(
      const std::string& node_id);
  // Re-reads the node's address before its next call (it could not be reached: it may have come
  // back elsewhere).
  void ForgetNode(const std::string& node_id);

 private:
  struct Node {
    std::string address;
    std::shared_ptr<grpc::Channel> channel;
    std::shared_ptr<v1::Tqdb::Stub> stub;
    bool stale = false;  // read its address again before the next call
  };

  EtcdClient* const etcd_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Placement>> placements_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Node> nodes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tqdb::cluster
