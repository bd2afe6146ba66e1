// A replica of a data directory (issue 34): a copy of the primary made by Database::Snapshot,
// kept the same by applying the primary's write-ahead log (Database::ReadLog) write by write,
// each synced and numbered as on the primary. It runs no collection and no background job: those
// run on the primary, and what they write arrives in the log. To serve, close the replica and
// open its directory as a Database.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tqdb/database.h"
#include "tqdb/logged_write.h"

namespace tqdb {

namespace storage {
class Store;
}  // namespace storage

class Replica {
 public:
  // `path` holds a snapshot of the primary (or a replica closed before). FailedPrecondition for
  // a directory that is not one; options as for the Database it may become.
  static absl::StatusOr<std::unique_ptr<Replica>> Open(const std::string& path,
                                                       const DatabaseOptions& options = {});
  ~Replica();

  // The primary's sequence number this copy has reached: ask the primary's log from one past it.
  uint64_t LatestSequence() const;
  // Applies the primary's next write, durably before it returns. A write applied before is
  // skipped (a resend); FailedPrecondition for one past the next (a gap: ask again from
  // LatestSequence() + 1).
  absl::Status Apply(const LoggedWrite& write);
  // Applies the primary's next writes in order, durably before it returns, with one sync for
  // all (the last write's, which makes the ones before it durable too). Stops at the first
  // error, the writes before it applied.
  absl::Status ApplyAll(absl::Span<const LoggedWrite> writes);

 private:
  explicit Replica(std::shared_ptr<storage::Store> store);
  std::shared_ptr<storage::Store> store_;
};

}  // namespace tqdb
