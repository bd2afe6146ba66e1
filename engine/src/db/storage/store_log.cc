// The write-ahead log shipped to replicas: Store::ReadLog on a primary, Store::ApplyLogged on a
// replica (store.h).
#include "absl/strings/str_cat.h"
#include "db/storage/store.h"
#include "rocksdb/transaction_log.h"
#include "tqdb/status_macros.h"

namespace tqdb::storage {

uint64_t Store::LatestSequence() const { return db_->GetLatestSequenceNumber(); }

absl::StatusOr<std::vector<LoggedWrite>> Store::ReadLog(uint64_t from, size_t max_bytes) const {
  std::vector<LoggedWrite> writes;
  if (from == 0) return absl::InvalidArgumentError("log sequence numbers start at 1");
  // A write counts in the latest sequence only once its log record is whole.
  const uint64_t latest = db_->GetLatestSequenceNumber();
  if (from > latest) return writes;  // nothing written since
  std::unique_ptr<rocksdb::TransactionLogIterator> it;
  rocksdb::TransactionLogIterator::ReadOptions read;
  read.verify_checksums_ = true;
  const rocksdb::Status found = db_->GetUpdatesSince(from, &it, read);
  if (found.IsNotFound()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " no longer holds its log from sequence ", from, " (", found.ToString(),
                     "): the replica must be seeded again from a copy"));
  }
  TQDB_RETURN_IF_ERROR(FromRocks(found, "reading the write-ahead log"));
  size_t bytes = 0;
  for (; it->Valid() && bytes < max_bytes; it->Next()) {
    rocksdb::BatchResult batch = it->GetBatch();
    const uint64_t expected = writes.empty() ? from : writes.back().sequence + writes.back().count;
    if (batch.sequence != expected) {
      // Past it: the log that held it was removed (or a write skipped the log, as an ingested
      // table file does). Before it: `from` is inside a write, which no replica asks for.
      return absl::FailedPreconditionError(absl::StrCat(
          path_, "'s log goes from sequence ", expected - 1, " to a write at ", batch.sequence,
          batch.sequence > expected
              ? ": writes in between are not in the log; the replica must be seeded again"
              : ": a replica asks from the start of a write"));
    }
    LoggedWrite& write = writes.emplace_back();
    write.sequence = batch.sequence;
    write.count = batch.writeBatchPtr->Count();
    write.data = batch.writeBatchPtr->Data();
    bytes += write.data.size();
  }
  // The end of what is written so far, or a record still being written (TryAgain): either way
  // the caller asks again from after the last write returned.
  const rocksdb::Status ended = it->status();
  if (writes.empty() && !ended.IsTryAgain()) {
    TQDB_RETURN_IF_ERROR(FromRocks(ended, "reading the write-ahead log"));
    // Written (the latest sequence passed it) yet in no log: the log that held it is gone.
    return absl::FailedPreconditionError(absl::StrCat(
        path_, " has written through sequence ", latest, " but its log holds nothing from ", from,
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

absl::Status Store::ApplyLogged(const LoggedWrite& write) {
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
  rocksdb::WriteOptions sync;
  sync.sync = true;  // durable before the primary counts it acknowledged here
  TQDB_RETURN_IF_ERROR(FromRocks(db_->Write(sync, &batch), "applying a shipped write"));
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
