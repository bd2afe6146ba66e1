// Centering a collection (docs/DESIGN.md, "Centering"): the upsert that takes the auto center,
// and Recenter. Both re-encode every stored vector against the new center from its stored floats
// and switch in one atomic write with the new segments and the record that stores the center.
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "db/collection_impl.h"
#include "index/vector_coder.h"
#include "tqdb/status_macros.h"

namespace tqdb {

bool CollectionImpl::TakesCenterNow(size_t n) const {
  // A partitioned collection's lists are centered on their centroids.
  if (config_.centering != Centering::kAuto || partitioning_ != 0) return false;
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

absl::Status CollectionImpl::RewriteAgainstCenter(std::vector<float> center,
                                                  absl::Span<const uint64_t> kept,
                                                  const PendingUpsert& upsert,
                                                  Durability durability) {
  TQDB_ASSIGN_OR_RETURN(std::unique_ptr<Index> index, NewIndex(center));
  const IndexEncoder& encoder = *index->encoder();
  EncodedVectors kept_encoded, upsert_encoded;
  TQDB_RETURN_IF_ERROR(ForEachStoredChunk(kept, [&](size_t, const float* rows, size_t count) {
    encoder.Encode(rows, count, &kept_encoded);
  }));
  encoder.Encode(upsert.vectors.data(), upsert.ids.size(), &upsert_encoded);
  NoteTouched(upsert.ids);

  storage::CollectionStore::Batch batch = store_.NewBatch();
  for (const auto& [number, stats] : segments_) batch.DeleteSegment(number);
  SegmentTable segments;
  auto next_number = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) { return NextSegmentNumber(); };
  // The kept vectors in sealed segments of about the target size, then the upsert's own.
  const SegmentWriter sized(code_bytes_, /*partitioning=*/0,
                            storage::EntriesPerSegment(policy_, code_bytes_, false));
  TQDB_RETURN_IF_ERROR(AddWritten(kept, kept_encoded,
                                  sized.Put(kept, kept_encoded, next_number, &batch, &segments),
                                  index.get()));
  if (!upsert.ids.empty()) {
    const SegmentWriter whole(code_bytes_, /*partitioning=*/0, /*per_segment=*/0);
    TQDB_RETURN_IF_ERROR(AddWritten(
        upsert.ids, upsert_encoded,
        whole.Put(upsert.ids, upsert_encoded, next_number, &batch, &segments), index.get()));
    PutRecords(upsert.ids, upsert.vectors, upsert.payloads, upsert.existed, &batch);
  }
  storage::StoredCollection record{cid_, config_};
  record.config.center = std::move(center);
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
  TQDB_RETURN_IF_ERROR(RewriteAgainstCenter(mean.Mean(), kept, upsert, durability));
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
  MutexLock write_lock(write_mu_);
  TQDB_RETURN_IF_ERROR(CheckLive());
  if (partitioning_ != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "collection '", config_.name,
        "' is partitioned: its lists are centered on their centroids (re-partition instead)"));
  }
  std::vector<uint64_t> ids;
  RecenterResult result;
  {
    ReaderLock lock(index_mu_);
    ids = index_->Ids();
    result.old_center = index_->encoder()->center();
  }
  if (ids.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("collection '", config_.name, "' is empty: there is no mean to center on"));
  }
  MeanAccumulator mean(config_.metric, dim());
  TQDB_RETURN_IF_ERROR(ForEachStoredChunk(
      ids, [&](size_t, const float* rows, size_t count) { mean.Add(rows, count); }));
  result.new_center = mean.Mean();
  const std::vector<float> old =
      result.old_center.empty() ? std::vector<float>(dim(), 0.0f) : result.old_center;
  double drift_sq = 0;
  for (int j = 0; j < dim(); ++j) drift_sq += std::pow(double{result.new_center[j]} - old[j], 2);
  result.drift = std::sqrt(drift_sq);
  if (dry_run) return result;
  TQDB_RETURN_IF_ERROR(
      RewriteAgainstCenter(result.new_center, ids, PendingUpsert{}, Durability::kSync));
  result.reencoded = ids.size();
  return result;
}

}  // namespace tqdb
