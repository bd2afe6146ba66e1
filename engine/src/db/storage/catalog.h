// The data directory's list of collections: their config records and the collection id counter.
// Creating or dropping a collection is one synced RocksDB write here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "db/storage/config_codec.h"

namespace tqdb::storage {

class Store;

class Catalog {
 public:
  explicit Catalog(std::shared_ptr<Store> store) : store_(std::move(store)) {}

  // The id the next collection gets (1 in a new directory).
  absl::StatusOr<uint32_t> ReadNextCollectionId() const;
  // Every stored collection, by name; DataLoss when a record disagrees with its key or with
  // `next_collection_id`.
  absl::StatusOr<std::vector<StoredCollection>> ReadCollections(uint32_t next_collection_id) const;
  // Stores the record and advances the id counter past it, in one synced write.
  absl::Status AddCollection(const StoredCollection& stored) const;
  // Removes the record and all the collection's data, in one synced write.
  absl::Status DropCollection(const std::string& name, uint32_t cid) const;

 private:
  const std::shared_ptr<Store> store_;
};

}  // namespace tqdb::storage
