#include "tqdb/replica.h"

#include "db/storage/store.h"
#include "db/store_options.h"
#include "tqdb/status_macros.h"

namespace tqdb {

Replica::Replica(std::shared_ptr<storage::Store> store) : store_(std::move(store)) {}
Replica::~Replica() = default;

absl::StatusOr<std::unique_ptr<Replica>> Replica::Open(const std::string& path,
                                                       const DatabaseOptions& options) {
  storage::StoreOptions store_options = MakeStoreOptions(options);
  store_options.create_if_missing = false;  // a replica begins as a copy, never empty
  store_options.replica = true;
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<storage::Store> store,
                        storage::Store::Open(path, store_options));
  return std::unique_ptr<Replica>(new Replica(std::move(store)));
}

uint64_t Replica::LatestSequence() const { return store_->LatestSequence(); }

absl::Status Replica::Apply(const LoggedWrite& write) { return store_->ApplyLogged(write); }

absl::Status Replica::ApplyAll(absl::Span<const LoggedWrite> writes) {
  for (size_t i = 0; i < writes.size(); ++i) {
    const absl::Status applied = store_->ApplyLogged(writes[i], /*sync=*/i + 1 == writes.size());
    if (!applied.ok()) return applied;
  }
  return absl::OkStatus();
}

}  // namespace tqdb
