// The shards a node holds: each is its own tqdb database directory, <root>/<collection>/<shard>,
// with one collection of the sharded collection's name in it, so moving or dropping a shard is a
// directory operation (issue 33). Each shard answers through its own TqdbApi, with the same
// validation and limits as a server alone.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "replica_progress.h"
#include "tqdb/database.h"
#include "tqdb/mutex.h"
#include "tqdb_api.h"

namespace tqdb::cluster {

// How long, and how much of it, a replicated shard keeps its log for a replica that is away.
inline constexpr uint64_t kReplicatedLogSeconds = 3600;
inline constexpr uint64_t kReplicatedLogMiB = 1024;

class LocalShards {
 public:
  struct Shard {
    std::unique_ptr<Database> database;
    std::unique_ptr<server::TqdbApi> api;
    // A move (shard_transfer.h) first notes the ids written (`tracking`), then pauses the
    // writes: writes hold the gate shared, and the move takes it whole once to wait for those
    // in flight; `moving` turns the next ones away.
    SharedMutex write_gate;
    std::atomic<bool> moving{false};
    std::atomic<bool> tracking{false};
    Mutex written_mu;
    absl::flat_hash_set<uint64_t> written ABSL_GUARDED_BY(written_mu);
    // What each replica holds of this shard's log (replica_progress.h).
    ReplicaProgress replicas;

    void NoteWritten(absl::Span<const uint64_t> ids) {
      MutexLock lock(written_mu);
      written.insert(ids.begin(), ids.end());
    }
    // Up to `most` of the noted ids, forgotten.
    std::vector<uint64_t> TakeWritten(size_t most = SIZE_MAX) {
      MutexLock lock(written_mu);
      std::vector<uint64_t> ids;
      for (auto it = written.begin(); it != written.end() && ids.size() < most;) {
        ids.push_back(*it);
        written.erase(it++);
      }
      return ids;
    }
    bool HasWritten() {
      MutexLock lock(written_mu);
      return !written.empty();
    }
  };

  LocalShards(std::string root, DatabaseOptions database_options,
              server::ServiceOptions service_options)
      : root_(std::move(root)),
        database_options_(database_options),
        service_options_(std::move(service_options)) {}

  // Says whether a collection has replicas, whose shards keep their log for them (a replica
  // away for a while catches up from it instead of copying the shard again). Set before the
  // shards are opened.
  void SetKeepsLogFor(std::function<bool(const std::string& collection)> keeps_log_for) {
    keeps_log_for_ = std::move(keeps_log_for);
  }
  // A shard's database options: the node's, with the log kept for a replicated collection.
  DatabaseOptions OptionsFor(const std::string& collection) const;

  // Opens every shard directory under the root (a node's restart).
  absl::Status OpenAll();
  // The shard when this node holds it, else null. Calls keep it open while they hold it.
  std::shared_ptr<Shard> Find(const std::string& collection, uint32_t shard) const;
  // The shard, its database directory opened or made (empty: the caller creates the
  // collection in it).
  absl::StatusOr<std::shared_ptr<Shard>> OpenOrCreate(const std::string& collection,
                                                      uint32_t shard);
  // Closes the shard once the calls holding it have finished, and removes its directory.
  absl::Status Drop(const std::string& collection, uint32_t shard);
  // Takes a shard whose files arrived in `incoming` (IncomingDirectory): moved into place and
  // opened. AlreadyExists when this node holds the shard.
  absl::StatusOr<std::shared_ptr<Shard>> Adopt(const std::string& collection, uint32_t shard,
                                               const std::string& incoming);
  // Where a shard's files arrive during a move, and where its checkpoint is taken to be sent;
  // both are emptied at every start.
  std::string IncomingDirectory(const std::string& collection, uint32_t shard) const;
  std::string OutgoingDirectory(const std::string& collection, uint32_t shard) const;
  std::vector<std::pair<std::string, uint32_t>> List() const;
  // Marks every shard's API serving (TqdbApi::MarkServing).
  void MarkServing();

 private:
  using Key = std::pair<std::string, uint32_t>;
  std::string DirectoryOf(const Key& key) const;
  absl::StatusOr<std::shared_ptr<Shard>> Open(const Key& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string root_;
  const DatabaseOptions database_options_;
  std::function<bool(const std::string&)> keeps_log_for_;
  const server::ServiceOptions service_options_;
  mutable Mutex mu_;
  std::map<Key, std::shared_ptr<Shard>> shards_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tqdb::cluster
