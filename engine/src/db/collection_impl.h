// The collection behind tqdb::Collection: the stored segments (db/storage/collection_store.h) and
// the in-memory FlatIndex built from them, which is also the collection's only id map (each id's
// slot, and as its tag the segment that stores it).
//
// Locks: write_mu_ serializes writers and guards the segment statistics; index_mu_ is shared by
// readers and held exclusively by a writer only to apply a committed batch, together with the
// snapshot that shows that batch. A writer reads the index (old segments of ids) under index_mu_
// shared: since only writers change it, it cannot change between that read and the commit.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "db/storage/collection_store.h"
#include "db/storage/segment_policy.h"
#include "tqdb/collection.h"
#include "tqdb/flat_index.h"
#include "tqdb/mutex.h"

namespace tqdb {

class CollectionImpl final : public Collection {
 public:
  // Builds the collection from its stored segments (none for a new one).
  static absl::StatusOr<std::shared_ptr<CollectionImpl>> Open(std::shared_ptr<storage::Store> store,
                                                              uint32_t cid, CollectionConfig config,
                                                              const storage::SegmentPolicy& policy);
  ~CollectionImpl() override;

  uint32_t cid() const { return cid_; }
  // While dropped, every call fails with NotFound. MarkDropped waits for a running write.
  void MarkDropped();
  void UnmarkDropped();  // the drop failed to commit; serve the collection again

  const CollectionConfig& config() const override { return config_; }
  absl::StatusOr<WriteResult> Upsert(absl::Span<const uint64_t> ids,
                                     absl::Span<const float> vectors,
                                     absl::Span<const std::string> payloads,
                                     const WriteOptions& options) override;
  absl::StatusOr<WriteResult> Delete(absl::Span<const uint64_t> ids,
                                     const WriteOptions& options) override;
  absl::StatusOr<std::vector<Record>> Get(absl::Span<const uint64_t> ids, bool with_vectors,
                                          bool with_payloads) const override;
  absl::StatusOr<std::vector<Record>> Search(absl::Span<const float> query,
                                             const SearchOptions& options) const override;
  absl::StatusOr<std::vector<std::vector<Record>>> SearchBatch(
      absl::Span<const float> queries, const SearchOptions& options) const override;
  CollectionInfo Describe() const override;
  size_t count() const override;
  absl::StatusOr<StoredCode> GetStoredCode(uint64_t id) const override;
  absl::Status Compact() override;
  absl::StatusOr<RecenterResult> Recenter(bool dry_run) override;

 private:
  // Entries of one stored segment; its ids live in the store and, while live, in the index.
  struct SegmentStats {
    size_t count = 0;  // entries written
    size_t dead = 0;   // entries since deleted or replaced
    size_t bytes = 0;  // of the stored value
  };

  CollectionImpl(std::shared_ptr<storage::Store> store, uint32_t cid, CollectionConfig config,
                 const storage::SegmentPolicy& policy);
  // Builds the index (relative to `center`, empty for none) from the stored segments.
  absl::Status Load(std::vector<float> center);
  // An empty index of this collection relative to `center`.
  absl::StatusOr<std::unique_ptr<FlatIndex>> NewIndex(std::vector<float> center) const;
  // kAuto and not yet centered, and this upsert of `n` would make the center: see Centering.
  bool TakesCenterNow(size_t n) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // An upsert, validated, with which of its ids are stored already.
  struct PendingUpsert {
    absl::Span<const uint64_t> ids;
    absl::Span<const float> vectors;
    absl::Span<const std::string> payloads;
    std::vector<bool> existed;
  };
  // The upsert that takes the center: the mean of the stored vectors and the batch's.
  absl::StatusOr<WriteResult> UpsertTakingCenter(const PendingUpsert& upsert, Durability durability)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // In one atomic write: every segment deleted, the `kept` vectors re-encoded against `center`
  // from their stored floats into new sealed segments, `upsert` (may be empty) written as usual,
  // and the record stored with the center; then the new index replaces the old.
  absl::Status RewriteAgainstCenter(std::vector<float> center, absl::Span<const uint64_t> kept,
                                    const PendingUpsert& upsert, Durability durability)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Reads the stored floats of `ids` (the latest state) a chunk at a time.
  absl::Status ForEachStoredChunk(
      absl::Span<const uint64_t> ids,
      const std::function<void(size_t first, const float* rows, size_t count)>& visit) const;
  // Puts the floats and payloads of an upsert into `batch`; `existed[i]`: ids[i] was stored.
  void PutRecords(absl::Span<const uint64_t> ids, absl::Span<const float> vectors,
                  absl::Span<const std::string> payloads, const std::vector<bool>& existed,
                  storage::CollectionStore::Batch* batch) const;
  absl::Status CheckLive() const;

  absl::Status ValidateSearch(const SearchOptions& options) const;
  // Fills vectors and payloads of the found `records` as of `view`.
  absl::Status FillRecords(std::vector<Record>* records, bool with_vectors, bool with_payloads,
                           const storage::ReadView& view) const;
  // One query's estimated hits turned into records, re-ranked with the floats of `view` if asked.
  absl::StatusOr<std::vector<Record>> FinishQuery(const float* query,
                                                  const std::vector<SearchHit>& hits,
                                                  const SearchOptions& options,
                                                  const storage::ReadView& view) const;

  // Writes `batch` and installs a new snapshot; `apply` changes the index under the write lock.
  absl::Status Commit(storage::CollectionStore::Batch* batch, Durability durability,
                      const std::function<void()>& apply) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Rewrites segments as the policy asks (merges, reclaiming dead entries).
  absl::Status MaintainSegments(bool full) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status RewriteSegments(absl::Span<const uint64_t> numbers)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Logs a failed merge or rewrite: the write before it is committed, so it only leaves more
  // segments behind.
  void MaintainAfterWrite() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  const storage::CollectionStore store_;
  const uint32_t cid_;
  const CollectionConfig config_;
  const storage::SegmentPolicy policy_;
  std::atomic<bool> dropped_{false};

  mutable Mutex write_mu_;
  std::map<uint64_t, SegmentStats> segments_ ABSL_GUARDED_BY(write_mu_);
  uint64_t next_segment_ ABSL_GUARDED_BY(write_mu_) = 0;

  mutable SharedMutex index_mu_ ABSL_ACQUIRED_AFTER(write_mu_);
  std::unique_ptr<FlatIndex> index_ ABSL_GUARDED_BY(index_mu_);
  storage::ReadView snapshot_ ABSL_GUARDED_BY(index_mu_);
};

}  // namespace tqdb
