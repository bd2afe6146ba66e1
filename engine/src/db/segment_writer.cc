#include "db/segment_writer.h"

#include <algorithm>

#include "db/storage/segment_codec.h"
#include "tqdb/status_macros.h"

namespace tqdb {
namespace {

// Entries [first, first + count) of `encoded`.
EncodedVectors Slice(const EncodedVectors& encoded, size_t first, size_t count, size_t code_bytes) {
  EncodedVectors part;
  part.codes.assign(encoded.codes.begin() + first * code_bytes,
                    encoded.codes.begin() + (first + count) * code_bytes);
  part.factors.assign(encoded.factors.begin() + first, encoded.factors.begin() + first + count);
  if (!encoded.lists.empty()) {
    part.lists.assign(encoded.lists.begin() + first, encoded.lists.begin() + first + count);
  }
  return part;
}

}  // namespace

std::string SegmentWriter::Value(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                                 size_t first) const {
  const size_t n = ids.size();
  return storage::EncodeSegment(
      ids, absl::MakeConstSpan(encoded.codes).subspan(first * code_bytes_, n * code_bytes_),
      absl::MakeConstSpan(encoded.factors).subspan(first, n), code_bytes_,
      partitioning_ == 0 ? absl::Span<const uint32_t>()
                         : absl::MakeConstSpan(encoded.lists).subspan(first, n),
      partitioning_, half_factors_);
}

std::vector<WrittenSegment> SegmentWriter::Put(absl::Span<const uint64_t> ids,
                                               const EncodedVectors& encoded,
                                               const std::function<uint64_t()>& next_number,
                                               storage::CollectionStore::Batch* batch,
                                               SegmentTable* segments) const {
  std::vector<WrittenSegment> written;
  const size_t per_segment = per_segment_ == 0 ? ids.size() : per_segment_;
  for (size_t first = 0; first < ids.size(); first += per_segment) {
    const size_t count = std::min(per_segment, ids.size() - first);
    const uint64_t number = next_number();
    std::string value = Value(ids.subspan(first, count), encoded, first);
    (*segments)[number] = SegmentStats{count, 0, value.size()};
    batch->PutSegment(number, value);
    written.push_back({number, first, count});
  }
  return written;
}

absl::Status AddWritten(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                        absl::Span<const WrittenSegment> written, Index* index) {
  const size_t code_bytes = index->encoder()->code_bytes();
  for (const WrittenSegment& segment : written) {
    const auto part_ids = ids.subspan(segment.first, segment.count);
    if (segment.count == encoded.size()) {  // the whole batch: no copy
      TQDB_RETURN_IF_ERROR(index->AddEncoded(part_ids, encoded, segment.number));
    } else {
      TQDB_RETURN_IF_ERROR(index->AddEncoded(
          part_ids, Slice(encoded, segment.first, segment.count, code_bytes), segment.number));
    }
  }
  return absl::OkStatus();
}

}  // namespace tqdb
