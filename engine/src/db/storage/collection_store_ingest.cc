// Bulk writes of a collection's vectors through ingested table files (collection_store.h).
#include <algorithm>
#include <cstring>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "db/storage/collection_store.h"
#include "db/storage/keys.h"
#include "db/storage/store.h"
#include "rocksdb/write_batch.h"
#include "tqdb/status_macros.h"

namespace tqdb::storage {

void CollectionStore::Batch::ClearIngestMarker(uint64_t number) {
  batch_->Delete(owner_->store_->cf(Cf::kPartitions), IngestMarkerKey(owner_->cid_, number));
}

bool CollectionStore::IngestsBytes(size_t bytes) const { return store_->IngestsBytes(bytes); }

absl::StatusOr<TableFile> CollectionStore::WriteVectorTable(absl::Span<const uint64_t> ids,
                                                            absl::Span<const float> vectors,
                                                            int dim) const {
  // A table file takes its keys in order; big-endian record keys sort as the ids do.
  std::vector<size_t> order(ids.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a] < ids[b]; });
  const size_t row_bytes = static_cast<size_t>(dim) * sizeof(float);
  return store_->WriteTable(Cf::kVectors, [&](rocksdb::SstFileWriter& writer) {
    for (size_t row : order) {
      const rocksdb::Status status = writer.Put(
          RecordKey(cid_, ids[row]),
          rocksdb::Slice(reinterpret_cast<const char*>(vectors.data() + row * dim), row_bytes));
      if (!status.ok()) return status;
    }
    return rocksdb::Status::OK();
  });
}

absl::Status CollectionStore::IngestVectors(uint64_t number, absl::Span<const uint64_t> ids,
                                            TableFile table) const {
  std::string marker(ids.size() * sizeof(uint64_t), '\0');
  std::memcpy(marker.data(), ids.data(), marker.size());  // x86-64: little-endian
  rocksdb::WriteBatch batch;
  batch.Put(store_->cf(Cf::kPartitions), IngestMarkerKey(cid_, number), marker);
  TQDB_RETURN_IF_ERROR(store_->Write(&batch, Durability::kSync));
  return store_->IngestTable(Cf::kVectors, std::move(table));
}

absl::StatusOr<std::vector<CollectionStore::IngestMarker>> CollectionStore::ReadIngestMarkers()
    const {
  const std::string prefix = IngestMarkerPrefix(cid_);
  const std::string end = IngestMarkerKey(cid_, ~uint64_t{0});
  rocksdb::Slice bound(end);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &bound;
  std::unique_ptr<rocksdb::Iterator> it(
      store_->db()->NewIterator(read, store_->cf(Cf::kPartitions)));
  std::vector<IngestMarker> markers;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key(), value = it->value();
    if (key.size() != prefix.size() + sizeof(uint64_t) || value.size() % sizeof(uint64_t) != 0) {
      return absl::DataLossError(absl::StrCat("collection '", name_, "': a bulk-write marker of ",
                                              key.size(), "-byte key and ", value.size(),
                                              "-byte value is damaged"));
    }
    IngestMarker& marker = markers.emplace_back();
    for (size_t i = prefix.size(); i < key.size(); ++i) {
      marker.number = (marker.number << 8) | static_cast<uint8_t>(key[i]);
    }
    marker.ids.resize(value.size() / sizeof(uint64_t));
    std::memcpy(marker.ids.data(), value.data(), value.size());
  }
  TQDB_RETURN_IF_ERROR(FromRocks(it->status(), "reading bulk-write markers"));
  return markers;
}

}  // namespace tqdb::storage
