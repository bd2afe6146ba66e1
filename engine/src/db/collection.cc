#include "tqdb/collection.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "db/batch_size.h"
#include "db/storage/keys.h"
#include "db/storage/segment_codec.h"
#include "db/storage/segment_policy.h"
#include "db/storage/store.h"
#include "index/vector_checks.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "tqdb/status_macros.h"

namespace tqdb {

using storage::Cf;

namespace {

rocksdb::Slice AsSlice(const std::string& s) { return rocksdb::Slice(s.data(), s.size()); }

}  // namespace

Collection::Collection(std::shared_ptr<storage::Store> store, uint32_t cid, CollectionConfig config,
                       const storage::SegmentPolicy& policy)
    : store_(std::move(store)),
      cid_(cid),
      config_(std::move(config)),
      policy_(std::make_unique<storage::SegmentPolicy>(policy)) {}

Collection::~Collection() = default;

absl::Status Collection::CheckLive() const {
  if (dropped_.load(std::memory_order_acquire)) {
    return absl::NotFoundError(absl::StrCat("collection '", config_.name, "' was dropped"));
  }
  return absl::OkStatus();
}

void Collection::MarkDropped() {
  MutexLock lock(write_mu_);
  dropped_.store(true, std::memory_order_release);
}

absl::Status Collection::Load() {
  FlatIndexOptions index_options;
  index_options.metric = config_.metric;
  index_options.quantizer = config_.quantizer;
  TQDB_ASSIGN_OR_RETURN(std::unique_ptr<FlatIndex> index, FlatIndex::Create(index_options));
  const size_t code_bytes = index->quantizer().code_bytes();

  MutexLock write_lock(write_mu_);
  const std::string begin = storage::CollectionPrefix(cid_);
  const std::string end = storage::CollectionEnd(cid_);
  const rocksdb::Slice end_slice = AsSlice(end);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &end_slice;
  read.fill_cache = false;  // a one-time sequential scan
  read.readahead_size = size_t{4} << 20;

  // Dead entries first, so each segment is filtered as it is read.
  absl::flat_hash_map<uint64_t, absl::flat_hash_set<uint64_t>> dead;
  {
    std::unique_ptr<rocksdb::Iterator> it(store_->db()->NewIterator(read, store_->cf(Cf::kDead)));
    for (it->Seek(begin); it->Valid(); it->Next()) {
      TQDB_ASSIGN_OR_RETURN(
          const storage::DeadKeyParts key,
          storage::ParseDeadKey(std::string_view(it->key().data(), it->key().size())));
      dead[key.segment].insert(key.id);
    }
    TQDB_RETURN_IF_ERROR(storage::FromRocks(it->status(), "reading dead entries"));
  }

  std::unique_ptr<rocksdb::Iterator> it(store_->db()->NewIterator(read, store_->cf(Cf::kSegments)));
  std::vector<uint64_t> live_ids;
  std::vector<uint8_t> live_codes;
  std::vector<VectorFactors> live_factors;
  for (it->Seek(begin); it->Valid(); it->Next()) {
    TQDB_ASSIGN_OR_RETURN(
        const storage::SegmentKeyParts key,
        storage::ParseSegmentKey(std::string_view(it->key().data(), it->key().size())));
    const uint64_t number = key.segment;
    const rocksdb::Slice value = it->value();
    TQDB_ASSIGN_OR_RETURN_WITH_CONTEXT(
        storage::SegmentView view,
        storage::DecodeSegment(std::string_view(value.data(), value.size()), code_bytes),
        absl::StrCat("collection '", config_.name, "', segment ", number));
    const absl::flat_hash_set<uint64_t>* dead_here = nullptr;
    if (auto d = dead.find(number); d != dead.end()) dead_here = &d->second;
    Segment& segment = segments_[number];
    segment.ids = std::move(view.ids);  // read below through segment.ids
    segment.bytes = value.size();
    live_ids.clear();
    live_codes.clear();
    live_factors.clear();
    for (size_t i = 0; i < view.count; ++i) {
      const uint64_t id = segment.ids[i];
      if (dead_here != nullptr && dead_here->contains(id)) {
        ++segment.dead;
        continue;
      }
      if (!segment_of_.try_emplace(id, number).second) {
        return absl::DataLossError(absl::StrCat("collection '", config_.name, "': id ", id,
                                                " is live in segments ", segment_of_[id], " and ",
                                                number));
      }
      live_ids.push_back(id);
      live_codes.insert(live_codes.end(), view.codes.begin() + i * code_bytes,
                        view.codes.begin() + (i + 1) * code_bytes);
      live_factors.push_back(view.factors[i]);
    }
    TQDB_RETURN_IF_ERROR(index->AddEncoded(live_ids, live_codes, live_factors, {}));
    next_segment_ = number + 1;
  }
  TQDB_RETURN_IF_ERROR(storage::FromRocks(it->status(), "reading segments"));

  WriterLock index_lock(index_mu_);
  index_ = std::move(index);
  snapshot_ = store_->Snapshot();
  return absl::OkStatus();
}

absl::Status Collection::Commit(rocksdb::WriteBatch* batch, Durability durability,
                                const std::function<void()>& apply) {
  TQDB_RETURN_IF_ERROR(store_->Write(batch, durability));
  WriterLock lock(index_mu_);
  apply();
  snapshot_ = store_->Snapshot();
  return absl::OkStatus();
}

absl::StatusOr<WriteResult> Collection::Upsert(absl::Span<const uint64_t> ids,
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

  // Encoding needs no lock: the quantizer is immutable.
  const Quantizer* quantizer;
  {
    ReaderLock lock(index_mu_);
    quantizer = &index_->quantizer();
  }
  const size_t code_bytes = quantizer->code_bytes();
  std::vector<uint8_t> codes(n * code_bytes);
  std::vector<VectorFactors> factors(n);
  quantizer->EncodeBatch(vectors.data(), n, codes.data(), factors.data());
  std::string segment_value = storage::EncodeSegment(ids, codes, factors, code_bytes);

  MutexLock write_lock(write_mu_);
  TQDB_RETURN_IF_ERROR(CheckLive());
  const uint64_t number = next_segment_++;
  rocksdb::WriteBatch batch;
  const size_t segment_bytes = segment_value.size();
  batch.Put(store_->cf(Cf::kSegments), storage::SegmentKey(cid_, number), segment_value);
  segment_value.clear();
  std::vector<std::pair<uint64_t, uint64_t>> replaced;  // (id, old segment)
  const size_t d = dim();
  for (size_t i = 0; i < n; ++i) {
    const std::string key = storage::RecordKey(cid_, ids[i]);
    const auto old = segment_of_.find(ids[i]);
    const bool existed = old != segment_of_.end();
    if (existed) {
      replaced.emplace_back(ids[i], old->second);
      batch.Put(store_->cf(Cf::kDead), storage::DeadKey(cid_, old->second, ids[i]), "");
    }
    if (config_.store_vectors) {
      batch.Put(store_->cf(Cf::kVectors), key,
                rocksdb::Slice(reinterpret_cast<const char*>(&vectors[i * d]), d * sizeof(float)));
    }
    if (!payloads.empty() && !payloads[i].empty()) {
      batch.Put(store_->cf(Cf::kPayloads), key, payloads[i]);
    } else if (existed) {
      // A new id has no payload to remove: delete removed it along with the vector.
      batch.Delete(store_->cf(Cf::kPayloads), key);
    }
  }
  TQDB_RETURN_IF_ERROR(Commit(&batch, options.durability.value_or(config_.durability),
                              [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(index_mu_) {
                                // Sizes were checked above.
                                index_->AddEncoded(ids, codes, factors, {}).IgnoreError();
                              }));

  for (const auto& [id, old] : replaced) ++segments_[old].dead;
  for (uint64_t id : ids) segment_of_[id] = number;
  segments_[number] = Segment{std::vector<uint64_t>(ids.begin(), ids.end()), 0, segment_bytes};

  if (absl::Status status = MaintainSegments(/*full=*/false); !status.ok()) {
    // The batch is committed; a failed merge only leaves more segments behind.
    std::fprintf(stderr, "tqdb: collection '%s': segment merge failed: %s\n", config_.name.c_str(),
                 status.ToString().c_str());
  }
  return WriteResult{n - replaced.size(), replaced.size(), 0};
}

absl::StatusOr<WriteResult> Collection::Delete(absl::Span<const uint64_t> ids,
                                               const WriteOptions& options) {
  TQDB_RETURN_IF_ERROR(CheckLive());
  TQDB_RETURN_IF_ERROR(CheckBatchSize(ids.size(), "delete"));
  MutexLock write_lock(write_mu_);
  TQDB_RETURN_IF_ERROR(CheckLive());
  rocksdb::WriteBatch batch;
  std::vector<std::pair<uint64_t, uint64_t>> removed;  // (id, segment)
  absl::flat_hash_set<uint64_t> seen;
  for (uint64_t id : ids) {
    auto it = segment_of_.find(id);
    if (it == segment_of_.end() || !seen.insert(id).second) continue;
    removed.emplace_back(id, it->second);
    const std::string key = storage::RecordKey(cid_, id);
    batch.Put(store_->cf(Cf::kDead), storage::DeadKey(cid_, it->second, id), "");
    batch.Delete(store_->cf(Cf::kVectors), key);
    batch.Delete(store_->cf(Cf::kPayloads), key);
  }
  if (removed.empty()) return WriteResult{};
  std::vector<uint64_t> removed_ids;
  for (const auto& [id, segment] : removed) removed_ids.push_back(id);
  TQDB_RETURN_IF_ERROR(
      Commit(&batch, options.durability.value_or(config_.durability),
             [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(index_mu_) { index_->Remove(removed_ids); }));
  for (const auto& [id, segment] : removed) {
    ++segments_[segment].dead;
    segment_of_.erase(id);
  }
  if (absl::Status status = MaintainSegments(/*full=*/false); !status.ok()) {
    std::fprintf(stderr, "tqdb: collection '%s': segment rewrite failed: %s\n",
                 config_.name.c_str(), status.ToString().c_str());
  }
  return WriteResult{0, 0, removed.size()};
}

absl::Status Collection::MaintainSegments(bool full) {
  std::vector<storage::SegmentStats> stats;
  stats.reserve(segments_.size());
  for (const auto& [number, segment] : segments_) {
    stats.push_back({number, segment.ids.size(), segment.dead, segment.bytes});
  }
  const std::vector<std::vector<uint64_t>> groups =
      full ? storage::PlanFullCompaction(stats, *policy_)
           : storage::PlanSegmentRewrites(stats, *policy_);
  for (const std::vector<uint64_t>& group : groups) {
    TQDB_RETURN_IF_ERROR(RewriteSegments(group));
  }
  return absl::OkStatus();
}

absl::Status Collection::RewriteSegments(absl::Span<const uint64_t> numbers) {
  // Live entries are the ones whose id still points at the segment; their codes come from the
  // index, which holds exactly what was stored.
  std::vector<uint64_t> ids;
  std::vector<uint8_t> codes;
  std::vector<VectorFactors> factors;
  size_t code_bytes;
  {
    ReaderLock lock(index_mu_);
    code_bytes = index_->quantizer().code_bytes();
    for (uint64_t number : numbers) {
      for (uint64_t id : segments_.at(number).ids) {
        auto it = segment_of_.find(id);
        if (it == segment_of_.end() || it->second != number) continue;
        ids.push_back(id);
        const uint8_t* code = index_->CodeOf(id);
        codes.insert(codes.end(), code, code + code_bytes);
        factors.push_back(*index_->FactorsOf(id));
      }
    }
  }
  rocksdb::WriteBatch batch;
  const uint64_t merged = next_segment_++;
  size_t merged_bytes = 0;
  if (!ids.empty()) {
    std::string value = storage::EncodeSegment(ids, codes, factors, code_bytes);
    merged_bytes = value.size();
    batch.Put(store_->cf(Cf::kSegments), storage::SegmentKey(cid_, merged), value);
  }
  for (uint64_t number : numbers) {
    batch.Delete(store_->cf(Cf::kSegments), storage::SegmentKey(cid_, number));
    batch.DeleteRange(store_->cf(Cf::kDead), storage::DeadSegmentPrefix(cid_, number),
                      storage::DeadSegmentPrefix(cid_, number + 1));
  }
  // The logical content is unchanged, so this need not wait for an fsync of its own.
  TQDB_RETURN_IF_ERROR(store_->Write(&batch, Durability::kGroupCommit));
  for (uint64_t number : numbers) segments_.erase(number);
  if (!ids.empty()) {
    for (uint64_t id : ids) segment_of_[id] = merged;
    segments_[merged] = Segment{std::move(ids), 0, merged_bytes};
  }
  return absl::OkStatus();
}

absl::Status Collection::Compact() {
  TQDB_RETURN_IF_ERROR(CheckLive());
  {
    MutexLock write_lock(write_mu_);
    TQDB_RETURN_IF_ERROR(MaintainSegments(/*full=*/true));
  }
  const std::string begin = storage::CollectionPrefix(cid_);
  const std::string end = storage::CollectionEnd(cid_);
  const rocksdb::Slice begin_slice = AsSlice(begin), end_slice = AsSlice(end);
  for (Cf cf : {Cf::kSegments, Cf::kDead, Cf::kVectors, Cf::kPayloads}) {
    TQDB_RETURN_IF_ERROR(
        storage::FromRocks(store_->db()->CompactRange(rocksdb::CompactRangeOptions(),
                                                      store_->cf(cf), &begin_slice, &end_slice),
                           "compacting"));
  }
  return absl::OkStatus();
}

CollectionInfo Collection::Describe() const {
  CollectionInfo info;
  info.config = config_;
  size_t map_bytes;
  {
    MutexLock write_lock(write_mu_);
    info.segments = segments_.size();
    map_bytes = segment_of_.capacity() * (2 * sizeof(uint64_t) + 1);
    for (const auto& [number, segment] : segments_) {
      info.dead_entries += segment.dead;
      map_bytes += segment.ids.capacity() * sizeof(uint64_t);
    }
  }
  {
    ReaderLock lock(index_mu_);
    info.count = index_->size();
    info.code_bytes = index_->quantizer().code_bytes();
    info.bytes_in_memory = index_->MemoryBytes() + map_bytes;
  }
  const std::string begin = storage::CollectionPrefix(cid_);
  const std::string end = storage::CollectionEnd(cid_);
  for (Cf cf : {Cf::kSegments, Cf::kDead, Cf::kVectors, Cf::kPayloads}) {
    info.bytes_on_disk += store_->ApproximateBytes(cf, begin, end);
  }
  return info;
}

absl::StatusOr<StoredCode> Collection::GetStoredCode(uint64_t id) const {
  TQDB_RETURN_IF_ERROR(CheckLive());
  ReaderLock lock(index_mu_);
  const uint8_t* code = index_->CodeOf(id);
  if (code == nullptr) return absl::NotFoundError(absl::StrCat("id ", id, " is not stored"));
  StoredCode stored;
  stored.code.assign(code, code + index_->quantizer().code_bytes());
  stored.factors = *index_->FactorsOf(id);
  return stored;
}

}  // namespace tqdb
