// Filtered writes and reads of a collection beyond search (issue "filtered search"): Scroll,
// DeleteWhere and UpdatePayloads.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "db/batch_size.h"
#include "db/collection_impl.h"
#include "db/payload_edit.h"
#include "tqdb/status_macros.h"

namespace tqdb {

absl::StatusOr<std::vector<uint64_t>> CollectionImpl::Targets(absl::Span<const uint64_t> ids,
                                                              const Filter* filter) const {
  ReaderLock lock(index_mu_);
  if (filter != nullptr) {
    TQDB_ASSIGN_OR_RETURN(const IdSet passing, PassingIds(*filter));
    return passing.ToVector();
  }
  std::vector<uint64_t> stored;
  for (uint64_t id : ids) {
    if (index_->Contains(id)) stored.push_back(id);
  }
  std::sort(stored.begin(), stored.end());
  stored.erase(std::unique(stored.begin(), stored.end()), stored.end());
  return stored;
}

absl::StatusOr<ScrollPage> CollectionImpl::Scroll(const Filter& filter,
                                                  std::optional<uint64_t> from, size_t limit,
                                                  bool with_vectors, bool with_payloads) const {
  TQDB_RETURN_IF_ERROR(CheckLive());
  if (limit == 0 || limit > kMaxScrollLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("scroll limit must be in 1..", kMaxScrollLimit, ", got ", limit));
  }
  if (with_vectors && !config_.store_vectors) {
    return absl::FailedPreconditionError(absl::StrCat(
        "collection '", config_.name, "' does not store float vectors (store_vectors is off)"));
  }
  ScrollPage page;
  storage::ReadView view;
  {
    ReaderLock lock(index_mu_);
    view = snapshot_;
    TQDB_ASSIGN_OR_RETURN(const IdSet passing, PassingIds(filter));
    // One more than the page, to know where the next starts.
    passing.ForEachFrom(from.value_or(0), [&](uint64_t id) {
      if (page.records.size() == limit) {
        page.next = id;
        return false;
      }
      page.records.push_back({id, true, 0, {}, {}});
      return true;
    });
  }
  TQDB_RETURN_IF_ERROR(FillRecords(&page.records, with_vectors, with_payloads, view));
  return page;
}

absl::StatusOr<WriteResult> CollectionImpl::DeleteWhere(const Filter& filter,
                                                        const WriteOptions& options) {
  TQDB_RETURN_IF_ERROR(CheckLive());
  if (filter.empty()) {
    return absl::InvalidArgumentError(
        "delete by filter needs a non-empty filter (drop the collection to delete everything)");
  }
  MutexLock write_lock(write_mu_);
  TQDB_RETURN_IF_ERROR(CheckLive());
  TQDB_ASSIGN_OR_RETURN(const std::vector<uint64_t> targets, Targets({}, &filter));
  WriteResult total;
  for (size_t first = 0; first < targets.size(); first += kMaxBatchSize) {
    TQDB_ASSIGN_OR_RETURN(
        const WriteResult step,
        DeleteLocked(absl::MakeConstSpan(targets).subspan(first, kMaxBatchSize), options));
    total.deleted += step.deleted;
  }
  return total;
}

absl::StatusOr<size_t> CollectionImpl::UpdatePayloads(const PayloadUpdate& update,
                                                      absl::Span<const uint64_t> ids,
                                                      const Filter* filter,
                                                      const WriteOptions& options) {
  TQDB_RETURN_IF_ERROR(CheckLive());
  TQDB_RETURN_IF_ERROR(CheckPayloadUpdate(update));
  if (filter != nullptr && !ids.empty()) {
    return absl::InvalidArgumentError("give ids or a filter, not both");
  }
  if (filter == nullptr) TQDB_RETURN_IF_ERROR(CheckBatchSize(ids.size(), "payload update"));
  MutexLock write_lock(write_mu_);
  TQDB_RETURN_IF_ERROR(CheckLive());
  TQDB_ASSIGN_OR_RETURN(const std::vector<uint64_t> targets, Targets(ids, filter));
  const Durability durability = options.durability.value_or(config_.durability);
  size_t changed = 0;
  for (size_t first = 0; first < targets.size(); first += kMaxBatchSize) {
    const absl::Span<const uint64_t> step =
        absl::MakeConstSpan(targets).subspan(first, kMaxBatchSize);
    // The latest payloads: writes wait on write_mu_, so nothing changes them meanwhile.
    TQDB_ASSIGN_OR_RETURN(const std::vector<std::string> stored,
                          store_.ReadPayloads(step, /*view=*/nullptr));
    std::vector<uint64_t> edited_ids;
    std::vector<std::string> edited;
    storage::CollectionStore::Batch batch = store_.NewBatch();
    for (size_t i = 0; i < step.size(); ++i) {
      std::string payload = EditPayload(update, stored[i]);
      if (payload == stored[i]) continue;
      if (payload.size() > kMaxPayloadBytes) {
        return absl::InvalidArgumentError(absl::StrCat("the payload of id ", step[i],
                                                       " would have ", payload.size(),
                                                       " bytes; the limit is ", kMaxPayloadBytes));
      }
      if (payload.empty()) {
        batch.DeletePayload(step[i]);
      } else {
        batch.PutPayload(step[i], payload);
      }
      edited_ids.push_back(step[i]);
      edited.push_back(std::move(payload));
    }
    if (edited_ids.empty()) continue;
    TQDB_RETURN_IF_ERROR(Commit(&batch, durability, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(index_mu_) {
      payload_index_.PutAll(edited_ids, edited);
    }));
    changed += edited_ids.size();
  }
  return changed;
}

}  // namespace tqdb
