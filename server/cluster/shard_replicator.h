// A node's copy of another node's shard, kept the same by the primary's write-ahead log (issue
// 34). A thread of its own seeds the copy when it has none (ShardTransfer.FetchShard with
// for_replica: a snapshot's files), then follows the primary's log (ShardTransfer.StreamLog),
// applying each write synced and reporting how far it has applied, which the primary counts as
// held here. A broken stream is opened again (after 0.1 s, doubling to 2 s); a log the primary
// no longer holds seeds the copy again, and so does a new owner (a copy holds the history of the
// owner at one epoch, noted beside it in <directory>.epoch: after a failover the new owner's
// history may lack writes the copy applied, never acknowledged). Stop closes the copy, which can
// then be opened as the shard's database (promotion).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "tqdb/database.h"
#include "tqdb/mutex.h"
#include "tqdb/replica.h"
#include "tqdb/v1/tqdb.grpc.pb.h"

namespace tqdb::cluster {

class ShardReplicator {
 public:
  struct Primary {
    std::shared_ptr<v1::ShardTransfer::Stub> stub;  // its ShardTransfer service
    uint64_t epoch = 0;                             // at which it owns the shard
  };
  struct Options {
    std::string collection;
    uint32_t shard = 0;
    std::string node_id;    // this node, named to the primary
    std::string directory;  // the copy's data directory
    DatabaseOptions database_options;
    // The shard's owner as the map names it, asked again for every stream (it may change).
    std::function<absl::StatusOr<Primary>()> primary;
    // Readies each call's context (credentials, deadline-free).
    std::function<void(grpc::ClientContext*)> prepare = [](grpc::ClientContext*) {};
  };

  explicit ShardReplicator(Options options);
  ~ShardReplicator();  // Stop()
  ShardReplicator(const ShardReplicator&) = delete;
  ShardReplicator& operator=(const ShardReplicator&) = delete;

  void Start();
  // Ends the stream, waits for the thread and closes the copy.
  void Stop();

  // The primary's sequence number the copy holds (synced); 0 before it is seeded.
  uint64_t applied() const { return applied_.load(); }
  // Times the copy was seeded from a snapshot.
  int seeds() const { return seeds_.load(); }
  // The owner's epoch the copy follows (0 before it has one).
  uint64_t epoch() const { return epoch_.load(); }
  // Waits until the copy holds the log through `sequence`, or for `timeout`; whether it does.
  bool WaitForApplied(uint64_t sequence, std::chrono::milliseconds timeout);
  // Why the last stream or seed ended, OK while following.
  absl::Status last_error() const;

 private:
  void Run();
  // Copies a snapshot of the primary's shard into the directory (replacing what is there).
  absl::Status Seed(const Primary& primary);
  // Follows the log until the stream ends; its ending status.
  absl::Status Follow(const Primary& primary, Replica* replica);
  void SetError(absl::Status status);
  // The copy holds the log through `applied` now: wakes WaitForApplied.
  void Advance(uint64_t applied);
  bool Stopping() {
    MutexLock lock(mu_);
    return stopping_;
  }

  const Options options_;
  std::atomic<uint64_t> applied_{0};
  std::atomic<int> seeds_{0};
  std::atomic<uint64_t> epoch_{0};
  mutable Mutex mu_;
  std::condition_variable_any changed_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* call_ ABSL_GUARDED_BY(mu_) = nullptr;  // the stream's, to cancel it
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace tqdb::cluster
