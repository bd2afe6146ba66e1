// The write-ahead log shipped to replicas: Store::ReadLog on a primary, Store::ApplyLogged on a
// replica (store.h).
#include "absl/strings/str_cat.h"
#include "db/storage/store.h"
#include "rocksdb/transaction_log.h"
#include "tqdb/status_macros.h"

namespace tqdb::storage {

uint64_t Store::LatestSequence() const { return db_->GetLatestSequenceNumber(); }

absl::StatusOr<std::vector<LoggedWrite>> Store::ReadLog(uint64_t from, size_t max_bytes) const {
  return LogCursor(shared_from_this(), from).Read(max_bytes);
}

LogCursor::LogCursor(std::shared_ptr<const Store> store, uint64_t from)
    : store_(std::move(store)), next_(from) {}

LogCursor::~LogCursor() = default;

absl::Status LogCursor::Reopen() {
  it_.reset();
  rocksdb::TransactionLogIterator::ReadOptions read;
  read.verify_checksums_ = true;
  const rocksdb::Status found = store_->db()->GetUpdatesSince(next_, &it_, read);
  if (found.IsNotFound()) {
    it_.reset();
    return absl::FailedPreconditionError(
        absl::StrCat(store_->path(), " no longer holds its log from sequence ", next_, " (",
                     found.ToString(), "): the replica must be seeded again from a copy"));
  }
  if (!found.ok()) it_.reset();
  return FromRocks(found, "reading the write-ahead log");
}

absl::StatusOr<std::vector<LoggedWrite>> LogCursor::Read(size_t max_bytes) {
  std::vector<LoggedWrite> writes;
  if (next_ == 0) return absl::InvalidArgumentError("log sequence numbers start at 1");
  // A write counts in the latest sequence only once its log record is whole.
  const uint64_t latest = store_->db()->GetLatestSequenceNumber();
  if (next_ > latest) return writes;  // nothing written since
  // The iterator stays on the last write returned while that was the log's end: it reads on
  // from there (RocksDB's iterator tails its log file); only when it finds nothing (the log
  // moved to another file) is it opened again, which searches the log from the start of the
  // file holding `next_` (a search per read cost a replicated shard's owner a quarter of its CPU).
  if (it_ != nullptr && on_returned_) it_->Next();
  on_returned_ = false;
  if (it_ == nullptr || !it_->Valid()) TQDB_RETURN_IF_ERROR(Reopen());
  size_t bytes = 0;
  while (it_->Valid()) {
    rocksdb::BatchResult batch = it_->GetBatch();
    if (batch.sequence != next_) {
      // Past it: the log that held it was removed (or a write skipped the log, as an ingested
      // table file does). Before it: `next_` is inside a write, which no replica asks for.
      const uint64_t expected = next_;
      it_.reset();
      return absl::FailedPreconditionError(absl::StrCat(
          store_->path(), "'s log goes from sequence ", expected - 1, " to a write at ",
          batch.sequence,
          batch.sequence > expected
              ? ": writes in between are not in the log; the replica must be seeded again"
              : ": a replica asks from the start of a write"));
    }
    LoggedWrite& write = writes.emplace_back();
    write.sequence = batch.sequence;
    write.count = batch.writeBatchPtr->Count();
    write.data = batch.writeBatchPtr->Data();
    bytes += write.data.size();
    next_ = write.sequence + write.count;
    if (bytes >= max_bytes || next_ > latest) {
      on_returned_ = true;  // Next() only on a valid iterator, at the next read
      break;
    }
    it_->Next();
  }
  // The end of what is written so far, or a record still being written (TryAgain): either way
  // the next read goes on from after the last write returned. A write past `latest` may be
  // returned too (written meanwhile): it is whole once the iterator returns it.
  if (writes.empty()) {
    const rocksdb::Status ended = it_->status();
    if (ended.IsTryAgain()) return writes;
    it_.reset();
    TQDB_RETURN_IF_ERROR(FromRocks(ended, "reading the write-ahead log"));
    // Written (the latest sequence passed it) yet in no log: the log that held it is gone.
    return absl::FailedPreconditionError(
        absl::StrCat(store_->path(), " has written through sequence ", latest,
                     " but its log holds nothing from ", next_,
                     ": the replica must be seeded again from a copy"));
  }
  return writes;
}

bool Store::WaitForWrite(uint64_t sequence, std::chrono::steady_clock::time_point deadline) {
  MutexLock lock(sync_mu_);
  // Write notifies under sync_mu_ after the write is applied: no wake-up is missed between the
  // check and the wait.
  while (db_->GetLatestSequenceNumber() <= sequence) {
    if (written_cv_.wait_until(sync_mu_, deadline) == std::cv_status::timeout) break;
  }
  return db_->GetLatestSequenceNumber() > sequence;
}

absl::Status Store::ApplyLogged(const LoggedWrite& write, bool sync) {
  if (!options_.replica) {
    return absl::FailedPreconditionError("only a replica applies another database's log");
  }
  MutexLock lock(apply_mu_);
  const uint64_t next = db_->GetLatestSequenceNumber() + 1;
  if (write.sequence < next && write.sequence + write.count <= next) {
    return absl::OkStatus();  // applied before: a resend after a lost acknowledgement
  }
  if (write.sequence != next) {
    return absl::FailedPreconditionError(
        absl::StrCat("replica ", path_, " is at sequence ", next - 1, " and was sent a write at ",
                     write.sequence, ": the log must be applied in order, without gaps"));
  }
  rocksdb::WriteBatch batch(write.data);
  if (batch.Count() != write.count) {
    return absl::DataLossError(absl::StrCat("a shipped write says it holds ", write.count,
                                            " records but holds ", batch.Count()));
  }
  rocksdb::WriteOptions options;
  options.sync = sync;  // durable before the primary counts it acknowledged here
  TQDB_RETURN_IF_ERROR(FromRocks(db_->Write(options, &batch), "applying a shipped write"));
  const uint64_t now = db_->GetLatestSequenceNumber();
  if (now != write.sequence + write.count - 1) {
    return absl::InternalError(absl::StrCat("replica ", path_, " took a shipped write at ",
                                            write.sequence, " to sequence ", now, ", not ",
                                            write.sequence + write.count - 1));
  }
  MutexLock sync_lock(sync_mu_);
  NoteWrite();
  return absl::OkStatus();
}

}  // namespace tqdb::storage
