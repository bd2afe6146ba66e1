// One collection's data in the store: every RocksDB write batch, iterator, snapshot, MultiGet,
// range delete and compaction of a collection goes through here, so the collection layer never
// touches RocksDB (the same split as RocksDB's own db/ behind include/).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "db/storage/config_codec.h"
#include "db/storage/partition_codec.h"
#include "db/storage/payload_index_codec.h"
#include "db/storage/segment_codec.h"
#include "db/storage/table_file.h"
#include "tqdb/collection_config.h"

namespace rocksdb {
class Snapshot;
class WriteBatch;
}  // namespace rocksdb

namespace tqdb::storage {

class Store;

// A consistent read view of the whole store, released when the last copy goes.
using ReadView = std::shared_ptr<const rocksdb::Snapshot>;

class CollectionStore {
 public:
  // The changes of one atomic write to this collection.
  class Batch {
   public:
    ~Batch();
    Batch(Batch&&) noexcept;
    void PutSegment(uint64_t number, std::string_view value);
    // Removes the segment and every dead mark it has.
    void DeleteSegment(uint64_t number);
    // Marks `id`'s entry in `segment` stale.
    void MarkDead(uint64_t segment, uint64_t id);
    void PutVector(uint64_t id, absl::Span<const float> vector);
    void PutPayload(uint64_t id, std::string_view payload);
    void DeletePayload(uint64_t id);
    // Removes the id's vector and payload.
    void DeleteRecord(uint64_t id);
    // Rewrites the collection's config record (its name is the key), e.g. with a new center.
    void PutCollectionRecord(const StoredCollection& stored);
    // Replaces the collection's partitioning (its centroids).
    void PutPartitioning(const StoredPartitioning& partitioning);
    // Replaces the list of the collection's payload indexes.
    void PutPayloadIndexes(absl::Span<const PayloadFieldIndex> fields);
    // Ends a bulk write (IngestVectors): its vectors are now backed by this batch's segments.
    void ClearIngestMarker(uint64_t number);

   private:
    friend class CollectionStore;
    Batch(const CollectionStore* owner, size_t reserve_bytes);
    const CollectionStore* owner_;
    std::unique_ptr<rocksdb::WriteBatch> batch_;
  };

  // One stored segment as loading sees it: the decoded value and which of its ids are stale.
  struct LoadedSegment {
    uint64_t number = 0;
    size_t bytes = 0;  // of the stored value
    SegmentView view;  // codes point into the stored value, valid during the visit only
    const absl::flat_hash_set<uint64_t>* dead = nullptr;  // null when none are
  };

  CollectionStore(std::shared_ptr<Store> store, uint32_t cid, std::string name);
  // The database's directory, and the free space other files there leave to it
  // (Store::DiskLeftToDatabase).
  const std::string& path() const;
  uint64_t DiskLeftToDatabase() const;

  // `reserve_bytes`: about what the batch will hold (an upsert's floats), so RocksDB's buffer
  // is allocated once instead of doubling and copying as it grows.
  Batch NewBatch(size_t reserve_bytes = 0) const { return Batch(this, reserve_bytes); }
  // Applies `batch` atomically; returns once it is as durable as `durability` promises.
  absl::Status Write(Batch* batch, Durability durability) const;
  ReadView Snapshot() const;

  // Bulk writes of new ids: whether vectors of this many bytes go through IngestVectors.
  bool IngestsBytes(size_t bytes) const;
  // The vectors of `ids` as one table file, written and synced but not part of the database
  // (dropped with the file object, or at the next open). A writer makes it while it encodes.
  absl::StatusOr<TableFile> WriteVectorTable(absl::Span<const uint64_t> ids,
                                             absl::Span<const float> vectors, int dim) const;
  // Ingests the table file of the vectors of `ids` (none stored yet), durably, instead of
  // writing them through the log and the memtables. First a synced marker `number` records the
  // ids: until a batch with ClearIngestMarker(number) commits (with the ids' segments), their
  // vectors are not yet part of the collection, and an open after a crash removes the ones no
  // segment holds (ReadIngestMarkers).
  absl::Status IngestVectors(uint64_t number, absl::Span<const uint64_t> ids,
                             TableFile table) const;
  struct IngestMarker {
    uint64_t number = 0;
    std::vector<uint64_t> ids;
  };
  // The bulk writes that began and never committed or were cleaned up.
  absl::StatusOr<std::vector<IngestMarker>> ReadIngestMarkers() const;

  // Visits every segment in number order with one sequential scan (dead marks read first).
  absl::Status ForEachSegment(size_t code_bytes,
                              const std::function<absl::Status(const LoadedSegment&)>& visit) const;
  // The partitioning in use, or nullopt while the collection is flat.
  absl::StatusOr<std::optional<StoredPartitioning>> ReadPartitioning(int dim) const;
  // The ids a segment was written with, live or not (the latest state, not a snapshot).
  absl::StatusOr<std::vector<uint64_t>> ReadSegmentIds(uint64_t number, size_t code_bytes) const;

  // The float vectors of `ids` as of `view`; DataLoss when one is missing or damaged.
  // Visits every stored vector (`dim` floats) in id order, as of now; DataLoss for one of
  // another size.
  absl::Status ForEachVector(
      int dim, const std::function<void(uint64_t id, absl::Span<const float> vector)>& visit) const;
  absl::StatusOr<std::vector<std::vector<float>>> ReadVectors(absl::Span<const uint64_t> ids,
                                                              int dim, const ReadView& view) const;
  // The payloads of `ids` as of `view`; empty for an id without one.
  absl::StatusOr<std::vector<std::string>> ReadPayloads(absl::Span<const uint64_t> ids,
                                                        const ReadView& view) const;

  // Visits every stored payload in id order, as of `view` (null: now).
  absl::Status ForEachPayload(
      const ReadView& view, const std::function<void(uint64_t id, std::string_view)>& visit) const;
  // The payload indexes declared on the collection (none when it has no record of them).
  absl::StatusOr<std::vector<PayloadFieldIndex>> ReadPayloadIndexes() const;

  // Compacts the collection's key ranges, so deleted data leaves the disk.
  absl::Status CompactRanges() const;
  // Approximate bytes of the collection on disk and in memtables.
  uint64_t ApproximateBytes() const;

 private:
  const std::shared_ptr<Store> store_;
  const uint32_t cid_;
  const std::string name_;  // for error messages
};

}  // namespace tqdb::storage
