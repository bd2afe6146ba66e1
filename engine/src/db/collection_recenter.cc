// Centering a collection (docs/DESIGN.md, "Centering"), and following the data as it grows.
//
// The upsert that takes the auto center re-encodes what is stored against the mean, in the same
// write. After that the center follows the data: every sixteenth of growth the drift sample
// (db/drift_sample.h) measures how far the center is from the vectors' mean (flat) or how much
// the lists' residual energy has grown since they were trained (partitioned). Past a threshold a
// background job re-centers: the mean of the stored floats, every vector encoded against it
// without the write lock, then the writes made meanwhile re-encoded and the switch committed in
// one atomic write (new segments, old ones deleted, the record with the center), so a kill at
// any moment leaves the old state or the new, never a mix. Drifted lists are re-trained by the
// partition job (collection_partition.cc) at their current number.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "db/collection_impl.h"
#include "index/vector_coder.h"
#include "tqdb/status_macros.h"

namespace tqdb {
namespace {

// A flat collection re-centers once codes relative to its center carry 0.5% more residual energy
// than codes relative to the mean (DriftSample::CenterDrift); lists are re-trained once their
// residual energy has grown by 2%. Below these, recall moves about as much as between two shuffled
// loads of the same vectors (bench/center_drift_bench, "shuffled again"); a center at 0.01 left
// flat GloVe at 50,000 vectors 0.011 behind at 2 bits. The sample's own error is about 1/2,048.
// The checks come every sixteenth of growth, so a job's O(n) work follows n/16 writes at least.
constexpr double kRecenterDrift = 0.005;
constexpr double kRetrainDrift = 0.02;
// The sample needs this many vectors before it is trusted.
constexpr size_t kMinSample = 256;

absl::Status Cancelled(const std::string& name) {
  return absl::CancelledError(
      absl::StrCat("collection '", name, "': re-centering stopped (closing or dropped)"));
}

}  // namespace

bool CollectionImpl::CenterDue(size_t n, bool partitioned) const {
  // A partitioned collection's lists are centered on their centroids.
  if (config_.centering != Centering::kAuto || partitioned) return false;
  if (!index_->encoder()->center().empty()) return false;
  // Without stored floats the vectors already encoded could not be re-encoded.
  const bool can_reencode = config_.store_vectors || index_->size() == 0;
  return can_reencode && index_->size() + n >= kAutoCenterVectors;
}

absl::Status CollectionImpl::ForEachStoredChunk(
    absl::Span<const uint64_t> ids,
    const std::function<void(size_t first, const float* rows, size_t count)>& visit) const {
  constexpr size_t kChunk = 4096;
  const int d = dim();
  const storage::ReadView view = store_.Snapshot();
  std::vector<float> rows;
  for (size_t first = 0; first < ids.size(); first += kChunk) {
    const auto chunk = ids.subspan(first, std::min(kChunk, ids.size() - first));
    TQDB_ASSIGN_OR_RETURN(std::vector<std::vector<float>> vectors,
                          store_.ReadVectors(chunk, d, view));
    rows.clear();
    for (const std::vector<float>& v : vectors) rows.insert(rows.end(), v.begin(), v.end());
    visit(first, rows.data(), chunk.size());
  }
  return absl::OkStatus();
}

absl::StatusOr<EncodedVectors> CollectionImpl::EncodeStored(const IndexEncoder& encoder,
                                                            absl::Span<const uint64_t> ids) const {
  EncodedVectors encoded;
  TQDB_RETURN_IF_ERROR(ForEachStoredChunk(ids, [&](size_t, const float* rows, size_t count) {
    encoder.Encode(rows, count, &encoded);
  }));
  return encoded;
}

absl::Status CollectionImpl::RewriteAgainstCenter(std::unique_ptr<Index> index,
                                                  absl::Span<const uint64_t> kept,
                                                  const EncodedVectors& kept_encoded,
                                                  const PendingUpsert& upsert,
                                                  Durability durability) {
  EncodedVectors upsert_encoded;
  index->encoder()->Encode(upsert.vectors.data(), upsert.ids.size(), &upsert_encoded);
  NoteTouched(upsert.ids);

  storage::CollectionStore::Batch batch = store_.NewBatch();
  for (const auto& [number, stats] : segments_) batch.DeleteSegment(number);
  SegmentTable segments;
  auto next_number = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) { return NextSegmentNumber(); };
  // The kept vectors in sealed segments of about the target size, then the upsert's own.
  const SegmentWriter sized(code_bytes_, /*partitioning=*/0,
                            storage::EntriesPerSegment(policy_, code_bytes_, false),
                            half_factors());
  TQDB_RETURN_IF_ERROR(AddWritten(kept, kept_encoded,
                                  sized.Put(kept, kept_encoded, next_number, &batch, &segments),
                                  index.get()));
  if (!upsert.ids.empty()) {
    const SegmentWriter whole(code_bytes_, /*partitioning=*/0, /*per_segment=*/0, half_factors());
    TQDB_RETURN_IF_ERROR(AddWritten(
        upsert.ids, upsert_encoded,
        whole.Put(upsert.ids, upsert_encoded, next_number, &batch, &segments), index.get()));
    const bool ingested = upsert.ingest_marker.has_value();
    PutRecords(upsert.ids, ingested ? absl::Span<const float>() : upsert.vectors, upsert.payloads,
               upsert.existed, &batch);
    if (ingested) batch.ClearIngestMarker(*upsert.ingest_marker);
  }
  storage::StoredCollection record{cid_, config_};
  record.config.center = index->encoder()->center();
  batch.PutCollectionRecord(record);
  TQDB_RETURN_IF_ERROR(Commit(&batch, durability, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(index_mu_) {
    index_ = std::move(index);
    if (rerank_vectors_ != nullptr) rerank_vectors_->Put(upsert.ids, upsert.vectors);
    payload_index_.PutAll(upsert.ids, upsert.payloads);
  }));
  segments_ = std::move(segments);
  return absl::OkStatus();
}

absl::StatusOr<WriteResult> CollectionImpl::UpsertTakingCenter(const PendingUpsert& upsert,
                                                               Durability durability) {
  const size_t n = upsert.ids.size();
  // The vectors that stay: every stored id the batch does not replace.
  const absl::flat_hash_set<uint64_t> incoming(upsert.ids.begin(), upsert.ids.end());
  std::vector<uint64_t> kept;
  {
    ReaderLock lock(index_mu_);
    for (uint64_t id : index_->Ids()) {
      if (!incoming.contains(id)) kept.push_back(id);
    }
  }
  MeanAccumulator mean(config_.metric, dim());
  TQDB_RETURN_IF_ERROR(ForEachStoredChunk(
      kept, [&](size_t, const float* rows, size_t count) { mean.Add(rows, count); }));
  mean.Add(upsert.vectors.data(), n);
  TQDB_ASSIGN_OR_RETURN(std::unique_ptr<Index> index, NewIndex(mean.Mean()));
  TQDB_ASSIGN_OR_RETURN(const EncodedVectors kept_encoded, EncodeStored(*index->encoder(), kept));
  TQDB_RETURN_IF_ERROR(
      RewriteAgainstCenter(std::move(index), kept, kept_encoded, upsert, durability));
  size_t replaced = 0;
  for (bool e : upsert.existed) replaced += e;
  return WriteResult{n - replaced, replaced, 0};
}

absl::StatusOr<RecenterResult> CollectionImpl::Recenter(bool dry_run) {
  TQDB_RETURN_IF_ERROR(CheckLive());
  if (config_.centering != Centering::kAuto || !config_.store_vectors) {
    return absl::FailedPreconditionError(absl::StrCat(
        "collection '", config_.name, "' cannot be re-centered: that needs centering auto (it is ",
        CenteringName(config_.centering), ") and stored float vectors (store_vectors is ",
        config_.store_vectors ? "on" : "off", ")"));
  }
  RecenterResult result;
  RecenterJob job;
  // A background job running (a re-centering, a partitioning) finishes first.
  TQDB_RETURN_IF_ERROR(
      AfterRunningJob([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) -> absl::Status {
        if (partitioning_ != 0) {
          return absl::FailedPreconditionError(absl::StrCat(
              "collection '", config_.name,
              "' is partitioned: its lists are centered on their centroids (re-partition "
              "instead)"));
        }
        {
          ReaderLock lock(index_mu_);
          result.old_center = index_->encoder()->center();
          if (dry_run) job.ids = index_->Ids();
        }
        if (dry_run) return absl::OkStatus();
        TQDB_ASSIGN_OR_RETURN(job, BeginRecenter());
        return absl::OkStatus();
      }));
  if (job.ids.empty()) {
    if (!dry_run) {
      MutexLock lock(write_mu_);
      touched_.reset();
      recentering_ = false;
    }
    return absl::FailedPreconditionError(
        absl::StrCat("collection '", config_.name, "' is empty: there is no mean to center on"));
  }
  if (dry_run) {
    MeanAccumulator mean(config_.metric, dim());
    TQDB_RETURN_IF_ERROR(ForEachStoredChunk(
        job.ids, [&](size_t, const float* rows, size_t count) { mean.Add(rows, count); }));
    result.new_center = mean.Mean();
  } else {
    // RunRecenter takes the mean itself, and ends the job whatever happens.
    result.reencoded = job.ids.size();
    TQDB_RETURN_IF_ERROR(RunRecenter(std::move(job)));
    ReaderLock lock(index_mu_);
    result.new_center = index_->encoder()->center();
  }
  const std::vector<float> old =
      result.old_center.empty() ? std::vector<float>(dim(), 0.0f) : result.old_center;
  double drift_sq = 0;
  for (int j = 0; j < dim(); ++j) drift_sq += std::pow(double{result.new_center[j]} - old[j], 2);
  result.drift = std::sqrt(drift_sq);
  return result;
}

double CollectionImpl::CenterDriftNow() const {
  if (sample_.size() < kMinSample) return 0;
  ReaderLock lock(index_mu_);
  return sample_.CenterDrift(index_->encoder()->center());
}

std::function<void()> CollectionImpl::DriftJob() {
  if (!follow_drift_ || touched_.has_value() || JobStopped()) return nullptr;
  size_t count = 0, lists = 0;
  bool centered = false;
  {
    ReaderLock lock(index_mu_);
    count = index_->size();
    lists = index_->lists();
    centered = !index_->encoder()->center().empty();
  }
  if (count < next_drift_check_ || !jobs_.Ready(count)) return nullptr;
  next_drift_check_ = count + std::max<size_t>(count / 16, kAutoCenterVectors);
  if (partitioning_ != 0) {
    // The lists' energy costs rows x lists x d (a second with 1,000 lists at d = 1536): it is
    // measured on the job thread, from copies, and the write lock is taken again only to begin.
    std::vector<float> centroids;
    {
      ReaderLock lock(index_mu_);
      centroids = index_->Stats().centroids;
    }
    return [this, sample = sample_, centroids = std::move(centroids), trained = trained_energy_,
            lists]() {
      const double drift = sample.size() < kMinSample || trained <= 0
                               ? 0
                               : sample.ListEnergy(centroids) / trained - 1;
      drift_.store(drift, std::memory_order_relaxed);
      if (drift < kRetrainDrift) return;
      PartitionJob job;
      {
        MutexLock lock(write_mu_);
        if (touched_.has_value() || JobStopped()) return;
        absl::StatusOr<PartitionJob> begun = BeginPartition(lists);  // as many lists, re-trained
        if (!begun.ok()) return;
        job = *std::move(begun);
      }
      if (absl::Status status = RunPartition(std::move(job)); !status.ok()) {
        std::fprintf(stderr, "tqdb: collection '%s': re-training drifted lists failed: %s\n",
                     config_.name.c_str(), status.ToString().c_str());
      }
    };
  }
  const double drift = CenterDriftNow();
  drift_.store(drift, std::memory_order_relaxed);
  // Only a center that can move: kAuto, taken already, with floats to re-encode from.
  if (config_.centering != Centering::kAuto || !config_.store_vectors || !centered ||
      drift < kRecenterDrift) {
    return nullptr;
  }
  absl::StatusOr<RecenterJob> job = BeginRecenter();
  if (!job.ok()) return nullptr;
  return [this, job = *std::move(job)]() mutable {
    if (absl::Status status = RunRecenter(std::move(job)); !status.ok()) {
      std::fprintf(stderr, "tqdb: collection '%s': background re-centering failed: %s\n",
                   config_.name.c_str(), status.ToString().c_str());
    }
  };
}

absl::StatusOr<CollectionImpl::RecenterJob> CollectionImpl::BeginRecenter() {
  if (touched_.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "collection '", config_.name, "' is being re-centered or partitioned already"));
  }
  RecenterJob job;
  {
    ReaderLock lock(index_mu_);
    job.ids = index_->Ids();
    job.view = snapshot_;
  }
  touched_.emplace();
  recentering_ = true;
  return job;
}

absl::Status CollectionImpl::RunRecenter(RecenterJob job) {
  absl::Status status = [&]() -> absl::Status {
    constexpr size_t kChunk = 4096;
    std::vector<float> rows;
    std::vector<bool> found;
    MeanAccumulator mean(config_.metric, dim());
    for (size_t first = 0; first < job.ids.size(); first += kChunk) {
      if (JobStopped()) return Cancelled(config_.name);
      const auto chunk = absl::MakeConstSpan(job.ids).subspan(first, kChunk);
      TQDB_RETURN_IF_ERROR(ReadRows(chunk, job.view, &rows, &found));
      mean.Add(rows.data(), chunk.size());
    }
    TQDB_ASSIGN_OR_RETURN(std::unique_ptr<Index> index, NewIndex(mean.Mean()));
    std::vector<uint64_t> ids;
    EncodedVectors encoded;
    TQDB_RETURN_IF_ERROR(EncodeRows(job.ids, job.view, *index->encoder(), &ids, &encoded));
    TQDB_RETURN_IF_ERROR(CatchUpRecenter(*index->encoder(), &ids, &encoded));
    MutexLock lock(write_mu_);
    return SwitchToCenter(std::move(index), ids, encoded);
  }();
  MutexLock lock(write_mu_);
  touched_.reset();
  recentering_ = false;
  if (!status.ok()) {
    ReaderLock index_lock(index_mu_);
    jobs_.Failed(index_->size());
  } else {
    drift_.store(CenterDriftNow(), std::memory_order_relaxed);
  }
  return status;
}

absl::Status CollectionImpl::CatchUpRecenter(const IndexEncoder& encoder,
                                             std::vector<uint64_t>* ids, EncodedVectors* encoded) {
  // As a partitioning's catch-up (CatchUpPartitioning): past catch_up_under_lock_, the ids
  // written meanwhile are re-encoded by rounds outside write_mu_, not by the switch under it.
  constexpr int kRounds = 8;
  const size_t code_bytes = encoder.code_bytes();
  for (int round = 0; round < kRounds; ++round) {
    TQDB_ASSIGN_OR_RETURN(std::optional<CatchUpRound> catch_up, NextCatchUpRound());
    if (!catch_up.has_value()) return absl::OkStatus();
    // Their encodings so far leave; the live ones come back encoded as they are now.
    const absl::flat_hash_set<uint64_t> gone(catch_up->touched.begin(), catch_up->touched.end());
    size_t kept = 0;
    for (size_t i = 0; i < ids->size(); ++i) {
      if (gone.contains((*ids)[i])) continue;
      if (kept != i) {
        (*ids)[kept] = (*ids)[i];
        std::copy_n(encoded->codes.begin() + i * code_bytes, code_bytes,
                    encoded->codes.begin() + kept * code_bytes);
        encoded->factors[kept] = encoded->factors[i];
      }
      ++kept;
    }
    ids->resize(kept);
    encoded->codes.resize(kept * code_bytes);
    encoded->factors.resize(kept);
    TQDB_RETURN_IF_ERROR(EncodeRows(catch_up->live, catch_up->now, encoder, ids, encoded));
  }
  return absl::OkStatus();
}

absl::Status CollectionImpl::SwitchToCenter(std::unique_ptr<Index> index,
                                            absl::Span<const uint64_t> ids,
                                            const EncodedVectors& encoded) {
  if (JobStopped()) return Cancelled(config_.name);
  if (partitioning_ != 0) {
    return absl::AbortedError(absl::StrCat("collection '", config_.name,
                                           "' was partitioned while it was being re-centered"));
  }
  // The vectors written meanwhile leave the job's encodings and come back encoded as they are
  // now; the rest keep theirs.
  const size_t code_bytes = index->encoder()->code_bytes();
  std::vector<uint64_t> kept_ids, live;
  EncodedVectors kept;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (touched_->contains(ids[i])) continue;
    kept_ids.push_back(ids[i]);
    kept.codes.insert(kept.codes.end(), encoded.codes.begin() + i * code_bytes,
                      encoded.codes.begin() + (i + 1) * code_bytes);
    kept.factors.push_back(encoded.factors[i]);
  }
  storage::ReadView now;  // under write_mu_ nothing changes the store: the latest state
  {
    ReaderLock lock(index_mu_);
    for (uint64_t id : *touched_) {
      if (index_->Contains(id)) live.push_back(id);
    }
    now = snapshot_;
  }
  TQDB_RETURN_IF_ERROR(EncodeRows(live, now, *index->encoder(), &kept_ids, &kept));
  return RewriteAgainstCenter(std::move(index), kept_ids, kept, PendingUpsert{}, Durability::kSync);
}

absl::Status CollectionImpl::RebuildSample() {
  std::vector<uint64_t> ids;
  storage::ReadView view;
  {
    ReaderLock lock(index_mu_);
    ids = index_->Ids();
    view = snapshot_;
  }
  const size_t population = ids.size();
  // A uniform choice of the sample's size: the first ones of a shuffle.
  std::mt19937_64 rng(population);
  const size_t take = std::min(population, sample_.capacity());
  for (size_t i = 0; i < take; ++i) {
    std::swap(ids[i], ids[i + std::uniform_int_distribution<size_t>(0, population - i - 1)(rng)]);
  }
  ids.resize(take);
  std::vector<float> rows;
  std::vector<bool> found;
  TQDB_RETURN_IF_ERROR(ReadRows(ids, view, &rows, &found));
  sample_.Reset(ids, rows, population);
  next_drift_check_ = population + std::max<size_t>(population / 16, kAutoCenterVectors);
  if (partitioning_ != 0) {
    // The lists' energy now is what their drift is measured from: 0 until the data moves on.
    ReaderLock lock(index_mu_);
    trained_energy_ = sample_.ListEnergy(index_->Stats().centroids);
    drift_.store(0, std::memory_order_relaxed);
  } else {
    drift_.store(CenterDriftNow(), std::memory_order_relaxed);
  }
  return absl::OkStatus();
}

}  // namespace tqdb
