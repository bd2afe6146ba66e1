// The RocksDB database behind one data directory: opening it with tqdb's column families and
// checks, durable writes (fsync per batch or group commit), snapshots and status translation.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "db/storage/keys.h"
#include "db/storage/table_file.h"
#include "rocksdb/db.h"
#include "rocksdb/sst_file_writer.h"
#include "rocksdb/transaction_log.h"
#include "rocksdb/write_batch.h"
#include "tqdb/collection_config.h"
#include "tqdb/logged_write.h"
#include "tqdb/memory_budget.h"
#include "tqdb/mutex.h"
#include "tqdb/storage_stats.h"

namespace tqdb::storage {

struct StoreOptions {
  bool create_if_missing = true;
  // How often the group-commit thread fsyncs the write-ahead log.
  int group_commit_interval_ms = 10;
  // RocksDB's memory, shared by every column family: the block cache (data, index and filter
  // blocks) and the memtables (flushed once they pass it).
  size_t block_cache_bytes = size_t{64} << 20;
  size_t write_buffer_bytes = size_t{64} << 20;
  // When set, the cache and the memtable budget are these, shared with other stores, instead of
  // the store's own of the sizes above (which then only size its memtables).
  std::shared_ptr<const SharedMemoryBudget> shared_budget;
  bool verify_checksums_on_open = true;
  // Open even when the log recovers to an earlier point than the durable-sequence record
  // (durable_sequence.h) says was on disk: the writes after it are lost, deliberately.
  bool accept_log_loss = false;
  // How often, while writes arrive, the durable-sequence record is brought up to date.
  int durable_sequence_interval_ms = 1000;
  // Once no write has come for this long, memtables holding a MiB or more are flushed
  // (Store::FlushWhenQuiet): checked with the durable-sequence record.
  int quiet_flush_ms = 5000;
  // Writes of new float vectors at least this large skip the log and the memtables: they are
  // written as one table file and ingested (IngestTable). 0: never.
  size_t ingest_min_bytes = size_t{4} << 20;
  // Keep the write-ahead log this long after its writes reach table files, up to this size in
  // all (RocksDB's WAL_ttl_seconds, WAL_size_limit_MB), for replicas to read (ReadLog). 0 and 0:
  // removed once flushed.
  uint64_t log_retention_seconds = 0;
  uint64_t log_retention_mb = 0;
  // A replica's copy of another store, written only by ApplyLogged: it writes nothing of its own
  // (no fsync markers), so its sequence numbers stay its primary's.
  bool replica = false;
};

// Each column family's memtable: half of write_buffer_bytes (so a full one and its successor
// fit), at most kMaxMemtableBytes. After a full disk RocksDB takes writes again only once this
// much is free (its reserved disk buffer, the largest memtable at open): capped so that freeing
// a few MiB on a small disk is enough, not half the write buffer (32 MiB by default before).
inline constexpr size_t kMaxMemtableBytes = size_t{16} << 20;
size_t MemtableBytes(const StoreOptions& options);

// Where bulk writes put their table files before ingesting them, under the data directory;
// what a crash left there is removed at open (RemoveUningestedTables).
inline constexpr const char* kIngestDirectory = "TQDB_INGEST";
std::string IngestDirectory(const std::string& path);
absl::Status RemoveUningestedTables(const std::string& path);

// Translates a RocksDB status; `context` says what was being done.
absl::Status FromRocks(const rocksdb::Status& status, std::string_view context);

class Store : public std::enable_shared_from_this<Store> {
 public:
  static absl::StatusOr<std::shared_ptr<Store>> Open(const std::string& path,
                                                     const StoreOptions& options);
  ~Store();  // fsyncs the log and closes the database

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(Cf which) const { return handles_[static_cast<int>(which)]; }
  const std::string& path() const { return path_; }
  // Free space on the data directory's disk that other files (the mapped re-rank rows) leave
  // to the database: the level below which it flushes early, and the room its writes need to
  // resume after a full disk, with a margin.
  uint64_t DiskLeftToDatabase() const {
    return 4 * MemtableBytes(options_) + options_.write_buffer_bytes;
  }

  // Applies `batch` atomically with the write-ahead log on; returns once it is as durable as
  // `durability` promises (collection_config.h).
  absl::Status Write(rocksdb::WriteBatch* batch, Durability durability);

  // A consistent read view, released when the last copy goes.
  std::shared_ptr<const rocksdb::Snapshot> Snapshot();

  // Bulk writes (store_ingest.cc): records sorted by key go into a table file beside the
  // database, which IngestTable then moves into a column family. Each record is written once
  // instead of to the log, a memtable, a flushed table file and its compactions.
  bool IngestsBytes(size_t bytes) const {
    return options_.ingest_min_bytes > 0 && bytes >= options_.ingest_min_bytes;
  }
  // `fill` adds the records in increasing key order.
  absl::StatusOr<TableFile> WriteTable(
      Cf which, const std::function<rocksdb::Status(rocksdb::SstFileWriter&)>& fill);
  // Durable on return: RocksDB syncs the file and records it in the synced manifest.
  absl::Status IngestTable(Cf which, TableFile file);

  // Writes a consistent copy of the database (a RocksDB checkpoint: hard links where the file
  // system allows, copies otherwise) into `dir`, which must not exist; writes may continue.
  absl::Status Checkpoint(const std::string& dir);
  // Compacts every column family to the last level, so deleted data leaves the files.
  absl::Status CompactAll();

  // Replication (store_log.cc). The sequence number of the last write.
  uint64_t LatestSequence() const;
  // The writes from sequence `from` on, whole, until their data passes `max_bytes` (at least
  // one when there is any); empty when nothing was written since. FailedPrecondition when the
  // log no longer goes back that far, or skips writes (an ingested table file): the replica
  // must start again from a copy.
  absl::StatusOr<std::vector<LoggedWrite>> ReadLog(uint64_t from, size_t max_bytes) const;
  // Waits until a write past `sequence` has been applied, or until `deadline`; whether one has.
  bool WaitForWrite(uint64_t sequence, std::chrono::steady_clock::time_point deadline);
  // On a replica: applies a primary's write if it is the next one, synced unless `sync` is
  // false (a later synced one then makes it durable too: the log is written in order); one
  // applied before is skipped. FailedPrecondition for a gap.
  absl::Status ApplyLogged(const LoggedWrite& write, bool sync = true);

  // RocksDB's figures for monitoring.
  StorageStats Stats() const;

  // Approximate bytes on disk and in memtables of keys in [begin, end) of `cf`.
  uint64_t ApproximateBytes(Cf which, const std::string& begin, const std::string& end) const;

 private:
  Store() = default;
  absl::Status CheckFormatVersion();
  // Compares the recovered log with the durable-sequence record; `logs` names the log files
  // found before opening, for the error message.
  absl::Status CheckLogRecovered(const std::string& logs);
  // fsyncs the log with a small synced write, which makes every earlier write durable. Not
  // DB::SyncWAL: after a failed log write (a full disk) that trips an assertion in Debian's
  // RocksDB (WritableFileWriter, "sync_without_flush_called_") and aborts, while a write is
  // refused cleanly with RocksDB's background error.
  absl::Status SyncLog();
  // After writes since the last time: fsyncs the log and records the sequence it covers.
  void RecordDurableSequence();
  // The bytes in every column family's memtables now.
  uint64_t MemtablesNow() const;
  // When the data directory's disk is nearly full, flushes the memtables (at most every 10 s).
  void FlushIfDiskIsLow();
  // Takes the disk reserve (disk_reserve.h) when it is missing and the disk has room for it.
  void KeepDiskReserve(bool new_database);
  // Once writes have stopped for a few seconds, flushes memtables that hold a megabyte or more.
  void FlushWhenQuiet();
  // After a write (Write's own or a shipped one, ApplyLogged): the durable-sequence record, the
  // quiet flush and WaitForWrite learn of it.
  void NoteWrite() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_);
  void GroupCommitLoop();

  std::string path_;
  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::array<rocksdb::ColumnFamilyHandle*, kCfCount> handles_{};

  Mutex sync_mu_;
  std::condition_variable_any stop_cv_;
  std::condition_variable_any written_cv_;  // WaitForWrite's, notified by every write
  bool unsynced_ ABSL_GUARDED_BY(sync_mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(sync_mu_) = false;
  // The last write failed (a full disk, say): RocksDB refuses writes until it has recovered.
  bool write_failed_ ABSL_GUARDED_BY(sync_mu_) = false;
  bool written_since_record_ ABSL_GUARDED_BY(sync_mu_) = false;
  std::chrono::steady_clock::time_point last_write_ ABSL_GUARDED_BY(sync_mu_);
  bool flushed_since_write_ ABSL_GUARDED_BY(sync_mu_) = true;
  std::chrono::steady_clock::time_point last_resume_ ABSL_GUARDED_BY(sync_mu_);
  absl::Status sync_error_ ABSL_GUARDED_BY(sync_mu_);
  bool log_checked_ = false;  // set once by Open, before the group-commit thread starts
  std::chrono::steady_clock::time_point last_low_disk_flush_;  // group-commit thread only
  std::thread group_commit_thread_;
  std::atomic<uint64_t> next_table_file_{0};
  Mutex apply_mu_;  // one shipped write at a time
};

// A reader of a store's log from a sequence number on that keeps its place between reads, so a
// replica's stream does not search the log again for every message (Store::ReadLog does).
class LogCursor {
 public:
  LogCursor(std::shared_ptr<const Store> store, uint64_t from);
  ~LogCursor();
  LogCursor(const LogCursor&) = delete;
  LogCursor& operator=(const LogCursor&) = delete;

  // The writes from the cursor's place on, as Store::ReadLog returns them; the next read goes
  // on after the last one returned.
  absl::StatusOr<std::vector<LoggedWrite>> Read(size_t max_bytes);

 private:
  absl::Status Reopen();

  const std::shared_ptr<const Store> store_;
  uint64_t next_;  // the first sequence number not yet returned
  std::unique_ptr<rocksdb::TransactionLogIterator> it_;
  bool on_returned_ = false;  // it_ is on the last write returned
};

}  // namespace tqdb::storage
