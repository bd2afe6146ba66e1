#include "tqdb/database.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "db/storage/config_codec.h"
#include "db/storage/keys.h"
#include "db/storage/segment_policy.h"
#include "db/storage/store.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "tqdb/status_macros.h"

namespace tqdb {

using storage::Cf;

namespace {

storage::SegmentPolicy MakeSegmentPolicy(const DatabaseOptions& options) {
  storage::SegmentPolicy policy;
  policy.target_bytes = options.segment_target_bytes;
  policy.fanout = options.segment_merge_fanout;
  return policy;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                         const DatabaseOptions& options) {
  if (options.segment_merge_fanout < 2 || options.group_commit_interval_ms < 1) {
    return absl::InvalidArgumentError(
        "segment_merge_fanout must be >= 2 and group_commit_interval_ms >= 1");
  }
  std::unique_ptr<Database> database(new Database());
  database->path_ = path;
  database->options_ = options;
  storage::StoreOptions store_options;
  store_options.create_if_missing = options.create_if_missing;
  store_options.group_commit_interval_ms = options.group_commit_interval_ms;
  store_options.block_cache_bytes = options.block_cache_bytes;
  store_options.verify_checksums_on_open = options.verify_checksums_on_open;
  TQDB_ASSIGN_OR_RETURN(database->store_, storage::Store::Open(path, store_options));
  storage::Store& store = *database->store_;

  const storage::SegmentPolicy policy = MakeSegmentPolicy(options);

  MutexLock lock(database->mu_);
  std::string next_id;
  rocksdb::Status next_status =
      store.db()->Get(rocksdb::ReadOptions(), store.cf(Cf::kDefault),
                      std::string(storage::kNextCollectionIdKey), &next_id);
  if (next_status.ok()) {
    if (!absl::SimpleAtoi(next_id, &database->next_collection_id_)) {
      return absl::DataLossError(
          absl::StrCat("next collection id record is damaged: '", next_id, "'"));
    }
  } else if (!next_status.IsNotFound()) {
    return storage::FromRocks(next_status, "reading the next collection id");
  }

  std::unique_ptr<rocksdb::Iterator> it(
      store.db()->NewIterator(rocksdb::ReadOptions(), store.cf(Cf::kCollections)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string name = it->key().ToString();
    TQDB_ASSIGN_OR_RETURN_WITH_CONTEXT(
        storage::StoredCollection stored,
        storage::DecodeCollectionRecord(std::string_view(it->value().data(), it->value().size())),
        absl::StrCat("collection '", name, "'"));
    if (stored.config.name != name || stored.id >= database->next_collection_id_) {
      return absl::DataLossError(
          absl::StrCat("collection record '", name, "' disagrees with its key or the id counter"));
    }
    std::shared_ptr<Collection> collection(
        new Collection(database->store_, stored.id, std::move(stored.config), policy));
    TQDB_RETURN_IF_ERROR(collection->Load());
    database->collections_[name] = std::move(collection);
  }
  TQDB_RETURN_IF_ERROR(storage::FromRocks(it->status(), "listing collections"));
  return database;
}

Database::~Database() {
  MutexLock lock(mu_);
  collections_.clear();
}

absl::StatusOr<std::shared_ptr<Collection>> Database::CreateCollection(
    const CollectionConfig& config, bool if_not_exists) {
  TQDB_RETURN_IF_ERROR(ValidateCollectionConfig(config));
  MutexLock lock(mu_);
  if (auto it = collections_.find(config.name); it != collections_.end()) {
    const CollectionConfig& existing = it->second->config();
    if (!SameDataLayout(existing, config)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "collection '", config.name, "' exists with ", DescribeConfig(existing), "; requested ",
          DescribeConfig(config), ". Drop it first to change its layout"));
    }
    if (if_not_exists) return it->second;
    return absl::AlreadyExistsError(absl::StrCat("collection '", config.name, "' already exists (",
                                                 DescribeConfig(existing), ")"));
  }
  if (next_collection_id_ == UINT32_MAX - 1) {
    return absl::ResourceExhaustedError("collection ids are exhausted in this data directory");
  }
  storage::StoredCollection stored{next_collection_id_, config};
  std::shared_ptr<Collection> collection(
      new Collection(store_, stored.id, config, MakeSegmentPolicy(options_)));
  TQDB_RETURN_IF_ERROR(collection->Load());  // builds the quantizer; no data yet

  rocksdb::WriteBatch batch;
  batch.Put(store_->cf(Cf::kCollections), config.name, storage::EncodeCollectionRecord(stored));
  batch.Put(store_->cf(Cf::kDefault), std::string(storage::kNextCollectionIdKey),
            absl::StrCat(stored.id + 1));
  TQDB_RETURN_IF_ERROR(store_->Write(&batch, Durability::kSync));
  next_collection_id_ = stored.id + 1;
  collections_[config.name] = collection;
  return collection;
}

absl::Status Database::DropCollection(const std::string& name) {
  MutexLock lock(mu_);
  auto it = collections_.find(name);
  if (it == collections_.end()) {
    return absl::NotFoundError(absl::StrCat("no collection named '", name, "'"));
  }
  std::shared_ptr<Collection> collection = it->second;
  // Waits for a running write; after this, the collection refuses new ones.
  collection->MarkDropped();
  const std::string begin = storage::CollectionPrefix(collection->cid_);
  const std::string end = storage::CollectionEnd(collection->cid_);
  rocksdb::WriteBatch batch;
  batch.Delete(store_->cf(Cf::kCollections), name);
  for (Cf cf : {Cf::kSegments, Cf::kDead, Cf::kVectors, Cf::kPayloads}) {
    batch.DeleteRange(store_->cf(cf), begin, end);
  }
  if (absl::Status status = store_->Write(&batch, Durability::kSync); !status.ok()) {
    collection->dropped_.store(false);  // nothing was removed; keep serving it
    return status;
  }
  collections_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Collection>> Database::GetCollection(const std::string& name) const {
  MutexLock lock(mu_);
  auto it = collections_.find(name);
  if (it == collections_.end()) {
    return absl::NotFoundError(absl::StrCat("no collection named '", name, "'"));
  }
  return it->second;
}

std::vector<std::string> Database::ListCollections() const {
  std::vector<std::string> names;
  {
    MutexLock lock(mu_);
    for (const auto& [name, collection] : collections_) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace tqdb
