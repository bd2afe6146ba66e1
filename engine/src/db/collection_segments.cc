// Segment maintenance: after each write the policy's merges (size-tiered, reclaiming dead
// entries; db/storage/segment_policy.h), and Compact's full rewrite. A merge reads the live
// entries' codes from the index (exactly what was stored), writes them as one segment and
// retags them, in one write that also deletes the merged segments.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "db/collection_impl.h"
#include "tqdb/status_macros.h"

namespace tqdb {

void CollectionImpl::MaintainAfterWrite() {
  if (absl::Status status = MaintainSegments(/*full=*/false); !status.ok()) {
    std::fprintf(stderr, "tqdb: collection '%s': segment maintenance failed: %s\n",
                 config_.name.c_str(), status.ToString().c_str());
  }
  StartBackgroundJobs();
}

absl::Status CollectionImpl::MaintainSegments(bool full) {
  std::vector<storage::SegmentStats> stats;
  stats.reserve(segments_.size());
  for (const auto& [number, segment] : segments_) {
    stats.push_back({number, segment.count, segment.dead, segment.bytes});
  }
  const std::vector<std::vector<uint64_t>> groups =
      full ? storage::PlanFullCompaction(stats, policy_)
           : storage::PlanSegmentRewrites(stats, policy_);
  for (const std::vector<uint64_t>& group : groups) {
    TQDB_RETURN_IF_ERROR(RewriteSegments(group));
  }
  return absl::OkStatus();
}

absl::Status CollectionImpl::RewriteSegments(absl::Span<const uint64_t> numbers) {
  // A segment's live entries are the ids it was written with whose tag in the index is still
  // that segment; their codes come from the index, which holds exactly what was stored.
  std::vector<std::vector<uint64_t>> segment_ids;
  for (uint64_t number : numbers) {
    TQDB_ASSIGN_OR_RETURN(segment_ids.emplace_back(), store_.ReadSegmentIds(number, code_bytes_));
  }
  std::vector<uint64_t> ids;
  EncodedVectors encoded;
  {
    ReaderLock lock(index_mu_);
    for (size_t s = 0; s < numbers.size(); ++s) {
      for (uint64_t id : segment_ids[s]) {
        if (index_->TagOf(id) != numbers[s]) continue;
        ids.push_back(id);
        index_->AppendEncoded(id, &encoded);
      }
    }
  }
  // The merged segment, when anything is live (one segment: the plan sized it). At most the
  // merged segments' bytes, reserved so the batch is not copied as it grows.
  size_t merged_bytes = 4096;
  for (uint64_t number : numbers) {
    if (const auto it = segments_.find(number); it != segments_.end()) {
      merged_bytes += it->second.bytes + 64;
    }
  }
  storage::CollectionStore::Batch batch = store_.NewBatch(merged_bytes);
  SegmentTable merged;
  const std::vector<WrittenSegment> written = Writer().Put(
      ids, encoded, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) { return NextSegmentNumber(); },
      &batch, &merged);
  for (uint64_t number : numbers) batch.DeleteSegment(number);
  // The logical content is unchanged, so this need not wait for an fsync of its own.
  TQDB_RETURN_IF_ERROR(store_.Write(&batch, Durability::kGroupCommit));
  if (!written.empty()) {
    WriterLock lock(index_mu_);
    for (uint64_t id : ids) index_->SetTag(id, written[0].number);
  }
  for (uint64_t number : numbers) segments_.erase(number);
  segments_.merge(merged);
  return absl::OkStatus();
}

absl::Status CollectionImpl::Compact() {
  TQDB_RETURN_IF_ERROR(CheckLive());
  {
    MutexLock write_lock(write_mu_);
    TQDB_RETURN_IF_ERROR(MaintainSegments(/*full=*/true));
  }
  return store_.CompactRanges();
}

}  // namespace tqdb
