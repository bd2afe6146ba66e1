// A durable collection of vectors: RocksDB holds the truth, an in-memory index (flat, or
// partitioned once the collection passes partition_at) is the cache that search reads
// (docs/DESIGN.md, "Storage" and "Partitions").
//
// Every upsert or delete is one atomic RocksDB write batch with the write-ahead log on, and is
// acknowledged only once it is as durable as the collection's Durability says. Codes are written
// in segments (many vectors per value) and loaded, never recomputed, at open.
//
// Thread safety: all methods may be called concurrently. Writes to one collection are serialized;
// searches and gets run in parallel with each other and with writes, and see each write either
// whole or not at all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tqdb/collection_config.h"
#include "tqdb/filter.h"
#include "tqdb/flat_index.h"
#include "tqdb/payload_schema.h"
#include "tqdb/quantizer.h"
#include "tqdb/search_options.h"

namespace tqdb {

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
  size_t dead_entries = 0;     // stale code entries awaiting compaction
  uint64_t bytes_on_disk = 0;  // approximate, includes memtables and rerank_file_bytes
  // The mmap re-rank store's file (rebuilt at open; the page cache holds the rows read).
  uint64_t rerank_file_bytes = 0;
  IndexMemory memory;              // the in-memory index by part (flat_index.h)
  size_t code_bytes = 0;           // packed code bytes per vector (factors not included)
  double bits_per_coordinate = 0;  // of the code as stored (Quantizer::bits_per_coordinate)
  std::vector<float> center;       // the center the codes are relative to; empty for none
  // Partitioning: 0 while the collection is flat, else the number of the centroids in use (each
  // re-partition takes the next).
  uint64_t partitioning = 0;
  std::vector<float> centroids;  // row-major, one per list (cosine and L2: the list's center)
  // Cosine lists assign vectors and are probed by direction (the centroid scaled to unit
  // length), not by L2 to the centroid: partitions made from this version on.
  bool lists_by_direction = false;
  std::vector<size_t> list_sizes;  // vectors per list
  int nprobe = 0;                  // lists a search probes by default (0 while flat)
  bool repartitioning = false;     // a new partitioning is being built in the background
  bool recentering = false;        // the codes are being re-encoded against a new center
  // A background job runs, or the job thread is choosing the next one: between two jobs both
  // flags above read false for a moment, so whoever waits for the collection to settle waits
  // for this.
  bool background_jobs = false;
  // How far the codes' reference has drifted from the data, from a sample of the vectors: flat,
  // the residual energy codes relative to the center carry beyond codes relative to the mean,
  // as a share of it; partitioned, the growth of the lists' residual energy since they were
  // trained. A background job re-centers past 0.005, re-trains the lists past 0.02.
  double drift = 0;
  std::vector<PayloadFieldIndex> payload_indexes;  // fields other than these filter slowly
  size_t payload_index_bytes = 0;                  // their memory, with the set of stored ids
};

// What Recenter measured, and did unless it was a dry run.
struct RecenterResult {
  std::vector<float> old_center;  // empty: none
  std::vector<float> new_center;  // the mean of the stored vectors (cosine: of unit vectors)
  double drift = 0;               // |new_center - old_center|
  size_t reencoded = 0;           // vectors re-encoded (0 for a dry run)
};

// The packed code and factors kept for one vector (for checks and debugging).
struct StoredCode {
  std::vector<uint8_t> code;
  VectorFactors factors;
  int64_t list = -1;  // partitioned: the vector's list
};

// One page of Scroll: points in id order, and where the next page starts (unset: the last).
struct ScrollPage {
  std::vector<Record> records;
  std::optional<uint64_t> next;
};

inline constexpr size_t kMaxScrollLimit = 10000;

// A change to stored payloads (Collection::UpdatePayloads), Qdrant's set / overwrite / delete
// payload operations.
struct PayloadUpdate {
  enum class Kind {
    kSet,         // merge the top-level keys of `payload` (a JSON object) into each payload
    kOverwrite,   // replace each payload with `payload`
    kDeleteKeys,  // remove `keys` (dotted paths) from each payload
    kClear,       // remove each payload
  };
  Kind kind = Kind::kSet;
  std::string payload;
  std::vector<std::string> keys;
};

// The interface of a collection; Database creates the implementation (db/collection_impl.h).
class Collection {
 public:
  virtual ~Collection() = default;

  virtual const CollectionConfig& config() const = 0;
  const std::string& name() const { return config().name; }
  int dim() const { return config().quantizer.dim; }

  // Inserts or replaces `ids.size()` vectors (row-major in `vectors`). `payloads` is empty or
  // has one entry per id; a replaced vector loses any payload it had unless a new one is given.
  // Ids must be unique within the batch (which vector would win is otherwise ambiguous).
  virtual absl::StatusOr<WriteResult> Upsert(absl::Span<const uint64_t> ids,
                                             absl::Span<const float> vectors,
                                             absl::Span<const std::string> payloads = {},
                                             const WriteOptions& options = {}) = 0;
  // Deletes the ids that exist; absent or repeated ids are not errors (delete is idempotent).
  virtual absl::StatusOr<WriteResult> Delete(absl::Span<const uint64_t> ids,
                                             const WriteOptions& options = {}) = 0;

  virtual absl::StatusOr<std::vector<Record>> Get(absl::Span<const uint64_t> ids, bool with_vectors,
                                                  bool with_payloads) const = 0;

  virtual absl::StatusOr<std::vector<Record>> Search(absl::Span<const float> query,
                                                     const SearchOptions& options) const = 0;
  // Row-major queries, searched in parallel.
  virtual absl::StatusOr<std::vector<std::vector<Record>>> SearchBatch(
      absl::Span<const float> queries, const SearchOptions& options) const = 0;

  virtual CollectionInfo Describe() const = 0;
  // Vectors stored now (Describe().count without the rest of Describe's work).
  virtual size_t count() const = 0;
  virtual absl::StatusOr<StoredCode> GetStoredCode(uint64_t id) const = 0;

  // Rewrites every segment holding deleted entries, merges small segments and compacts the
  // collection's RocksDB ranges, so deleted data leaves the disk.
  virtual absl::Status Compact() = 0;

  // Centering auto only, with stored floats: measures how far the mean of the stored vectors
  // has drifted from the center in use and, unless `dry_run`, takes it as the new center,
  // re-encoding every vector from its floats in one atomic write. Ids, payloads and floats do
  // not change. Writes wait while it runs; searches continue on the old codes until it commits.
  virtual absl::StatusOr<RecenterResult> Recenter(bool dry_run) = 0;

  // Partitions the collection now into `lists` lists (0: about sqrt(n)), as the background does
  // once it passes config().partition_at: k-means centroids from a sample, every vector
  // re-encoded relative to its list's centroid (from its stored floats, or decoded from its code
  // when floats are off) into new segments, then one atomic write that switches to them and
  // takes in the writes made meanwhile. Blocks the caller only: searches and writes continue,
  // and a kill at any point leaves the old state or the new, never a mix. FailedPrecondition
  // while another partitioning runs or for fewer vectors than lists.
  virtual absl::Status Repartition(size_t lists) = 0;

  // Points that pass `filter` (tqdb/filter.h); InvalidArgument for a condition its field's
  // index type cannot answer.
  virtual absl::StatusOr<size_t> Count(const Filter& filter) const = 0;
  // Indexes a payload field (a dotted key) by type, from the stored payloads, and keeps it with
  // every write; filters on it then read the index instead of the payloads. AlreadyExists for
  // a field indexed already. Writes wait while it is built; searches continue.
  virtual absl::Status CreatePayloadIndex(const PayloadFieldIndex& field) = 0;

  // Up to `limit` (1..kMaxScrollLimit) points passing `filter` in increasing id order, from id
  // `from` (unset: the first). The page's `next` resumes after it; writes between pages do not
  // disturb it (a point added behind the cursor is simply not visited).
  virtual absl::StatusOr<ScrollPage> Scroll(const Filter& filter, std::optional<uint64_t> from,
                                            size_t limit, bool with_vectors,
                                            bool with_payloads) const = 0;
  // Deletes every point passing `filter` (a non-empty filter), in atomic steps of
  // kMaxBatchSize points; a step that fails leaves the earlier ones done.
  virtual absl::StatusOr<WriteResult> DeleteWhere(const Filter& filter,
                                                  const WriteOptions& options = {}) = 0;
  // Applies `update` to the payloads of the stored points among `ids`, or of every point that
  // passes `filter` when it is set (then `ids` must be empty); payload indexes follow. Atomic
  // in steps of kMaxBatchSize points. Returns the points changed. InvalidArgument for a payload
  // that is not a JSON object (set, overwrite) or a result above kMaxPayloadBytes.
  virtual absl::StatusOr<size_t> UpdatePayloads(const PayloadUpdate& update,
                                                absl::Span<const uint64_t> ids,
                                                const Filter* filter,
                                                const WriteOptions& options = {}) = 0;
};

}  // namespace tqdb
