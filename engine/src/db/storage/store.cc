#include "db/storage/store.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "db/storage/disk_reserve.h"
#include "db/storage/durable_sequence.h"
#include "db/storage/info_log.h"
#include "db/storage/memory_budget_parts.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_buffer_manager.h"
#include "tqdb/status_macros.h"

namespace tqdb::storage {
namespace {

// Bytes free on the file system that holds `path`; nullopt when it cannot be read.
std::optional<uint64_t> FreeBytes(const std::string& path) {
  struct statvfs fs;
  if (::statvfs(path.c_str(), &fs) != 0) return std::nullopt;
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

rocksdb::Options MakeOptions(const std::string& path, const StoreOptions& store_options) {
  rocksdb::Options options;
  options.info_log = OpenInfoLog(path);
  options.create_if_missing = store_options.create_if_missing;
  // A directory of an earlier build lacks the column families added since (partitions).
  options.create_missing_column_families = true;
  // Check every block and the log on open; refuse to open on damage rather than guess.
  options.paranoid_checks = true;
  // A crash can leave a half-written last record (never acknowledged); damage inside the log is
  // an error. A log cut short looks like that torn record too: the durable-sequence record
  // (durable_sequence.h) tells the two apart, and the manifest records the size of every log
  // it has finished, so a shortened older log is refused as well.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  options.track_and_verify_wals_in_manifest = true;
  // Recovery leaves the logs in place (their writes stay in memtables), so an open refused for a
  // short log changes nothing on disk and the damaged file is still there; an accepted open
  // flushes them (CheckLogRecovered).
  options.avoid_flush_during_recovery = true;
  options.WAL_ttl_seconds = store_options.log_retention_seconds;
  options.WAL_size_limit_MB = store_options.log_retention_mb;
  options.IncreaseParallelism(2);
  // Bounded memory (issue "RAM holds the codes"): one cache holds the data blocks and the
  // table files' index and filter blocks (not kept per open file outside it), and one manager
  // bounds all memtables: past its budget the largest is flushed. It does not stall writes: with
  // several column families the memtables' fixed arena blocks alone can sit above a small budget,
  // and then a stall never ends (found by ServerTest.SmallCacheStillAnswersRerankedSearchesAndGets
  // at 1 MiB). Each column family flushes at MemtableBytes (store.h).
  rocksdb::BlockBasedTableOptions table;
  const SharedMemoryBudget* shared = store_options.shared_budget.get();
  table.block_cache = shared != nullptr ? shared->parts().block_cache
                                        : rocksdb::NewLRUCache(store_options.block_cache_bytes);
  // Records read by key (re-rank, get) are cached as rows, in the same budget.
  options.row_cache = table.block_cache;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Re-rank and get look up ~100 random ids per query: a Bloom filter (10 bits per key, in the
  // cache) skips the table files that lack a key, and a hash index finds it inside a block
  // without a binary search.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.optimize_filters_for_memory = true;
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.write_buffer_manager =
      shared != nullptr ? shared->parts().write_buffers
                        : std::make_shared<rocksdb::WriteBufferManager>(
                              store_options.write_buffer_bytes, nullptr, /*allow_stall=*/false);
  options.write_buffer_size = MemtableBytes(store_options);
  // Every point read (re-rank, get) looks in the memtables first: a Bloom filter of their whole
  // keys (5% of their size) answers "not here" without walking a skip list of up to a memtable's
  // ~100,000 rows, which cost a routed re-ranked search 15% of its CPU.
  options.memtable_whole_key_filtering = true;
  options.memtable_prefix_bloom_size_ratio = 0.05;
  return options;
}

// Files tqdb itself puts in a data directory before or beside RocksDB's, and the one a fresh
// file system's root holds (a volume mounted as the data directory).
bool IsTqdbFile(const std::string& name) {
  return name == "LOG" || name == "LOG.old" || name.rfind(kDurableSequenceFile, 0) == 0 ||
         name.rfind(kDiskReserveFile, 0) == 0 || name == kIngestDirectory || name == "lost+found";
}

// Refuses a directory that holds something other than a tqdb database: opening it would fill
// someone else's files with ours.
absl::Status CheckDirectory(const std::string& path, bool create_if_missing) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    if (!create_if_missing) return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    if (!fs::create_directories(path, error) && error) {
      return absl::UnavailableError(
          absl::StrCat("cannot create data directory ", path, ": ", error.message()));
    }
    return absl::OkStatus();
  }
  if (!fs::is_directory(status)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a directory"));
  }
  if (fs::exists(fs::path(path) / "CURRENT", error)) return absl::OkStatus();
  for (const fs::directory_entry& entry : fs::directory_iterator(path, error)) {
    const std::string name = entry.path().filename().string();
    if (!IsTqdbFile(name)) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is not empty and holds no tqdb database (found '", name,
                       "'): give tqdb an empty or new directory"));
    }
  }
  return absl::OkStatus();
}

// The write-ahead log files in `path`, for messages.
std::string LogFiles(const std::string& path) {
  std::vector<std::string> logs;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
    if (entry.path().extension() == ".log") logs.push_back(entry.path().string());
  }
  std::sort(logs.begin(), logs.end());
  return logs.empty() ? "no log file" : absl::StrJoin(logs, ", ");
}

}  // namespace

size_t MemtableBytes(const StoreOptions& options) {
  return std::clamp<size_t>(options.write_buffer_bytes / 2, size_t{1} << 20, kMaxMemtableBytes);
}

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
  if (status.IsIOError() && status.IsNoSpace()) {
    return absl::ResourceExhaustedError(
        absl::StrCat(std::string(context), ": the disk is full (", status.ToString(),
                     "); writes are refused until space is freed, reads continue"));
  }
  if (status.IsIOError()) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

absl::StatusOr<std::shared_ptr<Store>> Store::Open(const std::string& path,
                                                   const StoreOptions& options) {
  std::shared_ptr<Store> store(new Store());
  store->path_ = path;
  store->options_ = options;
  TQDB_RETURN_IF_ERROR(CheckDirectory(path, options.create_if_missing));
  const std::string logs = LogFiles(path);
  const rocksdb::Options db_options = MakeOptions(path, options);

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
  const bool new_database = !std::filesystem::exists(std::filesystem::path(path) / "CURRENT");
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status opened =
      rocksdb::DB::Open(rocksdb::DBOptions(db_options), path, descriptors, &handles, &db);
  if (opened.IsNoSpace() && ReleaseDiskReserve(path)) {
    // The log's replay needed a table file on a full disk (disk_reserve.h).
    std::fprintf(stderr, "tqdb: %s; gave back the disk reserve and opening again\n",
                 opened.ToString().c_str());
    handles.clear();
    opened = rocksdb::DB::Open(rocksdb::DBOptions(db_options), path, descriptors, &handles, &db);
  }
  if (opened.IsNoSpace()) {
    // FromRocks's message is for a running database ("reads continue"); here nothing runs yet.
    return absl::ResourceExhaustedError(
        absl::StrCat("opening data directory ", path, ": the disk is full (", opened.ToString(),
                     "); replaying the write-ahead log needs room for table files: free at least ",
                     MemtableBytes(options) >> 20, " MiB on that disk and start again"));
  }
  TQDB_RETURN_IF_ERROR(FromRocks(opened, absl::StrCat("opening data directory ", path)));
  store->db_.reset(db);
  std::copy(handles.begin(), handles.end(), store->handles_.begin());
  TQDB_RETURN_IF_ERROR(store->CheckLogRecovered(logs));
  TQDB_RETURN_IF_ERROR(store->CheckFormatVersion());
  TQDB_RETURN_IF_ERROR(RemoveUningestedTables(path));
  if (options.verify_checksums_on_open) {
    rocksdb::ReadOptions read;
    read.fill_cache = false;  // a one-time pass over every file: keep the cache for real reads
    TQDB_RETURN_IF_ERROR(FromRocks(db->VerifyChecksum(read), "verifying table checksums"));
  }
  store->KeepDiskReserve(new_database);
  store->group_commit_thread_ = std::thread([s = store.get()] { s->GroupCommitLoop(); });
  return store;
}

absl::Status Store::CheckFormatVersion() {
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), cf(Cf::kDefault), std::string(kFormatVersionKey), &value);
  if (status.IsNotFound() && options_.replica) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " has no format version: a replica starts from a copy of its primary"));
  }
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

absl::Status Store::CheckLogRecovered(const std::string& logs) {
  TQDB_ASSIGN_OR_RETURN(std::optional<uint64_t> recorded, ReadDurableSequence(path_));
  const uint64_t recovered = db_->GetLatestSequenceNumber();
  if (recorded.has_value() && recovered < *recorded) {
    const std::string message = absl::StrCat(
        "the write-ahead log of ", path_, " (", logs, ") recovers writes through sequence ",
        recovered, ", but writes through ", *recorded, " were on disk (", kDurableSequenceFile,
        "): the log was cut short or damaged, and acknowledged writes (RocksDB sequence numbers ",
        recovered + 1, " to ", *recorded, ") are missing");
    if (!options_.accept_log_loss) {
      return absl::DataLossError(
          absl::StrCat(message,
                       ". Restore the directory from a backup, or open it with accept_log_loss "
                       "(tqdb-server --accept_log_loss) to continue without them."));
    }
    std::fprintf(stderr, "tqdb: %s; opening anyway (accept_log_loss)\n", message.c_str());
  }
  log_checked_ = true;
  // Recovery left the replayed writes in memtables and in logs that may sit only in the OS's
  // cache (after a crash of the process, not of the machine): flushing them to synced table
  // files makes them durable before the record says so. Only after the check, so a refused
  // open changes nothing on disk.
  rocksdb::FlushOptions flush;
  flush.wait = true;
  absl::Status status = FromRocks(db_->Flush(flush, std::vector<rocksdb::ColumnFamilyHandle*>(
                                                        handles_.begin(), handles_.end())),
                                  "flushing the recovered writes");
  if (status.ok()) status = WriteDurableSequence(path_, recovered);
  if (!status.ok()) {
    std::fprintf(stderr, "tqdb: %s not updated: %s\n", kDurableSequenceFile,
                 status.ToString().c_str());
  }
  return absl::OkStatus();
}

absl::Status Store::SyncLog() {
  rocksdb::WriteOptions sync;
  sync.sync = true;
  return FromRocks(db_->Put(sync, cf(Cf::kDefault), std::string(kSyncMarkerKey), rocksdb::Slice()),
                   "fsync of the log");
}

void Store::RecordDurableSequence() {
  // Until the log has passed the check, the record is the evidence of what it lost.
  if (!log_checked_) return;
  {
    MutexLock lock(sync_mu_);
    if (!written_since_record_) return;
    written_since_record_ = false;
  }
  // Every write up to `sequence` is in the log before the synced write, which covers them (a
  // replica's writes are each synced as applied, and it writes nothing of its own).
  const uint64_t sequence = db_->GetLatestSequenceNumber();
  absl::Status status = options_.replica ? absl::OkStatus() : SyncLog();
  // A failure (a full disk) leaves the older, still true, record in place until the next try.
  if (status.ok()) status = WriteDurableSequence(path_, sequence);
  if (!status.ok()) {
    MutexLock lock(sync_mu_);
    written_since_record_ = true;
  }
}

Store::~Store() {
  {
    MutexLock lock(sync_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (group_commit_thread_.joinable()) group_commit_thread_.join();
  if (db_ == nullptr) return;
  RecordDurableSequence();
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    if (handle != nullptr) db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();
}

absl::Status Store::Write(rocksdb::WriteBatch* batch, Durability durability) {
  if (options_.replica) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " is a replica: it takes writes only from its primary's log"));
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = durability == Durability::kSync;
  {
    MutexLock lock(sync_mu_);
    // A failed background fsync means earlier acknowledgements may not be durable: stop
    // acknowledging until the database is reopened.
    if (!sync_error_.ok()) return sync_error_;
    // After a failed write RocksDB refuses writes until it recovers. It recovers from a full
    // disk by itself once free space exceeds a memtable (checked every few seconds); for other
    // errors ask it to, at most once a second.
    const auto now = std::chrono::steady_clock::now();
    if (write_failed_ && now - last_resume_ >= std::chrono::seconds(1)) {
      last_resume_ = now;
      db_->Resume().PermitUncheckedError();
    }
  }
  absl::Status status = FromRocks(db_->Write(write_options, batch), "writing a batch");
  if (absl::IsResourceExhausted(status)) {
    status = absl::ResourceExhaustedError(absl::StrCat(
        status.message(), "; writes resume by themselves once ", MemtableBytes(options_) >> 20,
        " MiB are free on the data directory's disk (one memtable: RocksDB's reserve)"));
  }
  MutexLock lock(sync_mu_);
  write_failed_ = !status.ok();
  if (!status.ok()) return status;
  NoteWrite();
  if (durability == Durability::kGroupCommit && !unsynced_) {
    unsynced_ = true;
    stop_cv_.notify_all();  // the loop sleeps until the next chore while nothing awaits a sync
  }
  return absl::OkStatus();
}

void Store::NoteWrite() {
  written_since_record_ = true;
  last_write_ = std::chrono::steady_clock::now();
  flushed_since_write_ = false;
  written_cv_.notify_all();
}

void Store::GroupCommitLoop() {
  const auto record_interval = std::chrono::milliseconds(options_.durable_sequence_interval_ms);
  auto last_record = std::chrono::steady_clock::now();
  MutexLock lock(sync_mu_);
  while (!stopping_) {
    // The waits release sync_mu_ and hold it again before the predicate and on return. Writes
    // to sync are gathered for one interval; with none, the loop sleeps until the next chore
    // or the first such write: waking every interval regardless cost each idle store (a node
    // holds one per shard) a hundred context switches a second.
    if (unsynced_) {
      stop_cv_.wait_for(sync_mu_, std::chrono::milliseconds(options_.group_commit_interval_ms),
                        [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_) { return stopping_; });
    } else {
      const auto next_chore = last_record + record_interval - std::chrono::steady_clock::now();
      stop_cv_.wait_for(
          sync_mu_, std::max(next_chore, std::chrono::steady_clock::duration{0}),
          [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_) { return stopping_ || unsynced_; });
      if (unsynced_ && !stopping_) continue;  // gather for an interval first
    }
    if (unsynced_) {
      unsynced_ = false;
      sync_mu_.unlock();  // fsync outside the lock: writers only wait for the flag
      const absl::Status status = SyncLog();
      sync_mu_.lock();
      if (absl::IsResourceExhausted(status)) {
        // A full disk: the acknowledged writes are in the log (in the OS) and RocksDB makes them
        // durable when it recovers; try again next time.
        unsynced_ = true;
      } else if (!status.ok()) {
        sync_error_ = status;
      }
    }
    if (std::chrono::steady_clock::now() - last_record >= record_interval && !stopping_) {
      sync_mu_.unlock();
      RecordDurableSequence();
      FlushIfDiskIsLow();
      FlushWhenQuiet();
      KeepDiskReserve(/*new_database=*/false);
      sync_mu_.lock();
      last_record = std::chrono::steady_clock::now();
    }
  }
}

uint64_t Store::MemtablesNow() const {
  uint64_t memtables = 0;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    uint64_t bytes = 0;
    if (db_->GetIntProperty(handle, rocksdb::DB::Properties::kCurSizeAllMemTables, &bytes)) {
      memtables += bytes;
    }
  }
  return memtables;
}

void Store::FlushIfDiskIsLow() {
  const std::optional<uint64_t> free = FreeBytes(path_);
  if (!free.has_value()) return;
  const uint64_t memtables = MemtablesNow();
  // Low: a few memtables' worth left. Flushed while the table files still fit (a flush that
  // runs out of space stops writes as a full log does), so that when the disk does fill, the
  // acknowledged writes sit in table files rather than a long log to replay. At most once a
  // second: a writer fills 16 MiB in well under the ten seconds this once waited, and the log it
  // left unflushed then needed more room to replay than the disk reserve gives
  // (SmallDiskTest.FreeingOneMemtableBringsWritesBackAndARestartLosesNothing, once in a loaded
  // run).
  const uint64_t low = 4 * MemtableBytes(options_) + memtables;
  const auto now = std::chrono::steady_clock::now();
  if (*free >= low || *free < 2 * memtables || memtables < (uint64_t{1} << 20) ||
      now - last_low_disk_flush_ < std::chrono::seconds(1)) {
    return;
  }
  last_low_disk_flush_ = now;
  rocksdb::FlushOptions flush;
  flush.wait = false;
  db_->Flush(flush, std::vector<rocksdb::ColumnFamilyHandle*>(handles_.begin(), handles_.end()))
      .PermitUncheckedError();
}

void Store::FlushWhenQuiet() {
  // A point read (re-rank, get) looks in the memtables before the table files, and in a memtable
  // it walks a skip list: after a load that left ~15,000 rows per memtable, that walk was 12-15%
  // of a routed re-ranked search's CPU, where table files answer from hashed blocks and the row
  // cache. Once writes have stopped for a while, the memtables go to table files.
  const auto quiet = std::chrono::milliseconds(options_.quiet_flush_ms);
  {
    MutexLock lock(sync_mu_);
    if (flushed_since_write_ || std::chrono::steady_clock::now() - last_write_ < quiet) return;
    flushed_since_write_ = true;
  }
  const uint64_t memtables = MemtablesNow();
  if (memtables < (uint64_t{1} << 20)) return;
  rocksdb::FlushOptions flush;
  flush.wait = false;
  db_->Flush(flush, std::vector<rocksdb::ColumnFamilyHandle*>(handles_.begin(), handles_.end()))
      .PermitUncheckedError();
}

void Store::KeepDiskReserve(bool new_database) {
  if (HasDiskReserve(path_)) return;
  const std::optional<uint64_t> free = FreeBytes(path_);
  if (!free.has_value()) return;
  // A new directory takes it while it fits. One that gave it back takes it again only with
  // room beside it for writes to resume (RocksDB waits for a memtable's worth free) and for the
  // memtables to be flushed, so taking it never stops writes.
  const uint64_t reserve = MemtableBytes(options_);
  const uint64_t needed = new_database ? reserve : 2 * reserve + options_.write_buffer_bytes;
  if (*free < needed) return;
  const absl::Status status = TakeDiskReserve(path_, reserve);
  if (!status.ok()) std::fprintf(stderr, "tqdb: %s\n", status.ToString().c_str());
}

std::shared_ptr<const rocksdb::Snapshot> Store::Snapshot() {
  rocksdb::DB* db = db_.get();
  // The deleter keeps the store (and so the database) alive while the snapshot is in use.
  return std::shared_ptr<const rocksdb::Snapshot>(
      db->GetSnapshot(),
      [db, keep = shared_from_this()](const rocksdb::Snapshot* s) { db->ReleaseSnapshot(s); });
}

absl::Status Store::Checkpoint(const std::string& dir) {
  std::error_code error;
  if (std::filesystem::exists(dir, error)) {
    return absl::AlreadyExistsError(absl::StrCat(dir, " exists; a snapshot needs a new directory"));
  }
  rocksdb::Checkpoint* raw = nullptr;
  TQDB_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: memtables are flushed first, so the copy needs no log replay.
  return FromRocks(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0),
                   absl::StrCat("writing a snapshot to ", dir));
}

absl::Status Store::CompactAll() {
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    TQDB_RETURN_IF_ERROR(
        FromRocks(db_->CompactRange(options, handle, nullptr, nullptr), "compacting"));
  }
  return absl::OkStatus();
}

StorageStats Store::Stats() const {
  auto sum = [&](const std::string& property) {
    uint64_t total = 0;
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      uint64_t value = 0;
      if (db_->GetIntProperty(handle, property, &value)) total += value;
    }
    return total;
  };
  auto whole = [&](const std::string& property) {
    uint64_t value = 0;
    db_->GetIntProperty(property, &value);
    return value;
  };
  StorageStats stats;
  stats.writes_stopped = whole(rocksdb::DB::Properties::kIsWriteStopped) != 0;
  stats.delayed_write_rate = whole(rocksdb::DB::Properties::kActualDelayedWriteRate);
  stats.pending_compaction_bytes = sum(rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
  stats.running_compactions = whole(rocksdb::DB::Properties::kNumRunningCompactions);
  stats.memtable_bytes = sum(rocksdb::DB::Properties::kSizeAllMemTables);
  stats.block_cache_bytes = whole(rocksdb::DB::Properties::kBlockCacheUsage);
  stats.block_cache_capacity = whole(rocksdb::DB::Properties::kBlockCacheCapacity);
  stats.write_buffer_limit = options_.shared_budget != nullptr
                                 ? options_.shared_budget->write_buffer_bytes()
                                 : options_.write_buffer_bytes;
  stats.shared_budget = options_.shared_budget.get();
  stats.table_readers_bytes = sum(rocksdb::DB::Properties::kEstimateTableReadersMem);
  stats.disk_bytes = sum(rocksdb::DB::Properties::kLiveSstFilesSize);
  return stats;
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
