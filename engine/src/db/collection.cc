// The write side of a collection: open and load, upsert, delete, and describe. Re-centering is
// in collection_recenter.cc, segment merges in collection_segments.cc, partitioning in
// collection_partition.cc.
#include <algorithm>
#include <future>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "db/batch_size.h"
#include "db/collection_impl.h"
#include "index/vector_checks.h"
#include "tqdb/status_macros.h"

namespace tqdb {

CollectionImpl::CollectionImpl(std::shared_ptr<storage::Store> store, uint32_t cid,
                               CollectionConfig config, const storage::SegmentPolicy& policy,
                               JobOptions jobs)
    : store_(std::move(store), cid, config.name),
      cid_(cid),
      config_(std::move(config)),
      policy_(policy),
      background_partitioning_(jobs.background),
      follow_drift_(jobs.background && jobs.follow_drift),
      catch_up_under_lock_(jobs.catch_up_under_lock),
      sample_(config_.metric, config_.quantizer.dim,
              DriftSample::CapacityFor(config_.quantizer.dim)),
      growth_(jobs.load_window) {}

CollectionImpl::~CollectionImpl() {
  closing_.store(true, std::memory_order_release);
  std::thread job;
  {
    MutexLock lock(write_mu_);
    job = jobs_.Release();
  }
  if (job.joinable()) job.join();
}

absl::StatusOr<std::shared_ptr<CollectionImpl>> CollectionImpl::Open(
    std::shared_ptr<storage::Store> store, uint32_t cid, CollectionConfig config,
    const storage::SegmentPolicy& policy, JobOptions jobs) {
  // kAuto's center, once taken, is stored with the record; config() shows only a given one.
  std::vector<float> center = config.center;
  if (config.centering == Centering::kAuto) config.center.clear();
  std::shared_ptr<CollectionImpl> collection(
      new CollectionImpl(std::move(store), cid, std::move(config), policy, jobs));
  TQDB_RETURN_IF_ERROR(collection->Load(std::move(center)));
  {
    // A collection that grew past its size while a partition job was cut short resumes it.
    MutexLock lock(collection->write_mu_);
    TQDB_RETURN_IF_ERROR(collection->RebuildSample());
    collection->StartBackgroundJobs();
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
  // New partitions assign and probe cosine lists by direction (glove-1m, 999 lists, re-ranked:
  // recall@10 0.910 / 0.955 / 0.976 -> 0.926 / 0.966 / 0.983 at nprobe 16 / 32 / 64, FAISS's);
  // a restored one keeps the rule its record names.
  options.probe_by_direction = true;
  return options;
}

absl::Status CollectionImpl::Load(std::vector<float> center) {
  TQDB_ASSIGN_OR_RETURN(const std::optional<storage::StoredPartitioning> stored,
                        store_.ReadPartitioning(dim()));
  std::unique_ptr<Index> index;
  const uint64_t partitioning = stored.has_value() ? stored->number : 0;
  if (stored.has_value()) {
    IvfIndexOptions options = PartitionedOptions();
    options.probe_by_direction = stored->by_direction;  // the rule its lists were assigned by
    TQDB_ASSIGN_OR_RETURN(index, IvfIndex::Create(options, stored->centroids));
  } else {
    TQDB_ASSIGN_OR_RETURN(index, NewIndex(std::move(center)));
  }
  code_bytes_ = index->encoder()->code_bytes();

  MutexLock write_lock(write_mu_);
  partitioning_ = partitioning;
  next_partitioning_ = partitioning + 1;
  std::vector<uint64_t> abandoned;  // segments of a partitioning that never committed
  TQDB_RETURN_IF_ERROR(store_.ForEachSegment(
      code_bytes_,
      [&](const storage::CollectionStore::LoadedSegment& segment)
          ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) -> absl::Status {
            next_segment_ = segment.number + 1;
            const uint64_t written_against = segment.view.partitioning;
            if (written_against > partitioning) {
              abandoned.push_back(segment.number);
              next_partitioning_ = std::max(next_partitioning_, written_against + 1);
              return absl::OkStatus();
            }
            return LoadSegment(segment, index.get());
          }));
  if (!abandoned.empty()) {
    // Unreachable already (their partitioning was never stored); this only frees the space.
    storage::CollectionStore::Batch batch = store_.NewBatch();
    for (uint64_t number : abandoned) batch.DeleteSegment(number);
    TQDB_RETURN_IF_ERROR(store_.Write(&batch, Durability::kGroupCommit));
  }
  TQDB_RETURN_IF_ERROR(RemoveUncommittedIngests(*index));

  index->ShrinkToFit();
  std::unique_ptr<RerankVectors> rerank_vectors;
  if (config_.rerank_store != RerankStore::kDisk) {
    // Rebuilt from RocksDB, the durable copy: nothing else has written since the open began.
    TQDB_ASSIGN_OR_RETURN(rerank_vectors,
                          RerankVectors::Create(config_.rerank_store, dim(), store_.path(),
                                                store_.DiskLeftToDatabase()));
    // In runs of rows: a mapped store writes a run with one call.
    constexpr size_t kRun = 1024;
    std::vector<uint64_t> ids;
    std::vector<float> rows;
    const auto put = [&] {
      rerank_vectors->Put(ids, rows);
      ids.clear();
      rows.clear();
    };
    TQDB_RETURN_IF_ERROR(
        store_.ForEachVector(dim(), [&](uint64_t id, absl::Span<const float> vector) {
          ids.push_back(id);
          rows.insert(rows.end(), vector.begin(), vector.end());
          if (ids.size() == kRun) put();
        }));
    put();
    rerank_vectors->ShrinkToFit();
  }
  // The payload indexes, rebuilt from the stored payloads (payload_index_codec.h says why).
  TQDB_ASSIGN_OR_RETURN(std::vector<PayloadFieldIndex> fields, store_.ReadPayloadIndexes());
  PayloadIndex payload_index(std::move(fields));
  for (uint64_t id : index->Ids()) payload_index.Put(id, filter::Json());
  if (!payload_index.fields().empty()) {
    TQDB_RETURN_IF_ERROR(store_.ForEachPayload(nullptr, [&](uint64_t id, std::string_view bytes) {
      payload_index.Put(id, filter::ParsePayload(bytes));
    }));
  }
  WriterLock index_lock(index_mu_);
  index_ = std::move(index);
  rerank_vectors_ = std::move(rerank_vectors);
  payload_index_ = std::move(payload_index);
  ++state_version_;
  snapshot_ = store_.Snapshot();
  return absl::OkStatus();
}

absl::Status CollectionImpl::RemoveUncommittedIngests(const Index& index) {
  TQDB_ASSIGN_OR_RETURN(const std::vector<storage::CollectionStore::IngestMarker> markers,
                        store_.ReadIngestMarkers());
  if (markers.empty()) return absl::OkStatus();
  // Each marker's ids were new when their vectors were ingested; the ones no segment holds
  // never committed, and their vectors go.
  storage::CollectionStore::Batch batch = store_.NewBatch();
  for (const storage::CollectionStore::IngestMarker& marker : markers) {
    for (uint64_t id : marker.ids) {
      if (!index.TagOf(id).has_value()) batch.DeleteRecord(id);
    }
    batch.ClearIngestMarker(marker.number);
    next_ingest_marker_ = std::max(next_ingest_marker_, marker.number + 1);
  }
  return store_.Write(&batch, Durability::kSync);
}

absl::Status CollectionImpl::LoadSegment(const storage::CollectionStore::LoadedSegment& segment,
                                         Index* index) {
  const storage::SegmentView& view = segment.view;
  if (view.partitioning != partitioning_) {
    return absl::DataLossError(absl::StrCat("collection '", config_.name, "': segment ",
                                            segment.number, " was written against partitioning ",
                                            view.partitioning, " but partitioning ", partitioning_,
                                            " is in use"));
  }
  SegmentStats& stats = segments_[segment.number];
  stats = {view.count, 0, segment.bytes};
  std::vector<uint64_t> live_ids;
  EncodedVectors live;
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
    live.codes.insert(live.codes.end(), view.codes.begin() + i * code_bytes_,
                      view.codes.begin() + (i + 1) * code_bytes_);
    live.factors.push_back(view.factors[i]);
    if (partitioning_ != 0) live.lists.push_back(view.lists[i]);
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
}

absl::Status CollectionImpl::Commit(storage::CollectionStore::Batch* batch, Durability durability,
                                    const std::function<void()>& apply) {
  TQDB_RETURN_IF_ERROR(store_.Write(batch, durability));
  WriterLock lock(index_mu_);
  apply();
  snapshot_ = store_.Snapshot();
  ++state_version_;
  return absl::OkStatus();
}

absl::StatusOr<WriteResult> CollectionImpl::Upsert(absl::Span<const uint64_t> ids,
                                                   absl::Span<const float> vectors,
                                                   absl::Span<const std::string> payloads,
                                                   const WriteOptions& options) {
  TQDB_RETURN_IF_ERROR(CheckLive());
  const size_t n = ids.size();
  TQDB_RETURN_IF_ERROR(CheckBatchSize(n, "upsert"));
  TQDB_RETURN_IF_ERROR(ValidateVectors(
      vectors, n, dim(), MaxVectorNorm(config_.metric, config_.quantizer.factor_bits)));
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
  bool all_new = true, center_next = false;
  {
    ReaderLock lock(index_mu_);
    encoder = index_->encoder();
    for (uint64_t id : ids) {
      if (index_->TagOf(id).has_value()) {
        all_new = false;
        break;
      }
    }
    center_next = CenterDue(n, index_->lists() > 0);  // then encoded against the center it takes
  }
  // A large write of new ids (ingested below) writes its floats' table file while the vectors
  // are encoded: writing and syncing it had taken as long as the encoding. The write lock
  // decides whether it is ingested; unused, it is removed.
  const size_t float_bytes = vectors.size() * sizeof(float);
  std::future<absl::StatusOr<storage::TableFile>> table;
  if (config_.store_vectors && store_.IngestsBytes(float_bytes) && all_new) {
    table = std::async(std::launch::async,
                       [&] { return store_.WriteVectorTable(ids, vectors, dim()); });
  }
  EncodedVectors encoded;
  if (!center_next) encoder->Encode(vectors.data(), n, &encoded);

  MutexLock write_lock(write_mu_);
  TQDB_RETURN_IF_ERROR(CheckLive());
  const Durability durability = options.durability.value_or(config_.durability);
  // One read of the index under its lock: whether this upsert takes the center, the encoder
  // (re-encode if another upsert took the center, or a partitioning committed, meanwhile), and
  // the segment each replaced id leaves.
  bool takes_center = false;
  std::vector<bool> existed(n);
  std::vector<uint64_t> replaced_in;  // the old segment of each replaced id
  // The floats, payloads and codes, with room for keys and record headers.
  size_t batch_bytes = n * (64 + encoder->code_bytes() + 16);
  if (config_.store_vectors && !store_.IngestsBytes(float_bytes)) batch_bytes += float_bytes;
  for (const std::string& payload : payloads) batch_bytes += payload.size();
  storage::CollectionStore::Batch batch = store_.NewBatch(batch_bytes);
  {
    ReaderLock lock(index_mu_);
    takes_center = TakesCenterNow(n);
    if (!takes_center && (center_next || index_->encoder() != encoder)) {
      encoded = EncodedVectors();
      index_->encoder()->Encode(vectors.data(), n, &encoded);
    }
    for (size_t i = 0; i < n; ++i) {
      const std::optional<uint64_t> old = index_->TagOf(ids[i]);
      existed[i] = old.has_value();
      if (old.has_value() && !takes_center) {
        replaced_in.push_back(*old);
        batch.MarkDead(*old, ids[i]);
      }
    }
  }
  // A large write of new ids only: its floats go into the store as one table file, not
  // through the log and the memtables.
  const bool ingests = config_.store_vectors && store_.IngestsBytes(float_bytes) &&
                       std::none_of(existed.begin(), existed.end(), [](bool b) { return b; });
  const uint64_t ingest_marker = next_ingest_marker_;
  if (ingests) {
    ++next_ingest_marker_;
    absl::StatusOr<storage::TableFile> file =
        table.valid() ? table.get() : store_.WriteVectorTable(ids, vectors, dim());
    TQDB_RETURN_IF_ERROR(file.status());
    TQDB_RETURN_IF_ERROR(store_.IngestVectors(ingest_marker, ids, *std::move(file)));
  }
  if (takes_center) {
    absl::StatusOr<WriteResult> result = UpsertTakingCenter(
        PendingUpsert{ids, vectors, payloads, std::move(existed),
                      ingests ? std::optional<uint64_t>(ingest_marker) : std::nullopt},
        durability);
    if (!result.ok()) {
      if (ingests) RemoveIngested(ingest_marker, ids);
      return result;
    }
    sample_.Add(ids, vectors);
    growth_.Note(n, GrowthGauge::Clock::now());
    // A first write past partition_at partitions now, not on the next write.
    MaintainAfterWrite();
    return result;
  }
  if (ingests) batch.ClearIngestMarker(ingest_marker);
  NoteTouched(ids);
  SegmentTable added;
  const std::vector<WrittenSegment> written = Writer().Put(
      ids, encoded, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) { return NextSegmentNumber(); },
      &batch, &added);
  PutRecords(ids, ingests ? absl::Span<const float>() : vectors, payloads, existed, &batch);
  const absl::Status committed =
      Commit(&batch, durability, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(index_mu_) {
        // Sizes were checked above.
        AddWritten(ids, encoded, written, index_.get()).IgnoreError();
        if (rerank_vectors_ != nullptr) rerank_vectors_->Put(ids, vectors);
        payload_index_.PutAll(ids, payloads);
      });
  if (!committed.ok()) {
    if (ingests) RemoveIngested(ingest_marker, ids);
    return committed;
  }
  for (uint64_t old : replaced_in) ++segments_[old].dead;
  segments_.merge(added);
  sample_.Add(ids, vectors);
  growth_.Note(n, GrowthGauge::Clock::now());
  MaintainAfterWrite();
  return WriteResult{n - replaced_in.size(), replaced_in.size(), 0};
}

void CollectionImpl::PutRecords(absl::Span<const uint64_t> ids, absl::Span<const float> vectors,
                                absl::Span<const std::string> payloads,
                                const std::vector<bool>& existed,
                                storage::CollectionStore::Batch* batch) const {
  const size_t d = dim();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (config_.store_vectors && !vectors.empty()) {
      batch->PutVector(ids[i], vectors.subspan(i * d, d));
    }
    if (!payloads.empty() && !payloads[i].empty()) {
      batch->PutPayload(ids[i], payloads[i]);
    } else if (existed[i]) {
      // A new id has no payload to remove: delete removed it along with the vector.
      batch->DeletePayload(ids[i]);
    }
  }
}

void CollectionImpl::RemoveIngested(uint64_t marker, absl::Span<const uint64_t> ids) const {
  storage::CollectionStore::Batch batch = store_.NewBatch();
  for (uint64_t id : ids) batch.DeleteRecord(id);
  batch.ClearIngestMarker(marker);
  // On failure too the marker stays, and the next open removes them.
  store_.Write(&batch, Durability::kSync).IgnoreError();
}

absl::StatusOr<WriteResult> CollectionImpl::Delete(absl::Span<const uint64_t> ids,
                                                   const WriteOptions& options) {
  TQDB_RETURN_IF_ERROR(CheckLive());
  TQDB_RETURN_IF_ERROR(CheckBatchSize(ids.size(), "delete"));
  MutexLock write_lock(write_mu_);
  TQDB_RETURN_IF_ERROR(CheckLive());
  return DeleteLocked(ids, options);
}

absl::StatusOr<WriteResult> CollectionImpl::DeleteLocked(absl::Span<const uint64_t> ids,
                                                         const WriteOptions& options) {
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
  sample_.Remove(removed_ids);
  TQDB_RETURN_IF_ERROR(Commit(&batch, options.durability.value_or(config_.durability),
                              [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(index_mu_) {
                                index_->Remove(removed_ids);
                                if (rerank_vectors_ != nullptr)
                                  rerank_vectors_->Remove(removed_ids);
                                payload_index_.Remove(removed_ids);
                              }));
  for (uint64_t segment : removed_from) ++segments_[segment].dead;
  MaintainAfterWrite();
  return WriteResult{0, 0, removed_ids.size()};
}

CollectionInfo CollectionImpl::Describe() const {
  CollectionInfo info;
  info.config = config_;
  {
    MutexLock write_lock(write_mu_);
    info.segments = segments_.size();
    for (const auto& [number, segment] : segments_) info.dead_entries += segment.dead;
    info.partitioning = partitioning_;
    info.repartitioning = touched_.has_value() && !recentering_;
    info.recentering = recentering_;
    info.background_jobs = job_thread_active_;
    ReaderLock lock(index_mu_);
    info.count = index_->size();
    info.code_bytes = index_->encoder()->code_bytes();
    info.bits_per_coordinate = CodeBitsPerCoordinate(info.config.quantizer);
    info.center = index_->encoder()->center();
    IndexStats stats = index_->Stats();
    info.memory = stats.memory;
    if (rerank_vectors_ != nullptr) {
      info.memory.vectors += rerank_vectors_->MemoryBytes();
      info.rerank_file_bytes = rerank_vectors_->MappedBytes();
    }
    info.payload_indexes = payload_index_.fields();
    info.payload_index_bytes = payload_index_.MemoryBytes();
    info.list_sizes = std::move(stats.list_sizes);
    info.centroids = std::move(stats.centroids);
    info.nprobe = stats.default_nprobe;
    info.lists_by_direction = stats.lists_by_direction;
    info.drift = drift_.load(std::memory_order_relaxed);
  }
  info.bytes_on_disk = store_.ApproximateBytes() + info.rerank_file_bytes;
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
