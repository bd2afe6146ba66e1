// A durable collection of vectors: RocksDB holds the truth, an in-memory FlatIndex is the cache
// that search reads (docs/DESIGN.md, "Storage").
//
// Every upsert or delete is one atomic RocksDB write batch with the write-ahead log on, and is
// acknowledged only once it is as durable as the collection's Durability says. Codes are written
// in segments (many vectors per value) and loaded, never recomputed, at open.
//
// Thread safety: all methods may be called concurrently. Writes to one collection are serialized;
// searches and gets run in parallel with each other and with writes, and see each write either
// whole or not at all.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tqdb/collection_config.h"
#include "tqdb/flat_index.h"
#include "tqdb/mutex.h"

namespace rocksdb {
class Snapshot;
class WriteBatch;
}  // namespace rocksdb

namespace tqdb {
namespace storage {
class Store;
struct SegmentPolicy;
}  // namespace storage

inline constexpr size_t kMaxBatchSize = 100000;              // ids per upsert, delete or get
inline constexpr size_t kMaxPayloadBytes = size_t{1} << 20;  // per vector

struct WriteOptions {
  std::optional<Durability> durability;  // unset: the collection's default
};

struct WriteResult {
  size_t inserted = 0;  // upsert: ids that were new
  size_t replaced = 0;  // upsert: ids that existed and were replaced
  size_t deleted = 0;   // delete: ids that existed
};

// One stored vector as returned by Get and Search.
struct Record {
  uint64_t id = 0;
  bool found = true;          // Get only: false when the id is not in the collection
  float score = 0;            // Search only: as SearchHit::score
  std::vector<float> vector;  // when asked for and stored
  std::string payload;        // when asked for (empty if none was given)
};

struct CollectionInfo {
  CollectionConfig config;
  size_t count = 0;
  size_t segments = 0;
  size_t dead_entries = 0;       // stale code entries awaiting compaction
  uint64_t bytes_on_disk = 0;    // approximate, includes memtables
  uint64_t bytes_in_memory = 0;  // the index and id maps
  size_t code_bytes = 0;         // packed code bytes per vector (factors not included)
};

// The packed code and factors kept for one vector (for checks and debugging).
struct StoredCode {
  std::vector<uint8_t> code;
  VectorFactors factors;
};

class Collection {
 public:
  ~Collection();

  const CollectionConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  int dim() const { return config_.quantizer.dim; }

  // Inserts or replaces `ids.size()` vectors (row-major in `vectors`). `payloads` is empty or
  // has one entry per id; a replaced vector loses any payload it had unless a new one is given.
  // Ids must be unique within the batch (which vector would win is otherwise ambiguous).
  absl::StatusOr<WriteResult> Upsert(absl::Span<const uint64_t> ids,
                                     absl::Span<const float> vectors,
                                     absl::Span<const std::string> payloads = {},
                                     const WriteOptions& options = {});
  // Deletes the ids that exist; absent or repeated ids are not errors (delete is idempotent).
  absl::StatusOr<WriteResult> Delete(absl::Span<const uint64_t> ids,
                                     const WriteOptions& options = {});

  absl::StatusOr<std::vector<Record>> Get(absl::Span<const uint64_t> ids, bool with_vectors,
                                          bool with_payloads) const;

  absl::StatusOr<std::vector<Record>> Search(absl::Span<const float> query,
                                             const SearchOptions& options) const;
  // Row-major queries, searched in parallel.
  absl::StatusOr<std::vector<std::vector<Record>>> SearchBatch(absl::Span<const float> queries,
                                                               const SearchOptions& options) const;

  CollectionInfo Describe() const;
  absl::StatusOr<StoredCode> GetStoredCode(uint64_t id) const;

  // Rewrites every segment holding deleted entries, merges small segments and compacts the
  // collection's RocksDB ranges, so deleted data leaves the disk.
  absl::Status Compact();

 private:
  friend class Database;
  struct Segment {
    std::vector<uint64_t> ids;  // in stored order, live or not
    size_t dead = 0;
    size_t bytes = 0;
  };
  Collection(std::shared_ptr<storage::Store> store, uint32_t cid, CollectionConfig config,
             const storage::SegmentPolicy& policy);
  // Rebuilds the in-memory state from the stored segments.
  absl::Status Load();
  // Marks the collection dropped; later calls fail with NotFound. Waits for a running write.
  void MarkDropped();
  absl::Status CheckLive() const;

  absl::Status ValidateSearch(const SearchOptions& options) const;
  // Fills vectors and payloads of `records` from `snapshot`, as `options` asks.
  absl::Status FillRecords(std::vector<Record>* records, bool with_vectors, bool with_payloads,
                           const rocksdb::Snapshot* snapshot) const;
  // Exact scores for re-ranking, read from `snapshot`.
  absl::StatusOr<std::vector<std::vector<float>>> ReadVectors(
      absl::Span<const uint64_t> ids, const rocksdb::Snapshot* snapshot) const;

  // Writes `batch` and installs a new snapshot; `apply` changes the index under the write lock.
  absl::Status Commit(rocksdb::WriteBatch* batch, Durability durability,
                      const std::function<void()>& apply) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Rewrites segments as the policy asks (merges, reclaiming dead entries).
  absl::Status MaintainSegments(bool full) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status RewriteSegments(absl::Span<const uint64_t> numbers)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  const std::shared_ptr<storage::Store> store_;
  const uint32_t cid_;
  const CollectionConfig config_;
  std::unique_ptr<storage::SegmentPolicy> policy_;
  std::atomic<bool> dropped_{false};

  // Serializes writers; guards the segment bookkeeping, which readers never touch.
  mutable Mutex write_mu_;
  absl::flat_hash_map<uint64_t, uint64_t> segment_of_ ABSL_GUARDED_BY(write_mu_);
  std::map<uint64_t, Segment> segments_ ABSL_GUARDED_BY(write_mu_);
  uint64_t next_segment_ ABSL_GUARDED_BY(write_mu_) = 0;

  // Readers share it; a writer holds it exclusively only to apply a committed batch.
  mutable SharedMutex index_mu_ ABSL_ACQUIRED_AFTER(write_mu_);
  std::unique_ptr<FlatIndex> index_ ABSL_GUARDED_BY(index_mu_);
  std::shared_ptr<const rocksdb::Snapshot> snapshot_ ABSL_GUARDED_BY(index_mu_);
};

}  // namespace tqdb
