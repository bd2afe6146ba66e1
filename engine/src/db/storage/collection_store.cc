#include "db/storage/collection_store.h"

#include <cstring>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "db/storage/keys.h"
#include "db/storage/store.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "tqdb/status_macros.h"

namespace tqdb::storage {
namespace {

std::string_view View(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }

// One MultiGet of `cf` for the records of `ids`; NotFound entries come back as nullopt. The
// batched form: keys sorted once, each table file and block visited once for all of them. The
// records land in the row cache (store.cc) but their 4 KiB blocks stay out of the block cache:
// a random lookup would bring ten other vectors' floats with it, and at a million vectors those
// blocks evict the rows that re-rank reads again (1M GloVe: re-rank added 2.4 ms, now 1.0).
absl::StatusOr<std::vector<std::optional<std::string>>> MultiGetRecords(
    const Store& store, Cf cf, uint32_t cid, absl::Span<const uint64_t> ids, const ReadView& view) {
  std::vector<std::string> keys;
  std::vector<rocksdb::Slice> slices;
  keys.reserve(ids.size());
  for (uint64_t id : ids) keys.push_back(RecordKey(cid, id));
  for (const std::string& key : keys) slices.emplace_back(key);
  std::vector<rocksdb::PinnableSlice> values(ids.size());
  std::vector<rocksdb::Status> statuses(ids.size());
  rocksdb::ReadOptions read;
  read.snapshot = view.get();
  read.fill_cache = false;
  store.db()->MultiGet(read, store.cf(cf), ids.size(), slices.data(), values.data(),
                       statuses.data());
  std::vector<std::optional<std::string>> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    TQDB_RETURN_IF_ERROR(FromRocks(statuses[i], "reading records"));
    out[i] = values[i].ToString();
  }
  return out;
}

}  // namespace

CollectionStore::Batch::Batch(const CollectionStore* owner, size_t reserve_bytes)
    : owner_(owner), batch_(std::make_unique<rocksdb::WriteBatch>(reserve_bytes)) {}
CollectionStore::Batch::~Batch() = default;
CollectionStore::Batch::Batch(Batch&&) noexcept = default;

void CollectionStore::Batch::PutSegment(uint64_t number, std::string_view value) {
  batch_->Put(owner_->store_->cf(Cf::kSegments), SegmentKey(owner_->cid_, number),
              rocksdb::Slice(value.data(), value.size()));
}

void CollectionStore::Batch::DeleteSegment(uint64_t number) {
  const uint32_t cid = owner_->cid_;
  batch_->Delete(owner_->store_->cf(Cf::kSegments), SegmentKey(cid, number));
  batch_->DeleteRange(owner_->store_->cf(Cf::kDead), DeadSegmentPrefix(cid, number),
                      DeadSegmentPrefix(cid, number + 1));
}

void CollectionStore::Batch::MarkDead(uint64_t segment, uint64_t id) {
  batch_->Put(owner_->store_->cf(Cf::kDead), DeadKey(owner_->cid_, segment, id), "");
}

void CollectionStore::Batch::PutVector(uint64_t id, absl::Span<const float> vector) {
  batch_->Put(
      owner_->store_->cf(Cf::kVectors), RecordKey(owner_->cid_, id),
      rocksdb::Slice(reinterpret_cast<const char*>(vector.data()), vector.size() * sizeof(float)));
}

void CollectionStore::Batch::PutPayload(uint64_t id, std::string_view payload) {
  batch_->Put(owner_->store_->cf(Cf::kPayloads), RecordKey(owner_->cid_, id),
              rocksdb::Slice(payload.data(), payload.size()));
}

void CollectionStore::Batch::DeletePayload(uint64_t id) {
  batch_->Delete(owner_->store_->cf(Cf::kPayloads), RecordKey(owner_->cid_, id));
}

void CollectionStore::Batch::DeleteRecord(uint64_t id) {
  const std::string key = RecordKey(owner_->cid_, id);
  batch_->Delete(owner_->store_->cf(Cf::kVectors), key);
  batch_->Delete(owner_->store_->cf(Cf::kPayloads), key);
}

void CollectionStore::Batch::PutCollectionRecord(const StoredCollection& stored) {
  batch_->Put(owner_->store_->cf(Cf::kCollections), stored.config.name,
              EncodeCollectionRecord(stored));
}

void CollectionStore::Batch::PutPartitioning(const StoredPartitioning& partitioning) {
  batch_->Put(owner_->store_->cf(Cf::kPartitions), PartitionsKey(owner_->cid_),
              EncodePartitioning(partitioning));
}

void CollectionStore::Batch::PutPayloadIndexes(absl::Span<const PayloadFieldIndex> fields) {
  batch_->Put(owner_->store_->cf(Cf::kPartitions), PayloadIndexesKey(owner_->cid_),
              EncodePayloadIndexes(fields));
}

const std::string& CollectionStore::path() const { return store_->path(); }
uint64_t CollectionStore::DiskLeftToDatabase() const { return store_->DiskLeftToDatabase(); }

CollectionStore::CollectionStore(std::shared_ptr<Store> store, uint32_t cid, std::string name)
    : store_(std::move(store)), cid_(cid), name_(std::move(name)) {}

absl::Status CollectionStore::Write(Batch* batch, Durability durability) const {
  return store_->Write(batch->batch_.get(), durability);
}

ReadView CollectionStore::Snapshot() const { return store_->Snapshot(); }

namespace {

// A one-time sequential scan of collection `cid`'s keys in one column family, positioned at
// its first key (the bound and its string live as long as the iterator).
class CollectionScan {
 public:
  CollectionScan(const Store& store, Cf cf, uint32_t cid, const ReadView& view = nullptr)
      : end_(CollectionEnd(cid)), bound_(end_) {
    rocksdb::ReadOptions read;
    read.snapshot = view.get();
    read.iterate_upper_bound = &bound_;
    read.fill_cache = false;  // read once: keep the cache for searches
    read.readahead_size = size_t{4} << 20;
    it_.reset(store.db()->NewIterator(read, store.cf(cf)));
    it_->Seek(CollectionPrefix(cid));
  }
  rocksdb::Iterator* it() { return it_.get(); }

 private:
  const std::string end_;
  const rocksdb::Slice bound_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

}  // namespace

absl::Status CollectionStore::ForEachSegment(
    size_t code_bytes, const std::function<absl::Status(const LoadedSegment&)>& visit) const {
  // Dead marks first, so each segment is filtered as it is read.
  absl::flat_hash_map<uint64_t, absl::flat_hash_set<uint64_t>> dead;
  {
    CollectionScan scan(*store_, Cf::kDead, cid_);
    for (rocksdb::Iterator* it = scan.it(); it->Valid(); it->Next()) {
      TQDB_ASSIGN_OR_RETURN(const DeadKeyParts key, ParseDeadKey(View(it->key())));
      dead[key.segment].insert(key.id);
    }
    TQDB_RETURN_IF_ERROR(FromRocks(scan.it()->status(), "reading dead entries"));
  }

  CollectionScan scan(*store_, Cf::kSegments, cid_);
  rocksdb::Iterator* it = scan.it();
  for (; it->Valid(); it->Next()) {
    TQDB_ASSIGN_OR_RETURN(const SegmentKeyParts key, ParseSegmentKey(View(it->key())));
    LoadedSegment segment;
    segment.number = key.segment;
    segment.bytes = it->value().size();
    TQDB_ASSIGN_OR_RETURN_WITH_CONTEXT(
        segment.view, DecodeSegment(View(it->value()), code_bytes),
        absl::StrCat("collection '", name_, "', segment ", key.segment));
    if (auto d = dead.find(key.segment); d != dead.end()) segment.dead = &d->second;
    TQDB_RETURN_IF_ERROR(visit(segment));
  }
  return FromRocks(it->status(), "reading segments");
}

absl::StatusOr<std::optional<StoredPartitioning>> CollectionStore::ReadPartitioning(int dim) const {
  std::string value;
  const rocksdb::Status status = store_->db()->Get(
      rocksdb::ReadOptions(), store_->cf(Cf::kPartitions), PartitionsKey(cid_), &value);
  if (status.IsNotFound()) return std::nullopt;
  TQDB_RETURN_IF_ERROR(FromRocks(status, "reading the partitioning"));
  TQDB_ASSIGN_OR_RETURN_WITH_CONTEXT(StoredPartitioning partitioning,
                                     DecodePartitioning(value, dim),
                                     absl::StrCat("collection '", name_, "'"));
  return partitioning;
}

absl::StatusOr<std::vector<uint64_t>> CollectionStore::ReadSegmentIds(uint64_t number,
                                                                      size_t code_bytes) const {
  std::string value;
  TQDB_RETURN_IF_ERROR(
      FromRocks(store_->db()->Get(rocksdb::ReadOptions(), store_->cf(Cf::kSegments),
                                  SegmentKey(cid_, number), &value),
                absl::StrCat("reading segment ", number)));
  TQDB_ASSIGN_OR_RETURN_WITH_CONTEXT(SegmentView view, DecodeSegment(value, code_bytes),
                                     absl::StrCat("collection '", name_, "', segment ", number));
  return std::move(view.ids);
}

absl::Status CollectionStore::ForEachVector(
    int dim, const std::function<void(uint64_t, absl::Span<const float>)>& visit) const {
  CollectionScan scan(*store_, Cf::kVectors, cid_);
  rocksdb::Iterator* it = scan.it();
  std::vector<float> vector(dim);
  for (; it->Valid(); it->Next()) {
    TQDB_ASSIGN_OR_RETURN(const uint64_t id, ParseRecordKey(View(it->key())));
    if (it->value().size() != dim * sizeof(float)) {
      return absl::DataLossError(absl::StrCat("collection '", name_, "': the stored vector of id ",
                                              id, " has the wrong size"));
    }
    std::memcpy(vector.data(), it->value().data(), it->value().size());  // may be unaligned
    visit(id, vector);
  }
  return FromRocks(it->status(), "reading vectors");
}

absl::Status CollectionStore::ForEachPayload(
    const ReadView& view, const std::function<void(uint64_t, std::string_view)>& visit) const {
  CollectionScan scan(*store_, Cf::kPayloads, cid_, view);
  rocksdb::Iterator* it = scan.it();
  for (; it->Valid(); it->Next()) {
    TQDB_ASSIGN_OR_RETURN(const uint64_t id, ParseRecordKey(View(it->key())));
    visit(id, View(it->value()));
  }
  return FromRocks(it->status(), "reading payloads");
}

absl::StatusOr<std::vector<PayloadFieldIndex>> CollectionStore::ReadPayloadIndexes() const {
  std::string value;
  const rocksdb::Status status = store_->db()->Get(
      rocksdb::ReadOptions(), store_->cf(Cf::kPartitions), PayloadIndexesKey(cid_), &value);
  if (status.IsNotFound()) return std::vector<PayloadFieldIndex>();
  TQDB_RETURN_IF_ERROR(FromRocks(status, "reading the payload indexes"));
  TQDB_ASSIGN_OR_RETURN_WITH_CONTEXT(std::vector<PayloadFieldIndex> fields,
                                     DecodePayloadIndexes(value),
                                     absl::StrCat("collection '", name_, "'"));
  return fields;
}

absl::StatusOr<std::vector<std::vector<float>>> CollectionStore::ReadVectors(
    absl::Span<const uint64_t> ids, int dim, const ReadView& view) const {
  TQDB_ASSIGN_OR_RETURN(auto values, MultiGetRecords(*store_, Cf::kVectors, cid_, ids, view));
  std::vector<std::vector<float>> vectors(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!values[i].has_value() || values[i]->size() != dim * sizeof(float)) {
      return absl::DataLossError(
          absl::StrCat("collection '", name_, "': the stored vector of id ", ids[i],
                       values[i].has_value() ? " has the wrong size" : " is missing"));
    }
    vectors[i].resize(dim);
    std::memcpy(vectors[i].data(), values[i]->data(), values[i]->size());
  }
  return vectors;
}

absl::StatusOr<std::vector<std::string>> CollectionStore::ReadPayloads(
    absl::Span<const uint64_t> ids, const ReadView& view) const {
  TQDB_ASSIGN_OR_RETURN(auto values, MultiGetRecords(*store_, Cf::kPayloads, cid_, ids, view));
  std::vector<std::string> payloads(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (values[i].has_value()) payloads[i] = std::move(*values[i]);
  }
  return payloads;
}

absl::Status CollectionStore::CompactRanges() const {
  const std::string begin = CollectionPrefix(cid_);
  const std::string end = CollectionEnd(cid_);
  const rocksdb::Slice begin_slice(begin), end_slice(end);
  for (Cf cf : kCollectionDataCfs) {
    TQDB_RETURN_IF_ERROR(
        FromRocks(store_->db()->CompactRange(rocksdb::CompactRangeOptions(), store_->cf(cf),
                                             &begin_slice, &end_slice),
                  "compacting"));
  }
  return absl::OkStatus();
}

uint64_t CollectionStore::ApproximateBytes() const {
  const std::string begin = CollectionPrefix(cid_);
  const std::string end = CollectionEnd(cid_);
  uint64_t bytes = 0;
  for (Cf cf : kCollectionDataCfs) bytes += store_->ApproximateBytes(cf, begin, end);
  return bytes;
}

}  // namespace tqdb::storage
