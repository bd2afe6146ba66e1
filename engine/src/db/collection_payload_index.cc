// CreatePayloadIndex: a payload index built from a snapshot of the stored payloads while writes
// and searches go on, then caught up with the payloads written meanwhile and switched on in one
// commit.
#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "db/collection_impl.h"
#include "tqdb/status_macros.h"

namespace tqdb {
namespace {

constexpr size_t kMaxPayloadIndexes = 64;

}  // namespace

absl::Status CollectionImpl::CreatePayloadIndex(const PayloadFieldIndex& field) {
  TQDB_RETURN_IF_ERROR(CheckLive());
  if (field.key.empty() || field.key.size() > 256 || field.key.front() == '.' ||
      field.key.back() == '.') {
    return absl::InvalidArgumentError(absl::StrCat(
        "a payload index key is a dotted path of 1 to 256 characters, got '", field.key, "'"));
  }
  storage::ReadView view;
  {
    MutexLock write_lock(write_mu_);
    TQDB_RETURN_IF_ERROR(CheckLive());
    if (building_payload_index_) {
      return absl::FailedPreconditionError(absl::StrCat(
          "collection '", config_.name, "' is building another payload index; try again after"));
    }
    WriterLock lock(index_mu_);
    for (const PayloadFieldIndex& existing : payload_index_.fields()) {
      if (existing.key == field.key) {
        return absl::AlreadyExistsError(
            absl::StrCat("collection '", config_.name, "' indexes '", field.key, "' already (as ",
                         std::string(PayloadIndexTypeName(existing.type)), ")"));
      }
    }
    if (payload_index_.fields().size() >= kMaxPayloadIndexes) {
      return absl::FailedPreconditionError(absl::StrCat("collection '", config_.name, "' has ",
                                                        kMaxPayloadIndexes,
                                                        " payload indexes, the most"));
    }
    // From here every payload change is recorded, and `view` holds the payloads before them.
    building_payload_index_ = true;
    payload_index_.StartTracking();
    view = snapshot_;
  }
  absl::Cleanup end_build = [this] {
    MutexLock write_lock(write_mu_);
    building_payload_index_ = false;
    WriterLock lock(index_mu_);
    payload_index_.StopTracking();
  };

  // The long part, without locks: writes and searches go on.
  PayloadIndex built({field});
  TQDB_RETURN_IF_ERROR(store_.ForEachPayload(view, [&](uint64_t id, std::string_view bytes) {
    built.Put(id, filter::ParsePayload(bytes));
  }));

  // Catch up with the writes since the snapshot (writes wait now), then switch on.
  MutexLock write_lock(write_mu_);
  TQDB_RETURN_IF_ERROR(CheckLive());
  std::vector<uint64_t> changed, gone;
  std::vector<PayloadFieldIndex> fields;
  {
    ReaderLock lock(index_mu_);
    for (uint64_t id : payload_index_.TrackedIds()) {
      (payload_index_.ids().contains(id) ? changed : gone).push_back(id);
    }
    fields = payload_index_.fields();
  }
  built.Remove(gone);
  TQDB_ASSIGN_OR_RETURN(const std::vector<std::string> payloads,
                        store_.ReadPayloads(changed, /*view=*/nullptr));
  for (size_t i = 0; i < changed.size(); ++i) {
    built.Put(changed[i], filter::ParsePayload(payloads[i]));
  }
  fields.push_back(field);
  storage::CollectionStore::Batch batch = store_.NewBatch();
  batch.PutPayloadIndexes(fields);
  return Commit(&batch, Durability::kSync, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(index_mu_) {
    payload_index_.AdoptFields(std::move(built));
  });
}

}  // namespace tqdb
