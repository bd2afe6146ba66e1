// The write side of a collection: open, upsert, delete, segment maintenance and describe.
#include <cstdio>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "db/batch_size.h"
#include "db/collection_impl.h"
#include "index/vector_checks.h"
#include "index/vector_coder.h"
#include "tqdb/status_macros.h"

namespace tqdb {

CollectionImpl::CollectionImpl(std::shared_ptr<storage::Store> store, uint32_t cid,
                               CollectionConfig config, const storage::SegmentPolicy& policy,
                               bool background_partitioning)
    : store_(std::move(store), cid, config.name),
      cid_(cid),
      config_(std::move(config)),
      policy_(policy),
      background_partitioning_(background_partitioning) {}

CollectionImpl::~CollectionImpl() {
  closing_.store(true, std::memory_order_release);
  std::thread job;
  {
    MutexLock lock(write_mu_);
    job = std::move(partition_thread_);
  }
  if (job.joinable()) job.join();
}

absl::StatusOr<std::shared_ptr<CollectionImpl>> CollectionImpl::Open(
    std::shared_ptr<storage::Store> store, uint32_t cid, CollectionConfig config,
    const storage::SegmentPolicy& policy, bool background_partitioning) {
  // kAuto's center, once taken, is stored with the record; config() shows only a given one.
  std::vector<float> center = config.center;
  if (config.centering == Centering::kAuto) config.center.clear();
  std::shared_ptr<CollectionImpl> collection(new CollectionImpl(
      std::move(store), cid, std::move(config), policy, background_partitioning));
  TQDB_RETURN_IF_ERROR(collection->Load(std::move(center)));
  {
    // A collection that grew past its size while a partition job was cut short resumes it.
    MutexLock lock(collection->write_mu_);
    collection->MaybeStartPartition();
  }
  return collection;
}

absl::Status CollectionImpl::CheckLive() const {
  if (dropped_.load(std::memory_order_acquire)) {
    return absl::NotFoundError(absl::StrCat("collection '", config_.name, "' was dropped"));
  }
  return absl::OkStatus();
}

void CollectionImpl::MarkDropped() {
  MutexLock lock(write_mu_);
  dropped_.store(true, std::memory_order_release);
}

void CollectionImpl::UnmarkDropped() { dropped_.store(false, std::memory_order_release); }

absl::StatusOr<std::unique_ptr<Index>> CollectionImpl::NewIndex(std::vector<float> center) const {
  FlatIndexOptions index_options;
  index_options.metric = config_.metric;
  index_options.quantizer = config_.quantizer;
  index_options.center = std::move(center);
  TQDB_ASSIGN_OR_RETURN(std::unique_ptr<FlatIndex> index, FlatIndex::Create(index_options));
  return index;
}

IvfIndexOptions CollectionImpl::PartitionedOptions() const {
  IvfIndexOptions options;
  options.metric = config_.metric;
  options.quantizer = config_.quantizer;
  options.default_nprobe = config_.nprobe;
  // Centering "none" keeps plain codes in the lists too (the list centers cost precision on
  // dense near-duplicates: bench/README.md, glove-10m).
  options.center_lists = config_.centering != Centering::kNone;
  return options;
}

std::string CollectionImpl::SegmentValue(absl::Span<const uint64_t> ids,
                                         const EncodedVectors& encoded, size_t first,
                                         uint64_t partitioning) const {
  const size_t n = ids.size();
  const size_t bytes = code_bytes_;
  return storage::EncodeSegment(
      ids, absl::MakeConstSpan(encoded.codes).subspan(first * bytes, n * bytes),
      absl::MakeConstSpan(encoded.factors).subspan(first, n), bytes,
      partitioning == 0 ? absl::Span<const uint32_t>()
                        : absl::MakeConstSpan(encoded.lists).subspan(first, n),
      partitioning);
}

absl::Status CollectionImpl::Load(std::vector<float> center) {
  TQDB_ASSIGN_OR_RETURN(const std::optional<storage::StoredPartitioning> stored,
                        store_.ReadPartitioning(dim()));
  std::unique_ptr<Index> index;
  const uint64_t partitioning = stored.has_value() ? stored->number : 0;
  if (stored.has_value()) {
    TQDB_ASSIGN_OR_RETURN(index, IvfIndex::Create(PartitionedOptions(), stored->centroids));
  } else {
    TQDB_ASSIGN_OR_RETURN(index, NewIndex(std::move(center)));
  }
  const size_t code_bytes = index->encoder()->code_bytes();
  code_bytes_ = code_bytes;

  MutexLock write_lock(write_mu_);
  partitioning_ = partitioning;
  next_partitioning_ = partitioning + 1;
  std::vector<uint64_t> abandoned;  // segments of a partitioning that never committed
  std::vector<uint64_t> live_ids;
  EncodedVectors live;
  TQDB_RETURN_IF_ERROR(store_.ForEachSegment(
      code_bytes,
      [&](const storage::CollectionStore::LoadedSegment& segment)
          ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) -> absl::Status {
            const storage::SegmentView& view = segment.view;
            next_segment_ = segment.number + 1;
            if (view.partitioning > partitioning) {
              abandoned.push_back(segment.number);
              next_partitioning_ = std::max(next_partitioning_, view.partitioning + 1);
              return absl::OkStatus();
            }
            if (view.partitioning != partitioning) {
              return absl::DataLossError(
                  absl::StrCat("collection '", config_.name, "': segment ", segment.number,
                               " was written against partitioning ", view.partitioning,
                               " but partitioning ", partitioning, " is in use"));
            }
            SegmentStats& stats = segments_[segment.number];
            stats = {view.count, 0, segment.bytes};
            live_ids.clear();
            live = EncodedVectors();
            for (size_t i = 0; i < view.count; ++i) {
              const uint64_t id = view.ids[i];
              if (segment.dead != nullptr && segment.dead->contains(id)) {
                ++stats.dead;
                continue;
              }
              if (std::optional<uint64_t> other = index->TagOf(id); other.has_value()) {
                return absl::DataLossError(absl::StrCat("collection '", config_.name, "': id ", id,
                                                        " is live in segments ", *other, " and ",
                                                        segment.number));
              }
              live_ids.push_back(id);
              live.codes.insert(live.codes.end(), view.codes.begin() + i * code_bytes,
                                view.codes.begin() + (i + 1) * code_bytes);
              live.factors.push_back(view.factors[i]);
              if (partitioning != 0) live.lists.push_back(view.lists[i]);
            }
            const size_t before = index->size();
            TQDB_RETURN_IF_ERROR_WITH_CONTEXT(
                index->AddEncoded(live_ids, live, segment.number),
                absl::StrCat("collection '", config_.name, "', segment ", segment.number));
            if (index->size() != before + live_ids.size()) {
              return absl::DataLossError(absl::StrCat("collection '", config_.name, "': segment ",
                                                      segment.number, " repeats an id"));
            }
            return absl::OkStatus();
          }));
  if (!abandoned.empty()) {
    // Unreachable already (their partitioning was never stored); this only frees the space.
    storage::CollectionStore::Batch batch = store_.NewBatch();
    for (uint64_t number : abandoned) batch.DeleteSegment(number);
    TQDB_RETURN_IF_ERROR(store_.Write(&batch, Durability::kGroupCommit));
  }

  index->ShrinkToFit();
  WriterLock index_lock(index_mu_);
  index_ = std::move(index);
  snapshot_ = store_.Snapshot();
  return absl::OkStatus();
}

absl::Status CollectionImpl::Commit(storage::CollectionStore::Batch* batch, Durability durability,
                                    const std::function<void()>& apply) {
  TQDB_RETURN_IF_ERROR(store_.Write(batch, durability));
  WriterLock lock(index_mu_);
  apply();
  snapshot_ = store_.Snapshot();
  return absl::OkStatus();
}

void CollectionImpl::MaintainAfterWrite() {
  if (absl::Status status = MaintainSegments(/*full=*/false); !status.ok()) {
    std::fprintf(stderr, "tqdb: collection '%s': segment maintenance failed: %s\n",
                 config_.name.c_str(), status.ToString().c_str());
  }
  MaybeStartPartition();
}

absl::StatusOr<WriteResult> CollectionImpl::Upsert(absl::Span<const uint64_t> ids,
                                                   absl::Span<const float> vectors,
                                                   absl::Span<const std::string> payloads,
                                                   const WriteOptions& options) {
  TQDB_RETURN_IF_ERROR(CheckLive());
  const size_t n = ids.size();
  TQDB_RETURN_IF_ERROR(CheckBatchSize(n, "upsert"));
  TQDB_RETURN_IF_ERROR(ValidateVectors(vectors, n, dim()));
  if (!payloads.empty() && payloads.size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(n, " ids but ", payloads.size(), " payloads; give one per id or none"));
  }
  for (size_t i = 0; i < payloads.size(); ++i) {
    if (payloads[i].size() > kMaxPayloadBytes) {
      return absl::InvalidArgumentError(absl::StrCat("payload of id ", ids[i], " has ",
                                                     payloads[i].size(), " bytes; the limit is ",
                                                     kMaxPayloadBytes));
    }
  }
  TQDB_RETURN_IF_ERROR(ValidateUniqueIds(ids));

  // Encoding needs no lock: the encoder is immutable.
  std::shared_ptr<const IndexEncoder> encoder;
  {
    ReaderLock lock(index_mu_);
    encoder = index_->encoder();
  }
  EncodedVectors encoded;
  encoder->Encode(vectors.data(), n, &encoded);

  MutexLock write_lock(write_mu_);
  TQDB_RETURN_IF_ERROR(CheckLive());
  const Durability durability = options.durability.value_or(config_.durability);
  if (TakesCenterNow(n)) {
    PendingUpsert upsert{ids, vectors, payloads, std::vector<bool>(n)};
    {
      ReaderLock lock(index_mu_);
      for (size_t i = 0; i < n; ++i) upsert.existed[i] = index_->Contains(ids[i]);
    }
    return UpsertTakingCenter(upsert, durability);
  }
  {
    ReaderLock lock(index_mu_);
    if (index_->encoder() != encoder) {  // another upsert took the center, or a partitioning
      encoded = EncodedVectors();        // committed, meanwhile
      index_->encoder()->Encode(vectors.data(), n, &encoded);
    }
  }
  NoteTouched(ids);
  std::string segment_value = SegmentValue(ids, encoded, 0, partitioning_);
  const size_t segment_bytes = segment_value.size();
  const uint64_t number = next_segment_++;
  storage::CollectionStore::Batch batch = store_.NewBatch();
  batch.PutSegment(number, segment_value);
  segment_value = std::string();
  std::vector<uint64_t> replaced_in;  // the old segment of each replaced id
  std::vector<bool> existed(n);
  {
    ReaderLock lock(index_mu_);
    for (size_t i = 0; i < n; ++i) {
      const std::optional<uint64_t> old = index_->TagOf(ids[i]);
      existed[i] = old.has_value();
      if (old.has_value()) {
        replaced_in.push_back(*old);
        batch.MarkDead(*old, ids[i]);
      }
    }
  }
  PutRecords(ids, vectors, payloads, existed, &batch);
  TQDB_RETURN_IF_ERROR(Commit(&batch, durability, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(index_mu_) {
    // Sizes were checked above.
    index_->AddEncoded(ids, encoded, number).IgnoreError();
  }));
  for (uint64_t old : replaced_in) ++segments_[old].dead;
  segments_[number] = SegmentStats{n, 0, segment_bytes};
  MaintainAfterWrite();
  return WriteResult{n - replaced_in.size(), replaced_in.size(), 0};
}

void CollectionImpl::PutRecords(absl::Span<const uint64_t> ids, absl::Span<const float> vectors,
                                absl::Span<const std::string> payloads,
                                const std::vector<bool>& existed,
                                storage::CollectionStore::Batch* batch) const {
  const size_t d = dim();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (config_.store_vectors) batch->PutVector(ids[i], vectors.subspan(i * d, d));
    if (!payloads.empty() && !payloads[i].empty()) {
      batch->PutPayload(ids[i], payloads[i]);
    } else if (existed[i]) {
      // A new id has no payload to remove: delete removed it along with the vector.
      batch->DeletePayload(ids[i]);
    }
  }
}

bool CollectionImpl::TakesCenterNow(size_t n) const {
  // A partitioned collection's lists are centered on their centroids.
  if (config_.centering != Centering::kAuto || partitioning_ != 0) return false;
  ReaderLock lock(index_mu_);
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
  const size_t code_bytes = encoder.code_bytes(), n = upsert.ids.size();
  EncodedVectors encoded;
  TQDB_RETURN_IF_ERROR(ForEachStoredChunk(kept, [&](size_t, const float* rows, size_t count) {
    encoder.Encode(rows, count, &encoded);
  }));
  encoder.Encode(upsert.vectors.data(), n, &encoded);
  NoteTouched(upsert.ids);

  storage::CollectionStore::Batch batch = store_.NewBatch();
  for (const auto& [number, stats] : segments_) batch.DeleteSegment(number);
  std::map<uint64_t, SegmentStats> segments;
  // The kept vectors in sealed segments of about the target size, then the upsert's own.
  const size_t per_segment = storage::EntriesPerSegment(policy_, code_bytes, false);
  auto put_segment = [&](absl::Span<const uint64_t> ids, size_t first)
                         ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) -> absl::Status {
    const uint64_t number = next_segment_++;
    const std::string value = SegmentValue(ids, encoded, first, /*partitioning=*/0);
    batch.PutSegment(number, value);
    segments[number] = {ids.size(), 0, value.size()};
    EncodedVectors part;
    const size_t n = ids.size();
    part.codes.assign(encoded.codes.begin() + first * code_bytes,
                      encoded.codes.begin() + (first + n) * code_bytes);
    part.factors.assign(encoded.factors.begin() + first, encoded.factors.begin() + first + n);
    return index->AddEncoded(ids, part, number);
  };
  for (size_t first = 0; first < kept.size(); first += per_segment) {
    TQDB_RETURN_IF_ERROR(
        put_segment(kept.subspan(first, std::min(per_segment, kept.size() - first)), first));
  }
  if (n > 0) {
    TQDB_RETURN_IF_ERROR(put_segment(upsert.ids, kept.size()));
    PutRecords(upsert.ids, upsert.vectors, upsert.payloads, upsert.existed, &batch);
  }
  storage::StoredCollection record{cid_, config_};
  record.config.center = std::move(center);
  batch.PutCollectionRecord(record);
  TQDB_RETURN_IF_ERROR(Commit(&batch, durability, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(index_mu_) {
    index_ = std::move(index);
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

absl::StatusOr<WriteResult> CollectionImpl::Delete(absl::Span<const uint64_t> ids,
                                                   const WriteOptions& options) {
  TQDB_RETURN_IF_ERROR(CheckLive());
  TQDB_RETURN_IF_ERROR(CheckBatchSize(ids.size(), "delete"));
  MutexLock write_lock(write_mu_);
  TQDB_RETURN_IF_ERROR(CheckLive());
  storage::CollectionStore::Batch batch = store_.NewBatch();
  std::vector<uint64_t> removed_ids, removed_from;  // each removed id and its segment
  {
    ReaderLock lock(index_mu_);
    absl::flat_hash_set<uint64_t> seen;
    for (uint64_t id : ids) {
      const std::optional<uint64_t> segment = index_->TagOf(id);
      if (!segment.has_value() || !seen.insert(id).second) continue;
      removed_ids.push_back(id);
      removed_from.push_back(*segment);
      batch.MarkDead(*segment, id);
      batch.DeleteRecord(id);
    }
  }
  if (removed_ids.empty()) return WriteResult{};
  NoteTouched(removed_ids);
  TQDB_RETURN_IF_ERROR(
      Commit(&batch, options.durability.value_or(config_.durability),
             [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(index_mu_) { index_->Remove(removed_ids); }));
  for (uint64_t segment : removed_from) ++segments_[segment].dead;
  MaintainAfterWrite();
  return WriteResult{0, 0, removed_ids.size()};
}

absl::Status CollectionImpl::MaintainSegments(bool full) {
  std::vector<storage::SegmentStats> stats;
  stats.reserve(segments_.size());
  for (const auto& [number, segment] : segments_) {
    stats.push_back({number, segment.count, segment.dead, segment.bytes});
  }
  const std::vector<std::vector<uint64_t>> groups =
      full ? storage::PlanFullCompaction(stats, policy_)
           : storage::PlanSegmentRewrites(stats, policy_);
  for (const std::vector<uint64_t>& group : groups) {
    TQDB_RETURN_IF_ERROR(RewriteSegments(group));
  }
  return absl::OkStatus();
}

absl::Status CollectionImpl::RewriteSegments(absl::Span<const uint64_t> numbers) {
  // A segment's live entries are the ids it was written with whose tag in the index is still
  // that segment; their codes come from the index, which holds exactly what was stored.
  const size_t code_bytes = [&] {
    ReaderLock lock(index_mu_);
    return index_->encoder()->code_bytes();
  }();
  std::vector<std::vector<uint64_t>> written;
  for (uint64_t number : numbers) {
    TQDB_ASSIGN_OR_RETURN(written.emplace_back(), store_.ReadSegmentIds(number, code_bytes));
  }
  std::vector<uint64_t> ids;
  EncodedVectors encoded;
  {
    ReaderLock lock(index_mu_);
    for (size_t s = 0; s < numbers.size(); ++s) {
      for (uint64_t id : written[s]) {
        if (index_->TagOf(id) != numbers[s]) continue;
        ids.push_back(id);
        index_->AppendEncoded(id, &encoded);
      }
    }
  }
  storage::CollectionStore::Batch batch = store_.NewBatch();
  const uint64_t merged = next_segment_++;
  size_t merged_bytes = 0;
  if (!ids.empty()) {
    const std::string value = SegmentValue(ids, encoded, 0, partitioning_);
    merged_bytes = value.size();
    batch.PutSegment(merged, value);
  }
  for (uint64_t number : numbers) batch.DeleteSegment(number);
  // The logical content is unchanged, so this need not wait for an fsync of its own.
  TQDB_RETURN_IF_ERROR(store_.Write(&batch, Durability::kGroupCommit));
  {
    WriterLock lock(index_mu_);
    for (uint64_t id : ids) index_->SetTag(id, merged);
  }
  for (uint64_t number : numbers) segments_.erase(number);
  if (!ids.empty()) segments_[merged] = SegmentStats{ids.size(), 0, merged_bytes};
  return absl::OkStatus();
}

absl::Status CollectionImpl::Compact() {
  TQDB_RETURN_IF_ERROR(CheckLive());
  {
    MutexLock write_lock(write_mu_);
    TQDB_RETURN_IF_ERROR(MaintainSegments(/*full=*/true));
  }
  return store_.CompactRanges();
}

CollectionInfo CollectionImpl::Describe() const {
  CollectionInfo info;
  info.config = config_;
  {
    MutexLock write_lock(write_mu_);
    info.segments = segments_.size();
    for (const auto& [number, segment] : segments_) info.dead_entries += segment.dead;
    info.partitioning = partitioning_;
    info.repartitioning = touched_.has_value();
    ReaderLock lock(index_mu_);
    info.count = index_->size();
    info.code_bytes = index_->encoder()->code_bytes();
    info.center = index_->encoder()->center();
    IndexStats stats = index_->Stats();
    info.memory = stats.memory;
    info.list_sizes = std::move(stats.list_sizes);
    info.centroids = std::move(stats.centroids);
    info.nprobe = stats.default_nprobe;
  }
  info.bytes_on_disk = store_.ApproximateBytes();
  return info;
}

size_t CollectionImpl::count() const {
  ReaderLock lock(index_mu_);
  return index_->size();
}

absl::StatusOr<StoredCode> CollectionImpl::GetStoredCode(uint64_t id) const {
  TQDB_RETURN_IF_ERROR(CheckLive());
  ReaderLock lock(index_mu_);
  EncodedVectors encoded;
  if (!index_->AppendEncoded(id, &encoded)) {
    return absl::NotFoundError(absl::StrCat("id ", id, " is not stored"));
  }
  StoredCode stored;
  stored.code = std::move(encoded.codes);
  stored.factors = encoded.factors[0];
  if (!encoded.lists.empty()) stored.list = encoded.lists[0];
  return stored;
}

}  // namespace tqdb
