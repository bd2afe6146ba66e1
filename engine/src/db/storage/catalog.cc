#include "db/storage/catalog.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "db/storage/keys.h"
#include "db/storage/store.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "tqdb/status_macros.h"

namespace tqdb::storage {

absl::StatusOr<uint32_t> Catalog::ReadNextCollectionId() const {
  std::string value;
  const rocksdb::Status status = store_->db()->Get(rocksdb::ReadOptions(), store_->cf(Cf::kDefault),
                                                   std::string(kNextCollectionIdKey), &value);
  if (status.IsNotFound()) return 1;
  TQDB_RETURN_IF_ERROR(FromRocks(status, "reading the next collection id"));
  uint32_t next = 0;
  if (!absl::SimpleAtoi(value, &next)) {
    return absl::DataLossError(absl::StrCat("next collection id record is damaged: '", value, "'"));
  }
  return next;
}

absl::StatusOr<std::vector<StoredCollection>> Catalog::ReadCollections(
    uint32_t next_collection_id) const {
  std::vector<StoredCollection> collections;
  std::unique_ptr<rocksdb::Iterator> it(
      store_->db()->NewIterator(rocksdb::ReadOptions(), store_->cf(Cf::kCollections)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string name = it->key().ToString();
    TQDB_ASSIGN_OR_RETURN_WITH_CONTEXT(
        StoredCollection stored,
        DecodeCollectionRecord(std::string_view(it->value().data(), it->value().size())),
        absl::StrCat("collection '", name, "'"));
    if (stored.config.name != name || stored.id >= next_collection_id) {
      return absl::DataLossError(
          absl::StrCat("collection record '", name, "' disagrees with its key or the id counter"));
    }
    collections.push_back(std::move(stored));
  }
  TQDB_RETURN_IF_ERROR(FromRocks(it->status(), "listing collections"));
  return collections;
}

absl::Status Catalog::AddCollection(const StoredCollection& stored) const {
  rocksdb::WriteBatch batch;
  batch.Put(store_->cf(Cf::kCollections), stored.config.name, EncodeCollectionRecord(stored));
  batch.Put(store_->cf(Cf::kDefault), std::string(kNextCollectionIdKey),
            absl::StrCat(stored.id + 1));
  return store_->Write(&batch, Durability::kSync);
}

absl::Status Catalog::DropCollection(const std::string& name, uint32_t cid) const {
  rocksdb::WriteBatch batch;
  batch.Delete(store_->cf(Cf::kCollections), name);
  for (Cf cf : kCollectionDataCfs) {
    batch.DeleteRange(store_->cf(cf), CollectionPrefix(cid), CollectionEnd(cid));
  }
  return store_->Write(&batch, Durability::kSync);
}

}  // namespace tqdb::storage
