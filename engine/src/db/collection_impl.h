// The collection behind tqdb::Collection: the stored segments (db/storage/collection_store.h) and
// the in-memory index built from them (flat, or partitioned once the collection is large), which
// is also the collection's only id map (each id's (list, slot), and as its tag the segment that
// stores it), and, with a memory re-rank store, the floats the re-rank reads (rerank_vectors.h).
// The collection talks to the index only through tqdb::Index. Its jobs (partitioning,
// re-centering, segment merges) live in collection_partition.cc, collection_recenter.cc and
// collection_segments.cc, write through one SegmentWriter and run in the background on
// BackgroundJobs.
//
// Locks: write_mu_ serializes writers and guards the segment statistics; index_mu_ is shared by
// readers and held exclusively by a writer only to apply a committed batch, together with the
// snapshot that shows that batch. A writer reads the index (old segments of ids) under index_mu_
// shared: since only writers change it, it cannot change between that read and the commit.
// A (re-)partition builds its index and segments without either lock (collection_partition.cc)
// and takes write_mu_ only to take in the writes made meanwhile and commit.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "db/background_jobs.h"
#include "db/drift_sample.h"
#include "db/filter_selector.h"
#include "db/growth_gauge.h"
#include "db/payload_index.h"
#include "db/rerank_vectors.h"
#include "db/segment_writer.h"
#include "db/storage/collection_store.h"
#include "db/storage/segment_policy.h"
#include "tqdb/collection.h"
#include "tqdb/index.h"
#include "tqdb/ivf_index.h"
#include "tqdb/mutex.h"

namespace tqdb {

class CollectionImpl final : public Collection {
 public:
  // Builds the collection from its stored segments (none for a new one).
  // Which background jobs run (DatabaseOptions::background_partitioning, follow_drift).
  struct JobOptions {
    bool background = true;    // partitioning as the collection grows, and the drift jobs
    bool follow_drift = true;  // re-center and re-train lists when the data drifts from them
    size_t catch_up_under_lock = 4096;            // DatabaseOptions::job_catch_up_under_lock
    std::chrono::milliseconds load_window{1000};  // DatabaseOptions::partition_load_window
  };
  static absl::StatusOr<std::shared_ptr<CollectionImpl>> Open(std::shared_ptr<storage::Store> store,
                                                              uint32_t cid, CollectionConfig config,
                                                              const storage::SegmentPolicy& policy,
                                                              JobOptions jobs);
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
  absl::Status Repartition(size_t lists) override;
  absl::StatusOr<size_t> Count(const Filter& filter) const override;
  absl::StatusOr<ScrollPage> Scroll(const Filter& filter, std::optional<uint64_t> from,
                                    size_t limit, bool with_vectors,
                                    bool with_payloads) const override;
  absl::StatusOr<WriteResult> DeleteWhere(const Filter& filter,
                                          const WriteOptions& options) override;
  absl::StatusOr<size_t> UpdatePayloads(const PayloadUpdate& update, absl::Span<const uint64_t> ids,
                                        const Filter* filter, const WriteOptions& options) override;
  absl::Status CreatePayloadIndex(const PayloadFieldIndex& field) override;

 private:
  CollectionImpl(std::shared_ptr<storage::Store> store, uint32_t cid, CollectionConfig config,
                 const storage::SegmentPolicy& policy, JobOptions jobs);
  // Builds the index (flat relative to `center`, empty for none, or partitioned as stored) from
  // the stored segments; removes segments of a partitioning that never committed.
  absl::Status Load(std::vector<float> center);
  // Adds the live entries of one stored segment (of the current partitioning) to `index`, which
  // is not yet the collection's, and records the segment. DataLoss when the segment is of
  // another partitioning or holds an id another segment holds live.
  absl::Status LoadSegment(const storage::CollectionStore::LoadedSegment& segment, Index* index)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // An empty flat index of this collection relative to `center`.
  absl::StatusOr<std::unique_ptr<Index>> NewIndex(std::vector<float> center) const;
  // The IvfIndex options of this collection.
  IvfIndexOptions PartitionedOptions() const;
  // Writes segments of the current partitioning, `per_segment` entries each (0: one segment).
  SegmentWriter Writer(size_t per_segment = 0) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    return SegmentWriter(code_bytes_, partitioning_, per_segment, half_factors());
  }
  // 16-bit factors, in memory and in segments.
  bool half_factors() const { return config_.quantizer.factor_bits == 16; }
  uint64_t NextSegmentNumber() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) { return next_segment_++; }
  // Removes the vectors of bulk writes that began (ReadIngestMarkers) but never committed.
  absl::Status RemoveUncommittedIngests(const Index& index)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // After a bulk write's batch failed: its ingested vectors go (or at the next open).
  void RemoveIngested(uint64_t marker, absl::Span<const uint64_t> ids) const;
  // kAuto and not yet centered, and this upsert of `n` would make the center: see Centering.
  bool TakesCenterNow(size_t n) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_)
      ABSL_SHARED_LOCKS_REQUIRED(index_mu_) {
    return CenterDue(n, partitioning_ != 0);
  }
  // The same, told whether the collection is partitioned: without the write lock, a guess
  // from the index (partitioned when it has lists) that the write lock then checks.
  bool CenterDue(size_t n, bool partitioned) const ABSL_SHARED_LOCKS_REQUIRED(index_mu_);
  // An upsert, validated, with which of its ids are stored already.
  struct PendingUpsert {
    absl::Span<const uint64_t> ids;
    absl::Span<const float> vectors;
    absl::Span<const std::string> payloads;
    std::vector<bool> existed;
    // Set when the floats went in as an ingested table file under this marker (the write
    // clears it), so they are not written again.
    std::optional<uint64_t> ingest_marker;
  };
  // The upsert that takes the center: the mean of the stored vectors and the batch's.
  absl::StatusOr<WriteResult> UpsertTakingCenter(const PendingUpsert& upsert, Durability durability)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // In one atomic write: every segment deleted, the `kept` vectors (encoded by `index`'s
  // encoder: `kept_encoded`) in new sealed segments, `upsert` (may be empty) encoded and written
  // as usual, and the record stored with `index`'s center; then `index` replaces the old one.
  absl::Status RewriteAgainstCenter(std::unique_ptr<Index> index, absl::Span<const uint64_t> kept,
                                    const EncodedVectors& kept_encoded, const PendingUpsert& upsert,
                                    Durability durability) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // The stored floats of `ids` (the latest state) encoded by `encoder`.
  absl::StatusOr<EncodedVectors> EncodeStored(const IndexEncoder& encoder,
                                              absl::Span<const uint64_t> ids) const;

  // Following the data (collection_recenter.cc). Each time the collection has grown by a
  // sixteenth, the sample tells whether the center (flat) or the lists (partitioned) still fit
  // the vectors; when they have drifted, a background job re-centers on the mean, or re-trains
  // the lists at their number.
  // The job that does it, or null.
  std::function<void()> DriftJob() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // A flat collection's drift now: DriftSample::CenterDrift of the center in use. (A partitioned
  // one's, how much the sample's list energy has grown since the lists were trained, is measured
  // by its DriftJob off the write lock.)
  double CenterDriftNow() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // A re-centering starts from the ids stored when it began and the snapshot of their floats;
  // the writes made meanwhile are tracked in touched_, as for a partition job.
  struct RecenterJob {
    std::vector<uint64_t> ids;
    storage::ReadView view;
  };
  absl::StatusOr<RecenterJob> BeginRecenter() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // The mean of the job's vectors, all of them encoded against it without the write lock, then
  // the writes made meanwhile taken in and the switch committed in one write under it.
  absl::Status RunRecenter(RecenterJob job);
  // Takes in the writes made during a re-centering by rounds outside write_mu_ while they are
  // many: their entries in `ids` / `encoded` are replaced by their encodings as they are now.
  absl::Status CatchUpRecenter(const IndexEncoder& encoder, std::vector<uint64_t>* ids,
                               EncodedVectors* encoded);
  absl::Status SwitchToCenter(std::unique_ptr<Index> index, absl::Span<const uint64_t> ids,
                              const EncodedVectors& encoded)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // The sample rebuilt from the stored vectors, and the lists' energy taken as trained (open).
  absl::Status RebuildSample() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Reads the stored floats of `ids` (the latest state) a chunk at a time.
  absl::Status ForEachStoredChunk(
      absl::Span<const uint64_t> ids,
      const std::function<void(size_t first, const float* rows, size_t count)>& visit) const;
  // Puts the floats and payloads of an upsert into `batch`; `existed[i]`: ids[i] was stored.
  void PutRecords(absl::Span<const uint64_t> ids, absl::Span<const float> vectors,
                  absl::Span<const std::string> payloads, const std::vector<bool>& existed,
                  storage::CollectionStore::Batch* batch) const;
  absl::Status CheckLive() const;
  // Delete, with write_mu_ held and the batch size checked.
  absl::StatusOr<WriteResult> DeleteLocked(absl::Span<const uint64_t> ids,
                                           const WriteOptions& options)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // The stored ids `ids` names (absent ones left out), or those passing `filter` when set.
  absl::StatusOr<std::vector<uint64_t>> Targets(absl::Span<const uint64_t> ids,
                                                const Filter* filter) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  // Partitioning (collection_partition.cc). What a (re-)partition starts from: the ids stored
  // when it began, and the snapshot that holds their floats.
  struct PartitionJob {
    uint64_t number = 0;  // the partitioning it writes
    size_t lists = 0;
    std::vector<uint64_t> ids;
    storage::ReadView view;
  };
  // Runs `begin` under write_mu_ once no background job runs (a manual Repartition or Recenter
  // waits for the one running).
  absl::Status AfterRunningJob(const std::function<absl::Status()>& begin);
  // Starts tracking the ids writes touch from now on; FailedPrecondition when a job runs.
  absl::StatusOr<PartitionJob> BeginPartition(size_t lists)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Builds and commits the job's partitioning; whatever happens, stops tracking and removes
  // the segments of a partitioning that did not commit.
  absl::Status RunPartition(PartitionJob job);
  // Its steps: centroids trained on a sample of the job's vectors; every vector re-encoded
  // into segments of the new partitioning (`written`), stored but not yet reachable; the
  // writes made meanwhile taken in, by rounds outside write_mu_ while many, then by the switch
  // committed under it.
  absl::StatusOr<std::unique_ptr<IvfIndex>> TrainPartitioning(const PartitionJob& job) const;
  // `ids` as stored in `view`, encoded into segments of `partitioning` and added to `index`.
  absl::Status EncodeIntoSegments(absl::Span<const uint64_t> ids, const storage::ReadView& view,
                                  uint64_t partitioning, IvfIndex* index, SegmentTable* written);
  absl::Status CatchUpPartitioning(const PartitionJob& job, IvfIndex* index, SegmentTable* written);
  absl::Status SwitchToPartitioning(const PartitionJob& job, std::unique_ptr<IvfIndex> index,
                                    SegmentTable* written) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // True when the collection is closing or dropped: a job stops.
  bool JobStopped() const;
  // The rows of `ids`: their floats in `view` (store_vectors), else decoded from the index now;
  // `found[i]` false for an id deleted since (floats off only).
  absl::Status ReadRows(absl::Span<const uint64_t> ids, const storage::ReadView& view,
                        std::vector<float>* rows, std::vector<bool>* found) const;
  // The rows of `ids` that are found, one after another; their ids appended to `found_ids`
  // (unless null).
  absl::Status ReadFoundRows(absl::Span<const uint64_t> ids, const storage::ReadView& view,
                             std::vector<float>* rows, std::vector<uint64_t>* found_ids) const;
  // Appends `all_ids` as stored in `view`, encoded, to `ids` and `encoded`, a few MiB of floats
  // at a time.
  absl::Status EncodeRows(absl::Span<const uint64_t> all_ids, const storage::ReadView& view,
                          const IndexEncoder& encoder, std::vector<uint64_t>* ids,
                          EncodedVectors* encoded) const;
  // A job's catch-up round (CatchUpPartitioning, CatchUpRecenter): the ids written since the
  // last one, taken from touched_, those still live, and the state to read them in; none once
  // catch_up_under_lock_ or fewer are left for the job's switch.
  struct CatchUpRound {
    std::vector<uint64_t> touched, live;
    storage::ReadView now;
  };
  absl::StatusOr<std::optional<CatchUpRound>> NextCatchUpRound();
  // Whether the collection has grown enough for a (re-)partition: past config().partition_at
  // when flat, past about four times the vectors of its lists' last training when partitioned.
  bool WantsPartition() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Whether writes are growing the collection by more than kLoadGrowth of its size per load
  // window: a bulk load, which a partitioning waits out (LoadEnded).
  bool Loading() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // A job that returns once the collection is no longer Loading (or is closing, or a
  // partitioning has begun): the next job is chosen then.
  std::function<void()> LoadEnded();
  // The next background job the collection wants: a partition when WantsPartition, else a
  // DriftJob; null for none. It has begun (touched_ is tracking) when returned.
  std::function<void()> NextJob() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Runs NextJob on the background thread unless it is busy; the thread runs jobs until none is
  // wanted.
  void StartBackgroundJobs() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Marks `ids` as written while a job runs.
  void NoteTouched(absl::Span<const uint64_t> ids) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  absl::Status ValidateSearch(const SearchOptions& options) const;
  // Filters (collection_filter.cc). The ids that pass `filter` as of the index state and
  // `snapshot_`: from the payload indexes, checking the stored payloads where they cannot
  // answer.
  absl::StatusOr<IdSet> PassingIds(const Filter& filter) const
      ABSL_SHARED_LOCKS_REQUIRED(index_mu_);
  // PassingIds through a small cache keyed by the filter's text and the index state: the same
  // filter over many queries (one tenant, one document set) is evaluated once per write.
  absl::StatusOr<std::shared_ptr<const FilterMatch>> MatchFilter(const Filter& filter) const
      ABSL_SHARED_LOCKS_REQUIRED(index_mu_);
  // SearchBatch under a filter, by one of three plans: every passing point scored from its
  // floats, best `k` per query ("exact", ScoreEachPassing); the index scanned with the passing
  // ids checked per slot ("filtered-scan"), or, when nearly all pass, scanned for more
  // candidates that are checked afterwards ("scan-then-filter") (both ScanFiltered).
  absl::StatusOr<std::vector<std::vector<Record>>> SearchFiltered(
      absl::Span<const float> queries, const SearchOptions& options) const;
  absl::Status ScoreEachPassing(absl::Span<const float> queries, const IdSet& passing, int k,
                                const storage::ReadView& view,
                                std::vector<std::vector<SearchHit>>* hits) const
      ABSL_SHARED_LOCKS_REQUIRED(index_mu_);
  absl::StatusOr<std::vector<std::vector<SearchHit>>> ScanFiltered(absl::Span<const float> queries,
                                                                   const SearchOptions& options,
                                                                   const FilterMatch& match,
                                                                   SearchPlan* plan) const
      ABSL_SHARED_LOCKS_REQUIRED(index_mu_);
  // Fills vectors and payloads of the found `records` as of `view`.
  absl::Status FillRecords(std::vector<Record>* records, bool with_vectors, bool with_payloads,
                           const storage::ReadView& view) const;
  // One query's hits turned into records: re-ranked with the floats of `view` when asked and
  // `rerank_from_disk` (else the hits are final), vectors and payloads filled from `view`.
  absl::StatusOr<std::vector<Record>> FinishQuery(const float* query,
                                                  const std::vector<SearchHit>& hits,
                                                  const SearchOptions& options,
                                                  const storage::ReadView& view,
                                                  bool rerank_from_disk) const;
  // Re-ranks each query's estimated `hits` (the candidates) from the memory store, keeping k.
  absl::Status RerankFromMemory(absl::Span<const float> queries, const SearchOptions& options,
                                std::vector<std::vector<SearchHit>>* hits) const
      ABSL_SHARED_LOCKS_REQUIRED(index_mu_);

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
  const bool background_partitioning_;
  const bool follow_drift_;
  const size_t catch_up_under_lock_;
  size_t code_bytes_ = 0;  // per vector; set by Load, the same for every index state
  std::atomic<bool> dropped_{false};

  mutable Mutex write_mu_;
  SegmentTable segments_ ABSL_GUARDED_BY(write_mu_);
  uint64_t next_segment_ ABSL_GUARDED_BY(write_mu_) = 0;
  uint64_t next_ingest_marker_ ABSL_GUARDED_BY(write_mu_) = 0;
  uint64_t partitioning_ ABSL_GUARDED_BY(write_mu_) = 0;       // 0: flat
  uint64_t next_partitioning_ ABSL_GUARDED_BY(write_mu_) = 1;  // above any seen on disk
  // Set while a partition job runs: the ids written since it began.
  std::optional<absl::flat_hash_set<uint64_t>> touched_ ABSL_GUARDED_BY(write_mu_);
  BackgroundJobs jobs_ ABSL_GUARDED_BY(write_mu_);
  bool job_thread_active_ ABSL_GUARDED_BY(write_mu_) = false;  // jobs_ is running jobs
  bool recentering_ ABSL_GUARDED_BY(write_mu_) = false;  // the running job (if any) re-centers
  DriftSample sample_ ABSL_GUARDED_BY(write_mu_);
  GrowthGauge growth_ ABSL_GUARDED_BY(write_mu_);           // rows upserted lately, for Loading
  size_t next_drift_check_ ABSL_GUARDED_BY(write_mu_) = 0;  // the count of the next check
  // Partitioned: the sample's list energy when the lists were trained (or at open).
  double trained_energy_ ABSL_GUARDED_BY(write_mu_) = 0;
  std::atomic<double> drift_{0};      // the last drift measured, for Describe
  std::atomic<bool> closing_{false};  // the destructor asks a running job to stop

  mutable SharedMutex index_mu_ ABSL_ACQUIRED_AFTER(write_mu_);
  std::unique_ptr<Index> index_ ABSL_GUARDED_BY(index_mu_);
  // The memory re-rank store (config_.rerank_store), or null for RocksDB reads; it changes with
  // the index, in the same commits.
  std::unique_ptr<RerankVectors> rerank_vectors_ ABSL_GUARDED_BY(index_mu_);
  storage::ReadView snapshot_ ABSL_GUARDED_BY(index_mu_);
  // The stored ids and the payload indexes; they change with the index, in the same commits.
  PayloadIndex payload_index_ ABSL_GUARDED_BY(index_mu_);
  // Bumped with every committed change (Commit, Load): the cache below is of one state.
  uint64_t state_version_ ABSL_GUARDED_BY(index_mu_) = 0;
  struct CachedMatch {
    std::string filter_text;
    uint64_t state_version = 0;
    std::shared_ptr<const FilterMatch> match;
  };
  mutable Mutex filter_cache_mu_ ABSL_ACQUIRED_AFTER(index_mu_);
  mutable std::vector<CachedMatch> filter_cache_ ABSL_GUARDED_BY(filter_cache_mu_);  // newest last
  // CreatePayloadIndex is building one (one at a time).
  bool building_payload_index_ ABSL_GUARDED_BY(write_mu_) = false;
};

}  // namespace tqdb
