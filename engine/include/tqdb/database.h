// A tqdb data directory: one RocksDB database holding any number of collections.
//
// Open loads every collection's codes into memory (segments are read sequentially). Collections
// are shared: a Collection obtained before DropCollection stays safe to call and answers
// NotFound afterwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "tqdb/collection.h"
#include "tqdb/collection_config.h"
#include "tqdb/logged_write.h"
#include "tqdb/memory_budget.h"
#include "tqdb/mutex.h"
#include "tqdb/storage_stats.h"

namespace tqdb {

class CollectionImpl;  // db/collection_impl.h
namespace storage {
class Catalog;
class LogCursor;
class Store;
}  // namespace storage

// Reads a database's log from a sequence number on, keeping its place between reads
// (Database::OpenLog): what a replica's stream reads with.
class LogReader {
 public:
  explicit LogReader(std::unique_ptr<storage::LogCursor> cursor);
  ~LogReader();
  // As Database::ReadLog from where the last read ended.
  absl::StatusOr<std::vector<LoggedWrite>> Read(size_t max_bytes);

 private:
  std::unique_ptr<storage::LogCursor> cursor_;
};

struct DatabaseOptions {
  bool create_if_missing = true;
  // How often group-commit writes are fsynced (Durability::kGroupCommit).
  int group_commit_interval_ms = 10;
  // RocksDB's memory, shared by all collections: the block cache (float vectors and payloads
  // read by get and re-rank, with the table files' index and filter blocks) and the memtables
  // (flushed once they pass this).
  size_t block_cache_bytes = size_t{64} << 20;
  size_t write_buffer_bytes = size_t{64} << 20;
  // When set, the block cache and the memtable budget are this one's, shared with other
  // databases (a cluster node's shards); the two sizes above then only size the memtables.
  std::shared_ptr<const SharedMemoryBudget> shared_budget;
  // Read every table file once at open and check its block checksums, so damage anywhere (not
  // only in the segments that loading reads) is reported at open instead of at a later read.
  bool verify_checksums_on_open = true;
  // Segments reaching this size are sealed; smaller ones are merged `segment_merge_fanout` at a
  // time. Smaller values mean more, smaller RocksDB values (tests use them to force merges).
  size_t segment_target_bytes = size_t{1} << 20;
  int segment_merge_fanout = 4;
  // Open even when the write-ahead log was cut short or damaged so that it recovers fewer
  // writes than were on disk (otherwise DataLoss): the missing writes are given up.
  bool accept_log_loss = false;
  // Run collections' background jobs: partition them once they pass their partition_at and as
  // they grow (collection.h, Repartition), re-center a flat one and re-train a partitioned one's
  // lists when the data drifts from them (CollectionInfo::drift). Off, only Repartition and
  // Recenter do (a snapshot's trimming copy, tests that follow each step).
  bool background_partitioning = true;
  // With background jobs on: re-center flat collections and re-train partitioned ones' lists
  // when the data drifts from them. Off, a center is taken once and lists are re-trained only
  // when the count quadruples (as before this was built; bench/center_drift_bench compares).
  bool follow_drift = true;
  // A background job (partitioning) takes in the writes made while it ran: past this many ids,
  // in rounds that do not hold the collection's write lock, then the rest in its commit, which
  // does. Tests set 0 to have every write taken in by a round.
  size_t job_catch_up_under_lock = 4096;
  // A collection that upserts grow by more than 1% of its size within this window is taken to
  // be loading: a partitioning it wants waits until it is not (at most a few windows after the
  // load), instead of chasing the load. 0: partitionings never wait.
  std::chrono::milliseconds partition_load_window{1000};
  // An upsert of only new ids with at least this many bytes of floats (stored vectors) writes
  // them as one RocksDB table file and ingests it, instead of through the write-ahead log and
  // the memtables: bulk loads write each float once and leave no memtables to flush. The upsert
  // is as durable as the collection's durability says (its codes go through the log). 0: never.
  size_t ingest_min_bytes = size_t{4} << 20;
  // For replicas (ReadLog): keep the write-ahead log this many seconds after its writes reach
  // table files, and at most this many MiB of it. 0 and 0: removed as soon as flushed. A
  // database that keeps its log ingests nothing (ingest_min_bytes is taken as 0): ingested
  // table files skip the log, so a replica would lack them.
  uint64_t log_retention_seconds = 0;
  uint64_t log_retention_mb = 0;
};

class Database {
 public:
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                        const DatabaseOptions& options = {});
  ~Database();

  const std::string& path() const { return path_; }

  // Creates a collection. If the name is taken: with `if_not_exists` and the same data layout the
  // existing collection is returned; otherwise AlreadyExists (or FailedPrecondition when the
  // layouts differ), with the stored config in the message.
  absl::StatusOr<std::shared_ptr<Collection>> CreateCollection(const CollectionConfig& config,
                                                               bool if_not_exists = false);
  // Removes the collection and all its data in one atomic write.
  absl::Status DropCollection(const std::string& name);
  absl::StatusOr<std::shared_ptr<Collection>> GetCollection(const std::string& name) const;
  // Names, sorted.
  std::vector<std::string> ListCollections() const;

  StorageStats Stats() const;

  // Replication (replica.h): the sequence number of the last write, and the writes from sequence
  // `from` on, whole, until their data passes `max_bytes` (empty when nothing was written
  // since). FailedPrecondition when the log no longer goes back that far or skips writes (an
  // ingested table file): the replica must start again from a Snapshot.
  uint64_t LatestSequence() const;
  absl::StatusOr<std::vector<LoggedWrite>> ReadLog(uint64_t from, size_t max_bytes) const;
  // The log from `from` on, read a part at a time (ReadLog searches the log on every call).
  std::unique_ptr<LogReader> OpenLog(uint64_t from) const;
  // Waits until a write past `sequence` has been applied, or for `timeout`; whether one has.
  bool WaitForWrite(uint64_t sequence, std::chrono::milliseconds timeout) const;

  // Writes a consistent copy of the data directory into `dir` (which must not exist; its parent
  // must) while writes continue: every collection, or only `collection` when it is not empty.
  // Each write is in the copy whole or not at all. The copy is built in a private staging
  // directory beside `dir` and appears at `dir` whole and synced, or not at all; of concurrent
  // snapshots to one `dir`, one succeeds. Database::Open(dir) opens it as a normal data
  // directory. NotFound for an unknown collection, AlreadyExists when `dir` exists (or appeared
  // meanwhile).
  absl::Status Snapshot(const std::string& dir, const std::string& collection = "");
  // Removes what snapshots into `snapshots_dir` left when their process was killed before they
  // finished (their private staging directories); returns how many. Call when no snapshot into
  // that folder runs, such as at start.
  static absl::StatusOr<int> RemoveAbandonedSnapshots(const std::string& snapshots_dir);

 private:
  Database(std::string path, const DatabaseOptions& options);

  // Drops every collection but `collection` from the snapshot in `dir`, files included.
  absl::Status TrimSnapshot(const std::string& dir, const std::string& collection) const;

  const std::string path_;
  const DatabaseOptions options_;
  std::shared_ptr<storage::Store> store_;
  std::unique_ptr<storage::Catalog> catalog_;
  mutable Mutex mu_;  // serializes create and drop; guards the map
  absl::flat_hash_map<std::string, std::shared_ptr<CollectionImpl>> collections_
      ABSL_GUARDED_BY(mu_);
  uint32_t next_collection_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace tqdb
