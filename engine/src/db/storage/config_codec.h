// The stored form of a collection's config: "key=value" lines, readable with any RocksDB tool.
// Every field is written explicitly (no defaults at read time), so a later build that changes a
// default still decodes old collections exactly as they were written.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tqdb/collection_config.h"

namespace tqdb::storage {

struct StoredCollection {
  uint32_t id = 0;  // the key prefix of the collection's data
  CollectionConfig config;
};

std::string EncodeCollectionRecord(const StoredCollection& stored);
// DataLoss for a malformed record; FailedPrecondition for another format version.
absl::StatusOr<StoredCollection> DecodeCollectionRecord(std::string_view record);

}  // namespace tqdb::storage
