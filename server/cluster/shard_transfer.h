// The sending side of a shard move (Tqdb.MoveShard; the receiving side is ClusterApi's
// cluster_api_move.cc): the ShardTransfer service every node serves to the others. FetchShard
// takes a RocksDB checkpoint (hard links) and streams its files while the shard goes on taking
// writes, noting their ids; CatchUp sends those ids' records (the new owner applies them), and
// its last round pauses the writes first, so the pause lasts one short round and the switch,
// not the copy. (A collection without stored floats cannot send records: its writes pause for
// the whole move.) FinishMove drops the copy once the map names the new owner, or resumes the
// writes. A move nobody finishes (the mover died) ends by itself: kAbandonedMove after the
// mover's last call (the copy's stream, a CatchUp), the node reads the map and resumes if it
// still owns the shard, or drops its copy if another node does.
//
// For replicas (issue 34, shard_replicator.h): FetchShard with for_replica sends a snapshot's
// files and begins no move; StreamLog sends the shard's write-ahead log from where a replica's
// copy ends, as it is written, and notes in the shard's ReplicaProgress what the replica
// reports having synced.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "api_keys.h"
#include "cluster_view.h"
#include "local_shards.h"
#include "node_registration.h"
#include "tqdb/mutex.h"
#include "tqdb/v1/tqdb.grpc.pb.h"

namespace tqdb::cluster {

// A move whose mover has not called for this long after the copy is abandoned.
inline constexpr std::chrono::seconds kAbandonedMove{60};

class ShardTransferService final : public v1::ShardTransfer::Service {
 public:
  ShardTransferService(std::string node_id, LocalShards* shards, ClusterView* view,
                       const server::ApiKeys* api_keys);
  ~ShardTransferService() override;
  // Once the node is registered: a replica's seed puts it out of sync under the node's lease.
  void SetRegistration(NodeRegistration* registration) { registration_ = registration; }

  grpc::Status FetchShard(grpc::ServerContext* context, const v1::FetchShardRequest* request,
                          grpc::ServerWriter<v1::ShardFileChunk>* writer) override;
  grpc::Status CatchUp(grpc::ServerContext* context, const v1::CatchUpRequest* request,
                       v1::CatchUpResponse* response) override;
  grpc::Status FinishMove(grpc::ServerContext* context, const v1::FinishMoveRequest* request,
                          v1::FinishMoveResponse* response) override;
  grpc::Status StreamLog(grpc::ServerContext* context,
                         grpc::ServerReaderWriter<v1::LogWrites, v1::LogProgress>* stream) override;
  // Ends the log streams within a moment (a node stopping: gRPC's shutdown would otherwise wait
  // its whole grace period for these calls, which last as long as their replicas stay).
  void EndLogStreams() { ending_streams_ = true; }

 private:
  using Key = std::pair<std::string, uint32_t>;
  absl::Status Authorize(const grpc::ServerContext& context, const std::string& collection) const;
  // Aborted unless this node owns the shard at `epoch` (its map read again when older): a
  // replica seeds from and follows only the owner its map names, and asks again later.
  std::atomic<NodeRegistration*> registration_{nullptr};
  absl::Status CheckPrimary(const std::string& collection, uint32_t shard, uint64_t epoch);
  absl::Status SendFiles(const std::string& directory,
                         grpc::ServerWriter<v1::ShardFileChunk>* writer);
  // A snapshot of the shard taken into `checkpoint` (replaced), its files sent, then removed.
  absl::Status SendSnapshot(LocalShards::Shard& shard, const std::string& checkpoint,
                            grpc::ServerWriter<v1::ShardFileChunk>* writer);
  // FetchShard for a replica's seed: a snapshot's files, with no move begun.
  grpc::Status SeedReplica(const v1::FetchShardRequest& request, LocalShards::Shard& shard,
                           grpc::ServerWriter<v1::ShardFileChunk>* writer);
  bool Stopping() {
    MutexLock lock(mu_);
    return stopping_;
  }
  // Ends the move of `key`: drops the copy when the map names another owner, else resumes.
  absl::Status Finish(const Key& key, bool committed);
  void WatchPauses();

  const std::string node_id_;
  LocalShards* const shards_;
  ClusterView* const view_;
  const server::ApiKeys* const api_keys_;
  Mutex mu_;
  std::condition_variable_any wake_;
  std::map<Key, std::chrono::steady_clock::time_point> paused_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread watcher_;
  std::atomic<uint64_t> next_seed_{0};  // names each seed's snapshot directory
  std::atomic<bool> ending_streams_{false};
};

}  // namespace tqdb::cluster
