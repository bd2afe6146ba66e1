#include "tqdb/database.h"

#include <algorithm>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "absl/strings/str_cat.h"
#include "db/collection_impl.h"
#include "db/storage/catalog.h"
#include "db/storage/segment_policy.h"
#include "db/storage/staged_directory.h"
#include "db/storage/store.h"
#include "db/store_options.h"
#include "tqdb/status_macros.h"

namespace tqdb {
namespace {

constexpr size_t kMinRocksMemory = size_t{1} << 20;

storage::SegmentPolicy MakeSegmentPolicy(const DatabaseOptions& options) {
  storage::SegmentPolicy policy;
  policy.target_bytes = options.segment_target_bytes;
  policy.fanout = options.segment_merge_fanout;
  return policy;
}

}  // namespace

Database::Database(std::string path, const DatabaseOptions& options)
    : path_(std::move(path)), options_(options) {}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                         const DatabaseOptions& options) {
  if (options.segment_merge_fanout < 2 || options.group_commit_interval_ms < 1) {
    return absl::InvalidArgumentError(
        "segment_merge_fanout must be >= 2 and group_commit_interval_ms >= 1");
  }
  if (options.block_cache_bytes < kMinRocksMemory || options.write_buffer_bytes < kMinRocksMemory) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the block cache (", options.block_cache_bytes, " bytes) and the write buffers (",
        options.write_buffer_bytes, " bytes) need at least 1 MiB each"));
  }
  std::unique_ptr<Database> database(new Database(path, options));
  TQDB_ASSIGN_OR_RETURN(database->store_, storage::Store::Open(path, MakeStoreOptions(options)));
  database->catalog_ = std::make_unique<storage::Catalog>(database->store_);

  MutexLock lock(database->mu_);
  TQDB_ASSIGN_OR_RETURN(database->next_collection_id_, database->catalog_->ReadNextCollectionId());
  TQDB_ASSIGN_OR_RETURN(std::vector<storage::StoredCollection> stored,
                        database->catalog_->ReadCollections(database->next_collection_id_));
  const storage::SegmentPolicy policy = MakeSegmentPolicy(options);
  for (storage::StoredCollection& record : stored) {
    const std::string name = record.config.name;
    TQDB_ASSIGN_OR_RETURN(
        database->collections_[name],
        CollectionImpl::Open(database->store_, record.id, std::move(record.config), policy,
                             {options.background_partitioning, options.follow_drift,
                              options.job_catch_up_under_lock, options.partition_load_window}));
  }
#if defined(__GLIBC__) && !defined(__SANITIZE_THREAD__)
  // Loading read every segment through temporary buffers; hand their pages back, so the process
  // holds what the collections and RocksDB's bounded caches hold. (Not under ThreadSanitizer,
  // whose allocator is not glibc's: trimming glibc's unused arenas from two threads crashed.)
  malloc_trim(0);
#endif
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
  const storage::StoredCollection stored{next_collection_id_, config};
  // Builds the quantizer before anything is stored; a new collection has no data to load.
  TQDB_ASSIGN_OR_RETURN(
      std::shared_ptr<CollectionImpl> collection,
      CollectionImpl::Open(store_, stored.id, config, MakeSegmentPolicy(options_),
                           {options_.background_partitioning, options_.follow_drift,
                            options_.job_catch_up_under_lock, options_.partition_load_window}));
  TQDB_RETURN_IF_ERROR(catalog_->AddCollection(stored));
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
  const std::shared_ptr<CollectionImpl> collection = it->second;
  // Waits for a running write; after this, the collection refuses new ones.
  collection->MarkDropped();
  if (absl::Status status = catalog_->DropCollection(name, collection->cid()); !status.ok()) {
    collection->UnmarkDropped();  // nothing was removed; keep serving it
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

absl::Status Database::Snapshot(const std::string& dir, const std::string& collection) {
  if (!collection.empty()) TQDB_RETURN_IF_ERROR(GetCollection(collection).status());
  // Built in a private directory and published whole: never staged under a name a client chose.
  TQDB_ASSIGN_OR_RETURN(storage::StagedDirectory staged, storage::StagedDirectory::Create(dir));
  TQDB_RETURN_IF_ERROR(store_->Checkpoint(staged.content_path()));
  if (!collection.empty()) TQDB_RETURN_IF_ERROR(TrimSnapshot(staged.content_path(), collection));
  return staged.Publish();
}

absl::StatusOr<int> Database::RemoveAbandonedSnapshots(const std::string& snapshots_dir) {
  return storage::StagedDirectory::RemoveAbandoned(snapshots_dir);
}

absl::Status Database::TrimSnapshot(const std::string& dir, const std::string& collection) const {
  // The copy drops the others (one atomic write each, in the copy only).
  DatabaseOptions copy_options = options_;
  copy_options.create_if_missing = false;
  copy_options.background_partitioning = false;  // opened only to drop the other collections
  absl::StatusOr<std::unique_ptr<Database>> copy = Database::Open(dir, copy_options);
  if (!copy.ok()) return WithContext(copy.status(), "opening the new snapshot");
  for (const std::string& name : (*copy)->ListCollections()) {
    if (name != collection) {
      TQDB_RETURN_IF_ERROR(WithContext((*copy)->DropCollection(name), "trimming the snapshot"));
    }
  }
  copy->reset();
  // The others' data must leave the copy's files, not only its catalog: compacted through the
  // bare store, where no collection's read view pins the deleted keys.
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<storage::Store> store,
                        storage::Store::Open(dir, MakeStoreOptions(copy_options)));
  return WithContext(store->CompactAll(), "trimming the snapshot");
}

StorageStats Database::Stats() const { return store_->Stats(); }

uint64_t Database::LatestSequence() const { return store_->LatestSequence(); }

absl::StatusOr<std::vector<LoggedWrite>> Database::ReadLog(uint64_t from, size_t max_bytes) const {
  return store_->ReadLog(from, max_bytes);
}

std::unique_ptr<LogReader> Database::OpenLog(uint64_t from) const {
  return std::make_unique<LogReader>(std::make_unique<storage::LogCursor>(store_, from));
}

LogReader::LogReader(std::unique_ptr<storage::LogCursor> cursor) : cursor_(std::move(cursor)) {}

LogReader::~LogReader() = default;

absl::StatusOr<std::vector<LoggedWrite>> LogReader::Read(size_t max_bytes) {
  return cursor_->Read(max_bytes);
}

bool Database::WaitForWrite(uint64_t sequence, std::chrono::milliseconds timeout) const {
  return store_->WaitForWrite(sequence, std::chrono::steady_clock::now() + timeout);
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
