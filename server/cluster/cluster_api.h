// The API of a node of a cluster (docs/DESIGN.md, "Clusters"). Every node accepts the whole
// gRPC and HTTP API unchanged, so clients need no router process and can use any node: a
// client's call is routed (writes split by shard to each shard's owner, searches sent to every
// shard and merged), and a call from another node for one shard (cluster/shard_header.h) is
// answered from that shard's own database once its epoch checks out. A node answers its own
// shards in process, the others' over gRPC, all at once.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "api.h"
#include "api_keys.h"
#include "cluster_view.h"
#include "etcd_client.h"
#include "local_shards.h"
#include "node_registration.h"
#include "replica_manager.h"
#include "shard_header.h"
#include "tqdb_api.h"

namespace tqdb::cluster {

// One shard's part of a routed call, or (searches) the parts of one owner's shards together.
template <typename Request, typename Response>
struct ShardRequest {
  uint32_t shard = 0;
  std::vector<uint32_t> also;  // more shards of the same owner, answered in the same call
  Request request;
  Response response;
  absl::Status status;

  size_t shard_count() const { return 1 + also.size(); }
};

class ClusterApi final : public server::Api {
 public:
  struct Options {
    std::string node_id;
    server::ServiceLimits limits;
    const server::ApiKeys* api_keys = nullptr;  // null: no keys needed
    uint32_t shards_per_node = 3;  // a new collection's shards when it names none, per live node
    // How long a write to a replicated shard waits for each in-sync replica to confirm it; one
    // that does not is removed from the in-sync set (in etcd) before the write is acknowledged.
    std::chrono::milliseconds replica_timeout{2000};
  };
  ClusterApi(EtcdClient* etcd, ClusterView* view, LocalShards* shards, Options options)
      : etcd_(etcd), view_(view), shards_(shards), options_(std::move(options)) {}

  // Once the node is registered: until then, and while it is not live, it owns nothing.
  void SetRegistration(NodeRegistration* registration) { registration_ = registration; }
  // The node's replicas (a shard it is given after a failover is its promoted replica's copy).
  void SetReplicaManager(ReplicaManager* replicas) { replicas_ = replicas; }

  // api.h
  absl::Status CreateCollection(const server::CallContext& call,
                                const v1::CreateCollectionRequest& request,
                                v1::CreateCollectionResponse* response) override;
  absl::Status DropCollection(const server::CallContext& call,
                              const v1::DropCollectionRequest& request,
                              v1::DropCollectionResponse* response) override;
  absl::Status ListCollections(const server::CallContext& call,
                               const v1::ListCollectionsRequest& request,
                               v1::ListCollectionsResponse* response) override;
  absl::Status DescribeCollection(const server::CallContext& call,
                                  const v1::DescribeCollectionRequest& request,
                                  v1::DescribeCollectionResponse* response) override;
  absl::Status GetServerStats(const server::CallContext& call,
                              const v1::GetServerStatsRequest& request,
                              v1::GetServerStatsResponse* response) override;
  absl::Status Upsert(const server::CallContext& call, const v1::UpsertRequest& request,
                      v1::UpsertResponse* response) override;
  absl::Status Delete(const server::CallContext& call, const v1::DeleteRequest& request,
                      v1::DeleteResponse* response) override;
  absl::Status Get(const server::CallContext& call, const v1::GetRequest& request,
                   v1::GetResponse* response) override;
  absl::Status Search(const server::CallContext& call, const v1::SearchRequest& request,
                      v1::SearchResponse* response) override;
  absl::Status SearchBatch(const server::CallContext& call, const v1::SearchBatchRequest& request,
                           v1::SearchBatchResponse* response) override;
  absl::Status Count(const server::CallContext& call, const v1::CountRequest& request,
                     v1::CountResponse* response) override;
  absl::Status Scroll(const server::CallContext& call, const v1::ScrollRequest& request,
                      v1::ScrollResponse* response) override;
  absl::Status UpdatePayload(const server::CallContext& call,
                             const v1::UpdatePayloadRequest& request,
                             v1::UpdatePayloadResponse* response) override;
  absl::Status CreatePayloadIndex(const server::CallContext& call,
                                  const v1::CreatePayloadIndexRequest& request,
                                  v1::CreatePayloadIndexResponse* response) override;
  absl::Status RecenterCollection(const server::CallContext& call,
                                  const v1::RecenterCollectionRequest& request,
                                  v1::RecenterCollectionResponse* response) override;
  absl::Status RepartitionCollection(const server::CallContext& call,
                                     const v1::RepartitionCollectionRequest& request,
                                     v1::RepartitionCollectionResponse* response) override;
  absl::Status CreateSnapshot(const server::CallContext& call,
                              const v1::CreateSnapshotRequest& request,
                              v1::CreateSnapshotResponse* response) override;
  absl::Status GetClusterStatus(const server::CallContext& call,
                                const v1::GetClusterStatusRequest& request,
                                v1::GetClusterStatusResponse* response) override;
  absl::Status MoveShard(const server::CallContext& call, const v1::MoveShardRequest& request,
                         v1::MoveShardResponse* response) override;

 private:
  template <typename Request, typename Response>
  using LocalMethod = absl::Status (server::Api::*)(const server::CallContext&, const Request&,
                                                    Response*);
  template <typename Request, typename Response>
  using RemoteMethod = std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> (
      v1::Tqdb::Stub::*)(grpc::ClientContext*, const Request&, grpc::CompletionQueue*);

  absl::Status Authorize(const server::CallContext& call, server::Role role,
                         const std::string& collection) const;
  // Whether a shard call changes the shard.
  enum class Access { kRead, kWrite };
  // The local shard a call from another node is for, after checking that this node owns the
  // shard at the call's epoch, and for a write that it holds its lease: a node cut off from
  // etcd may have lost the shard to another, so it takes no writes (which the new owner would
  // not have), while reads go on from the map it has (searches keep working while etcd has no
  // quorum). The first owner (epoch 1) makes the shard when it does not have it yet.
  absl::StatusOr<std::shared_ptr<LocalShards::Shard>> OwnedShard(ShardTarget target,
                                                                 const std::string& collection,
                                                                 Access access);
  // After a write to this node's shard: waits until each in-sync replica holds it (the shard's
  // log through its sequence); one that does not within the replica timeout is first removed
  // from the in-sync set, then the write is acknowledged; Unavailable when that fails (a deposed
  // owner, or etcd not answering: retrying is safe, upserts being idempotent).
  absl::Status AwaitInSyncReplicas(const std::string& collection, ShardTarget target,
                                   LocalShards::Shard& shard);
  // An owner's description of one shard adds how far each of its replicas has come.
  absl::Status AddReplicaProgress(const server::CallContext& call, const std::string& collection,
                                  v1::DescribeCollectionResponse* response);
  template <typename Request, typename Response>
  absl::Status ServeShard(const server::CallContext& call, const std::string& collection,
                          Access access, const Request& request, Response* response,
                          LocalMethod<Request, Response> method);
  // Sends each request to its shard's owner in `placement` at its epoch and waits for every
  // answer (each request's status). Shards whose owner refused the epoch are sent once more
  // after the map is read again.
  template <typename Request, typename Response>
  void SendToOwners(const server::CallContext& call, const std::string& collection,
                    std::shared_ptr<const Placement> placement,
                    std::vector<ShardRequest<Request, Response>>* requests,
                    LocalMethod<Request, Response> local, RemoteMethod<Request, Response> remote);
  // The same request to every shard of the collection; with `by_node`, one call per owner for
  // all its shards (searches: the owner merges its shards' results).
  template <typename Request, typename Response>
  absl::StatusOr<std::vector<ShardRequest<Request, Response>>> SendToEveryShard(
      const server::CallContext& call, const std::string& collection, const Request& request,
      LocalMethod<Request, Response> local, RemoteMethod<Request, Response> remote,
      bool by_node = false);
  // A search call for several of this node's shards: each answers, and the best k of all go
  // back.
  template <typename Request, typename Response>
  absl::Status ServeSearchShards(const server::CallContext& call, const Request& request,
                                 Response* response, LocalMethod<Request, Response> method);

  absl::Status RouteCreate(const server::CallContext& call,
                           const v1::CreateCollectionRequest& request,
                           v1::CreateCollectionResponse* response);
  absl::Status RouteDrop(const server::CallContext& call, const v1::DropCollectionRequest& request);
  absl::Status DropShard(const server::CallContext& call, const std::string& collection);
  absl::Status RouteUpsert(const server::CallContext& call, const v1::UpsertRequest& request,
                           v1::UpsertResponse* response);
  absl::Status RouteDelete(const server::CallContext& call, const v1::DeleteRequest& request,
                           v1::DeleteResponse* response);
  absl::Status RouteGet(const server::CallContext& call, const v1::GetRequest& request,
                        v1::GetResponse* response);
  // Search and SearchBatch: one call per owner, the shards' k best merged.
  template <typename Request, typename Response>
  absl::Status RouteSearches(const server::CallContext& call, const Request& request,
                             Response* response, LocalMethod<Request, Response> local,
                             RemoteMethod<Request, Response> remote);
  absl::Status RouteSearch(const server::CallContext& call, const v1::SearchRequest& request,
                           v1::SearchResponse* response);
  absl::Status RouteSearchBatch(const server::CallContext& call,
                                const v1::SearchBatchRequest& request,
                                v1::SearchBatchResponse* response);
  absl::Status RouteScroll(const server::CallContext& call, const v1::ScrollRequest& request,
                           v1::ScrollResponse* response);
  absl::Status RouteUpdatePayload(const server::CallContext& call,
                                  const v1::UpdatePayloadRequest& request,
                                  v1::UpdatePayloadResponse* response);

  EtcdClient* const etcd_;
  ClusterView* const view_;
  LocalShards* const shards_;
  const Options options_;
  std::atomic<NodeRegistration*> registration_{nullptr};
  std::atomic<ReplicaManager*> replicas_{nullptr};
};

}  // namespace tqdb::cluster
