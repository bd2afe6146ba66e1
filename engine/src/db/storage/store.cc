#include "db/storage/store.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/table.h"
#include "tqdb/status_macros.h"

namespace tqdb::storage {
namespace {

rocksdb::Options MakeOptions(const StoreOptions& store_options) {
  rocksdb::Options options;
  options.create_if_missing = store_options.create_if_missing;
  options.create_missing_column_families = store_options.create_if_missing;
  // Check every block and the log on open; refuse to open on damage rather than guess.
  options.paranoid_checks = true;
  // A crash can leave a half-written last record (never acknowledged); anything else in the
  // log that is damaged is an error, not a silent truncation of acknowledged writes.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  options.IncreaseParallelism(2);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(store_options.block_cache_bytes);
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

}  // namespace

absl::Status FromRocks(const rocksdb::Status& status, std::string_view context) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(std::string(context), ": ", status.ToString());
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsNotFound()) return absl::NotFoundError(message);
  if (status.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (status.IsIOError() && status.ToString().find("lock") != std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat(message, " (is another tqdb process using this data directory?)"));
  }
  if (status.IsIOError() && status.IsNoSpace()) return absl::ResourceExhaustedError(message);
  if (status.IsIOError()) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

absl::StatusOr<std::shared_ptr<Store>> Store::Open(const std::string& path,
                                                   const StoreOptions& options) {
  std::shared_ptr<Store> store(new Store());
  store->path_ = path;
  store->options_ = options;
  const rocksdb::Options db_options = MakeOptions(options);

  // A directory written by something else has column families we do not know: refuse it.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, path, &existing).ok()) {
    for (const std::string& name : existing) {
      if (std::find(kCfNames.begin(), kCfNames.end(), name) == kCfNames.end()) {
        return absl::FailedPreconditionError(
            absl::StrCat(path, " holds column family '", name,
                         "', which tqdb does not write: not a tqdb data directory"));
      }
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (std::string_view name : kCfNames) {
    descriptors.emplace_back(std::string(name), rocksdb::ColumnFamilyOptions(db_options));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  TQDB_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(rocksdb::DBOptions(db_options), path, descriptors, &handles, &db),
                absl::StrCat("opening data directory ", path)));
  store->db_.reset(db);
  std::copy(handles.begin(), handles.end(), store->handles_.begin());
  TQDB_RETURN_IF_ERROR(store->CheckFormatVersion());
  if (options.verify_checksums_on_open) {
    TQDB_RETURN_IF_ERROR(FromRocks(db->VerifyChecksum(), "verifying table checksums"));
  }
  store->group_commit_thread_ = std::thread([s = store.get()] { s->GroupCommitLoop(); });
  return store;
}

absl::Status Store::CheckFormatVersion() {
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), cf(Cf::kDefault), std::string(kFormatVersionKey), &value);
  if (status.IsNotFound()) {
    // A new directory gets the current version; an old one without it is not ours.
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), cf(Cf::kCollections)));
    it->SeekToFirst();
    if (it->Valid()) {
      return absl::FailedPreconditionError(
          absl::StrCat(path_, " has collections but no format version: not a tqdb directory"));
    }
    rocksdb::WriteOptions sync;
    sync.sync = true;
    return FromRocks(db_->Put(sync, cf(Cf::kDefault), std::string(kFormatVersionKey),
                              absl::StrCat(kFormatVersion)),
                     "writing the format version");
  }
  TQDB_RETURN_IF_ERROR(FromRocks(status, "reading the format version"));
  int version = 0;
  if (!absl::SimpleAtoi(value, &version)) {
    return absl::DataLossError(absl::StrCat("format version record is damaged: '", value, "'"));
  }
  if (version != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        path_, " is in format version ", version, "; this build reads version ", kFormatVersion));
  }
  return absl::OkStatus();
}

Store::~Store() {
  {
    MutexLock lock(sync_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (group_commit_thread_.joinable()) group_commit_thread_.join();
  if (db_ == nullptr) return;
  db_->SyncWAL().PermitUncheckedError();
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    if (handle != nullptr) db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();
}

absl::Status Store::Write(rocksdb::WriteBatch* batch, Durability durability) {
  rocksdb::WriteOptions write_options;
  write_options.sync = durability == Durability::kSync;
  {
    MutexLock lock(sync_mu_);
    // A failed background fsync means earlier acknowledgements may not be durable: stop
    // acknowledging until the database is reopened.
    if (!sync_error_.ok()) return sync_error_;
  }
  TQDB_RETURN_IF_ERROR(FromRocks(db_->Write(write_options, batch), "writing a batch"));
  if (durability == Durability::kGroupCommit) {
    MutexLock lock(sync_mu_);
    unsynced_ = true;
  }
  return absl::OkStatus();
}

void Store::GroupCommitLoop() {
  MutexLock lock(sync_mu_);
  while (!stopping_) {
    // The wait releases sync_mu_ and holds it again before the predicate and on return.
    stop_cv_.wait_for(sync_mu_, std::chrono::milliseconds(options_.group_commit_interval_ms),
                      [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_) { return stopping_; });
    if (!unsynced_) continue;
    unsynced_ = false;
    sync_mu_.unlock();  // fsync outside the lock: writers only wait for the flag
    absl::Status status = FromRocks(db_->SyncWAL(), "group commit fsync of the log");
    sync_mu_.lock();
    if (!status.ok()) sync_error_ = status;
  }
}

std::shared_ptr<const rocksdb::Snapshot> Store::Snapshot() {
  rocksdb::DB* db = db_.get();
  // The deleter keeps the store (and so the database) alive while the snapshot is in use.
  return std::shared_ptr<const rocksdb::Snapshot>(
      db->GetSnapshot(),
      [db, keep = shared_from_this()](const rocksdb::Snapshot* s) { db->ReleaseSnapshot(s); });
}

uint64_t Store::ApproximateBytes(Cf which, const std::string& begin, const std::string& end) const {
  rocksdb::Range range(begin, end);
  uint64_t bytes = 0;
  rocksdb::SizeApproximationOptions options;
  options.include_memtables = true;
  options.include_files = true;
  db_->GetApproximateSizes(options, cf(which), &range, 1, &bytes).PermitUncheckedError();
  return bytes;
}

}  // namespace tqdb::storage
