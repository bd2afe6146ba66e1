// Partitioning a collection (Collection::Repartition, and the background job that calls it as
// the collection grows): train centroids on a sample, re-encode every vector into new segments
// of the new partitioning, then take in the writes made meanwhile and switch in one atomic write.
//
// Crash safety: the new segments carry the new partitioning's number (segment_codec.h), which is
// stored only by the switching write. Killed before it, the open finds segments of a
// partitioning that does not exist and removes them; the old segments are untouched. The
// switching write deletes every old segment, marks the ids written meanwhile dead in the new
// ones, adds them re-encoded, and stores the centroids: all or nothing.
#include <algorithm>
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "db/collection_impl.h"
#include "tqdb/status_macros.h"

namespace tqdb {
namespace {

// Rows of d floats read at a time by a job: 8 MiB of floats.
size_t RowsPerRead(size_t d) {
  return std::max<size_t>(1, (size_t{8} << 20) / (d * sizeof(float)));
}

// A collection growing by more than this share of its size per load window is being loaded: at
// 20,000 vectors a second (d = 1536 into this machine), until it holds 2-6M vectors. At 5% a 1M
// load began partitioning at about 700,000 rows and ran its last third at half the rate.
constexpr double kLoadGrowth = 0.01;

}  // namespace
namespace {

absl::Status Cancelled(const std::string& name) {
  return absl::CancelledError(
      absl::StrCat("collection '", name, "': partitioning stopped (closing or dropped)"));
}

}  // namespace

void CollectionImpl::NoteTouched(absl::Span<const uint64_t> ids) {
  if (touched_.has_value()) touched_->insert(ids.begin(), ids.end());
}

bool CollectionImpl::WantsPartition() const {
  if (!background_partitioning_ || config_.partition_at == 0 || touched_.has_value() ||
      closing_.load() || dropped_.load(std::memory_order_acquire)) {
    return false;
  }
  ReaderLock lock(index_mu_);
  const size_t count = index_->size();
  if (count < config_.partition_at || !jobs_.Ready(count)) return false;
  const size_t lists = index_->lists();
  // Lists of about sqrt(n): re-train once that would double them (the count quadrupled).
  return lists == 0 || DefaultListCount(count) >= 2 * lists;
}

bool CollectionImpl::Loading() {
  if (growth_.window() <= GrowthGauge::Clock::duration::zero()) return false;
  size_t count = 0;
  {
    ReaderLock lock(index_mu_);
    count = index_->size();
  }
  return static_cast<double>(growth_.Recent(GrowthGauge::Clock::now())) >
         kLoadGrowth * static_cast<double>(count);
}

std::function<void()> CollectionImpl::LoadEnded() {
  return [this] {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      MutexLock lock(write_mu_);
      if (touched_.has_value() || JobStopped() || !Loading()) return;
    }
  };
}

std::function<void()> CollectionImpl::NextJob() {
  if (touched_.has_value() || JobStopped()) return nullptr;
  if (WantsPartition()) {
    // Begun during a bulk load, a partitioning chases it: catch-up rounds re-read and re-encode
    // every row written meanwhile, on the cores the load uses, and the re-trainings its growth
    // asks for (at 4 and 16 times partition_at) each do it all again. It waits for the load to
    // slow down, and partitions what was loaded once (docs/DESIGN.md, "Partitioning").
    if (Loading()) return LoadEnded();
    absl::StatusOr<PartitionJob> job = BeginPartition(0);
    if (!job.ok()) return nullptr;
    return [this, job = *std::move(job)]() mutable {
      if (absl::Status status = RunPartition(std::move(job)); !status.ok()) {
        std::fprintf(stderr, "tqdb: collection '%s': background partitioning failed: %s\n",
                     config_.name.c_str(), status.ToString().c_str());
      }
    };
  }
  return DriftJob();
}

void CollectionImpl::StartBackgroundJobs() {
  if (job_thread_active_) return;
  std::function<void()> job = NextJob();
  if (job == nullptr) return;
  job_thread_active_ = true;
  // One thread runs the jobs one after another: what one leaves behind (a collection that grew
  // past its next partitioning while it was re-centered) is seen when it ends.
  jobs_.Start([this, job = std::move(job)]() mutable {
    while (job != nullptr) {
      job();
      MutexLock lock(write_mu_);
      job = NextJob();
      if (job == nullptr) job_thread_active_ = false;
    }
  });
}

absl::StatusOr<CollectionImpl::PartitionJob> CollectionImpl::BeginPartition(size_t lists) {
  if (touched_.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("collection '", config_.name, "' is being partitioned already"));
  }
  PartitionJob job;
  {
    ReaderLock lock(index_mu_);
    job.ids = index_->Ids();
    job.view = snapshot_;
  }
  job.lists = lists > 0 ? lists : DefaultListCount(job.ids.size());
  if (job.ids.empty() || job.lists > job.ids.size()) {
    return absl::FailedPreconditionError(absl::StrCat("collection '", config_.name, "' holds ",
                                                      job.ids.size(), " vectors: too few for ",
                                                      job.lists, " lists"));
  }
  job.number = next_partitioning_++;
  touched_.emplace();
  return job;
}

absl::Status CollectionImpl::Repartition(size_t lists) {
  TQDB_RETURN_IF_ERROR(CheckLive());
  PartitionJob job;
  TQDB_RETURN_IF_ERROR(
      AfterRunningJob([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) -> absl::Status {
        TQDB_ASSIGN_OR_RETURN(job, BeginPartition(lists));
        return absl::OkStatus();
      }));
  return RunPartition(std::move(job));
}

absl::Status CollectionImpl::AfterRunningJob(const std::function<absl::Status()>& begin) {
  // No condition variable is needed for an operation an administrator starts: polling every
  // 10 ms costs nothing next to a job that re-encodes a collection.
  for (;;) {
    {
      MutexLock lock(write_mu_);
      TQDB_RETURN_IF_ERROR(CheckLive());
      if (!touched_.has_value()) return begin();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

absl::Status CollectionImpl::ReadRows(absl::Span<const uint64_t> ids, const storage::ReadView& view,
                                      std::vector<float>* rows, std::vector<bool>* found) const {
  const size_t d = dim();
  rows->assign(ids.size() * d, 0.0f);
  found->assign(ids.size(), true);
  if (config_.store_vectors) {
    // A few MiB of records at a time: the values read are held beside the rows until copied.
    const size_t per_read = RowsPerRead(d);
    for (size_t first = 0; first < ids.size(); first += per_read) {
      TQDB_ASSIGN_OR_RETURN(std::vector<std::vector<float>> vectors,
                            store_.ReadVectors(ids.subspan(first, per_read), dim(), view));
      for (size_t i = 0; i < vectors.size(); ++i) {
        std::copy(vectors[i].begin(), vectors[i].end(), rows->begin() + (first + i) * d);
      }
    }
    return absl::OkStatus();
  }
  // Without floats, the best there is: the vector each code stands for.
  ReaderLock lock(index_mu_);
  for (size_t i = 0; i < ids.size(); ++i) {
    (*found)[i] = index_->Reconstruct(ids[i], rows->data() + i * d);
  }
  return absl::OkStatus();
}

bool CollectionImpl::JobStopped() const {
  return closing_.load(std::memory_order_acquire) || dropped_.load(std::memory_order_acquire);
}

absl::Status CollectionImpl::ReadFoundRows(absl::Span<const uint64_t> ids,
                                           const storage::ReadView& view, std::vector<float>* rows,
                                           std::vector<uint64_t>* found_ids) const {
  const size_t d = dim();
  std::vector<bool> found;
  TQDB_RETURN_IF_ERROR(ReadRows(ids, view, rows, &found));
  size_t kept = 0;  // rows found, moved up in place over the others
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!found[i]) continue;  // deleted since: a job's catch-up sees it as touched
    if (found_ids != nullptr) found_ids->push_back(ids[i]);
    if (kept != i) std::copy_n(rows->begin() + i * d, d, rows->begin() + kept * d);
    ++kept;
  }
  rows->resize(kept * d);
  return absl::OkStatus();
}

absl::Status CollectionImpl::EncodeRows(absl::Span<const uint64_t> all_ids,
                                        const storage::ReadView& view, const IndexEncoder& encoder,
                                        std::vector<uint64_t>* ids, EncodedVectors* encoded) const {
  // A few MiB of floats at a time, dropped once encoded: a job's chunk in one piece had been
  // 66 MB of floats at d = 1536, held three times over during a bulk load's partitioning.
  const size_t per_read = RowsPerRead(dim());
  std::vector<float> rows;
  for (size_t first = 0; first < all_ids.size(); first += per_read) {
    if (JobStopped()) return Cancelled(config_.name);
    TQDB_RETURN_IF_ERROR(ReadFoundRows(all_ids.subspan(first, per_read), view, &rows, ids));
    encoder.Encode(rows.data(), rows.size() / dim(), encoded);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<CollectionImpl::CatchUpRound>> CollectionImpl::NextCatchUpRound() {
  MutexLock lock(write_mu_);
  if (JobStopped()) return Cancelled(config_.name);
  if (touched_->size() <= catch_up_under_lock_) return std::nullopt;
  CatchUpRound round;
  round.touched.assign(touched_->begin(), touched_->end());
  touched_->clear();  // what is written from here on is the next round's (or the switch's)
  ReaderLock index_lock(index_mu_);
  for (uint64_t id : round.touched) {
    if (index_->Contains(id)) round.live.push_back(id);
  }
  round.now = snapshot_;  // the state the live ids are read in: no write since the swap above
  return round;
}

absl::StatusOr<std::unique_ptr<IvfIndex>> CollectionImpl::TrainPartitioning(
    const PartitionJob& job) const {
  // Train on a random sample of the stored vectors, as many as training reads.
  const size_t d = dim();
  IvfIndexOptions options = PartitionedOptions();
  options.training_seed = job.number;
  // The sample's floats are held while k-means runs: at most kTrainingBytes of them, unless that
  // leaves fewer than kMinTrainingPointsPerList per list. At d = 1536 the 128 points per list
  // of 224 lists had been 176 MB, the largest part of a bulk load's peak memory.
  constexpr size_t kTrainingBytes = size_t{64} << 20;
  constexpr size_t kMinTrainingPointsPerList = 39;  // FAISS warns below this
  options.training_points_per_list =
      std::clamp(kTrainingBytes / (d * sizeof(float)) / std::max<size_t>(1, job.lists),
                 kMinTrainingPointsPerList, options.training_points_per_list);
  std::vector<uint64_t> sample;
  for (size_t i : IvfIndex::TrainingSample(options, job.ids.size(), job.lists)) {
    sample.push_back(job.ids[i]);
  }
  std::vector<float> rows;
  TQDB_RETURN_IF_ERROR(ReadFoundRows(sample, job.view, &rows, /*found_ids=*/nullptr));
  const size_t lists = std::min(job.lists, rows.size() / d);
  return IvfIndex::Train(options, std::move(rows), lists);
}

absl::Status CollectionImpl::EncodeIntoSegments(absl::Span<const uint64_t> all_ids,
                                                const storage::ReadView& view,
                                                uint64_t partitioning, IvfIndex* index,
                                                SegmentTable* written) {
  const IndexEncoder& encoder = *index->encoder();
  // One segment per chunk of about the target size.
  const size_t per_segment = storage::EntriesPerSegment(policy_, code_bytes_, true);
  const SegmentWriter writer(code_bytes_, partitioning, /*per_segment=*/0, half_factors());
  auto next_number = [this] {
    MutexLock lock(write_mu_);
    return NextSegmentNumber();
  };
  std::vector<uint64_t> ids;
  for (size_t first = 0; first < all_ids.size(); first += per_segment) {
    ids.clear();
    EncodedVectors encoded;
    TQDB_RETURN_IF_ERROR(
        EncodeRows(all_ids.subspan(first, per_segment), view, encoder, &ids, &encoded));
    if (ids.empty()) continue;
    storage::CollectionStore::Batch batch = store_.NewBatch(ids.size() * (code_bytes_ + 32) + 4096);
    const std::vector<WrittenSegment> segments =
        writer.Put(ids, encoded, next_number, &batch, written);
    // Not reachable before the switch, so it needs no fsync of its own: the switch's covers it.
    TQDB_RETURN_IF_ERROR(store_.Write(&batch, Durability::kGroupCommit));
    TQDB_RETURN_IF_ERROR(AddWritten(ids, encoded, segments, index));
  }
  return absl::OkStatus();
}

absl::Status CollectionImpl::CatchUpPartitioning(const PartitionJob& job, IvfIndex* index,
                                                 SegmentTable* written) {
  // Past catch_up_under_lock_, the ids written meanwhile are taken in by a round of their own
  // rather than by the switch, which holds write_mu_: a bulk load writes as fast as the job
  // encodes, and the switch had read and encoded all of them at once (300 MB of floats at
  // d = 1536 after 50,000 writes) while every writer waited.
  constexpr int kRounds = 8;  // each round's writes are fewer than the last's; a bound all the same
  for (int round = 0; round < kRounds; ++round) {
    TQDB_ASSIGN_OR_RETURN(std::optional<CatchUpRound> catch_up, NextCatchUpRound());
    if (!catch_up.has_value()) return absl::OkStatus();
    // Their entries in the new partitioning leave, and come back encoded as they are now.
    storage::CollectionStore::Batch batch = store_.NewBatch();
    for (uint64_t id : catch_up->touched) {
      if (const std::optional<uint64_t> segment = index->TagOf(id)) {
        batch.MarkDead(*segment, id);
        ++(*written)[*segment].dead;
      }
    }
    index->Remove(catch_up->touched);
    // Not reachable before the switch, so no fsync of its own: the switch's covers it.
    TQDB_RETURN_IF_ERROR(store_.Write(&batch, Durability::kGroupCommit));
    TQDB_RETURN_IF_ERROR(
        EncodeIntoSegments(catch_up->live, catch_up->now, job.number, index, written));
  }
  return absl::OkStatus();
}

absl::Status CollectionImpl::SwitchToPartitioning(const PartitionJob& job,
                                                  std::unique_ptr<IvfIndex> index,
                                                  SegmentTable* written) {
  if (JobStopped()) return Cancelled(config_.name);
  storage::CollectionStore::Batch batch = store_.NewBatch();
  // The ids written meanwhile leave the new segments, and come back re-encoded as they are now.
  std::vector<uint64_t> touched(touched_->begin(), touched_->end()), live;
  storage::ReadView now;  // under write_mu_ nothing changes the store: the latest state
  {
    ReaderLock index_lock(index_mu_);
    for (uint64_t id : touched) {
      if (const std::optional<uint64_t> segment = index->TagOf(id)) {
        batch.MarkDead(*segment, id);
        ++(*written)[*segment].dead;
      }
      if (index_->Contains(id)) live.push_back(id);
    }
    now = snapshot_;
  }
  index->Remove(touched);
  if (!live.empty()) {
    std::vector<uint64_t> ids;
    EncodedVectors encoded;
    TQDB_RETURN_IF_ERROR(EncodeRows(live, now, *index->encoder(), &ids, &encoded));
    const SegmentWriter writer(code_bytes_, job.number, /*per_segment=*/0, half_factors());
    const std::vector<WrittenSegment> segments = writer.Put(
        ids, encoded,
        [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) { return NextSegmentNumber(); }, &batch,
        written);
    TQDB_RETURN_IF_ERROR(AddWritten(ids, encoded, segments, index.get()));
  }
  for (const auto& [number, stats] : segments_) batch.DeleteSegment(number);
  batch.PutPartitioning({job.number, dim(), index->centroids(), index->probe_by_direction()});
  index->ShrinkToFit();
  TQDB_RETURN_IF_ERROR(
      Commit(&batch, Durability::kSync,
             [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(index_mu_) { index_ = std::move(index); }));
  partitioning_ = job.number;
  segments_ = std::move(*written);
  touched_.reset();
  {
    // The residual energy the new lists start from: their drift is measured against it.
    ReaderLock index_lock(index_mu_);
    trained_energy_ = sample_.ListEnergy(index_->Stats().centroids);
  }
  next_drift_check_ = 0;
  return absl::OkStatus();
}

absl::Status CollectionImpl::RunPartition(PartitionJob job) {
  SegmentTable written;  // the new partitioning's segments
  absl::Status status = [&]() -> absl::Status {
    TQDB_ASSIGN_OR_RETURN(std::unique_ptr<IvfIndex> index, TrainPartitioning(job));
    TQDB_RETURN_IF_ERROR(EncodeIntoSegments(job.ids, job.view, job.number, index.get(), &written));
    TQDB_RETURN_IF_ERROR(CatchUpPartitioning(job, index.get(), &written));
    MutexLock lock(write_mu_);
    return SwitchToPartitioning(job, std::move(index), &written);
  }();
  MutexLock lock(write_mu_);
  if (status.ok() && partitioning_ == job.number) return status;  // committed
  touched_.reset();
  // Unreachable already (their partitioning was never stored); this only frees the space.
  storage::CollectionStore::Batch batch = store_.NewBatch();
  for (const auto& [number, stats] : written) batch.DeleteSegment(number);
  if (!written.empty()) store_.Write(&batch, Durability::kGroupCommit).IgnoreError();
  ReaderLock index_lock(index_mu_);
  jobs_.Failed(index_->size());
  return status;
}

}  // namespace tqdb
